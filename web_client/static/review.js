// The review page: after the session, check the draft against the transcript, decide on
// each statement, sign, then add addenda and export.
//
// The queue (GET /v1/reviews) lists ended sessions, drafts first. Choosing one loads its
// note (GET .../note?format=) and transcript. Statements use the side-panel's
// NoteDraftView (Accept / Edit / Reject / Add) with a "Show in transcript" button that
// marks the quoted words in the transcript and moves focus there. Required elements that
// are missing can be marked "deliberately not assessed"; the server refuses a signature
// while any is neither documented nor marked, or while a suggestion awaits a decision,
// and the page shows its reason. A signed note is read-only: versions, addenda, the
// supervisor's co-signature and the exports (text, PDF, FHIR) are offered instead.

import * as api from './api.js';
import { NoteDraftView } from './notes.js';
import { byId, el, errorText, formatTime, setMessage, setupAccount, speakerLabel } from './ui.js';

const enc = encodeURIComponent;
const notePath = (id) => `/v1/sessions/${enc(id)}/note`;

const view = {
  queueError: byId('queue-error'),
  awaiting: byId('awaiting-list'),
  awaitingEmpty: byId('awaiting-empty'),
  signed: byId('signed-list'),
  signedEmpty: byId('signed-empty'),
  pickHint: byId('pick-hint'),
  section: byId('review-section'),
  title: byId('review-title'),
  state: byId('review-state'),
  error: byId('review-error'),
  transcript: byId('review-transcript'),
  transcriptEmpty: byId('transcript-empty'),
  required: byId('review-required'),
  preview: byId('note-preview'),
  signBlock: byId('sign-block'),
  blockers: byId('sign-blockers'),
  signButton: byId('sign-button'),
  acceptRest: byId('accept-rest-button'),
  signedBlock: byId('signed-block'),
  signature: byId('signature-line'),
  versions: byId('versions-list'),
  versionView: byId('version-view'),
  addendumForm: byId('addendum-form'),
  addendumText: byId('addendum-text'),
  cosign: byId('cosign-button'),
  copyText: byId('copy-text-button'),
  exportText: byId('export-text'),
  exportPdf: byId('export-pdf'),
  exportFhir: byId('export-fhir'),
};

let user = null;
let current = null; // {id, entry (from the queue), note}
// The clinician's "not assessed" ticks as this page holds them: quick clicks are never lost
// to a re-render from an older server state, and saves go one at a time, each with the
// whole set (null: the server's set, before the first tick).
let waivedHere = null;
let waiverSaves = Promise.resolve();
let queue = [];

const draft = new NoteDraftView({
  container: byId('note-draft'),
  empty: byId('note-empty'),
  error: byId('note-error'),
  rejected: byId('note-rejected'),
  rejectedList: byId('note-rejected-list'),
  rejectedCount: byId('note-rejected-count'),
  actions: {
    update: async (itemId, changes) => {
      const item = await api.updateNoteItem(current.id, itemId, changes);
      refreshSoon();
      return item;
    },
    add: async (fields) => {
      const item = await api.addNoteItem(current.id, fields);
      refreshSoon();
      return item;
    },
  },
  onEvidence: (item) => showEvidence(item),
});

// ---- the queue -----------------------------------------------------------------------------

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function entryLabel(entry) {
  const who = entry.client_label || 'Client';
  return `${who}, ${when(entry.started_at)}`;
}

async function loadQueue() {
  setMessage(view.queueError, '');
  try {
    queue = await api.get('/v1/reviews');
  } catch (err) {
    setMessage(view.queueError, `Sessions: ${errorText(err)}`, 'error');
    return;
  }
  const row = (entry) => {
    const li = el('li');
    const button = el('button', {
      className: 'review-entry',
      text: entryLabel(entry),
      attrs: { type: 'button' },
    });
    button.dataset.sessionId = entry.session_id;
    if (current?.id === entry.session_id) button.setAttribute('aria-current', 'true');
    const state = entry.note_state === 'signed' ? (entry.cosigned ? 'co-signed' : 'signed') : '';
    if (state) button.append(' ', el('span', { className: 'note-status', text: state }));
    if (!entry.mine) button.append(' ', el('span', { className: 'hint', text: '(supervisee)' }));
    button.addEventListener('click', () => select(entry.session_id));
    li.append(button);
    return li;
  };
  const drafts = queue.filter((e) => e.note_state !== 'signed');
  const signed = queue.filter((e) => e.note_state === 'signed');
  view.awaiting.replaceChildren(...drafts.map(row));
  view.signed.replaceChildren(...signed.map(row));
  view.awaitingEmpty.hidden = drafts.length > 0;
  view.signedEmpty.hidden = signed.length > 0;
}

