// The "Speakers" card of a one-channel (mixed) session: one row per speaker the server
// has named (S1..S9, from transcript events and `speaker.roles`), each with a <select>
// of roles. Changing a select asks the server (PUT .../speakers/S#); the server answers
// with a `speaker.roles` event, which is what relabels the transcript. On an error the
// select returns to the role the server last gave and the message is shown.

import { el, errorText, roleName, setMessage, speakerIdLabel, speakerOf } from './ui.js';

const MIXED = 'mixed';
const PARTICIPANT = /^participant-([1-9])$/;

/** Why a speaker has its role, after a `speaker.roles` event from `source`. */
function hintFor(role, source) {
  if (source === 'clinician') return 'Set by you';
  if (role === 'therapist') return 'Matched your voice profile';
  if (role === 'unknown') return 'Not recognised: choose a role';
  return 'Not your voice (voice profile)';
}

export class SpeakersView {
  /**
   * @param {{section: HTMLElement, list: HTMLElement, error: HTMLElement,
   *          onChange: (speaker: string, role: string) => Promise<void>}} parts
   *   onChange asks the server; it throws (ApiError) when the server refuses.
   */
  constructor({ section, list, error, onChange }) {
    this.section = section;
    this.list = list;
    this.error = error;
    this.onChange = onChange;
    this.expected = 2; // voices the session expects: more than 2 offers participants
    this.editable = true;
    /** @type {Map<string, {role: string, row: HTMLElement, select: HTMLSelectElement,
     *          hint: HTMLElement, saving: boolean}>} S# → row */
    this.rows = new Map();
    this.clear();
  }

  /** Forget every speaker (another session was chosen). */
  clear() {
    this.rows.clear();
    this.list.replaceChildren();
    setMessage(this.error, '');
    this.section.hidden = true;
  }

  /** How many voices the session expects (null: the server's default, two). */
  setExpected(count) {
    const n = Number(count);
    this.expected = Number.isInteger(n) && n > 0 ? n : 2;
    for (const row of this.rows.values()) this._fillOptions(row);
  }

  /** Roles can be changed only while the session is not ended. */
  setEditable(editable) {
    this.editable = editable;
    for (const row of this.rows.values()) row.select.disabled = !editable || row.saving;
  }

  /** {S1: role, ...} as shown (the test hook). */
  speakers() {
    const rows = [...this.rows].sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(rows.map(([speaker, row]) => [speaker, row.role]));
  }

  /** A transcript event or correction of the mixed track: note its speaker. */
  seen(event) {
    if (event?.track !== MIXED) return;
    const speaker = speakerOf(event);
    if (!speaker) return;
    const row = this.rows.get(speaker) ?? this._add(speaker);
    const role = typeof event.role === 'string' && event.role ? event.role : 'unknown';
    // A speaker.roles event is authoritative; until one names this speaker, its lines say.
    if (!row.fromRoles && row.role !== role) this._set(row, role);
  }

  /** A `speaker.roles` event: the current role of every speaker of a track. */
  roles(event) {
    if (event?.track !== MIXED || !event.roles || typeof event.roles !== 'object') return;
    const names = Object.keys(event.roles)
      .filter((s) => /^S[1-9]$/.test(s))
      .sort();
    for (const speaker of names) {
      const role = String(event.roles[speaker]);
      const row = this.rows.get(speaker) ?? this._add(speaker);
      const changed = !row.fromRoles || row.role !== role;
      row.fromRoles = true;
      if (changed) {
        this._set(row, role);
        row.hint.textContent = hintFor(role, event.source);
      }
    }
  }

  // ---- rendering ------------------------------------------------------------------------

  _add(speaker) {
    const id = `speaker-role-${speaker}`;
    const hintId = `${id}-hint`;
    const row = el('li', { className: 'speaker-row' });
    row.dataset.speaker = speaker;
    const label = el('label', { text: speakerIdLabel(speaker), attrs: { for: id } });
    const select = el('select', { attrs: { id, 'aria-describedby': hintId } });
    const hint = el('p', { className: 'hint speaker-hint', attrs: { id: hintId } });
    row.append(label, select, hint);
    const entry = { role: 'unknown', row, select, hint, saving: false, fromRoles: false };
    select.disabled = !this.editable;
    select.addEventListener('change', () => this._changed(speaker, entry));
    // Rows in speaker order (S1, S2, ...), whatever order they were first heard in.
    const before = [...this.list.children].find((child) => child.dataset.speaker > speaker);
    this.list.insertBefore(row, before ?? null);
    this.rows.set(speaker, entry);
    this._fillOptions(entry);
    this.section.hidden = false;
    return entry;
  }

  /** therapist, client, participant-1..N (groups; and any participant already used), unknown. */
  _fillOptions(entry) {
    let participants = this.expected > 2 ? this.expected - 1 : 0;
    for (const other of this.rows.values()) {
      const m = PARTICIPANT.exec(other.role);
      if (m) participants = Math.max(participants, Number(m[1]));
    }
    const roles = ['therapist', 'client'];
    for (let i = 1; i <= participants; i++) roles.push(`participant-${i}`);
    roles.push('unknown');
    const current = entry.select.options.length ? entry.select.value : entry.role;
    if (entry.select.options.length === roles.length) {
      entry.select.value = current;
      return;
    }
    entry.select.replaceChildren(
      ...roles.map((role) => el('option', { text: roleName(role), attrs: { value: role } })),
    );
    entry.select.value = roles.includes(current) ? current : entry.role;
  }

  _set(entry, role) {
    entry.role = role;
    if (PARTICIPANT.test(role)) {
      for (const row of this.rows.values()) this._fillOptions(row); // a new participant number
    }
    if (!entry.saving) entry.select.value = role;
    entry.row.dataset.role = role;
  }

  async _changed(speaker, entry) {
    const wanted = entry.select.value;
    if (wanted === entry.role) return;
    const focused = document.activeElement === entry.select;
    entry.saving = true;
    entry.select.disabled = true; // (disabling drops focus: given back below)
    entry.row.setAttribute('aria-busy', 'true');
    setMessage(this.error, '');
    try {
      // Accepted: the select keeps the choice; the server's speaker.roles event (which
      // may arrive before or after this response) sets the row's role and relabels lines.
      await this.onChange(speaker, wanted);
    } catch (err) {
      setMessage(this.error, `${speakerIdLabel(speaker)}: ${errorText(err)}`, 'error');
      entry.select.value = entry.role; // back to what the server says
    } finally {
      entry.saving = false;
      entry.select.disabled = !this.editable;
      entry.row.removeAttribute('aria-busy');
      if (focused && !entry.select.disabled) entry.select.focus();
    }
  }
}
