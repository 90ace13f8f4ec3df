// The note draft, its required elements and risk alerts.
//
// NoteDraftView: items from `note.patch` events and GET .../note, upserted by id and
// version (a patch whose version is not newer than the one shown is ignored: patches
// repeat on replay and may arrive after the API's answer). Each item shows its kind,
// text, status, a "clinician" badge for the clinician's own, and its evidence (the
// quoted words and when they were said, collapsed). Accept / Reject / Edit and "Add
// item" go through `actions`, injected by the page: this module does no I/O.
// Rejected items move to a collapsed "Rejected" list with an Undo; retracted ones go.
//
// RequiredView: `note.required`, a checklist of the required elements (missing ones
// first) and the measured session facts. RiskAlertView: `risk.alert`, role="alert".

import { el, errorText, formatTime, roleName, setMessage, speakerLabel } from './ui.js';

const SECTIONS = ['subjective', 'objective', 'assessment', 'plan'];
const SECTION_ALIASES = { s: 'subjective', o: 'objective', a: 'assessment', p: 'plan' };

/** The kinds a clinician can add to each section (note_builder/model.py KIND_SECTION). */
const SECTION_KINDS = {
  subjective: [
    'presenting_concern',
    'symptom',
    'mood',
    'stressor',
    'substance_use',
    'medication',
    'report',
  ],
  objective: ['observation', 'measure', 'intervention'],
  assessment: ['assessment', 'client_response', 'progress', 'risk'],
  plan: ['plan', 'homework', 'referral', 'next_appointment'],
};
const KIND_LABELS = {
  presenting_concern: 'Presenting concern',
  substance_use: 'Substance use',
  client_response: "Client's response",
  next_appointment: 'Next appointment',
};
const RISK_LABELS = {
  suicidal_ideation: 'suicidal ideation',
  homicidal_ideation: 'homicidal ideation',
  self_harm: 'self-harm',
  abuse_neglect: 'abuse or neglect',
  substance_danger: 'substance-related danger',
};
const MAX_EVIDENCE = 10;

