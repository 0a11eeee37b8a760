// Grants: active and past grants (admins, auditors read-only, stewards for their domain); grant,
// renew and revoke with a reason; suspend and resume subjects and revoke tokens (admins). The API
// decides each of these: a form shown here is only a shortcut to a call it may still refuse.
import { useState } from 'preact/hooks';
import { del, get, post, query } from '../api';
import type { Me } from '../main';
import { ErrorBox, Field, show, Status, useAction, useLoad } from '../ui';

interface Grant {
  id: string;
  subject: string;
  role: string;
  domain: string | null;
  expiresAt: string | null;
  reason: string | null;
  [k: string]: unknown;
}

const value = (e: Event) => (e.target as HTMLInputElement).value;
const instant = (v: string) => (v ? new Date(v).toISOString() : undefined);

function NewGrant({ onDone }: { onDone: () => void }) {
  const [f, setF] = useState({ subject: '', role: '', domain: '', expiresAt: '', reason: '' });
  const action = useAction();
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: value(e) });
  return (
    <form
      class="card"
      aria-label="grant a role"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const g = await post<Grant>('/v1/grants', { subject: f.subject, role: f.role, domain: f.domain || undefined, expiresAt: instant(f.expiresAt), reason: f.reason });
          onDone();
          return `granted ${g.role} on ${g.domain ?? '*'} to ${g.subject} until ${show(g.expiresAt)}`;
        });
      }}
    >
      <h3>Grant a role</h3>
      <Field label="subject">
        <input name="subject" value={f.subject} onInput={set('subject')} required />
      </Field>
      <Field label="role">
        <input name="role" value={f.role} onInput={set('role')} required />
      </Field>
      <Field label="domain">
        <input name="domain" value={f.domain} onInput={set('domain')} placeholder="* for global roles" />
      </Field>
      <Field label="expires (default and bound: the role's maximum)">
        <input type="datetime-local" name="expiresAt" value={f.expiresAt} onInput={set('expiresAt')} />
      </Field>
      <Field label="reason">
        <input name="reason" value={f.reason} onInput={set('reason')} required />
      </Field>
      <button type="submit" disabled={action.busy}>
        Grant
      </button>
      <Status action={action} />
    </form>
  );
}

