// Small DOM helpers shared by the side-panel and the bridge: element lookup, status
// and alert lines, time and speaker formatting, the sign-in form and the session picker.
// Text is only ever set with textContent (never innerHTML): transcript text is PHI and
// untrusted.

import * as api from './api.js';

/** The element with this id (throws early on a template/script mismatch). */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
}

/** Create an element with classes, attributes and text. */
export function el(tag, { className, text, attrs } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export function show(node, visible = true) {
  node.hidden = !visible;
}

/** A one-line message area (role="status" or role="alert"); empty text hides it. */
export function setMessage(node, text, kind = 'info') {
  node.textContent = text || '';
  node.dataset.kind = kind;
  node.hidden = !text;
}

/** Seconds → "m:ss" (or "h:mm:ss" past an hour). */
export function formatTime(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${String(m).padStart(2, '0')}:${s}`;
}

const SPEAKERS = { therapist: 'Therapist', client: 'Client', mixed: 'Speaker' };
const SPEAKER_ID = /^S([1-9])$/;
/** Roles that name nobody in particular: the line is labelled by its speaker id instead. */
const ANONYMOUS = new Set(['unknown', 'mixed']);

/** The role an event speaks for: `role` (or `speaker`) when present, else its track. */
export function roleOf(event) {
  const role = event.role ?? event.speaker;
  return typeof role === 'string' && role ? role : event.track;
}

/** The one-channel speaker id of an event ("S1".."S9"), or null. */
export function speakerOf(event) {
  const speaker = event?.speaker;
  return typeof speaker === 'string' && SPEAKER_ID.test(speaker) ? speaker : null;
}

/** "S2" → "Speaker 2" (anything else: "Speaker"). */
export function speakerIdLabel(speaker) {
  const m = typeof speaker === 'string' ? SPEAKER_ID.exec(speaker) : null;
  return m ? `Speaker ${m[1]}` : 'Speaker';
}

/**
 * A display label for a role or track: Therapist / Client / "Participant 2"... A role
 * that names nobody ("unknown", the "mixed" track) shows the speaker id when there is one
 * ("Speaker 1"), else "Speaker".
 */
export function speakerLabel(role, speaker = null) {
  if (typeof role !== 'string' || !role || ANONYMOUS.has(role)) return speakerIdLabel(speaker);
  if (SPEAKERS[role]) return SPEAKERS[role];
  const words = role.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A role's name as an option or table row: like speakerLabel, "Unknown" for unknown. */
export function roleName(role) {
  return role === 'unknown' ? 'Unknown' : speakerLabel(role);
}

/** The `?name=` query parameter of this page, or null. */
export function queryParam(name) {
  const value = new URLSearchParams(window.location.search).get(name);
  return value ? value.trim() : null;
}

/** A user-facing message for any error. */
export function errorText(err) {
  if (err instanceof api.ApiError) return err.message;
  if (err?.name === 'NotAllowedError') return 'Permission was denied. Allow access and try again.';
  if (err?.name === 'NotFoundError') return 'No microphone was found.';
  if (err?.name === 'NotReadableError') return 'The device is in use by another application.';
  return err?.message || String(err);
}

// ---- Sign-in --------------------------------------------------------------------------

/**
 * Wire the sign-in form. Calls `onSignedIn(user)` once signed in (now, when a cookie is
 * already valid, or after a successful submit).
 */
export async function setupLogin({ section, form, username, password, totp, error, onSignedIn }) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setMessage(error, '');
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const code = totp.value.replace(/\s+/g, '');
      const user = await api.login(username.value.trim(), password.value, code || undefined);
      password.value = '';
      totp.value = '';
      show(section, false);
      await onSignedIn(user);
    } catch (err) {
      setMessage(error, errorText(err), 'error');
      password.select();
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  let user = null;
  try {
    user = await api.me();
  } catch (err) {
    setMessage(error, errorText(err), 'error');
  }
  if (user) {
    show(section, false);
    await onSignedIn(user);
  } else {
    show(section, true);
    username.focus();
  }
}

// ---- Client and session picker ----------------------------------------------------------

function sessionLabel(s) {
  const when = new Date(s.created_at);
  const date = Number.isNaN(when.getTime())
    ? s.created_at
    : when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return `${date} (${s.state.replace(/_/g, ' ')})`;
}

/**
 * Choose or create a client, then choose a not-ended session of that client or create
 * one. `onSelect(session | null)` fires whenever the chosen session changes.
 */
export class SessionPicker {
  constructor({
    clientSelect,
    newClientLabel,
    createClientButton,
    sessionSelect,
    createSessionButton,
    error,
    onSelect,
  }) {
    Object.assign(this, {
      clientSelect,
      newClientLabel,
      createClientButton,
      sessionSelect,
      createSessionButton,
      error,
      onSelect,
    });
    this.clients = [];
    this.sessions = [];
    this.session = null;
    clientSelect.addEventListener('change', () => this._clientChanged());
    sessionSelect.addEventListener('change', () => this._sessionChanged());
    createClientButton?.addEventListener('click', () => this._createClient());
    newClientLabel?.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this._createClient();
      }
    });
    createSessionButton.addEventListener('click', () => this._createSession());
  }

  /** Load the lists; preselect `sessionId` (from `?session=`) when given. */
  async load(sessionId = null) {
    try {
      [this.clients, this.sessions] = await Promise.all([api.listClients(), api.listSessions()]);
    } catch (err) {
      setMessage(this.error, errorText(err), 'error');
      return;
    }
    let clientId = this.clientSelect.value || null;
    let preselected = null;
    if (sessionId) {
      preselected = this.sessions.find((s) => s.id === sessionId) ?? null;
      if (!preselected) {
        try {
          preselected = await api.getSession(sessionId);
          this.sessions.push(preselected);
        } catch (err) {
          setMessage(this.error, `Session ${sessionId}: ${errorText(err)}`, 'error');
        }
      }
      if (preselected) clientId = preselected.client_id;
    }
    this._renderClients(clientId);
    this._renderSessions(preselected?.id ?? null, preselected);
    await this._sessionChanged();
  }

  /** Enable or disable the picker (disabled while audio is being captured). */
  setDisabled(disabled) {
    for (const c of [
      this.clientSelect,
      this.newClientLabel,
      this.createClientButton,
      this.sessionSelect,
      this.createSessionButton,
    ]) {
      if (c) c.disabled = disabled;
    }
    if (!disabled) this.createSessionButton.disabled = !this.clientSelect.value;
  }

  /** Replace the cached copy of a session (after consent, end...). */
  update(session) {
    const i = this.sessions.findIndex((s) => s.id === session.id);
    if (i >= 0) this.sessions[i] = session;
    else this.sessions.push(session);
    if (this.session?.id === session.id) this.session = session;
    const option = [...this.sessionSelect.options].find((o) => o.value === session.id);
    if (option) option.textContent = sessionLabel(session);
  }

  _renderClients(selectedId) {
    const select = this.clientSelect;
    select.replaceChildren(el('option', { text: 'Choose a client…', attrs: { value: '' } }));
    for (const c of this.clients) {
      const label = c.label || `Client ${c.id.slice(0, 8)}`;
      select.append(el('option', { text: label, attrs: { value: c.id } }));
    }
    select.value = this.clients.some((c) => c.id === selectedId) ? selectedId : '';
    this.createSessionButton.disabled = !select.value;
  }

  _renderSessions(selectedId, keep = null) {
    const select = this.sessionSelect;
    const clientId = this.clientSelect.value;
    const open = this.sessions
      .filter((s) => s.client_id === clientId && (s.state !== 'ended' || s === keep))
      .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    select.replaceChildren(
      el('option', {
        text: open.length ? 'Choose a session…' : 'No open session: create one',
        attrs: { value: '' },
      }),
    );
    for (const s of open) {
      select.append(el('option', { text: sessionLabel(s), attrs: { value: s.id } }));
    }
    select.value = open.some((s) => s.id === selectedId) ? selectedId : '';
    select.disabled = !clientId;
  }

  async _clientChanged() {
    this._renderSessions(null);
    this.createSessionButton.disabled = !this.clientSelect.value;
    await this._sessionChanged();
  }

  async _sessionChanged() {
    const id = this.sessionSelect.value;
    let session = this.sessions.find((s) => s.id === id) ?? null;
    if (session) {
      try {
        session = await api.getSession(id); // fresh state, consents and live tracks
        this.update(session);
      } catch (err) {
        setMessage(this.error, errorText(err), 'error');
      }
    }
    if (this.session?.id === session?.id && this.session !== null) {
      this.session = session;
      return;
    }
    this.session = session;
    await this.onSelect(session);
  }

  async _createClient() {
    const label = this.newClientLabel.value.trim();
    if (!label) {
      setMessage(this.error, 'Enter a label for the new client.', 'error');
      this.newClientLabel.focus();
      return;
    }
    this.createClientButton.disabled = true;
    try {
      const client = await api.createClient(label);
      this.clients.push(client);
      this.newClientLabel.value = '';
      setMessage(this.error, '');
      this._renderClients(client.id);
      await this._clientChanged();
    } catch (err) {
      setMessage(this.error, errorText(err), 'error');
    } finally {
      this.createClientButton.disabled = false;
    }
  }

  async _createSession() {
    const clientId = this.clientSelect.value;
    if (!clientId) return;
    this.createSessionButton.disabled = true;
    try {
      const session = await api.createSession(clientId);
      this.sessions.push(session);
      setMessage(this.error, '');
      this._renderSessions(session.id);
      await this._sessionChanged();
    } catch (err) {
      setMessage(this.error, errorText(err), 'error');
    } finally {
      this.createSessionButton.disabled = !this.clientSelect.value;
    }
  }
}

/** The pages' client-and-session picker (the standard element ids). */
export function pageSessionPicker(error, onSelect) {
  return new SessionPicker({
    clientSelect: byId('client-select'),
    newClientLabel: byId('new-client-label'),
    createClientButton: byId('create-client-button'),
    sessionSelect: byId('session-select'),
    createSessionButton: byId('create-session-button'),
    error,
    onSelect,
  });
}

/**
 * A page's sign-in and sign-out (the standard element ids). After sign-in the user's
 * name and the app section are shown, then `onSignedIn(user)` runs; sign-out runs
 * `beforeSignOut()` (stop capturing), signs out and returns to `home`.
 */
export function setupAccount({ home, beforeSignOut, onSignedIn }) {
  byId('logout-button').addEventListener('click', async () => {
    await beforeSignOut();
    try {
      await api.logout();
    } catch {
      // signed out already
    }
    window.location.assign(home);
  });
  setupLogin({
    section: byId('login-section'),
    form: byId('login-form'),
    username: byId('login-username'),
    password: byId('login-password'),
    totp: byId('login-totp'),
    error: byId('login-error'),
    onSignedIn: async (user) => {
      byId('user-name').textContent = user.username;
      show(byId('user-box'), true);
      show(byId('app-section'), true);
      await onSignedIn(user);
    },
  });
}
