// The signed-in token: in sessionStorage (this tab only, gone when it closes), never in a URL.
// Sign-in is a pasted token, or the OIDC authorization-code flow with PKCE when the gateway names
// an issuer and a client id in /console/config.json.
const KEY = 'meshguard.token';
const FLOW = 'meshguard.oidc';

export const token = (): string | null => sessionStorage.getItem(KEY);
export const setToken = (t: string) => sessionStorage.setItem(KEY, t.trim());
export const signOut = () => sessionStorage.removeItem(KEY);

export interface ConsoleConfig {
  oidc: { issuer: string; clientId: string } | null;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/console/`;

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the identity provider's discovery document answered ${res.status}`);
  return res.json();
}

/** Leaves for the provider's sign-in page with a PKCE challenge; the verifier stays in this tab. */
export async function startOidc(cfg: NonNullable<ConsoleConfig['oidc']>): Promise<void> {
  const d = await discover(cfg.issuer);
  const verifier = random();
  const state = random();
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(FLOW, JSON.stringify({ verifier, state }));
  const url = new URL(d.authorization_endpoint);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: cfg.clientId, redirect_uri: redirectUri(), scope: 'openid', state, code_challenge: challenge, code_challenge_method: 'S256' })) {
    url.searchParams.set(k, v);
  }
  location.assign(url.toString());
}

/** Back from the provider: trades the code for a token, then removes code and state from the address bar. */
export async function finishOidc(cfg: ConsoleConfig['oidc']): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!cfg || !code) return false;
  history.replaceState(null, '', '/console/');
  const flow = JSON.parse(sessionStorage.getItem(FLOW) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(FLOW);
  if (!flow || params.get('state') !== flow.state) throw new Error('sign-in state does not match: start again');
  const d = await discover(cfg.issuer);
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: cfg.clientId, code_verifier: flow.verifier });
  const res = await fetch(d.token_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  if (!res.ok) throw new Error(`the identity provider refused the code (${res.status})`);
  const t = (await res.json()) as { access_token?: string };
  if (!t.access_token) throw new Error('the identity provider answered no access token');
  setToken(t.access_token);
  return true;
}
