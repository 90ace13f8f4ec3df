// The "Talk time" card: the latest `analytics.update` (or, for an ended session, the
// GET /v1/sessions/{id}/analytics figures) as a table with one row per role (share, talk
// time, turns, words per minute, interruptions) and the session's overall figures
// (therapist:client ratio, overlap, longest silence). See diarization/analytics.py.

import { el, formatTime, roleName } from './ui.js';

const ROLE_ORDER = ['therapist', 'client'];

/** therapist, client, participant-1.., other roles, unknown last. */
function roleRank(role) {
  const i = ROLE_ORDER.indexOf(role);
  if (i >= 0) return i;
  if (role === 'unknown') return 1000;
  const m = /^participant-(\d+)$/.exec(role);
  return m ? 10 + Number(m[1]) : 500;
}

const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

function percent(share) {
  const v = num(share);
  return v === null ? '–' : `${Math.round(v * 100)}%`;
}

function seconds(value) {
  const v = num(value);
  return v === null ? '–' : `${v.toFixed(1)} s`;
}

/** Copy only the fields the card shows (the test hook returns this). */
function shownFigures(data) {
  const roles = {};
  for (const [role, r] of Object.entries(data.roles ?? {})) {
    if (!r || typeof r !== 'object') continue;
    roles[role] = {
      talk_seconds: num(r.talk_seconds),
      share: num(r.share),
      turns: num(r.turns),
      words: num(r.words),
      words_per_minute: num(r.words_per_minute),
      interruptions: num(r.interruptions),
      backchannels: num(r.backchannels),
    };
  }
  return {
    roles,
    total_talk_seconds: num(data.total_talk_seconds),
    speech_seconds: num(data.speech_seconds),
    therapist_client_ratio: num(data.therapist_client_ratio),
    overlap_seconds: num(data.overlap_seconds),
    overlap_count: num(data.overlap_count),
    interruptions: num(data.interruptions),
    backchannels: num(data.backchannels),
    longest_silence_seconds: num(data.longest_silence_seconds),
    longest_silence_start: num(data.longest_silence_start),
  };
}

export class TalkTimeView {
  /**
   * @param {{section: HTMLElement, body: HTMLElement, summary: HTMLElement,
   *          empty?: HTMLElement, table: HTMLElement}} parts
   *   body: the table's <tbody>; summary: a <dl> for the overall figures.
   */
  constructor({ section, table, body, summary, empty }) {
    Object.assign(this, { section, table, body, summary });
    this.emptyEl = empty ?? null;
    this.data = null;
    this.fromEvent = false; // shown figures came from an analytics.update event
    this.clear();
  }

  clear() {
    this.data = null;
    this.fromEvent = false;
    this.body.replaceChildren();
    this.summary.replaceChildren();
    this.table.hidden = true;
    this.summary.hidden = true;
    if (this.emptyEl) this.emptyEl.hidden = false;
    this.section.hidden = true;
  }

  /** The figures shown, or null (the test hook). */
  analytics() {
    return this.data ? structuredClone(this.data) : null;
  }

  /** Returns true when the event was an `analytics.update`. */
  handle(event) {
    if (event.type !== 'analytics.update') return false;
    this.fromEvent = true;
    this.render(event);
    return true;
  }

  /** Figures fetched from the API: shown unless an event already gave newer ones. */
  fetched(data) {
    if (!this.fromEvent) this.render(data);
  }

  render(data) {
    if (!data || typeof data !== 'object') return;
    const figures = shownFigures(data);
    this.data = figures;
    const roles = Object.keys(figures.roles).sort((a, b) => roleRank(a) - roleRank(b));
    this.body.replaceChildren(...roles.map((role) => this._row(role, figures.roles[role])));
    this.summary.replaceChildren(...this._summary(figures));
    this.table.hidden = roles.length === 0;
    this.summary.hidden = roles.length === 0;
    if (this.emptyEl) this.emptyEl.hidden = roles.length > 0;
    this.section.hidden = false;
  }

  _row(role, r) {
    const row = el('tr');
    row.dataset.role = role;
    const wpm = r.words_per_minute === null ? '–' : String(Math.round(r.words_per_minute));
    row.append(
      el('th', { text: roleName(role), attrs: { scope: 'row' } }),
      el('td', { text: percent(r.share) }),
      el('td', { text: r.talk_seconds === null ? '–' : formatTime(r.talk_seconds) }),
      el('td', { text: r.turns ?? '–' }),
      el('td', { text: wpm }),
      el('td', { text: r.interruptions ?? '–' }),
    );
    return row;
  }

  _summary(f) {
    const items = [];
    const add = (term, value) => {
      items.push(el('dt', { text: term }), el('dd', { text: value }));
    };
    add(
      'Therapist : client',
      f.therapist_client_ratio === null ? '–' : `${f.therapist_client_ratio.toFixed(2)} : 1`,
    );
    const n = f.overlap_count;
    const times = n === null ? '' : `, ${n} time${n === 1 ? '' : 's'}`;
    add('Overlap', `${seconds(f.overlap_seconds)}${times}`);
    add('Longest silence', seconds(f.longest_silence_seconds));
    if (f.backchannels !== null) add('Backchannels', String(f.backchannels));
    return items;
  }
}
