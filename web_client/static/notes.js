// Generic renderers for events whose payloads are not final yet: the note draft
// (`note.patch`) and risk alerts (`risk.alert`). Both tolerate missing fields.

import { el, formatTime } from './ui.js';

const SECTIONS = ['subjective', 'objective', 'assessment', 'plan'];
const SECTION_ALIASES = { s: 'subjective', o: 'objective', a: 'assessment', p: 'plan' };
const REMOVED = new Set(['removed', 'deleted', 'rejected', 'retracted']);

function sectionKey(name) {
  const key = String(name ?? 'other')
    .trim()
    .toLowerCase();
  return SECTION_ALIASES[key] ?? (key || 'other');
}

function titleCase(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The SOAP note draft: items upserted by id under their section heading. */
export class NoteDraftView {
  /** @param {{container: HTMLElement, empty?: HTMLElement}} parts */
  constructor({ container, empty }) {
    this.container = container;
    this.emptyEl = empty ?? null;
    /** @type {Map<string, {list: HTMLElement, wrapper: HTMLElement}>} */
    this.sections = new Map();
    /** @type {Map<string, HTMLElement>} `${section}:${id}` → item node */
    this.items = new Map();
  }

  clear() {
    this.sections.clear();
    this.items.clear();
    this.container.replaceChildren();
    this._updateEmpty();
  }

  /** Returns true when the event was a note event. */
  handle(event) {
    if (typeof event.type !== 'string' || !event.type.startsWith('note.')) return false;
    if (event.type === 'note.patch') this._patch(event);
    return true;
  }

  _section(key) {
    let section = this.sections.get(key);
    if (section) return section;
    const headingId = `note-section-${key.replace(/[^a-z0-9-]/g, '-')}`;
    const wrapper = el('section', {
      className: 'note-section',
      attrs: { 'aria-labelledby': headingId },
    });
    wrapper.dataset.section = key;
    wrapper.append(el('h3', { text: titleCase(key), attrs: { id: headingId } }));
    const list = el('ul', { className: 'note-items' });
    wrapper.append(list);
    // Keep S, O, A, P order; other sections after them.
    const rank = (k) => {
      const i = SECTIONS.indexOf(k);
      return i < 0 ? SECTIONS.length : i;
    };
    const before = [...this.container.children].find(
      (child) => rank(child.dataset.section) > rank(key),
    );
    this.container.insertBefore(wrapper, before ?? null);
    section = { list, wrapper };
    this.sections.set(key, section);
    return section;
  }

  _patch(event) {
    const key = sectionKey(event.section);
    const items = Array.isArray(event.items) ? event.items : [];
    for (const item of items) {
      if (!item || typeof item !== 'object') continue;
      const itemKey = `${key}:${item.id ?? item.text}`;
      const old = this.items.get(itemKey);
      if (REMOVED.has(String(item.status ?? '').toLowerCase())) {
        old?.remove();
        this.items.delete(itemKey);
        continue;
      }
      const node = el('li', { className: 'note-item' });
      if (item.status) node.dataset.status = String(item.status);
      if (item.kind) {
        node.append(el('span', { className: 'note-kind', text: String(item.kind) }), ' ');
      }
      node.append(el('span', { className: 'note-text', text: item.text ?? '' }));
      if (item.status) {
        node.append(' ', el('span', { className: 'note-status', text: `(${item.status})` }));
      }
      if (old) old.replaceWith(node);
      else this._section(key).list.append(node);
      this.items.set(itemKey, node);
    }
    // Drop section headings left empty by removals.
    for (const [k, s] of this.sections) {
      if (!s.list.children.length) {
        s.wrapper.remove();
        this.sections.delete(k);
      }
    }
    this._updateEmpty();
  }

  _updateEmpty() {
    if (this.emptyEl) this.emptyEl.hidden = this.items.size > 0;
  }
}

/** Risk alerts: each a role="alert" entry, newest first. */
export class RiskAlertView {
  /** @param {{list: HTMLElement, empty?: HTMLElement}} parts */
  constructor({ list, empty }) {
    this.list = list;
    this.emptyEl = empty ?? null;
    this.seen = new Set();
  }

  clear() {
    this.seen.clear();
    this.list.replaceChildren();
    if (this.emptyEl) this.emptyEl.hidden = false;
  }

  handle(event) {
    if (event.type !== 'risk.alert') return false;
    const key = event.id ?? event.alert_id ?? event.seq;
    if (key !== undefined && this.seen.has(key)) return true;
    if (key !== undefined) this.seen.add(key);
    const severity = String(event.severity ?? 'unknown').toLowerCase();
    const node = el('li', {
      className: `risk-alert severity-${severity.replace(/[^a-z0-9-]/g, '-')}`,
      attrs: { role: 'alert' },
    });
    const title = `${titleCase(String(event.kind ?? 'Risk').replace(/[_-]+/g, ' '))}`;
    const head = el('p', { className: 'risk-head' });
    head.append(
      el('strong', { text: title }),
      ' ',
      el('span', { className: 'risk-severity', text: `severity: ${severity}` }),
    );
    node.append(head);
    if (event.text) node.append(el('p', { className: 'risk-text', text: event.text }));
    const evidence = evidenceLines(event.evidence);
    if (evidence.length) {
      const list = el('ul', { className: 'risk-evidence', attrs: { 'aria-label': 'Evidence' } });
      for (const line of evidence) list.append(el('li', { text: line }));
      node.append(list);
    }
    this.list.prepend(node);
    if (this.emptyEl) this.emptyEl.hidden = true;
    return true;
  }
}

/** Evidence as display lines: a string, a list of strings, or {text, start?} objects. */
function evidenceLines(evidence) {
  if (evidence === undefined || evidence === null || evidence === '') return [];
  const items = Array.isArray(evidence) ? evidence : [evidence];
  return items
    .map((e) => {
      if (typeof e === 'string') return e;
      if (e && typeof e === 'object') {
        const text = e.text ?? e.quote ?? '';
        const at = typeof e.start === 'number' ? `${formatTime(e.start)} ` : '';
        return text ? `${at}${text}` : '';
      }
      return String(e);
    })
    .filter(Boolean)
    .slice(0, 10);
}
