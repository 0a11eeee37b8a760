// Guardrails: each dataset's limits and usage against its quotas, paused writers with the breaker's
// evidence, and resuming a pause with a reason.
import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { ErrorBox, show, Status, useAction, useLoad } from '../ui';

interface Pause {
  id: string;
  subject: string;
  domain: string;
  /** domain.dataset */
  dataset: string;
  reason: string;
  details: Record<string, unknown> | null;
  createdAt: string;
  resumedAt: string | null;
  resumedBy: string | null;
  resumeReason: string | null;
}
interface Dataset {
  domain: string;
  dataset: string;
  limits: unknown;
  usage: unknown;
  pauses: Pause[];
}

function PauseCard({ p, onDone }: { p: Pause; onDone: (message: string) => void }) {
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <div class="card pause" data-pause={p.id}>
      <p>
        <strong>{p.subject}</strong> paused on {p.dataset} since {p.createdAt}: {p.reason}
      </p>
      <details open>
        <summary>Evidence</summary>
        <pre>{show(p.details)}</pre>
      </details>
      {p.resumedAt ? (
        <p>
          Resumed by {show(p.resumedBy)} at {p.resumedAt}: {show(p.resumeReason)}
        </p>
      ) : (
        <div class="row-actions">
          <input aria-label={`reason to resume ${p.subject}`} name="reason" placeholder="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          <button
            disabled={!reason || action.busy}
            onClick={() =>
              action.run(async () => {
                const after = await post<Pause>(`/v1/guardrails/pauses/${encodeURIComponent(p.id)}/resume`, { reason });
                // The list holds active pauses only: the card goes, the view keeps the outcome.
                onDone(`${after.subject} resumed on ${after.dataset} by ${show(after.resumedBy)}: ${show(after.resumeReason)}`);
              })
            }
          >
            Resume
          </button>
        </div>
      )}
      <Status action={action} />
    </div>
  );
}

export function GuardrailsView() {
  const g = useLoad(() => get<{ datasets: Dataset[] }>('/v1/guardrails'));
  const [resumed, setResumed] = useState<string[]>([]);
  const onResumed = (message: string) => {
    setResumed([...resumed, message]);
    g.reload();
  };
  return (
    <>
      <h2>Guardrails</h2>
      <ErrorBox error={g.error} />
      {resumed.map((m, i) => (
        <p key={i} class="done" role="status">
          {m}
        </p>
      ))}
      {g.data?.datasets.map((d) => (
        <section key={`${d.domain}.${d.dataset}`} class="card" aria-label={`${d.domain}.${d.dataset}`}>
          <h3>
            {d.domain}.{d.dataset}
          </h3>
          <div class="pair">
            <div>
              <h4>Limits</h4>
              <pre>{show(d.limits)}</pre>
            </div>
            <div>
              <h4>Usage</h4>
              <pre>{show(d.usage)}</pre>
            </div>
          </div>
          <h4>Paused writers</h4>
          {d.pauses.length === 0 ? <p>None.</p> : d.pauses.map((p) => <PauseCard key={p.id} p={p} onDone={onResumed} />)}
        </section>
      ))}
    </>
  );
}
