// The ungoverned baseline: a bare Express 5 server that runs the same knex queries on the same
// SQLite store files as the gateway and answers the same JSON, with no token, no policy and no
// audit. It is what the gateway would cost if governance were free.
// Env: PORT, BENCH_STORES_DIR (the gateway's $MESHGUARD_DATA_DIR/stores), BENCH_CATALOG_FILE.
import fs from 'node:fs';
import path from 'node:path';
import { FORBIDDEN, baselineApp } from './baseline-app.mjs';
import knexFactory from 'knex';

const storesDir = process.env.BENCH_STORES_DIR;
const catalog = JSON.parse(fs.readFileSync(process.env.BENCH_CATALOG_FILE, 'utf8'));

// The same connection settings the gateway gives its SQLite stores (WAL, busy timeout, FULL sync).
function open(file) {
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(storesDir, file) },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn, done) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('synchronous = FULL');
        done(null, conn);
      },
    },
  });
}

const stores = { sales: open('sales.sqlite'), hr: open('hr.sqlite'), marketing: open('marketing.sqlite') };
// dataset key -> { knex, table, columns, primaryKey }, from the catalog the gateway answered.
const datasets = new Map(
  catalog.datasets.map((d) => [`${d.domain}/${d.dataset}`, { knex: stores[d.domain], table: d.dataset, columns: d.columns.map((c) => c.name), primaryKey: d.primaryKey }]),
);
const app = baselineApp();

app.get('/v1/datasets', (_req, res) => {
  res.json(catalog);
});

app.get('/v1/datasets/:domain/:dataset/rows', async (req, res) => {
  const ds = datasets.get(`${req.params.domain}/${req.params.dataset}`);
  if (!ds) return void res.status(403).type('application/problem+json').send(FORBIDDEN);
  const { limit = '100', offset = '0', ...filters } = req.query;
  const q = ds.knex(ds.table).select(ds.columns);
  // Only eq filters: the workloads use nothing else.
  for (const [column, raw] of Object.entries(filters)) q.whereRaw('?? = ?', [column, String(raw).replace(/^eq\./, '')]);
  const rows = await q.orderBy(ds.primaryKey, 'asc').limit(Number(limit)).offset(Number(offset));
  res.json({ columns: ds.columns, rows, limit: Number(limit), offset: Number(offset) });
});

app.post('/v1/datasets/:domain/:dataset/rows', async (req, res) => {
  const ds = datasets.get(`${req.params.domain}/${req.params.dataset}`);
  const rows = req.body.rows;
  await ds.knex.transaction((trx) => trx(ds.table).insert(rows));
  res.status(201).json({ inserted: rows.length });
});

app.use((err, _req, res, _next) => {
  res.status(500).json({ error: String(err?.message ?? err) });
});

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => Promise.all(Object.values(stores).map((k) => k.destroy())).then(() => process.exit(0))));
