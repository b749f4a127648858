// Upload: transcript files in any format `callscope analyse` reads, each POSTed to
// /api/v1/calls as JSON and followed until it is analysed. Files that carry no call metadata
// (bare Transcribe / Contact Lens output) get it from the form; the rest go as they are. A file
// larger than a request may carry goes straight to S3 with a presigned PUT (POST /api/v1/uploads)
// and becomes a call when the drop-in path reads it.
import { useState } from 'preact/hooks';
import { api, putUpload } from '../api.js';
import { href } from '../ui.jsx';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The most a POST to /api/v1/calls carries (the API's MAX_DOCUMENT_BYTES); larger goes to S3. */
export const LARGEST_POST = 3_000_000;

/** The call id a document names for itself, if it is a JSON object that does. */
function namedId(body) {
  try {
    const doc = JSON.parse(body);
    return doc && typeof doc.call_id !== 'undefined' && doc.call_id !== null ? String(doc.call_id) : undefined;
  } catch {
    return undefined;
  }
}

/** Sends one body: as a request when it fits, else presigned into S3; answers the call's id. */
async function sendBody(body) {
  const blob = new Blob([body]);
  if (blob.size <= LARGEST_POST) return (await api.post(body)).call_id;
  const json = namedId(body) !== undefined || body.trimStart().startsWith('{');
  const upload = await api.upload(blob.size, json ? 'application/json' : 'text/plain');
  await putUpload(upload, blob);
  return namedId(body) ?? upload.call_id;
}

/** The request body for a file: the document as is when it is a call, wrapped otherwise. */
export function bodyFor(name, text, meta, n) {
  const call = () => ({
    call_id: `upload-${Date.now().toString(36)}-${n}-${Math.random().toString(36).slice(2, 8)}`,
    agent_id: meta.agent_id,
    customer_id: meta.customer_id,
    ...(meta.team_id ? { team_id: meta.team_id } : {}),
    start_time: new Date(meta.start_time || Date.now()).toISOString(),
  });
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return text; // not JSON: sent as it is, so the API says what is wrong with it
  }
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const isCall = 'call_id' in doc || 'agent_id' in doc || 'utterances' in doc || 'transcript' in doc || 'transcribe' in doc;
    if (!isCall && ('Transcript' in doc || 'results' in doc)) return JSON.stringify({ ...call(), transcribe: doc });
  }
  return text;
}

async function follow(id, update) {
  for (let i = 0; i < 120; i++) {
    try {
      const c = await api.call(id);
      if (c.status !== 'RECEIVED') return update({ status: c.status, reason: c.failure_reason });
    } catch (e) {
      if (e.status !== 404) return update({ status: 'error', reason: e.message });
    }
    update({ status: 'RECEIVED' });
    await sleep(1000);
  }
  return update({ status: 'RECEIVED', reason: 'still waiting after two minutes: see the Pipeline page' });
}

export function Upload() {
  const [items, setItems] = useState([]);
  const [over, setOver] = useState(false);
  const set = (i, patch) => setItems((list) => list.map((it, j) => (j === i ? { ...it, ...patch } : it)));
  const send = async (files, form) => {
    const meta = Object.fromEntries(new FormData(form).entries());
    const start = items.length;
    setItems((list) => [...list, ...files.map((file) => ({ name: file.name, status: 'sending' }))]);
    await Promise.all(
      files.map(async (file, k) => {
        const i = start + k;
        try {
          const callId = await sendBody(bodyFor(file.name, await file.text(), meta, i));
          set(i, { id: callId, status: 'RECEIVED' });
          await follow(callId, (patch) => set(i, patch));
        } catch (e) {
          set(i, { status: 'rejected', reason: e.message });
        }
      }),
    );
  };
  const form = () => document.getElementById('upload-form');
  return (
    <>
      <h1>Upload calls</h1>
      <p class="lead">
        JSON files as <code>callscope analyse</code> reads them: call documents (callscope <code>utterances</code>, the v1 <code>transcript</code> text, or <code>transcribe</code>), and bare Amazon Transcribe, Transcribe Call Analytics or Contact Lens output.
      </p>
      <form id="upload-form" class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Details for files without them">
        <fieldset>
          <legend>For files that do not name their call (bare Transcribe or Contact Lens output)</legend>
          <label>
            Agent <input name="agent_id" required defaultValue="ana.lima" size="12" />
          </label>
          <label>
            Customer <input name="customer_id" required defaultValue="prospect" size="12" />
          </label>
          <label>
            Team <input name="team_id" defaultValue="" size="8" />
          </label>
          <label>
            Started, in your time zone (empty: now) <input name="start_time" type="datetime-local" />
          </label>
        </fieldset>
      </form>
      <label
        class={`drop ${over ? 'over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          send([...e.dataTransfer.files], form());
        }}
      >
        Drop files here, or choose them:
        <input
          type="file"
          multiple
          accept=".json,application/json"
          onChange={(e) => {
            send([...e.currentTarget.files], form());
            e.currentTarget.value = '';
          }}
        />
      </label>
      {items.length > 0 && (
        <ul class="uploads" aria-live="polite">
          {items.map((it) => (
            <li data-file={it.name} data-status={it.status}>
              <strong>{it.name}</strong>:{' '}
              {it.status === 'sending' && 'sending…'}
              {it.status === 'RECEIVED' && <>accepted as {it.id}, being analysed…{it.reason ? ` (${it.reason})` : ''}</>}
              {it.status === 'PROCESSED' && (
                <>
                  analysed: <a href={href(`calls/${it.id}`)}>open call {it.id}</a>
                </>
              )}
              {it.status === 'FAILED' && (
                <span class="error">
                  accepted as <a href={href(`calls/${it.id}`)}>{it.id}</a> but the analysis failed: {it.reason}
                </span>
              )}
              {(it.status === 'rejected' || it.status === 'error') && <span class="error" role="alert">rejected: {it.reason}</span>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
