// Access reviews: the findings (unused, expiring, broader than use); select grants and revoke them
// together with a reason (all or none, as the API applies them).
import { useState } from 'preact/hooks';
import { get, post, query } from '../api';
import { ErrorBox, Field, show, Status, useAction, useLoad } from '../ui';

interface Item {
  grant: { id: string; subject: string; role: string; domain: string | null; expiresAt: string | null };
  findings: string[];
  notes: string[];
}

export function ReviewsView() {
  const [opts, setOpts] = useState({ unusedFor: '30d', expiringWithin: '14d', domain: '' });
  const [applied, setApplied] = useState(opts);
  const review = useLoad(() => get<{ asOf: string; grants: Item[] }>(`/v1/reviews/grants${query(applied)}`), [JSON.stringify(applied)]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState('');
  const action = useAction();
  const set = (k: keyof typeof opts) => (e: Event) => setOpts({ ...opts, [k]: (e.target as HTMLInputElement).value });
  return (
    <>
      <h2>Access review</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(opts);
          setChosen(new Set());
        }}
      >
        <Field label="unused for">
          <input name="unusedFor" value={opts.unusedFor} onInput={set('unusedFor')} />
        </Field>
        <Field label="expiring within">
          <input name="expiringWithin" value={opts.expiringWithin} onInput={set('expiringWithin')} />
        </Field>
        <Field label="domain">
          <input name="domain" value={opts.domain} onInput={set('domain')} />
        </Field>
        <button type="submit">Review</button>
      </form>
      <ErrorBox error={review.error} />
      <table>
        <thead>
          <tr>
            {['', 'subject', 'role', 'domain', 'expires', 'findings', 'notes'].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {review.data?.grants.map(({ grant, findings, notes }) => (
            <tr key={grant.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`select ${grant.subject}'s ${grant.role} grant`}
                  checked={chosen.has(grant.id)}
                  onChange={(e) => {
                    const next = new Set(chosen);
                    if ((e.target as HTMLInputElement).checked) next.add(grant.id);
                    else next.delete(grant.id);
                    setChosen(next);
                  }}
                />
              </td>
              <td>{grant.subject}</td>
              <td>{grant.role}</td>
              <td>{show(grant.domain)}</td>
              <td>{show(grant.expiresAt)}</td>
              <td>{findings.join(', ')}</td>
              <td>{notes.join('; ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="actions">
        <Field label="reason">
          <input name="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        </Field>
        <button
          disabled={chosen.size === 0 || !reason || action.busy}
          onClick={() =>
            action.run(async () => {
              const r = await post<{ revoked: unknown[] }>('/v1/reviews/grants/apply', { grantIds: [...chosen], reason });
              setChosen(new Set());
              review.reload();
              return `revoked ${r.revoked.length} grants`;
            })
          }
        >
          Revoke selected
        </button>
        <Status action={action} />
      </div>
    </>
  );
}