function titleCase(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function words(value, fallback) {
  const text = String(value ?? '')
    .replace(/[_-]+/g, ' ')
    .trim();
  return text || fallback;
}

function sectionKey(name) {
  const key = String(name ?? '')
    .trim()
    .toLowerCase();
  return SECTION_ALIASES[key] ?? (key || 'other');
}

const kindLabel = (kind) => KIND_LABELS[kind] ?? titleCase(words(kind, 'item'));
const isObject = (value) => value !== null && typeof value === 'object';

/** One evidence quote as a list entry: "01:23 Client “…”" (time of the words). */
function evidenceEntry(e) {
  const entry = el('li', { className: 'evidence' });
  if (typeof e.start === 'number') {
    entry.append(el('span', { className: 'evidence-time', text: formatTime(e.start) }), ' ');
  }
  if (typeof e.role === 'string' && e.role) {
    entry.append(el('span', { className: 'evidence-role', text: speakerLabel(e.role) }), ' ');
  }
  entry.append(el('q', { className: 'evidence-quote', text: e.quote ?? e.text ?? '' }));
  return entry;
}

function evidenceOf(value) {
  const list = Array.isArray(value) ? value : [];
  return list.filter((e) => isObject(e) && (e.quote ?? e.text)).slice(0, MAX_EVIDENCE);
}

/** An item as this view keeps it (only the fields it shows), or null. */
function normalise(raw, section) {
  if (!isObject(raw) || raw.id === undefined || raw.id === null) return null;
  return {
    id: String(raw.id),
    version: Number(raw.version) || 0,
    section: sectionKey(raw.section ?? section),
    kind: String(raw.kind ?? 'report'),
    text: String(raw.text ?? ''),
    status: String(raw.status ?? 'suggested').toLowerCase(),
    author: raw.author === 'clinician' ? 'clinician' : 'companion',
    evidence: evidenceOf(raw.evidence),
  };
}

// ---- the draft ------------------------------------------------------------------------------

/**
 * @typedef {{update: (id: string, changes: {status?: string, text?: string}) => Promise<object>,
 *            add: (fields: {kind: string, text: string, section: string}) => Promise<object>}}
 *   NoteActions  each resolves to the item as the server now has it, or throws (ApiError)
 */

export class NoteDraftView {
  /**
   * @param {{container: HTMLElement, empty?: HTMLElement, error: HTMLElement,
   *          rejected: HTMLDetailsElement, rejectedList: HTMLElement,
   *          rejectedCount: HTMLElement, actions: NoteActions,
   *          onEvidence?: (item: object) => void}} parts
   */
  constructor({
    container,
    empty,
    error,
    rejected,
    rejectedList,
    rejectedCount,
    actions,
    onEvidence,
  }) {
    Object.assign(this, { container, error, rejected, rejectedList, rejectedCount, actions });
    /** Called with an item when its "Show in transcript" button is pressed (review page). */
    this.onEvidence = onEvidence ?? null;
    this.emptyEl = empty ?? null;
    this.editable = false;
    this.serial = 0; // element ids
    /** @type {Map<string, object>} id → the newest version seen (any status) */
    this.data = new Map();
    /** @type {Map<string, {node: HTMLElement, editing: boolean}>} id → shown item */
    this.nodes = new Map();
    /** @type {Map<string, {wrapper: HTMLElement, list: HTMLElement, add?: object}>} */
    this.sections = new Map();
    for (const key of SECTIONS) this._section(key);
    this.clear();
  }

  /** Forget every item (another session was chosen). */
  clear() {
    this.data.clear();
    this.nodes.clear();
    for (const section of this.sections.values()) {
      section.list.replaceChildren();
      if (section.add) {
        section.add.form.reset();
        section.add.details.open = false;
      }
    }
    setMessage(this.error, '');
    this._renderRejected();
    this._updateEmpty();
  }

  /** Items can be decided on, edited and added only while a session is chosen. */
  setEditable(editable) {
    if (this.editable === editable) return;
    this.editable = editable;
    for (const section of this.sections.values()) {
      if (!section.add) continue;
      for (const control of section.add.form.elements) control.disabled = !editable;
    }
    for (const id of [...this.nodes.keys()]) this._render(this.data.get(id));
    this._renderRejected();
  }

  /** Items shown (in the draft or the Rejected list), for the test hook. */
  items() {
    return [...this.data.values()]
      .filter((i) => i.status !== 'retracted')
      .map(({ id, section, kind, text, status, version, author }) => ({
        id,
        section,
        kind,
        text,
        status,
        version,
        author,
      }));
  }

  /** The draft from GET .../note: {sections: {subjective: [items], ...}}. */
  load(note) {
    const sections = isObject(note?.sections) ? note.sections : {};
    for (const [section, items] of Object.entries(sections)) {
      for (const item of Array.isArray(items) ? items : []) this.upsert(item, section);
    }
  }

  /** Returns true when the event was a `note.patch`. */
  handle(event) {
    if (event.type !== 'note.patch') return false;
    for (const item of Array.isArray(event.items) ? event.items : []) {
      this.upsert(item, event.section);
    }
    return true;
  }

  /** Show a version of an item unless the same or a newer one is shown; true if shown. */
  upsert(raw, section = null) {
    const item = normalise(raw, section);
    if (!item) return false;
    const old = this.data.get(item.id);
    if (old && old.version >= item.version) return false;
    this.data.set(item.id, item);
    this._render(item);
    this._renderRejected();
    this._updateEmpty();
    return true;
  }

  // ---- sections and the "Add item" forms ------------------------------------------------

  _section(key) {
    let section = this.sections.get(key);
    if (section) return section;
    const headingId = `note-section-${key.replace(/[^a-z0-9-]/g, '-')}`;
    const wrapper = el('section', {
      className: 'note-section',
      attrs: { 'aria-labelledby': headingId },
    });
    wrapper.dataset.section = key;
    const list = el('ul', { className: 'note-items', attrs: { 'aria-labelledby': headingId } });
    wrapper.append(el('h3', { text: titleCase(key), attrs: { id: headingId } }), list);
    section = { wrapper, list };
    if (SECTION_KINDS[key]) {
      section.add = this._addForm(key);
      wrapper.append(section.add.details);
    }
    // S, O, A, P order; any other section after them.
    const rank = (k) => (SECTIONS.includes(k) ? SECTIONS.indexOf(k) : SECTIONS.length);
    const before = [...this.container.children].find(
      (child) => rank(child.dataset.section) > rank(key),
    );
    this.container.insertBefore(wrapper, before ?? null);
    this.sections.set(key, section);
    return section;
  }

  _addForm(key) {
    const details = el('details', { className: 'note-add' });
    const summary = el('summary', { text: 'Add item' });
    summary.append(el('span', { className: 'visually-hidden', text: ` to ${titleCase(key)}` }));
    const form = el('form', { className: 'note-add-form' });
    const kindId = `note-add-${key}-kind`;
    const textId = `note-add-${key}-text`;
    const kind = el('select', { attrs: { id: kindId, name: 'kind' } });
    for (const k of SECTION_KINDS[key]) {
      kind.append(el('option', { text: kindLabel(k), attrs: { value: k } }));
    }
    const text = el('textarea', {
      attrs: { id: textId, name: 'text', rows: 2, maxlength: 2000, required: '' },
    });
    const submit = el('button', { text: 'Add', attrs: { type: 'submit' } });
    const field = (label, control, id) => {
      const wrap = el('div', { className: 'field' });
      wrap.append(el('label', { text: label, attrs: { for: id } }), control);
      return wrap;
    };
    form.append(field('Kind', kind, kindId), field('Text', text, textId), submit);
    details.append(summary, form);
    const parts = { details, summary, form, kind, text, submit };
    for (const control of form.elements) control.disabled = !this.editable;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this._add(key, parts);
    });
    return parts;
  }

  async _add(section, parts) {
    const text = parts.text.value.trim();
    if (!text) {
      setMessage(this.error, 'Write the text of the item first.', 'error');
      parts.text.focus();
      return;
    }
    parts.submit.disabled = true;
    parts.form.setAttribute('aria-busy', 'true');
    setMessage(this.error, '');
    try {
      const item = await this.actions.add({ kind: parts.kind.value, text, section });
      this.upsert(item, section);
      parts.form.reset();
      parts.details.open = false;
      parts.summary.focus();
    } catch (err) {
      setMessage(this.error, `Add item: ${errorText(err)}`, 'error');
    } finally {
      parts.submit.disabled = !this.editable;
      parts.form.removeAttribute('aria-busy');
    }
  }

  // ---- items ----------------------------------------------------------------------------

  /** (Re)draw an item where its status puts it: its section, or nowhere. */
  _render(item) {
    if (!item) return;
    const old = this.nodes.get(item.id);
    if (old?.editing) return; // drawn again when the edit ends, with the newest version
    if (item.status === 'rejected' || item.status === 'retracted') {
      old?.node.remove();
      this.nodes.delete(item.id);
      return;
    }
    const list = this._section(item.section).list;
    const node = this._itemNode(item, old?.node ?? null);
    if (old && old.node.parentElement === list) {
      old.node.replaceWith(node);
    } else {
      old?.node.remove();
      list.append(node);
    }
    this.nodes.set(item.id, { node, editing: false });
  }

  _itemNode(item, old) {
    const textId = `note-item-${++this.serial}`;
    const node = el('li', { className: 'note-item' });
    Object.assign(node.dataset, {
      itemId: item.id,
      status: item.status,
      author: item.author,
      kind: item.kind,
    });
    const head = el('p', { className: 'note-item-head' });
    head.append(el('span', { className: 'note-kind', text: kindLabel(item.kind) }));
    if (item.author === 'clinician') {
      const badge = { title: 'Written by you' };
      head.append(el('span', { className: 'note-badge', text: 'clinician', attrs: badge }));
    }
    const status = el('span', { className: 'note-status', text: item.status });
    status.dataset.status = item.status;
    head.append(status);
    node.append(head, el('p', { className: 'note-text', text: item.text, attrs: { id: textId } }));
    if (item.evidence.length) {
      const details = el('details', { className: 'note-evidence' });
      details.open = old?.querySelector('.note-evidence')?.open ?? false;
      const n = item.evidence.length;
      details.append(
        el('summary', { text: `Evidence (${n} quote${n === 1 ? '' : 's'})` }),
        el('ul', { className: 'evidence-list' }),
      );
      details.lastChild.append(...item.evidence.map(evidenceEntry));
      node.append(details);
    }
    const buttons = el('div', { className: 'note-actions' });
    if (this.onEvidence && item.evidence.length) {
      const attrs = { type: 'button', 'aria-describedby': textId };
      const show = el('button', { text: 'Show in transcript', attrs });
      show.dataset.action = 'evidence';
      show.addEventListener('click', () => this.onEvidence(item));
      buttons.append(show);
    }
    const button = (label, action, onClick, disabled = false) => {
      const attrs = { type: 'button', 'aria-describedby': textId };
      const b = el('button', { text: label, attrs });
      b.dataset.action = action;
      b.disabled = !this.editable || disabled;
      b.addEventListener('click', onClick);
      buttons.append(b);
    };
    // An edited item holds the clinician's own words: accepting it adds nothing.
    const decided = item.status === 'accepted' || item.status === 'edited';
    button('Accept', 'accept', () => this._decide(item.id, 'accepted', 'accept'), decided);
    button('Edit', 'edit', () => this._edit(item.id));
    button('Reject', 'reject', () => this._decide(item.id, 'rejected', 'reject'));
    node.append(buttons);
    return node;
  }

  /** Accept, reject or restore (undo) an item. */
  async _decide(id, status, action) {
    const item = this.data.get(id);
    if (!item) return;
    this._busy(id, true);
    setMessage(this.error, '');
    try {
      this.upsert(await this.actions.update(id, { status }), item.section);
    } catch (err) {
      setMessage(this.error, `${kindLabel(item.kind)}: ${errorText(err)}`, 'error');
    } finally {
      this._busy(id, false);
      this._render(this.data.get(id));
      this._renderRejected();
      this._focusAfter(id, action);
    }
  }

  /** Disable an item's buttons (in the draft or the Rejected list) while a call runs. */
  _busy(id, busy) {
    const nodes = [this.nodes.get(id)?.node, this._rejectedNode(id)].filter(Boolean);
    for (const node of nodes) {
      if (busy) node.setAttribute('aria-busy', 'true');
      else node.removeAttribute('aria-busy');
      for (const b of node.querySelectorAll('button')) if (busy) b.disabled = true;
    }
  }

  /** Keep keyboard focus near what the user just did. */
  _focusAfter(id, action) {
    const shown = this.nodes.get(id)?.node;
    if (shown) {
      const wanted = shown.querySelector(`button[data-action="${action}"]`);
      const target = wanted && !wanted.disabled ? wanted : shown.querySelector('button:enabled');
      target?.focus();
    } else if (!this.rejected.hidden) {
      this.rejected.querySelector('summary')?.focus();
    }
  }

  /** Inline editing: a textarea in place of the text; Save sends the new text. */
  _edit(id) {
    const entry = this.nodes.get(id);
    const item = this.data.get(id);
    if (!entry || !item || entry.editing) return;
    entry.editing = true;
    const textEl = entry.node.querySelector('.note-text');
    const buttons = entry.node.querySelector('.note-actions');
    const areaId = `${textEl.id}-edit`;
    const form = el('form', { className: 'note-edit' });
    const area = el('textarea', { attrs: { id: areaId, rows: 3, maxlength: 2000, required: '' } });
    area.value = item.text;
    const save = el('button', { text: 'Save', className: 'primary', attrs: { type: 'submit' } });
    const cancel = el('button', { text: 'Cancel', attrs: { type: 'button' } });
    const row = el('div', { className: 'note-actions' });
    row.append(save, cancel);
    form.append(
      el('label', { className: 'visually-hidden', text: 'Item text', attrs: { for: areaId } }),
      area,
      row,
    );
    textEl.hidden = true;
    buttons.hidden = true;
    textEl.after(form);
    area.focus();

    const finish = () => {
      entry.editing = false;
      this._render(this.data.get(id));
      this._renderRejected();
      this.nodes.get(id)?.node.querySelector('button[data-action="edit"]')?.focus();
    };
    cancel.addEventListener('click', () => finish());
    area.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        finish();
      }
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const text = area.value.trim();
      if (!text || text === this.data.get(id)?.text) {
        finish();
        return;
      }
      save.disabled = true;
      cancel.disabled = true;
      form.setAttribute('aria-busy', 'true');
      setMessage(this.error, '');
      try {
        const updated = await this.actions.update(id, { text });
        entry.editing = false;
        this.upsert(updated, item.section);
        finish();
      } catch (err) {
        setMessage(this.error, `${kindLabel(item.kind)}: ${errorText(err)}`, 'error');
        save.disabled = false;
        cancel.disabled = false;
        form.removeAttribute('aria-busy');
        area.focus();
      }
    });
  }

  // ---- the Rejected list ------------------------------------------------------------------

  _rejectedNode(id) {
    return [...this.rejectedList.children].find((li) => li.dataset.itemId === id) ?? null;
  }

  _renderRejected() {
    const rejected = [...this.data.values()].filter((i) => i.status === 'rejected');
    this.rejectedList.replaceChildren(
      ...rejected.map((item) => {
        const textId = `note-item-${++this.serial}`;
        const node = el('li', { className: 'note-rejected-item' });
        node.dataset.itemId = item.id;
        node.append(
          el('span', { className: 'note-kind', text: kindLabel(item.kind) }),
          ' ',
          el('span', { className: 'note-text', text: item.text, attrs: { id: textId } }),
          ' ',
        );
        const undo = el('button', {
          text: 'Undo',
          className: 'link-button',
          attrs: { type: 'button', 'aria-describedby': textId },
        });
        undo.dataset.action = 'undo';
        undo.disabled = !this.editable;
        undo.addEventListener('click', () => this._decide(item.id, 'suggested', 'accept'));
        node.append(undo);
        return node;
      }),
    );
    this.rejectedCount.textContent = String(rejected.length);
    this.rejected.hidden = rejected.length === 0;
  }

  _updateEmpty() {
    if (this.emptyEl) this.emptyEl.hidden = this.nodes.size > 0;
  }
}

