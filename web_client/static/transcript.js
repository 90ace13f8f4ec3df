// The live transcript: finals in start-time order inside an aria-live="polite" list,
// at most one tentative partial per track below them (aria-hidden, so screen readers
// only announce settled text), auto-scroll that follows the live edge until the user
// scrolls up, and a "Back to live" button to return.
//
// One-channel (mixed) lines carry their speaker ("S1".."S9") in data-speaker and their
// role in data-role: a `speaker.roles` event relabels every line of a speaker, a
// `speaker.correction` event (after the session) relabels one line and marks it corrected.

import { byId, el, formatTime, roleOf, speakerLabel, speakerOf } from './ui.js';

const BOTTOM_SLACK_PX = 32; // "at the bottom" tolerance (sub-pixel scrolling, zoom)

export class TranscriptView {
  /**
   * @param {{scroller: HTMLElement, finals: HTMLElement, partials: HTMLElement,
   *          backToLive?: HTMLButtonElement, empty?: HTMLElement,
   *          onFinal?: (event: object) => void}} parts
   *   scroller: the scrolling container; finals: the <ol> (aria-live) for finals;
   *   partials: the aria-hidden container for tentative text.
   */
  constructor({ scroller, finals, partials, backToLive, empty, onFinal = () => {} }) {
    this.scroller = scroller;
    this.finalsEl = finals;
    this.partialsEl = partials;
    this.backToLive = backToLive ?? null;
    this.emptyEl = empty ?? null;
    this.onFinal = onFinal;
    /** @type {Map<string, {event: object, node: HTMLElement, corrected?: boolean}>}
     *  segment_id → final */
    this.finals = new Map();
    /** @type {Map<string, {event: object, node: HTMLElement}>} track → partial */
    this.partials = new Map();
    this.follow = true;

    scroller.addEventListener('scroll', () => this._onScroll(), { passive: true });
    this.backToLive?.addEventListener('click', () => this.jumpToLive());
    if (this.backToLive) this.backToLive.hidden = true;
  }

  /** Handle one event of the session stream; returns true when it was a transcript event. */
  handle(event) {
    if (event.type === 'transcript.partial') this._partial(event);
    else if (event.type === 'transcript.final') this._final(event);
    else return false;
    return true;
  }

  /** Forget everything (another session was chosen). */
  clear() {
    this.finals.clear();
    this.partials.clear();
    this.finalsEl.replaceChildren();
    this.partialsEl.replaceChildren();
    this._updateEmpty();
    this.jumpToLive();
  }

  /** The finals in start order, as the test hook reports them. */
  transcript() {
    return [...this.finals.values()]
      .map(({ event, corrected }) => ({
        segment_id: event.segment_id,
        track: event.track,
        role: roleOf(event),
        speaker: speakerOf(event),
        corrected: corrected === true,
        start: event.start,
        end: event.end,
        text: event.text,
      }))
      .sort((a, b) => a.start - b.start);
  }

  /**
   * A `speaker.roles` event: every shown line (final or partial) of `track` whose speaker
   * is in `roles` takes that role. Returns how many lines changed.
   */
  relabel(track, roles) {
    if (!roles || typeof roles !== 'object') return 0;
    let changed = 0;
    for (const entry of [...this.finals.values(), ...this.partials.values()]) {
      const speaker = speakerOf(entry.event);
      if (!speaker || entry.event.track !== track) continue;
      const role = roles[speaker];
      if (typeof role !== 'string' || role === entry.event.role) continue;
      entry.event = { ...entry.event, role };
      this._label(entry.node, entry.event);
      changed += 1;
    }
    return changed;
  }

  /**
   * A `speaker.correction` event: the shown final `segment_id` now belongs to another
   * speaker (post-session refinement). Relabels it and marks it corrected; returns
   * whether the line was found.
   */
  correct(event) {
    const entry = this.finals.get(event.segment_id);
    if (!entry) return false;
    entry.event = {
      ...entry.event,
      speaker: event.speaker ?? null,
      role: event.role ?? 'unknown',
      ...(Array.isArray(event.words) ? { words: event.words } : {}),
    };
    entry.corrected = true;
    this._label(entry.node, entry.event);
    this._markCorrected(entry.node, event.reason);
    return true;
  }

  jumpToLive() {
    this.follow = true;
    if (this.backToLive) this.backToLive.hidden = true;
    this._scrollToBottom();
  }

  // ---- rendering ----------------------------------------------------------------------

  _utterance(event, tentative) {
    const node = el('li', { className: 'utterance' });
    if (tentative) node.classList.add('partial');
    node.dataset.segmentId = String(event.segment_id ?? '');
    node.dataset.start = String(Number(event.start) || 0);
    const meta = el('div', { className: 'utterance-meta' });
    meta.append(
      el('span', { className: 'speaker' }),
      el('time', { className: 'timestamp', text: formatTime(event.start) }),
    );
    // Screen readers hear "Therapist, 01:23: text" for a final.
    node.append(meta, el('p', { className: 'utterance-text', text: event.text ?? '' }));
    this._label(node, event);
    return node;
  }