// ---- one session ---------------------------------------------------------------------------

function chosenFormat() {
  return document.querySelector('input[name="note-format"]:checked')?.value ?? 'soap';
}

async function select(sessionId) {
  const entry = queue.find((e) => e.session_id === sessionId) ?? { session_id: sessionId };
  current = { id: sessionId, entry, note: null };
  waivedHere = null;
  for (const b of document.querySelectorAll('.review-entry')) {
    if (b.dataset.sessionId === sessionId) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
  draft.clear();
  view.pickHint.hidden = true;
  view.section.hidden = false;
  view.versionView.hidden = true;
  setMessage(view.error, '');
  view.title.textContent = `Note: ${entryLabel(entry)}`;
  const url = new URL(window.location.href);
  url.searchParams.set('session', sessionId);
  window.history.replaceState(null, '', url);
  await Promise.all([loadNote(true), loadTranscript()]);
  view.title.focus();
}

async function loadNote(reloadItems = false) {
  if (!current) return;
  const id = current.id;
  let note;
  try {
    note = await api.getNote(id, chosenFormat());
  } catch (err) {
    setMessage(view.error, `Note: ${errorText(err)}`, 'error');
    return;
  }
  if (current?.id !== id) return;
  current.note = note;
  const signed = note.state === 'signed';
  const mine = current.entry.mine !== false;
  if (reloadItems || signed) {
    if (signed) draft.clear();
    draft.load(note);
  }
  draft.setEditable(!signed && mine && user?.role === 'clinician');
  for (const radio of document.querySelectorAll('input[name="note-format"]')) {
    if (signed) radio.checked = radio.value === note.format;
    radio.disabled = signed;
  }
  view.preview.textContent = note.text ?? '';
  setMessage(
    view.state,
    signed
      ? 'Signed: the note and its transcript are read-only. Add an addendum for any change.'
      : 'Draft: check each statement against the transcript, then sign.',
  );
  renderRequired(note, signed || !mine);
  renderSign(note, mine);
  if (signed) await renderSigned(note);
}

let refreshTimer = null;
function refreshSoon() {
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => loadNote(false), 150);
}

function renderRequired(note, readOnly) {
  const waived = waivedHere ?? new Set(note.waived ?? []);
  const elements = Array.isArray(note.required) ? note.required : [];
  view.required.replaceChildren(
    ...elements.map((e) => {
      const li = el('li', { className: 'required-item' });
      li.dataset.element = e.name;
      const present = e.status === 'present';
      li.dataset.present = String(present);
      const mark = el('span', { className: 'required-mark', text: present ? '✓' : '✗' });
      mark.setAttribute('aria-hidden', 'true');
      li.append(mark, ' ', el('span', { className: 'required-label', text: e.label }));
      if (present) {
        li.append(': ', el('span', { className: 'required-value', text: e.value || 'documented' }));
        return li;
      }
      li.append(el('span', { className: 'visually-hidden', text: ': not documented' }));
      const boxId = `waive-${e.name}`;
      const box = el('input', { attrs: { type: 'checkbox', id: boxId } });
      box.checked = waived.has(e.name);
      box.disabled = readOnly;
      box.dataset.element = e.name;
      box.addEventListener('change', () => toggleWaiver(e.name, box.checked));
      const label = el('label', {
        className: 'waive',
        text: ' Deliberately not assessed',
        attrs: { for: boxId },
      });
      li.append(' ', box, label);
      return li;
    }),
  );
}

function toggleWaiver(name, on) {
  if (!waivedHere) waivedHere = new Set(current?.note?.waived ?? []);
  if (on) waivedHere.add(name);
  else waivedHere.delete(name);
  const sessionId = current.id;
  const names = [...waivedHere];
  waiverSaves = waiverSaves.then(() => saveWaivers(sessionId, names)).catch(() => {});
}

async function saveWaivers(sessionId, names) {
  if (current?.id !== sessionId) return; // the clinician moved on to another note
  setMessage(view.error, '');
  try {
    await api.put(`${notePath(sessionId)}/waivers`, { elements: names });
  } catch (err) {
    waivedHere = null; // show what the server holds
    setMessage(view.error, `Not assessed: ${errorText(err)}`, 'error');
  }
  await loadNote(false);
}

