// Audit (auditors): the log with the API's filters and cursor pages, an entry's full detail, export
// to CSV or NDJSON, the chain's verification, and the decisions-over-time chart.
import { useState } from 'preact/hooks';
import { blob, get, query } from '../api';
import { ErrorBox, Field, show, useAction, useLoad, Status } from '../ui';
import { AuditChart } from './audit-chart';

interface Entry {
  id: number;
  ts: string;
  subject: string | null;
  action: string;
  resource: string | null;
  decision: 'allow' | 'deny';
  reason: string | null;
  status: number;
  [field: string]: unknown;
}
interface Page {
  entries: Entry[];
  nextCursor: string | null;
}
interface Verify {
  ok: boolean;
  entries: number;
  firstBroken: number | null;
  problem?: string;
}

const FILTERS = ['subject', 'action', 'decision', 'domain', 'dataset', 'since', 'until', 'status'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

function Verification() {
  const v = useLoad(() => get<Verify>('/v1/audit/verify'));
  return (
    <section class="verify" aria-label="chain verification">
      <ErrorBox error={v.error} />
      {v.data &&
        (v.data.ok ? (
          <p class="ok" data-testid="chain-status">
            Chain verified: {v.data.entries} entries intact.
          </p>
        ) : (
          <p class="error" data-testid="chain-status">
            Chain broken at entry {show(v.data.firstBroken)}: {show(v.data.problem)}
          </p>
        ))}
      <button onClick={v.reload}>Verify again</button>
    </section>
  );
}

function Detail({ entry, onClose }: { entry: Entry; onClose: () => void }) {
  return (
    <section class="detail" aria-label={`entry ${entry.id}`}>
      <h3>Entry {entry.id}</h3>
      <dl>
        {Object.entries(entry).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <pre>{show(v)}</pre>
            </dd>
          </div>
        ))}
      </dl>
      <button onClick={onClose}>Close</button>
    </section>
  );
}

async function download(path: string, name: string): Promise<string> {
  const url = URL.createObjectURL(await blob(path));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return `exported ${name}`;
}

/** ISO 8601 from a datetime-local field (read as the browser's local time), as the API wants it. */
const instant = (v?: string) => (v ? new Date(v).toISOString() : undefined);

export function AuditView() {
  const [form, setForm] = useState<Filters>({});
  const [filters, setFilters] = useState<Filters>({});
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [open, setOpen] = useState<Entry | null>(null);
  const exporting = useAction();
  const params = { ...filters, since: instant(filters.since), until: instant(filters.until) };
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => get<Page>(`/v1/audit${query({ ...params, limit: 50, cursor })}`), [JSON.stringify(filters), cursor]);
  const set = (k: keyof Filters) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });

  return (
    <>
      <h2>Audit log</h2>
      <Verification />
      <AuditChart since={params.since} until={params.until} />
      <form
        class="filters"
        aria-label="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(form);
          setCursors([null]);
          setOpen(null);
        }}
      >
        {(['subject', 'action', 'domain', 'dataset', 'status'] as const).map((k) => (
          <Field key={k} label={k}>
            <input name={k} value={form[k] ?? ''} onInput={set(k)} />
          </Field>
        ))}
        <Field label="decision">
          <select name="decision" value={form.decision ?? ''} onChange={set('decision')}>
            <option value="">any</option>
            <option value="allow">allowed</option>
            <option value="deny">refused</option>
          </select>
        </Field>
        <Field label="since">
          <input type="datetime-local" name="since" value={form.since ?? ''} onInput={set('since')} />
        </Field>
        <Field label="until">
          <input type="datetime-local" name="until" value={form.until ?? ''} onInput={set('until')} />
        </Field>
        <button type="submit">Filter</button>
      </form>
      <div class="actions">
        <button onClick={() => exporting.run(() => download(`/v1/audit/export${query({ ...params, format: 'csv' })}`, 'meshguard-audit.csv'))}>Export CSV</button>
        <button onClick={() => exporting.run(() => download(`/v1/audit/export${query({ ...params, format: 'ndjson' })}`, 'meshguard-audit.ndjson'))}>Export NDJSON</button>
        <Status action={exporting} />
      </div>
      <ErrorBox error={page.error} />
      {open && <Detail entry={open} onClose={() => setOpen(null)} />}
      {page.data && (
        <>
          <table class="entries">
            <thead>
              <tr>
                {['id', 'time', 'subject', 'action', 'resource', 'decision', 'status', 'reason'].map((h) => (
                  <th key={h}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {page.data.entries.map((e) => (
                <tr key={e.id} class={e.decision} onClick={() => setOpen(e)} data-entry={e.id}>
                  <td>
                    <button class="link" onClick={() => setOpen(e)}>
                      {e.id}
                    </button>
                  </td>
                  <td>{e.ts}</td>
                  <td>{show(e.subject)}</td>
                  <td>{e.action}</td>
                  <td>{show(e.resource)}</td>
                  <td>{e.decision}</td>
                  <td>{e.status}</td>
                  <td class="reason">{show(e.reason)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.entries.length === 0 && <p>No entries match.</p>}
          <div class="pager">
            <button disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              Newer
            </button>
            <button disabled={!page.data.nextCursor} onClick={() => setCursors([...cursors, page.data!.nextCursor])}>
              Older
            </button>
          </div>
        </>
      )}
    </>
  );
}
