// Load generator, run as its own process (forked by run.mjs) so it does not share a CPU
// scheduler slot or event loop with the bench orchestrator. Receives one job over IPC, runs
// autocannon against it, and sends back a summary. Insert jobs get unique primary keys per request.
import autocannon from 'autocannon';

function insertRows(startId, batch) {
  const rows = [];
  for (let i = 0; i < batch; i++) {
    const id = startId + i;
    rows.push({
      id,
      customer_id: (id % 200) + 1,
      region: ['EU', 'NA', 'APAC', 'LATAM'][id % 4],
      amount: (id % 100000) / 100,
      status: 'pending',
      created_at: '2026-11-24T09:00:00Z',
    });
  }
  return JSON.stringify({ rows });
}

function buildRequests(job) {
  const base = { method: job.method, path: job.path, headers: job.headers ?? {} };
  if (!job.insert) return [{ ...base, ...(job.body ? { body: job.body } : {}) }];
  let next = job.insert.idStart;
  const batch = job.insert.batch;
  return [
    {
      ...base,
      setupRequest: (req) => {
        const start = next;
        next += batch;
        return { ...req, body: insertRows(start, batch) };
      },
    },
  ];
}

process.once('message', async (job) => {
  try {
    const result = await autocannon({
      url: job.url,
      connections: job.connections,
      duration: job.duration,
      requests: buildRequests(job),
      headers: job.headers ?? {},
      // A fixed request rate (an A/B of two builds at the same load, off the machine's saturation point).
      ...(job.rate ? { overallRate: job.rate } : {}),
    });
    const expected = String(job.expectStatus);
    const counts = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    process.send({
      ok: true,
      summary: {
        reqPerSec: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        latencyMean: result.latency.average,
        total,
        statusCodes: counts,
        unexpected: total - (counts[expected] ?? 0),
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
      },
    });
  } catch (e) {
    process.send({ ok: false, error: String(e?.stack ?? e) });
  }
});