function renderSign(note, mine) {
  const signed = note.state === 'signed';
  view.signBlock.hidden = signed || !mine || user?.role !== 'clinician';
  view.signedBlock.hidden = !signed;
  if (signed) return;
  const parts = [];
  if (note.unreviewed) parts.push(`${note.unreviewed} suggestion(s) to accept or reject`);
  if (note.blocking?.length) parts.push(`not documented: ${note.blocking.join(', ')}`);
  view.blockers.textContent = parts.length
    ? `Before signing: ${parts.join('; ')}.`
    : 'Ready to sign. Signing makes this note and its transcript read-only.';
  view.blockers.dataset.ready = String(parts.length === 0);
  view.acceptRest.disabled = !note.unreviewed;
}

async function sign() {
  if (!current) return;
  view.signButton.disabled = true;
  setMessage(view.error, '');
  try {
    await api.post(`${notePath(current.id)}/sign`, { format: chosenFormat() });
    await loadQueue();
    current.entry = queue.find((e) => e.session_id === current.id) ?? current.entry;
    await loadNote(true);
    view.signature.focus();
  } catch (err) {
    setMessage(view.error, `Not signed: ${errorText(err)}`, 'error');
  } finally {
    view.signButton.disabled = false;
  }
}

async function acceptRemaining() {
  const todo = draft.items().filter((i) => i.status === 'suggested');
  view.acceptRest.disabled = true;
  setMessage(view.error, '');
  try {
    for (const item of todo) {
      draft.upsert(await api.updateNoteItem(current.id, item.id, { status: 'accepted' }));
    }
  } catch (err) {
    setMessage(view.error, `Accept: ${errorText(err)}`, 'error');
  }
  await loadNote(false);
}

// ---- the signed note -------------------------------------------------------------------------

async function renderSigned(note) {
  const sig = note.signature ?? {};
  view.signature.textContent =
    `Signed by ${sig.signer_name || sig.signer_id} on ${when(sig.signed_at)}. ` +
    `SHA-256 ${String(sig.content_hash ?? '').slice(0, 16)}…`;
  view.signature.tabIndex = -1;
  view.versions.replaceChildren(
    ...(note.versions ?? []).map((v) => {
      const li = el('li');
      li.dataset.version = String(v.version);
      const what = { signature: 'Signature', addendum: 'Addendum', cosignature: 'Co-signature' };
      li.append(
        `${what[v.kind] ?? v.kind}, ${v.signer_name || v.signer_id}, ${when(v.signed_at)} `,
      );
      const show = el('button', {
        text: 'View',
        className: 'link-button',
        attrs: { type: 'button', 'aria-label': `View version ${v.version}` },
      });
      show.addEventListener('click', () => showVersion(v.version));
      li.append(show);
      return li;
    }),
  );
  const base = notePath(current.id);
  view.exportText.href = `${base}/export.txt`;
  view.exportPdf.href = `${base}/export.pdf`;
  view.exportFhir.href = `${base}/export.fhir.json`;
  const mine = current.entry.mine !== false;
  view.addendumForm.hidden = !(mine || user?.role === 'supervisor');
  view.cosign.hidden = !(user?.role === 'supervisor' && !mine && !note.cosigned);
}

async function showVersion(number) {
  try {
    const v = await api.get(`${notePath(current.id)}/versions/${number}`);
    const body = v.body ?? {};
    view.versionView.textContent = `Version ${v.version} (${v.kind}), SHA-256 ${v.content_hash}\n\n${body.text ?? ''}`;
    view.versionView.hidden = false;
    view.versionView.focus();
  } catch (err) {
    setMessage(view.error, `Version ${number}: ${errorText(err)}`, 'error');
  }
}

async function addAddendum(ev) {
  ev.preventDefault();
  const text = view.addendumText.value.trim();
  if (!text) return;
  const button = byId('addendum-button');
  button.disabled = true;
  setMessage(view.error, '');
  try {
    await api.post(`${notePath(current.id)}/addenda`, { text });
    view.addendumText.value = '';
    await loadNote(false);
    setMessage(view.error, 'Addendum signed.', 'info');
  } catch (err) {
    setMessage(view.error, `Addendum: ${errorText(err)}`, 'error');
  } finally {
    button.disabled = false;
  }
}

