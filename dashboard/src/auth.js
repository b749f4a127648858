// Sign-in: none (the local gateway supplies the tenant), or an OAuth 2.0 authorization-code flow
// with PKCE against the provider app/config.json names (Cognito's hosted UI or any OIDC issuer).
// The token lives in sessionStorage (this tab only) and goes out as a Bearer header.
const KEY = 'callscope.token';
const PENDING = 'callscope.pending';

let settings = null;

const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const home = () => location.origin + location.pathname;

function expired(token) {
  try {
    const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof claims.exp === 'number' && claims.exp * 1000 < Date.now() + 30_000;
  } catch {
    return true;
  }
}

/** Reads the sign-in settings and, with a provider, returns once a token is held (or redirects). */
export async function signIn() {
  const answer = await fetch('app/config.json', { headers: { accept: 'application/json' } });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.detail || `the sign-in settings answered ${answer.status}`);
  settings = body;
  if (settings.auth === 'none') return;
  const held = sessionStorage.getItem(KEY);
  if (held && !expired(held)) return;
  const query = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  if (query.get('code') && pending && query.get('state') === pending.state) {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: settings.client_id,
      code: query.get('code'),
      redirect_uri: home(),
      code_verifier: pending.verifier,
    });
    const reply = await fetch(settings.token_url, { method: 'POST', body: form });
    const tokens = await reply.json().catch(() => ({}));
    if (!reply.ok || !tokens[settings.token]) {
      throw new Error(`sign-in failed: ${tokens.error_description || tokens.error || reply.status}`);
    }
    sessionStorage.setItem(KEY, tokens[settings.token]);
    sessionStorage.removeItem(PENDING);
    history.replaceState(null, '', home() + (pending.hash || ''));
    return;
  }
  if (query.get('error')) throw new Error(`sign-in refused: ${query.get('error_description') || query.get('error')}`);
  const verifier = random(48);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = random(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, hash: location.hash }));
  const url = new URL(settings.authorize_url);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.client_id,
    redirect_uri: home(),
    scope: settings.scopes,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
  await new Promise(() => {}); // the page is leaving
}

export function bearer() {
  const token = settings && settings.auth !== 'none' ? sessionStorage.getItem(KEY) : null;
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A 401: the token is no longer accepted; sign in again. */
export function forget() {
  sessionStorage.removeItem(KEY);
  if (settings && settings.auth !== 'none') location.reload();
}
