// Explain: GET /v1/explain's form and its answer, the decision and each column's.
import { useState } from 'preact/hooks';
import { get, query } from '../api';
import { ErrorBox, Field, show } from '../ui';

interface Explained {
  decision: string;
  code?: string;
  detail: string;
  missing?: string;
  grants: unknown[];
  columns: { name: string; classification: string; decision: string; rule: unknown }[];
}

export function ExplainView() {
  const [f, setF] = useState({ subject: '', action: 'read', domain: '', dataset: '', columns: '' });
  const [answer, setAnswer] = useState<{ data?: Explained; error?: unknown }>({});
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  return (
    <>
      <h2>Explain a decision</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          get<Explained>(`/v1/explain${query(f)}`).then(
            (data) => setAnswer({ data }),
            (error) => setAnswer({ error }),
          );
        }}
      >
        {(['subject', 'action', 'domain', 'dataset', 'columns'] as const).map((k) => (
          <Field key={k} label={k}>
            <input name={k} value={f[k]} onInput={set(k)} />
          </Field>
        ))}
        <button type="submit">Explain</button>
      </form>
      <ErrorBox error={answer.error} />
      {answer.data && (
        <section aria-label="explanation">
          <p class={answer.data.decision === 'allow' ? 'ok' : 'error'}>
            {answer.data.decision}
            {answer.data.code ? ` (${answer.data.code})` : ''}: {answer.data.detail}
          </p>
          <table>
            <thead>
              <tr>
                {['column', 'classification', 'decision', 'rule'].map((h) => (
                  <th key={h}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {answer.data.columns.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.classification}</td>
                  <td>{c.decision}</td>
                  <td>{show(c.rule)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>Grants considered</h4>
          <pre>{show(answer.data.grants)}</pre>
        </section>
      )}
    </>
  );
}