// ---- required elements and session facts ------------------------------------------------

const ROLE_ORDER = ['therapist', 'client'];
const roleRank = (role) => {
  const i = ROLE_ORDER.indexOf(role);
  return i < 0 ? (role === 'unknown' ? 1000 : 100) : i;
};
const finite = (value) => typeof value === 'number' && Number.isFinite(value);

/** The checklist of a billable note's required elements, and the measured facts. */
export class RequiredView {
  /**
   * @param {{list: HTMLElement, summary: HTMLElement, facts: HTMLElement,
   *          factsBlock?: HTMLElement, empty?: HTMLElement}} parts
   *   list: a <ul> of elements; summary: a line ("2 of 12 not yet documented.");
   *   facts: a <dl>; factsBlock: what holds it (hidden while there are no facts).
   */
  constructor({ list, summary, facts, factsBlock, empty }) {
    Object.assign(this, { list, summary, facts });
    this.factsBlock = factsBlock ?? facts;
    this.emptyEl = empty ?? null;
    this.missingLabels = [];
    this.fromEvent = false; // what is shown came from a note.required event
    this.clear();
  }

  clear() {
    this.missingLabels = [];
    this.fromEvent = false;
    this.list.replaceChildren();
    this.facts.replaceChildren();
    this.summary.textContent = '';
    this.summary.hidden = true;
    this.factsBlock.hidden = true;
    if (this.emptyEl) this.emptyEl.hidden = false;
  }

