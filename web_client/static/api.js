// Same-origin JSON API client. The HttpOnly session cookie set by /v1/auth/login
// authenticates every call; nothing here ever sees or stores a token.

/** An API failure: `message` is the server's `detail` (or a fallback), `status` the HTTP
 * status (0 when the server could not be reached). */
export class ApiError extends Error {
  constructor(message, status, detail = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }
}

/** FastAPI's `detail` is a string, or for 422 a list of {loc, msg}: make it one line. */
function describeDetail(detail) {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        if (typeof d === 'string') return d;
        const where = Array.isArray(d?.loc) ? d.loc.filter((p) => p !== 'body').join('.') : '';
        return where ? `${where}: ${d?.msg ?? 'invalid'}` : String(d?.msg ?? 'invalid');
      })
      .join('; ');
  }
  if (detail && typeof detail === 'object') return JSON.stringify(detail);
  return '';
}

/**
 * fetch() a JSON endpoint of this origin.
 * @param {string} path e.g. '/v1/sessions'
 * @param {{method?: string, body?: unknown, raw?: Blob, signal?: AbortSignal}} [options]
 *   body: sent as JSON; raw: sent as is, with the Blob's type as Content-Type.
 * @returns {Promise<any>} the parsed JSON body (null when empty)
 * @throws {ApiError}
 */
export async function request(path, { method = 'GET', body, raw, signal } = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
    signal,
  };
  if (raw !== undefined) {
    init.headers['Content-Type'] = raw.type || 'application/octet-stream';
    init.body = raw;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError('Cannot reach the companion server. Check the network.', 0);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null; // a proxy's HTML error page, say: fall back to the status text
    }
  }
  if (!response.ok) {
    const detail = data && typeof data === 'object' ? data.detail : null;
    const message =
      describeDetail(detail) || response.statusText || `Request failed (${response.status})`;
    throw new ApiError(message, response.status, detail);
  }
  return data;
}

export const get = (path, options = {}) => request(path, { ...options, method: 'GET' });
export const post = (path, body = {}, options = {}) =>
  request(path, { ...options, method: 'POST', body });
export const put = (path, body = {}, options = {}) =>
  request(path, { ...options, method: 'PUT', body });
export const patch = (path, body = {}, options = {}) =>
  request(path, { ...options, method: 'PATCH', body });
export const del = (path, options = {}) => request(path, { ...options, method: 'DELETE' });

const enc = encodeURIComponent;

// ---- Auth -------------------------------------------------------------------------

export const login = (username, password, totp) =>
  post('/v1/auth/login', totp ? { username, password, totp } : { username, password });
export const logout = () => post('/v1/auth/logout');

/** The signed-in user, or null when not signed in (401). */
export async function me() {
  try {
    return await get('/v1/auth/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** A fresh single-use WebSocket ticket (valid 30 s). */
export async function wsTicket() {
  const { ticket } = await post('/v1/auth/ws-ticket');
  return ticket;
}

// ---- Clients and sessions ---------------------------------------------------------

export const listClients = () => get('/v1/clients');
export const createClient = (label) => post('/v1/clients', { label });
export const listSessions = () => get('/v1/sessions');
export const createSession = (clientId) => post('/v1/sessions', { client_id: clientId });
export const getSession = (id) => get(`/v1/sessions/${enc(id)}`);
export const endSession = (id) => post(`/v1/sessions/${enc(id)}/end`);

/**
 * Record one party's consent.
 * @param {'therapist'|'client'} party
 * @param {'granted'|'paused'|'revoked'} state
 */
export const recordConsent = (id, party, state, method = 'verbal') =>
  post(`/v1/sessions/${enc(id)}/consent`, {
    party,
    granted: state === 'granted',
    method,
    text_version: 'v1',
    state,
  });

// ---- Speakers, analytics and the voice profile ------------------------------------------

/** Correct one speaker's role in a live one-channel session (S1..S9). */
export const setSpeakerRole = (id, speaker, role, track = 'mixed') =>
  put(`/v1/sessions/${enc(id)}/speakers/${enc(speaker)}`, { role, track });
/** Talk time, turns, overlap and silence by role, from the stored transcript. */
export const getAnalytics = (id) => get(`/v1/sessions/${enc(id)}/analytics`);
/** {enrolled: false} or {enrolled: true, speech_s, source, updated_at}; 403 for non-clinicians. */
export const getVoiceProfile = () => get('/v1/me/voice-profile');
/** Enrol from a WAV recording (a Blob of type audio/wav). */
export const putVoiceProfile = (wav) =>
  request('/v1/me/voice-profile', { method: 'PUT', raw: wav });
export const deleteVoiceProfile = () => del('/v1/me/voice-profile');

// ---- The note draft ----------------------------------------------------------------

/** {session_id, format, sections: {subjective: [items], ...}, required, missing, facts, text} */
export const getNote = (id, format = 'soap') =>
  get(`/v1/sessions/${enc(id)}/note?format=${enc(format)}`);
/**
 * Accept, reject or restore an item, or rewrite its text; resolves to the item.
 * @param {{status?: 'suggested'|'accepted'|'rejected', text?: string}} changes
 */
export const updateNoteItem = (id, itemId, changes) =>
  patch(`/v1/sessions/${enc(id)}/note/items/${enc(itemId)}`, changes);
/** An item the clinician writes: {kind, text, section?}; resolves to the item (201). */
export const addNoteItem = (id, { kind, text, section }) =>
  post(`/v1/sessions/${enc(id)}/note/items`, section ? { kind, text, section } : { kind, text });

// ---- Audio transports ---------------------------------------------------------------

export const webrtcConfig = () => get('/v1/webrtc/config');
export const webrtcOffer = (id, sdp, tracks, channels = []) =>
  post(`/v1/sessions/${enc(id)}/webrtc`, { sdp, type: 'offer', tracks, channels });

/** ws:// or wss:// URL of this origin for `path` with query `params`. */
export function wsUrl(path, params = {}) {
  const url = new URL(path, window.location.href);
  url.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  return url.toString();
}