async function cosign() {
  setMessage(view.error, '');
  try {
    await api.post(`${notePath(current.id)}/cosign`, {});
    await loadQueue();
    await loadNote(false);
  } catch (err) {
    setMessage(view.error, `Co-sign: ${errorText(err)}`, 'error');
  }
}

async function copyText() {
  try {
    const response = await fetch(`${notePath(current.id)}/export.txt`, {
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!response.ok) throw new Error(`Export failed (${response.status})`);
    const text = await response.text();
    await navigator.clipboard.writeText(text);
    setMessage(view.error, 'The note is on the clipboard: paste it into the EHR.', 'info');
  } catch (err) {
    setMessage(view.error, `Copy: ${errorText(err)}. Use the Text export instead.`, 'error');
  }
}

// ---- the transcript and the evidence --------------------------------------------------------

async function loadTranscript() {
  const id = current.id;
  let segments = [];
  try {
    segments = (await api.get(`/v1/sessions/${enc(id)}/transcript`)).segments ?? [];
  } catch (err) {
    setMessage(view.error, `Transcript: ${errorText(err)}`, 'error');
  }
  if (current?.id !== id) return;
  view.transcript.replaceChildren(
    ...segments.map((s) => {
      const li = el('li', { className: 'review-segment', attrs: { tabindex: '-1' } });
      li.dataset.segmentId = s.segment_id;
      li.append(
        el('span', { className: 'segment-time', text: formatTime(s.start) }),
        ' ',
        el('span', { className: 'segment-speaker', text: speakerLabel(s.role, s.speaker) }),
        ' ',
        el('span', { className: 'segment-text', text: s.text }),
      );
      return li;
    }),
  );
  view.transcriptEmpty.hidden = segments.length > 0;
}

function showEvidence(item) {
  for (const old of view.transcript.querySelectorAll('.evidence-highlight')) {
    old.classList.remove('evidence-highlight');
    old.removeAttribute('aria-current');
    const text = old.querySelector('.segment-text');
    text.textContent = text.textContent; // drop the <mark>
  }
  let first = null;
  let found = 0;
  for (const ev of item.evidence) {
    const li = [...view.transcript.children].find((n) => n.dataset.segmentId === ev.segment_id);
    if (!li) continue;
    found += 1;
    li.classList.add('evidence-highlight');
    li.setAttribute('aria-current', 'true');
    const textEl = li.querySelector('.segment-text');
    const text = textEl.textContent;
    const at = ev.quote ? text.indexOf(ev.quote) : -1;
    if (at >= 0) {
      textEl.replaceChildren(
        text.slice(0, at),
        el('mark', { text: ev.quote }),
        text.slice(at + ev.quote.length),
      );
    }
    first ??= li;
  }
  if (first) {
    first.scrollIntoView({ block: 'center' });
    first.focus();
    setMessage(view.state, `Evidence: ${found} passage(s) marked in the transcript.`, 'info');
  } else {
    setMessage(view.state, 'The transcript of this evidence is no longer kept.', 'info');
  }
}

// ---- wiring ------------------------------------------------------------------------------------

for (const radio of document.querySelectorAll('input[name="note-format"]')) {
  radio.addEventListener('change', () => loadNote(false));
}
view.signButton.addEventListener('click', sign);
view.acceptRest.addEventListener('click', acceptRemaining);
view.addendumForm.addEventListener('submit', addAddendum);
view.cosign.addEventListener('click', cosign);
view.copyText.addEventListener('click', copyText);

// Test hook (Playwright): what the page shows, without reading the DOM.
window.companion = {
  review: () => ({
    session: current?.id ?? null,
    state: current?.note?.state ?? null,
    items: draft.items(),
    blocking: current?.note?.blocking ?? [],
    unreviewed: current?.note?.unreviewed ?? null,
    versions: (current?.note?.versions ?? []).map((v) => v.kind),
    queue: queue.map((e) => ({ session: e.session_id, state: e.note_state })),
  }),
};

setupAccount({
  home: '/review',
  beforeSignOut: async () => {},
  onSignedIn: async (signedIn) => {
    user = signedIn;
    await loadQueue();
    const wanted = new URLSearchParams(window.location.search).get('session');
    if (wanted && queue.some((e) => e.session_id === wanted)) await select(wanted);
  },
});
