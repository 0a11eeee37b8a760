// The workloads of issues 6 and 11, each as a request to the gateway and the equivalent request to the
// ungoverned baseline. `expectStatus` is the answer every request must get: any other is counted.
export const WORKLOADS = [
  {
    name: 'read50',
    title: 'analyst reads 50 rows of sales.orders, one filter',
    subject: 'alice',
    method: 'GET',
    path: '/v1/datasets/sales/orders/rows?region=eq.EU&limit=50',
    expectStatus: 200,
  },
  {
    name: 'read1000masked',
    title: 'analyst reads 1000 rows of sales.customers, email masked',
    subject: 'alice',
    method: 'GET',
    path: '/v1/datasets/sales/customers/rows?limit=1000',
    expectStatus: 200,
  },
  {
    name: 'read10000',
    title: 'analyst reads 10,000 rows of sales.orders (streamed, bounded memory)',
    subject: 'alice',
    method: 'GET',
    path: '/v1/datasets/sales/orders/rows?limit=10000',
    expectStatus: 200,
  },
  {
    name: 'datasets',
    title: 'analyst lists the catalog: GET /v1/datasets',
    subject: 'alice',
    method: 'GET',
    path: '/v1/datasets',
    expectStatus: 200,
  },
  {
    name: 'denied',
    title: 'analyst reads hr.employees: denied (403)',
    subject: 'alice',
    method: 'GET',
    path: '/v1/datasets/hr/employees/rows?limit=50',
    expectStatus: 403,
  },
  {
    // Last: it grows sales.orders, which the reads above must not see.
    name: 'write100',
    title: 'scientist inserts 100 rows into sales.orders, one transaction',
    subject: 'bob',
    method: 'POST',
    path: '/v1/datasets/sales/orders/rows',
    headers: { 'content-type': 'application/json' },
    insert: { batch: 100 },
    expectStatus: 201,
  },
];

/** Rows the bench adds to sales.customers (as bob, through the gateway) so a 1000-row masked read exists. */
export function extraCustomers(from, to) {
  const regions = ['EU', 'NA', 'APAC', 'LATAM'];
  const rows = [];
  for (let id = from; id <= to; id++) {
    rows.push({ id, name: `Bench Customer ${id}`, email: `bench.customer.${id}@example.com`, region: regions[id % 4], segment: 'smb' });
  }
  return rows;
}

/** Rows the bench adds to sales.orders (as bob, through the gateway) so a 10,000-row read exists; ids
 *  follow the demo's 1000, so the first 50 EU orders (read50) are the demo's either way. */
export function extraOrders(from, to) {
  const regions = ['EU', 'NA', 'APAC', 'LATAM'];
  const rows = [];
  for (let id = from; id <= to; id++) {
    rows.push({ id, customer_id: (id % 200) + 1, region: regions[id % 4], amount: (id % 100000) / 100, status: 'paid', created_at: '2026-11-01T09:00:00Z' });
  }
  return rows;
}
