// Metrics: a metric over time (GET /v1/metrics/query grouped by metric_time at a grain), split by
// one of its dimensions, drawn by uPlot; the groups below the minimum size are counted, never shown.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { get, query } from '../api';
import { ErrorBox, Field, show, useLoad } from '../ui';

interface Metric {
  name: string;
  label?: string;
  domain: string;
  dimensions: { name: string; type: string }[];
  metricTime: { dimension: string; timeGrains: string[] } | null;
}
interface Answer {
  rows: Record<string, unknown>[];
  suppressedGroups: number;
}

const COLOURS = ['#1565c0', '#2f7d32', '#c62828', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#558b2f'];

function MetricChart({ rows, time, metric, split }: { rows: Record<string, unknown>[]; time: string; metric: string; split: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current || rows.length === 0) return;
    const xs = [...new Set(rows.map((r) => Date.parse(String(r[time])) / 1000))].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const lines = new Map<string, (number | null)[]>();
    for (const r of rows) {
      const label = split ? show(r[split]) || '(none)' : metric;
      if (!lines.has(label)) lines.set(label, new Array(xs.length).fill(null));
      lines.get(label)![at.get(Date.parse(String(r[time])) / 1000)!] = r[metric] as number | null;
    }
    const labels = [...lines.keys()].slice(0, COLOURS.length);
    const plot = new uPlot(
      {
        width: Math.max(400, box.current.clientWidth || 800),
        height: 260,
        scales: { x: { time: true } },
        series: [{}, ...labels.map((label, i) => ({ label, stroke: COLOURS[i], width: 2, points: { show: true } }))],
      },
      [xs, ...labels.map((l) => lines.get(l)!)],
      box.current,
    );
    return () => plot.destroy();
  }, [rows, time, metric, split]);
  return <div ref={box} class="plot" />;
}

export function MetricsView() {
  const list = useLoad(() => get<{ metrics: Metric[] }>('/v1/metrics'));
  const [choice, setChoice] = useState({ metric: '', grain: 'month', split: '', start: '', end: '' });
  const [answer, setAnswer] = useState<{ data?: Answer; error?: unknown; asked?: typeof choice }>({});
  const metrics = list.data?.metrics ?? [];
  const metric = metrics.find((m) => m.name === choice.metric) ?? metrics[0];
  const set = (k: keyof typeof choice) => (e: Event) => setChoice({ ...choice, [k]: (e.target as HTMLInputElement).value });
  const time = `metric_time__${choice.grain}`;
  return (
    <>
      <h2>Metrics</h2>
      <ErrorBox error={list.error} />
      {list.data && metrics.length === 0 && <p>No metric is open to your grants.</p>}
      {metric && (
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            const asked = { ...choice, metric: metric.name };
            const groupBy = [time, ...(asked.split ? [asked.split] : [])].join(',');
            get<Answer>(`/v1/metrics/query${query({ metrics: metric.name, group_by: groupBy, start: asked.start, end: asked.end, order: time })}`).then(
              (data) => setAnswer({ data, asked }),
              (error) => setAnswer({ error }),
            );
          }}
        >
          <Field label="metric">
            <select name="metric" value={metric.name} onChange={set('metric')}>
              {metrics.map((m) => (
                <option key={m.name} value={m.name}>
                  {m.domain}: {m.label ?? m.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="time grain">
            <select name="grain" value={choice.grain} onChange={set('grain')}>
              {(metric.metricTime?.timeGrains ?? ['day', 'week', 'month', 'quarter', 'year']).map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </select>
          </Field>
          <Field label="split by">
            <select name="split" value={choice.split} onChange={set('split')}>
              <option value="">(none)</option>
              {metric.dimensions
                .filter((d) => d.type === 'categorical')
                .map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.name}
                  </option>
                ))}
            </select>
          </Field>
          <Field label="start">
            <input type="date" name="start" value={choice.start} onInput={set('start')} />
          </Field>
          <Field label="end">
            <input type="date" name="end" value={choice.end} onInput={set('end')} />
          </Field>
          <button type="submit" disabled={!metric.metricTime}>
            Chart
          </button>
        </form>
      )}
      {metric && !metric.metricTime && <p>This metric has no time dimension to chart over.</p>}
      <ErrorBox error={answer.error} />
      {answer.data && answer.asked && (
        <section aria-label="metric chart">
          <MetricChart rows={answer.data.rows} time={`metric_time__${answer.asked.grain}`} metric={answer.asked.metric} split={answer.asked.split} />
          <p>
            {answer.data.rows.length} groups shown; {answer.data.suppressedGroups} below the minimum group size left out.
          </p>
        </section>
      )}
    </>
  );
}
