// The demo data mesh's rows: deterministic (fixed PRNG seed), identical on every machine.

/** mulberry32: a tiny, well-known 32-bit PRNG; good enough for demo data, and reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Ben', 'Chloe', 'Dmitri', 'Elena', 'Farah', 'Goran', 'Hana', 'Ivan', 'Jia', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yara', 'Zoe'];
const LAST = ['Alvarez', 'Berg', 'Chen', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Rossi', 'Schmidt', 'Tanaka', 'Weber'];
export const REGIONS = ['EU', 'NA', 'APAC', 'LATAM'];
const SEGMENTS = ['enterprise', 'mid-market', 'smb', 'consumer'];
const STATUSES = ['paid', 'paid', 'paid', 'refunded', 'pending'];
const CHANNELS = ['email', 'search', 'social', 'display', 'events'];
const DEPARTMENTS = ['engineering', 'sales', 'marketing', 'finance', 'operations', 'people'];

type Row = Record<string, unknown>;

function person(rand: () => number, i: number, mailDomain: string): { name: string; email: string } {
  const first = FIRST[Math.floor(rand() * FIRST.length)];
  const last = LAST[Math.floor(rand() * LAST.length)];
  return { name: `${first} ${last}`, email: `${first}.${last}.${i}@${mailDomain}`.toLowerCase() };
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const day = (base: number, offsetDays: number) => new Date(base + offsetDays * 86_400_000);
const BASE = Date.UTC(2025, 0, 1);

export function customers(): Row[] {
  const rand = prng(1001);
  return Array.from({ length: 200 }, (_, k) => {
    const id = k + 1;
    const p = person(rand, id, 'example.com');
    return { id, name: p.name, email: p.email, region: pick(rand, REGIONS), segment: pick(rand, SEGMENTS) };
  });
}

export function orders(): Row[] {
  const rand = prng(2002);
  const cust = customers();
  return Array.from({ length: 1000 }, (_, k) => {
    const c = cust[Math.floor(rand() * cust.length)];
    const created = day(BASE, Math.floor(rand() * 600)).getTime() + Math.floor(rand() * 86_400) * 1000;
    return {
      id: k + 1,
      customer_id: c.id,
      region: c.region,
      amount: Math.round((5 + rand() * 995) * 100) / 100,
      status: pick(rand, STATUSES),
      created_at: new Date(created).toISOString(),
    };
  });
}

export function campaigns(): Row[] {
  const rand = prng(3003);
  return Array.from({ length: 50 }, (_, k) => {
    const channel = pick(rand, CHANNELS);
    return {
      id: k + 1,
      name: `${channel}-${pick(rand, REGIONS).toLowerCase()}-${String(k + 1).padStart(2, '0')}`,
      channel,
      budget: Math.round((1000 + rand() * 49000) * 100) / 100,
      start_date: day(BASE, Math.floor(rand() * 600)).toISOString().slice(0, 10),
    };
  });
}

export function employees(): Row[] {
  const rand = prng(4004);
  return Array.from({ length: 100 }, (_, k) => {
    const id = k + 1;
    const p = person(rand, id, 'meshguard-demo.test');
    return { id, name: p.name, email: p.email, department: pick(rand, DEPARTMENTS), salary: Math.round(40000 + rand() * 110000) };
  });
}

const KEYWORDS = ['shoes', 'running shoes', 'trail shoes', 'boots', 'sandals', 'socks', 'insoles', 'laces'];

/** Keyword bids of the first ten campaigns (the reverse-ETL demo: the bidding model updates them). */
export function bids(): Row[] {
  const rand = prng(5005);
  const rows: Row[] = [];
  for (let campaign = 1; campaign <= 10; campaign++) {
    for (const keyword of KEYWORDS) {
      rows.push({ id: rows.length + 1, campaign_id: campaign, keyword, bid: Math.round((0.2 + rand() * 4.8) * 100) / 100, updated_at: new Date(BASE).toISOString() });
    }
  }
  return rows;
}

/** Rows per dataset key. */
export const DEMO_ROWS: Record<string, () => Row[]> = {
  'sales.customers': customers,
  'sales.orders': orders,
  'marketing.campaigns': campaigns,
  'hr.employees': employees,
  'marketing.bids': bids,
};

export const DEMO_GRANTS = [
  { subject: 'alice', role: 'analyst', domain: 'sales', reason: 'demo: sales reporting' },
  { subject: 'bob', role: 'scientist', domain: 'sales', reason: 'demo: churn model scoring' },
  { subject: 'carol', role: 'steward', domain: 'hr', reason: 'demo: owns the hr domain' },
  { subject: 'dana', role: 'admin', domain: '*', reason: 'demo: gateway administrator' },
  { subject: 'erin', role: 'auditor', domain: '*', reason: 'demo: quarterly access audit' },
  // guardrails (issue 5): the bidding model's writer, and the marketing steward who can resume it.
  { subject: 'sam', role: 'scientist', domain: 'marketing', reason: 'demo: bidding model writes bids back' },
  { subject: 'mia', role: 'steward', domain: 'marketing', reason: 'demo: owns the marketing domain' },
  // metrics (issue 13): a business stakeholder who sees sales and hr metrics, never a row.
  { subject: 'max', role: 'manager', domain: 'sales', reason: 'demo: sales and headcount reporting' },
  { subject: 'max', role: 'manager', domain: 'hr', reason: 'demo: sales and headcount reporting' },
];
