// Allowed and refused decisions over time (GET /v1/audit/summary?bucket=&by=), drawn by uPlot on a
// canvas: one line per decision, or per subject, dataset or refusal code when split.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get, query } from '../api';
import { ErrorBox, Field, useLoad } from '../ui';

interface Point {
  start: string;
  key?: string | null;
  allow: number;
  deny: number;
}
interface Summary {
  total: number;
  byDecision: { allow: number; deny: number };
  series: Point[];
}

const COLOURS = ['#2f7d32', '#c62828', '#1565c0', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#558b2f', '#4e342e', '#37474f'];
const MAX_LINES = 10;

/** Points -> uPlot's columns: x (seconds) and one array per line, zero where a bucket has no entries. */
function columns(points: Point[], by: string): { labels: string[]; data: uPlot.AlignedData } {
  const xs = [...new Set(points.map((p) => Date.parse(p.start) / 1000))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const lines = new Map<string, number[]>();
  const add = (label: string, x: number, n: number) => {
    if (!lines.has(label)) lines.set(label, new Array(xs.length).fill(0));
    lines.get(label)![at.get(x)!] += n;
  };
  for (const p of points) {
    const x = Date.parse(p.start) / 1000;
    if (!by) {
      add('allowed', x, p.allow);
      add('refused', x, p.deny);
    } else if (by === 'code') {
      if (p.allow) add('allowed', x, p.allow);
      if (p.deny) add(`refused: ${p.key ?? 'unknown'}`, x, p.deny);
    } else {
      add(p.key ?? '(no subject)', x, p.allow + p.deny);
    }
  }
  // The largest lines, so the chart stays readable; the table and the log have the rest.
  const kept = [...lines.entries()].sort((a, b) => b[1].reduce((s, n) => s + n, 0) - a[1].reduce((s, n) => s + n, 0)).slice(0, MAX_LINES);
  if (!by) kept.sort((a) => (a[0] === 'allowed' ? -1 : 1));
  return { labels: kept.map(([l]) => l), data: [xs, ...kept.map(([, v]) => v)] };
}

export function AuditChart({ since, until }: { since?: string; until?: string }) {
  const [bucket, setBucket] = useState('1h');
  const [by, setBy] = useState('');
  const summary = useLoad(() => get<Summary>(`/v1/audit/summary${query({ since, until, bucket, by })}`), [since, until, bucket, by]);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!box.current || !summary.data) return;
    const { labels, data } = columns(summary.data.series, by);
    const step = bucket === '1d' ? 86_400 : 3_600;
    const plot = new uPlot(
      {
        width: Math.max(400, box.current.clientWidth || 800),
        height: 260,
        // One bucket alone would span the whole axis: pad it by a few buckets either side.
        scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 3 * step, max + 3 * step] : [min, max]) } },
        series: [{}, ...labels.map((label, i) => ({ label, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: true } }))],
        axes: [{}, { label: 'decisions' }],
      },
      data,
      box.current,
    );
    return () => plot.destroy();
  }, [summary.data, by, bucket]);

  return (
    <section class="chart" aria-label="decisions over time">
      <h3>Decisions over time</h3>
      <div class="filters">
        <Field label="per">
          <select name="bucket" value={bucket} onChange={(e) => setBucket((e.target as HTMLSelectElement).value)}>
            <option value="1h">hour</option>
            <option value="1d">day</option>
          </select>
        </Field>
        <Field label="split by">
          <select name="by" value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value)}>
            <option value="">decision</option>
            <option value="subject">subject</option>
            <option value="dataset">dataset</option>
            <option value="code">refusal code</option>
          </select>
        </Field>
        {summary.data && (
          <span class="totals">
            {summary.data.total} decisions: {summary.data.byDecision.allow} allowed, {summary.data.byDecision.deny} refused
          </span>
        )}
      </div>
      <ErrorBox error={summary.error} />
      <div ref={box} class="plot" />
    </section>
  );
}