  /** Labels of the elements not yet assessed (the test hook). */
  missing() {
    return [...this.missingLabels];
  }

  /** Returns true when the event was a `note.required`. */
  handle(event) {
    if (event.type !== 'note.required') return false;
    this.fromEvent = true;
    this.render(event);
    return true;
  }

  /** The checklist from GET .../note: shown unless an event already gave a newer one. */
  fetched(data) {
    if (!this.fromEvent) this.render(data);
  }

  /** {elements: [{name, label, status, value}], missing?: [labels], facts?: {...}} */
  render({ elements, missing, facts }) {
    const all = (Array.isArray(elements) ? elements : []).filter(
      (e) => isObject(e) && typeof e.label === 'string',
    );
    const present = (e) => e.status === 'present';
    this.missingLabels = Array.isArray(missing)
      ? missing.map(String)
      : all.filter((e) => !present(e)).map((e) => e.label);
    const ordered = [...all.filter((e) => !present(e)), ...all.filter(present)];
    this.list.replaceChildren(...ordered.map((e) => this._row(e, present(e))));
    const n = all.filter((e) => !present(e)).length;
    this.summary.textContent = n
      ? `${n} of ${all.length} not yet documented.`
      : 'Every required element is documented.';
    this.summary.hidden = all.length === 0;
    if (this.emptyEl) this.emptyEl.hidden = all.length > 0;
    const rows = factRows(isObject(facts) ? facts : {});
    this.facts.replaceChildren(...rows);
    this.factsBlock.hidden = rows.length === 0;
  }

