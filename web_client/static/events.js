// The session's event stream: one WebSocket at a time, a fresh ticket for each
// connection, and after a drop a reconnect (exponential backoff with jitter) that
// resumes with `since=<last seq seen>` so nothing is missed and nothing repeats.

import { ApiError, wsTicket, wsUrl } from './api.js';

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;
const STABLE_MS = 5_000; // a connection open this long resets the backoff

// Close codes after which retrying cannot help (see session_server/app.py).
const FATAL_CLOSE = new Map([
  [4403, 'You may not follow this session.'],
  [4404, 'This session does not exist.'],
  [1007, 'The server refused the event request.'],
  [1008, 'The server refused the event request.'],
]);

/**
 * @typedef {'connecting'|'open'|'reconnecting'|'stopped'|'failed'} StreamStatus
 */
export class EventStream {
  /**
   * @param {string} sessionId
   * @param {{onEvent: (event: object) => void,
   *          onStatus?: (status: StreamStatus, message?: string) => void,
   *          since?: number}} handlers
   */
  constructor(sessionId, { onEvent, onStatus = () => {}, since = 0 }) {
    this.sessionId = sessionId;
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.lastSeq = since;
    this.status = 'stopped';
    this._ws = null;
    this._timer = null;
    this._attempt = 0;
    this._stopped = true;
    this._openedAt = 0;
    this._onOnline = () => {
      // The network is back: do not sit out the rest of a long backoff.
      if (!this._stopped && this._timer !== null) {
        clearTimeout(this._timer);
        this._timer = null;
        this._connect();
      }
    };
  }

  start() {
    if (!this._stopped) return;
    this._stopped = false;
    this._attempt = 0;
    window.addEventListener('online', this._onOnline);
    this._connect();
  }

  stop() {
    this._stopped = true;
    window.removeEventListener('online', this._onOnline);
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    const ws = this._ws;
    this._ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'client stopped');
    this._setStatus('stopped');
  }

  _setStatus(status, message) {
    this.status = status;
    this.onStatus(status, message);
  }

  async _connect() {
    this._timer = null;
    if (this._stopped) return;
    this._setStatus(this._attempt === 0 ? 'connecting' : 'reconnecting');
    let ticket;
    try {
      ticket = await wsTicket();
    } catch (err) {
      if (this._stopped) return;
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        this._fail('Signed out: sign in again to follow the transcript.');
      } else {
        this._retry();
      }
      return;
    }
    if (this._stopped) return;
    const url = wsUrl(`/v1/sessions/${encodeURIComponent(this.sessionId)}/events`, {
      since: this.lastSeq,
      ticket,
    });
    const ws = new WebSocket(url);
    this._ws = ws;
    ws.addEventListener('open', () => {
      if (this._ws !== ws) return;
      this._openedAt = performance.now();
      this._setStatus('open');
    });
    ws.addEventListener('message', (msg) => {
      if (this._ws !== ws || typeof msg.data !== 'string') return;
      let event;
      try {
        event = JSON.parse(msg.data);
      } catch {
        return; // not ours to interpret
      }
      if (!event || typeof event !== 'object') return;
      if (typeof event.seq === 'number') {
        if (event.seq <= this.lastSeq) return; // already seen (defensive)
        this.lastSeq = event.seq;
      }
      this._attempt = 0;
      try {
        this.onEvent(event);
      } catch (err) {
        // A rendering bug must not kill the stream. Log the type only, never content.
        console.error('event handler failed for', event.type, err);
      }
    });
    ws.addEventListener('close', (ev) => {
      if (this._ws !== ws) return;
      this._ws = null;
      if (this._stopped) return;
      if (FATAL_CLOSE.has(ev.code)) {
        this._fail(FATAL_CLOSE.get(ev.code));
        return;
      }
      if (this._openedAt && performance.now() - this._openedAt > STABLE_MS) this._attempt = 0;
      this._openedAt = 0;
      this._retry(); // 1006 network drop, 1001/1012 server restart, 4401 stale ticket...
    });
  }

  _retry() {
    if (this._stopped) return;
    const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this._attempt);
    this._attempt = Math.min(this._attempt + 1, 10);
    this._setStatus('reconnecting');
    // Full jitter on the upper half, so many panels do not reconnect in lockstep.
    this._timer = setTimeout(() => this._connect(), delay / 2 + Math.random() * (delay / 2));
  }

  _fail(message) {
    this._stopped = true;
    window.removeEventListener('online', this._onOnline);
    this._setStatus('failed', message);
  }
}