function GrantRow({ g, manage, onDone }: { g: Grant; manage: boolean; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const action = useAction();
  const past = g.revokedAt || (g.expiresAt && Date.parse(g.expiresAt) < Date.now());
  return (
    <tr data-grant={g.id} class={past ? 'past' : ''}>
      <td>{g.subject}</td>
      <td>{g.role}</td>
      <td>{show(g.domain)}</td>
      <td>{show(g.expiresAt)}</td>
      <td>{show(g.reason)}</td>
      <td>{show(g.revokedAt)}</td>
      <td>
        {manage && !g.revokedAt && (
          <div class="row-actions">
            <input aria-label={`reason for ${g.subject}'s ${g.role} grant`} name="reason" placeholder="reason" value={reason} onInput={(e) => setReason(value(e))} />
            <button
              disabled={!reason || action.busy}
              onClick={() =>
                action.run(async () => {
                  await post(`/v1/grants/${encodeURIComponent(g.id)}/renew`, { reason });
                  onDone();
                  return 'renewed';
                })
              }
            >
              Renew
            </button>
            <button
              disabled={!reason || action.busy}
              onClick={() =>
                action.run(async () => {
                  await del(`/v1/grants/${encodeURIComponent(g.id)}${query({ reason })}`);
                  onDone();
                  return 'revoked';
                })
              }
            >
              Revoke
            </button>
          </div>
        )}
        <Status action={action} />
      </td>
    </tr>
  );
}

interface SubjectAction {
  subject: string;
  reason: string;
}

/** The two fields of the admin's subject-wide actions (suspend, resume, revoke tokens). */
function SubjectAndReason({ f, setF }: { f: SubjectAction; setF: (f: SubjectAction) => void }) {
  return (
    <>
      <Field label="subject">
        <input name="subject" value={f.subject} onInput={(e) => setF({ ...f, subject: value(e) })} />
      </Field>
      <Field label="reason">
        <input name="reason" value={f.reason} onInput={(e) => setF({ ...f, reason: value(e) })} />
      </Field>
    </>
  );
}

function Subjects() {
  const [f, setF] = useState<SubjectAction>({ subject: '', reason: '' });
  const action = useAction();
  const call = (verb: 'suspend' | 'resume') =>
    action.run(async () => {
      await post(`/v1/subjects/${encodeURIComponent(f.subject)}/${verb}`, { reason: f.reason });
      return `${f.subject}: ${verb === 'suspend' ? 'suspended' : 'resumed'}`;
    });
  return (
    <form class="card" aria-label="suspend or resume a subject" onSubmit={(e) => e.preventDefault()}>
      <h3>Suspend or resume a subject</h3>
      <SubjectAndReason f={f} setF={setF} />
      <button disabled={!f.subject || !f.reason} onClick={() => call('suspend')}>
        Suspend
      </button>
      <button disabled={!f.subject || !f.reason} onClick={() => call('resume')}>
        Resume
      </button>
      <Status action={action} />
    </form>
  );
}

function Revocations() {
  const list = useLoad(() => get<{ revocations: Record<string, unknown>[] }>('/v1/revocations'));
  const [f, setF] = useState<SubjectAction>({ subject: '', reason: '' });
  const action = useAction();
  return (
    <section class="card" aria-label="token revocations">
      <h3>Token revocations</h3>
      <p>Revokes every token of the subject issued before now.</p>
      <SubjectAndReason f={f} setF={setF} />
      <button
        disabled={!f.subject || !f.reason}
        onClick={() =>
          action.run(async () => {
            await post('/v1/revocations', { subject: f.subject, issuedBefore: new Date().toISOString(), reason: f.reason });
            list.reload();
            return `tokens of ${f.subject} revoked`;
          })
        }
      >
        Revoke tokens
      </button>
      <Status action={action} />
      <ErrorBox error={list.error} />
      <ul>
        {list.data?.revocations.map((r, i) => (
          <li key={i}>
            <pre>{show(r)}</pre>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function GrantsView({ me }: { me: Me }) {
  const roles = new Set(me.grants.map((g) => g.role));
  const manage = roles.has('admin') || roles.has('steward');
  const admin = roles.has('admin');
  const [filter, setFilter] = useState({ subject: '', domain: '', status: 'active' });
  const [applied, setApplied] = useState(filter);
  const list = useLoad(() => get<{ grants: Grant[] }>(`/v1/grants${query(applied)}`), [JSON.stringify(applied)]);
  return (
    <>
      <h2>Grants</h2>
      {manage && <NewGrant onDone={list.reload} />}
      <form
        class="filters"
        aria-label="grant filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filter);
        }}
      >
        <Field label="subject">
          <input name="subject" value={filter.subject} onInput={(e) => setFilter({ ...filter, subject: value(e) })} />
        </Field>
        <Field label="domain">
          <input name="domain" value={filter.domain} onInput={(e) => setFilter({ ...filter, domain: value(e) })} />
        </Field>
        <Field label="status">
          <select name="status" value={filter.status} onChange={(e) => setFilter({ ...filter, status: value(e) })}>
            <option value="active">active</option>
            <option value="all">active and past</option>
          </select>
        </Field>
        <button type="submit">Show</button>
      </form>
      <ErrorBox error={list.error} />
      <table class="grants">
        <thead>
          <tr>
            {['subject', 'role', 'domain', 'expires', 'reason', 'revoked', ''].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {list.data?.grants.map((g) => (
            <GrantRow key={g.id} g={g} manage={manage} onDone={list.reload} />
          ))}
        </tbody>
      </table>
      {admin && <Subjects />}
      {admin && <Revocations />}
    </>
  );
}