  _row(e, present) {
    const row = el('li', { className: 'required-item' });
    row.dataset.name = String(e.name ?? '');
    row.dataset.status = present ? 'present' : 'not_assessed';
    const hidden = { 'aria-hidden': 'true' };
    row.append(
      el('span', { className: 'required-mark', text: present ? '✓' : '○', attrs: hidden }),
      el('span', { className: 'visually-hidden', text: present ? 'Documented: ' : 'Missing: ' }),
      el('span', { className: 'required-label', text: e.label }),
      el('span', {
        className: 'required-value',
        text: ` — ${present ? e.value || 'present' : 'not yet assessed'}`,
      }),
    );
    return row;
  }
}

/** Duration, talk share and speech rate per role, as <dt>/<dd> pairs. */
function factRows(facts) {
  const rows = [];
  const add = (term, value) => rows.push(el('dt', { text: term }), el('dd', { text: value }));
  if (finite(facts.duration_min)) {
    const span =
      facts.start_time && facts.stop_time ? ` (${facts.start_time}–${facts.stop_time})` : '';
    add('Duration', `${facts.duration_min} min${span}`);
  }
  const talk = Object.entries(isObject(facts.talk) ? facts.talk : {})
    .filter(([, t]) => isObject(t))
    .sort(([a], [b]) => roleRank(a) - roleRank(b));
  const shares = talk
    .filter(([, t]) => finite(t.share))
    .map(([role, t]) => `${roleName(role)} ${Math.round(t.share * 100)}%`);
  if (shares.length) add('Talk share', shares.join(' · '));
  const rates = talk
    .filter(([, t]) => finite(t.words_per_minute))
    .map(([role, t]) => `${roleName(role)} ${Math.round(t.words_per_minute)} wpm`);
  if (rates.length) add('Speech rate', rates.join(' · '));
  return rows;
}

