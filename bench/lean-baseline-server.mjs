// The lean baseline: what a user who routes around the gateway would run. Express 5 and one
// better-sqlite3 statement per workload, prepared once and held for the life of the process, on the
// same SQLite store files as the gateway (same pragmas), answering the same JSON shape. No token, no
// policy, no masking, no audit, no query builder: the floor the gateway's governance is measured against.
// Env: PORT, BENCH_STORES_DIR (the gateway's $MESHGUARD_DATA_DIR/stores), BENCH_CATALOG_FILE;
// BENCH_LEAN_APP_CLASSES=1 serves it from the gateway's own HTTP server (dist/src/http/http-server.js:
// requests built with the app's prototypes), to see what that alone is worth to plain Express.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FORBIDDEN, baselineApp } from './baseline-app.mjs';

const storesDir = process.env.BENCH_STORES_DIR;
const catalog = JSON.stringify(JSON.parse(fs.readFileSync(process.env.BENCH_CATALOG_FILE, 'utf8')));

function open(file) {
  const db = new Database(path.join(storesDir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = FULL');
  return db;
}

const sales = open('sales.sqlite');
const ORDER_COLUMNS = ['id', 'customer_id', 'region', 'amount', 'status', 'created_at'];
const CUSTOMER_COLUMNS = ['id', 'name', 'email', 'region', 'segment'];
const ordersByRegion = sales.prepare('select id, customer_id, region, amount, status, created_at from orders where region = ? order by id limit ? offset ?');
const orders = sales.prepare('select id, customer_id, region, amount, status, created_at from orders order by id limit ? offset ?');
const customers = sales.prepare('select id, name, email, region, segment from customers order by id limit ? offset ?');
const insertOrder = sales.prepare('insert into orders (id, customer_id, region, amount, status, created_at) values (@id, @customer_id, @region, @amount, @status, @created_at)');
const insertOrders = sales.transaction((rows) => {
  for (const r of rows) insertOrder.run(r);
});
const app = baselineApp();

app.get('/v1/datasets', (_req, res) => {
  res.type('application/json').send(catalog);
});

app.get('/v1/datasets/:domain/:dataset/rows', (req, res) => {
  const limit = Number(req.query.limit ?? 100);
  const offset = Number(req.query.offset ?? 0);
  const key = `${req.params.domain}/${req.params.dataset}`;
  if (key === 'sales/orders') {
    const region = typeof req.query.region === 'string' ? req.query.region.replace(/^eq\./, '') : undefined;
    const rows = region === undefined ? orders.all(limit, offset) : ordersByRegion.all(region, limit, offset);
    return void res.json({ columns: ORDER_COLUMNS, rows, limit, offset });
  }
  if (key === 'sales/customers') return void res.json({ columns: CUSTOMER_COLUMNS, rows: customers.all(limit, offset), limit, offset });
  res.status(403).type('application/problem+json').send(FORBIDDEN);
});

app.post('/v1/datasets/sales/orders/rows', (req, res) => {
  insertOrders(req.body.rows);
  res.status(201).json({ inserted: req.body.rows.length });
});

app.use((err, _req, res, _next) => {
  res.status(500).json({ error: String(err?.message ?? err) });
});

const listener = process.env.BENCH_LEAN_APP_CLASSES === '1' ? (await import('../dist/src/http/http-server.js')).createHttpServer(app) : app;
const server = listener.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
