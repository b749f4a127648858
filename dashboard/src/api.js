// The JSON API, relative to the page (so a stage path such as /dev/ is kept), with the token.
import { bearer, forget } from './auth.js';

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** The API's `detail` in words: a string, or the first field error as "where: rule". */
export function describe(status, body) {
  const detail = body && body.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((d) => `${(d.loc || []).filter((p) => p !== 'body').join('.') || 'request'}: ${d.msg}`)
      .join('; ');
  }
  if (body && body.message) return `${body.message} (HTTP ${status})`;
  return `the API answered HTTP ${status}`;
}

async function send(path, init = {}) {
  let reply;
  try {
    reply = await fetch(path, { ...init, headers: { accept: 'application/json', ...bearer(), ...(init.headers || {}) } });
  } catch (e) {
    throw new ApiError(0, `the API could not be reached (${e.message})`);
  }
  const body = await reply.json().catch(() => null);
  if (reply.status === 401) forget();
  if (!reply.ok) throw new ApiError(reply.status, describe(reply.status, body));
  return body;
}

const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

const id = encodeURIComponent;
export const api = {
  calls: (params) => send(`api/v1/calls${query(params)}`),
  call: (callId) => send(`api/v1/calls/${id(callId)}`),
  recommendations: (callId) => send(`api/v1/calls/${id(callId)}/recommendations`),
  agents: (params) => send(`api/v1/analytics/agents${query(params)}`),
  agent: (agentId, params) => send(`api/v1/analytics/agents/${id(agentId)}${query(params)}`),
  team: (teamId, params) => send(`api/v1/analytics/teams/${id(teamId)}${query(params)}`),
  post: (body) => send('api/v1/calls', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
  settings: () => send('api/v1/settings'),
  putSettings: (section, value, version) =>
    send(`api/v1/settings/${id(section)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': `"${version}"` },
      body: JSON.stringify(value),
    }),
  erase: (callId) => send(`api/v1/calls/${id(callId)}`, { method: 'DELETE' }),
  reanalyse: (callId) => send(`api/v1/calls/${id(callId)}/reanalyse`, { method: 'POST' }),
  eraseCustomer: (customerId) =>
    send('api/v1/erasures', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer_id: customerId }),
    }),
  erasure: (erasureId) => send(`api/v1/erasures/${id(erasureId)}`),
  reanalyseCalls: (range) =>
    send('api/v1/reanalyses', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(range),
    }),
  reanalysis: (reanalysisId) => send(`api/v1/reanalyses/${id(reanalysisId)}`),
  parkedDeliveries: () => send('api/v1/webhooks/parked'),
  upload: (size, contentType) =>
    send('api/v1/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size, content_type: contentType }),
    }),
};

/** PUTs `blob` to a presigned upload as `POST api/v1/uploads` described it. */
export async function putUpload(upload, blob) {
  // The browser sets content-length itself (a script may not); every other header is signed.
  const headers = Object.fromEntries(Object.entries(upload.headers).filter(([k]) => k.toLowerCase() !== 'content-length'));
  let reply;
  try {
    reply = await fetch(upload.url, { method: upload.method, headers, body: blob });
  } catch (e) {
    throw new ApiError(0, `the upload could not be sent (${e.message})`);
  }
  if (!reply.ok) throw new ApiError(reply.status, `the upload was refused: HTTP ${reply.status}`);
}

/** Runs `task` over `items` with at most `width` requests in flight. */
export async function each(items, width, task) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
