// The console: sign in, then the views the subject's grants open (the API decides every call anyway).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';
import { finishOidc, setToken, signOut, startOidc, token, type ConsoleConfig } from './session';
import { ErrorBox, useLoad } from './ui';
import { AuditView } from './views/audit';
import { ExplainView } from './views/explain';
import { GrantsView } from './views/grants';
import { GuardrailsView } from './views/guardrails';
import { MetricsView } from './views/metrics';
import { ReviewsView } from './views/reviews';
import './style.css';

export interface Me {
  subject: string;
  grants: { id: string; role: string; domain: string | null; expiresAt: string | null }[];
}

const VIEWS = {
  audit: { title: 'Audit', roles: ['auditor'], view: AuditView },
  grants: { title: 'Grants', roles: ['admin', 'auditor', 'steward'], view: GrantsView },
  reviews: { title: 'Access reviews', roles: ['admin', 'steward'], view: ReviewsView },
  guardrails: { title: 'Guardrails', roles: ['admin', 'steward'], view: GuardrailsView },
  explain: { title: 'Explain', roles: ['admin', 'steward'], view: ExplainView },
  // The roles of policies/roles.yaml with read_metrics rules; GET /v1/metrics lists what each may query.
  metrics: { title: 'Metrics', roles: ['manager', 'analyst', 'eu_analyst', 'scientist', 'steward'], view: MetricsView },
} as const;
type ViewName = keyof typeof VIEWS;

function SignIn({ config, onSignedIn }: { config?: ConsoleConfig; onSignedIn: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>();
  return (
    <main class="signin">
      <h1>meshguard console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setToken(value);
          onSignedIn();
        }}
      >
        <label for="token">Paste a token (kept in this tab only)</label>
        <textarea id="token" name="token" rows={5} value={value} onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)} autocomplete="off" spellcheck={false} />
        <button type="submit" disabled={!value.trim()}>
          Sign in
        </button>
      </form>
      {config?.oidc && (
        <button type="button" onClick={() => startOidc(config.oidc!).catch(setError)}>
          Sign in with {config.oidc.issuer}
        </button>
      )}
      <ErrorBox error={error} />
    </main>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const me = useLoad(() => get<Me>('/v1/me'));
  const [view, setView] = useState<ViewName | null>(null);
  if (me.error) {
    return (
      <main>
        <ErrorBox error={me.error} />
        <button onClick={onSignOut}>Sign out</button>
      </main>
    );
  }
  if (!me.data) return <main aria-busy="true">Loading…</main>;
  const roles = new Set(me.data.grants.map((g) => g.role));
  const open = (Object.keys(VIEWS) as ViewName[]).filter((v) => VIEWS[v].roles.some((r) => roles.has(r)));
  const current = view && open.includes(view) ? view : open[0];
  const View = current ? VIEWS[current].view : null;
  return (
    <>
      <header>
        <strong>meshguard</strong>
        <nav>
          {open.map((v) => (
            <button key={v} class={v === current ? 'tab current' : 'tab'} aria-current={v === current ? 'page' : undefined} onClick={() => setView(v)}>
              {VIEWS[v].title}
            </button>
          ))}
        </nav>
        <span class="who">
          {me.data.subject} ({[...roles].join(', ')})
        </span>
        <button onClick={onSignOut}>Sign out</button>
      </header>
      <main>{View ? <View me={me.data} /> : <p>No view of this console is open to your grants.</p>}</main>
    </>
  );
}

function App() {
  const [config, setConfig] = useState<ConsoleConfig>();
  const [signedIn, setSignedIn] = useState(Boolean(token()));
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    fetch('/console/config.json')
      .then((r) => r.json() as Promise<ConsoleConfig>)
      .then(async (c) => {
        setConfig(c);
        if (await finishOidc(c.oidc)) setSignedIn(true);
      })
      .catch(setError);
  }, []);
  if (!signedIn) {
    return (
      <>
        <SignIn config={config} onSignedIn={() => setSignedIn(true)} />
        <ErrorBox error={error} />
      </>
    );
  }
  return (
    <Shell
      onSignOut={() => {
        signOut();
        setSignedIn(false);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