// ---- risk alerts ---------------------------------------------------------------------------

/** Risk alerts: each a role="alert" entry, newest first, for the clinician to assess. */
export class RiskAlertView {
  /** @param {{list: HTMLElement, empty?: HTMLElement}} parts */
  constructor({ list, empty }) {
    this.list = list;
    this.emptyEl = empty ?? null;
    /** @type {Map<string, {id: string, kind: string|null, severity: string}>} */
    this.shown = new Map();
  }

  clear() {
    this.shown.clear();
    this.list.replaceChildren();
    if (this.emptyEl) this.emptyEl.hidden = false;
  }

  /** The alerts shown, for the test hook. */
  alerts() {
    return [...this.shown.values()].map((a) => ({ ...a }));
  }

  handle(event) {
    if (event.type !== 'risk.alert') return false;
    const key = String(event.id ?? event.alert_id ?? event.item_id ?? `seq-${event.seq}`);
    if (this.shown.has(key)) return true;
    const kind = typeof event.kind === 'string' && event.kind ? event.kind : null;
    const severity = String(event.severity ?? 'unknown').toLowerCase();
    this.shown.set(key, { id: key, kind, severity });
    const node = el('li', {
      className: `risk-alert severity-${severity.replace(/[^a-z0-9-]/g, '-')}`,
      attrs: { role: 'alert' },
    });
    node.dataset.alertId = key;
    if (kind) node.dataset.kind = kind;
    const label = kind ? (RISK_LABELS[kind] ?? words(kind, 'risk')) : 'risk';
    const head = el('p', { className: 'risk-head' });
    head.append(
      el('strong', { className: 'risk-title', text: `Possible ${label}` }),
      ' ',
      el('span', { className: 'risk-severity', text: `severity: ${severity}` }),
    );
    node.append(head);
    const evidence = evidenceOf(event.evidence);
    if (evidence.length) {
      const list = el('ul', {
        className: 'evidence-list risk-evidence',
        attrs: { 'aria-label': 'Evidence' },
      });
      list.append(...evidence.map(evidenceEntry));
      node.append(list);
    } else if (event.text) {
      node.append(el('p', { className: 'risk-text', text: event.text }));
    }
    node.append(
      el('p', {
        className: 'risk-assess',
        text: 'Flagged from the words above for you to assess; the companion draws no conclusion.',
      }),
    );
    this.list.prepend(node);
    if (this.emptyEl) this.emptyEl.hidden = true;
    return true;
  }
}