  /** Set a line's speaker label, role class and data attributes from its event. */
  _label(node, event) {
    const role = roleOf(event);
    const speaker = speakerOf(event);
    for (const c of [...node.classList]) if (c.startsWith('speaker-')) node.classList.remove(c);
    node.classList.add(`speaker-${cssToken(role)}`);
    node.dataset.role = String(role ?? '');
    if (speaker) node.dataset.speaker = speaker;
    else delete node.dataset.speaker;
    node.querySelector('.speaker').textContent = speakerLabel(role, speaker);
  }

  _markCorrected(node, reason) {
    node.classList.add('corrected');
    if (node.querySelector('.corrected-badge')) return;
    const when = reason === 'refinement' ? ' after the session' : '';
    const badge = el('span', {
      className: 'corrected-badge',
      attrs: { title: `Speaker corrected${when}` },
    });
    // Seen: "corrected"; heard: "speaker corrected after the session".
    badge.append(
      el('span', { className: 'visually-hidden', text: 'speaker ' }),
      'corrected',
      el('span', { className: 'visually-hidden', text: when }),
    );
    node.querySelector('.utterance-meta').append(badge);
  }

  _partial(event) {
    if (this.finals.has(event.segment_id)) return; // already settled: a late partial
    const key = String(event.track ?? roleOf(event));
    const old = this.partials.get(key);
    if (!event.text || !String(event.text).trim()) {
      old?.node.remove();
      this.partials.delete(key);
      return;
    }
    const stick = this._atLiveEdge();
    const node = this._utterance(event, true);
    if (old) old.node.replaceWith(node);
    else this._insertSorted(this.partialsEl, node, Number(event.start) || 0);
    this.partials.set(key, { event, node });
    this._updateEmpty();
    if (stick) this._scrollToBottom();
  }

  _final(event) {
    const id = event.segment_id;
    if (id === undefined || id === null) return;
    const stick = this._atLiveEdge();
    // The partial for this utterance (same segment_id), or a stale one of the same
    // track that began before this final ended, is superseded.
    for (const [key, p] of this.partials) {
      const sameTrack = p.event.track === event.track;
      if (p.event.segment_id === id || (sameTrack && Number(p.event.start) < Number(event.end))) {
        p.node.remove();
        this.partials.delete(key);
      }
    }
    const node = this._utterance(event, false);
    const existing = this.finals.get(id);
    if (existing) {
      // Replays never duplicate, but be defensive: update in place when the text changed.
      if (existing.event.text === event.text) return;
      existing.node.replaceWith(node);
      if (existing.corrected) this._markCorrected(node);
    } else {
      this._insertSorted(this.finalsEl, node, Number(event.start) || 0);
    }
    this.finals.set(id, { event, node, corrected: existing?.corrected === true });
    this._updateEmpty();
    if (stick) this._scrollToBottom();
    this.onFinal(event);
  }

  /** Insert `node` among `parent`'s children by data-start (stable: after equal starts). */
  _insertSorted(parent, node, start) {
    let before = null;
    // Walk back from the end: finals nearly always arrive in order.
    for (let child = parent.lastElementChild; child; child = child.previousElementSibling) {
      if (Number(child.dataset.start) <= start) break;
      before = child;
    }
    parent.insertBefore(node, before);
  }

  _updateEmpty() {
    if (this.emptyEl) this.emptyEl.hidden = this.finals.size > 0 || this.partials.size > 0;
  }

  // ---- scrolling ------------------------------------------------------------------------

  _atLiveEdge() {
    const s = this.scroller;
    return this.follow || s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_SLACK_PX;
  }

  _scrollToBottom() {
    this._programmatic = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    // The resulting scroll event is ours; clear the flag after it has been delivered.
    requestAnimationFrame(() => {
      this._programmatic = false;
    });
  }

  _onScroll() {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_SLACK_PX;
    if (atBottom) {
      this.follow = true;
      if (this.backToLive) this.backToLive.hidden = true;
    } else if (!this._programmatic) {
      this.follow = false;
      if (this.backToLive) this.backToLive.hidden = false;
    }
  }
}

/** A safe CSS class fragment from a role name. */
function cssToken(value) {
  return String(value ?? 'speaker')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 32);
}

/**
 * The pages' live transcript (the standard element ids); each final's server-measured
 * `latency` is shown in `latencyEl`.
 */
export function liveTranscript(latencyEl) {
  return new TranscriptView({
    scroller: byId('transcript'),
    finals: byId('transcript-finals'),
    partials: byId('transcript-partials'),
    backToLive: byId('back-to-live'),
    empty: byId('transcript-empty'),
    onFinal: (event) => {
      if (typeof event.latency === 'number' && Number.isFinite(event.latency)) {
        latencyEl.textContent = `Delay ${event.latency.toFixed(1)} s`;
      }
    },
  });
}
