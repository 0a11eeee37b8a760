// The console in a real browser (Debian's chromium driven by playwright-core, headless) against the
// real gateway on a real listener: erin's audit review (filters, an entry's detail, CSV export, the
// chain verified), dana granting and revoking frank's analyst role (frank's next request is 403), a
// steward resuming a paused writer, and audit fields holding markup shown as text. Screenshots of
// each view go to test-artifacts/console/ (git-ignored).
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TestClock, bearer, listen, ROOT, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const CHROMIUM = process.env.MESHGUARD_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'console');
const HOUR = 3_600_000;
const present = fs.existsSync(CHROMIUM);
if (!present) {
  // CI installs chromium (.ci/run); there, a missing browser is a failure, never a skip.
  if (process.env.CI || process.env.MESHGUARD_REQUIRE_BROWSER) throw new Error(`chromium not found at ${CHROMIUM}: .ci/run installs it with apt-get`);
  process.stderr.write(`console browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set MESHGUARD_CHROMIUM)\n`);
}
const describeBrowser = present ? describe : describe.skip;

jest.setTimeout(120_000);

describeBrowser('the console in a real browser', () => {
  let gw: TestGateway;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let consoleDir: string;
  const clock = new TestClock();
  /** Messages the page logged as errors (a CSP violation among them): none is expected. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-console-'));
    await require(path.join(ROOT, 'scripts/build-console.js')).buildConsole(ROOT, consoleDir);
    gw = await startTestGateway({ clock, env: { MESHGUARD_CONSOLE_DIR: consoleDir } });
    const l = await listen(gw.app);
    server = l.server;
    base = `http://127.0.0.1:${l.port}`;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // launch() gives the browser a fresh user-data-dir of its own (a temporary folder), removed at close.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await gw?.close();
    fs.rmSync(consoleDir, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(pageErrors).toEqual([]);
    pageErrors.length = 0;
  });

  /** A fresh browser context (its own sessionStorage) signed in as `sub` by pasting a token. */
  async function signIn(sub: string, urls: string[] = []): Promise<Page> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(`${base}/console/`);
    await page.fill('#token', gw.token(sub));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText(`${sub} (`).waitFor();
    expect(page.url()).toBe(`${base}/console/`);
    return page;
  }
  /** Waits for the page to reach a state (Playwright's waitForFunction evaluates text, which the console's CSP forbids). */
  async function until(reached: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (await reached()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the page never reached the expected state');
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('serves the page under a strict CSP, and the token never reaches a URL', async () => {
    const res = await fetch(`${base}/console/`);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const urls: string[] = [];
    const page = await signIn('erin', urls);
    await Promise.all([page.waitForResponse((r) => r.url().endsWith('/v1/audit/verify')), page.getByRole('button', { name: 'Verify again' }).click()]);
    expect(urls).toEqual(expect.arrayContaining([`${base}/console/`, `${base}/v1/me`, `${base}/v1/audit/verify`]));
    expect(urls.every((u) => u.startsWith(base) && !u.includes('eyJ'))).toBe(true);
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual(['meshguard.token']);
    await page.context().close();
  });

  it("erin filters to refusals, finds alice's refused hr read, opens it, exports CSV and sees the chain verified", async () => {
    // A few hours of traffic for the chart (and the README's screenshot): reads, and some refusals.
    const read = (sub: string, path: string) => gw.http().get(path).set(bearer(gw.token(sub)));
    for (let hour = 0; hour < 6; hour++) {
      for (let i = 0; i <= hour % 3; i++) await read('alice', '/v1/datasets/sales/orders/rows?limit=2').expect(200);
      await read('bob', '/v1/datasets/sales/customers/rows?limit=2').expect(200);
      if (hour % 2) await read('sam', '/v1/datasets/hr/employees/rows?limit=1').expect(403);
      clock.advance(HOUR);
    }
    const refused = await gw.http().get('/v1/datasets/hr/employees/rows').set(bearer(gw.token('alice')));
    expect(refused.status).toBe(403);
    const page = await signIn('erin');
    await expect(page.getByTestId('chain-status').textContent()).resolves.toMatch(/^Chain verified: \d+ entries intact\.$/);
    const filters = page.locator('form[aria-label="filters"]');
    await filters.locator('select[name="decision"]').selectOption('deny');
    await filters.locator('input[name="subject"]').fill('alice');
    await filters.getByRole('button', { name: 'Filter' }).click();
    // The table shows the filtered page once every row is one of alice's refusals.
    await until(async () => {
      const rows = await page.locator('table.entries tbody tr').evaluateAll((trs) => trs.map((r) => [...r.children].map((c) => c.textContent)));
      return rows.length > 0 && rows.every((r) => r[2] === 'alice' && r[5] === 'deny');
    });
    const row = page.locator('table.entries tbody tr', { hasText: 'hr.employees' }).first();
    await expect(row.textContent()).resolves.toContain('read');
    await row.getByRole('button').click();
    const detail = page.locator('section.detail');
    await detail.waitFor();
    const field = (name: string) => detail.locator('dl > div', { has: page.locator(`dt:text-is("${name}")`) }).locator('dd');
    await expect(field('requestId').textContent()).resolves.toBe(refused.headers['x-request-id']);
    await expect(field('reason').textContent()).resolves.toMatch(/^forbidden: /);
    await expect(field('hash').textContent()).resolves.toMatch(/^[0-9a-f]{64}$/);
    await expect(field('fingerprint').textContent()).resolves.toBeDefined();
    await expect(field('grantIds').textContent()).resolves.toBeDefined();
    await shot(page, 'audit-entry');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('meshguard-audit.csv');
    const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0]).toMatch(/^id,ts,requestId,subject,action,resource,decision,reason,status,/);
    expect(csv.length).toBeGreaterThan(1);
    expect(csv.slice(1).every((l) => l.includes(',alice,') && l.includes(',deny,'))).toBe(true);
    expect(csv.some((l) => l.includes(refused.headers['x-request-id']))).toBe(true);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.locator('.plot canvas').first().waitFor();
    await shot(page, 'audit');
    await page.context().close();
  });

  it('dana grants frank an analyst role on marketing with a reason, then revokes it: frank is refused next', async () => {
    const frank = () => gw.http().get('/v1/datasets/marketing/campaigns/rows?limit=1').set(bearer(gw.token('frank')));
    expect((await frank()).status).toBe(403);
    const page = await signIn('dana');
    await page.getByRole('button', { name: 'Grants', exact: true }).click();
    const form = page.locator('form[aria-label="grant a role"]');
    await form.locator('input[name="subject"]').fill('frank');
    await form.locator('input[name="role"]').fill('analyst');
    await form.locator('input[name="domain"]').fill('marketing');
    await form.locator('input[name="reason"]').fill('campaign analysis, ticket MKT-42');
    await form.getByRole('button', { name: 'Grant' }).click();
    await expect(form.getByRole('status').textContent()).resolves.toMatch(/^granted analyst on marketing to frank until \d{4}-/);
    expect((await frank()).status).toBe(200);

    const filters = page.locator('form[aria-label="grant filters"]');
    await filters.locator('input[name="subject"]').fill('frank');
    await filters.getByRole('button', { name: 'Show' }).click();
    const row = page.locator('table.grants tbody tr', { hasText: 'frank' });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toContain('campaign analysis, ticket MKT-42');
    await shot(page, 'grants');
    await row.locator('input[name="reason"]').fill('analysis finished');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('table.grants tbody tr', { hasText: 'frank' }).waitFor({ state: 'detached' });
    const next = await frank();
    expect([next.status, next.body.code]).toEqual([403, 'forbidden']);
    const entry = await gw.deps.state.knex('mg_audit').where({ subject: 'dana', action: 'revoke' }).orderBy('id', 'desc').first();
    expect(JSON.parse(entry.details).reason).toBe('analysis finished');
    await page.context().close();
  });

  it('a steward sees a paused writer with the evidence and resumes it with a reason', async () => {
    // A drifting model (bids 5 % higher each hourly batch) trips the breaker, as in test/guardrails.
    const bids = '/v1/datasets/marketing/bids/rows';
    const original = (await gw.deps.stores.get('marketing')!.knex('bids').whereBetween('id', [1, 40]).select('id', 'bid')) as { id: number; bid: number }[];
    let pauseId: string | undefined;
    for (let batch = 0; batch < 20 && !pauseId; batch++) {
      const rows = original.map(({ id, bid }) => ({ id: Number(id), bid: Math.round(Number(bid) * 1.05 ** batch * 100) / 100 }));
      const r = await gw.http().post(`${bids}?on_conflict=id`).set(bearer(gw.token('sam'))).send({ rows });
      if (r.status === 423) pauseId = r.body.pauseId;
      else expect(r.status).toBe(200);
      clock.advance(HOUR);
    }
    expect(pauseId).toBeDefined();
    const page = await signIn('mia');
    await page.getByRole('button', { name: 'Guardrails', exact: true }).click();
    const card = page.locator(`[data-pause="${pauseId}"]`);
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain('sam');
    await expect(card.locator('pre').textContent()).resolves.not.toBe('');
    await shot(page, 'guardrails');
    await card.locator('input[name="reason"]').fill('model retrained; new bid level accepted');
    await card.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('status').filter({ hasText: 'sam resumed on marketing.bids by mia: model retrained; new bid level accepted' }).waitFor();
    await card.waitFor({ state: 'detached' });
    const pause = await gw.deps.state.knex('mg_guard_pauses').where({ id: pauseId }).first();
    expect([pause.resumed_by, pause.resume_reason]).toEqual(['mia', 'model retrained; new bid level accepted']);
    await page.context().close();
  });

  it('shows audit fields holding markup as text', async () => {
    const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    expect((await gw.http().get('/v1/datasets/hr/employees/rows').set(bearer(gw.token(evil)))).status).toBe(403);
    const page = await signIn('erin');
    const filters = page.locator('form[aria-label="filters"]');
    await filters.locator('input[name="subject"]').fill(evil);
    await filters.getByRole('button', { name: 'Filter' }).click();
    await until(async () => (await page.locator('table.entries tbody tr').count()) === 1);
    const cell = page.locator('table.entries tbody tr td:nth-child(3)');
    await expect(cell.textContent()).resolves.toBe(evil);
    await page.locator('table.entries tbody tr').first().getByRole('button').click();
    await expect(page.locator('section.detail dl > div', { has: page.locator('dt:text-is("subject")') }).locator('dd').textContent()).resolves.toBe(evil);
    await shot(page, 'audit-xss');
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    await page.context().close();
  });

  it("charts a metric by a dimension and a time grain for a manager, who sees no other view", async () => {
    const page = await signIn('max');
    await expect(page.locator('header nav button').allTextContents()).resolves.toEqual(['Metrics']);
    const form = page.locator('main form');
    await form.locator('select[name="metric"]').selectOption('revenue');
    await form.locator('select[name="grain"]').selectOption('month');
    await form.locator('select[name="split"]').selectOption('region');
    await form.getByRole('button', { name: 'Chart' }).click();
    const chart = page.locator('section[aria-label="metric chart"]');
    await chart.locator('canvas').first().waitFor();
    await expect(chart.locator('p').textContent()).resolves.toMatch(/^[1-9]\d* groups shown; 0 below the minimum group size left out\.$/);
    await expect(chart.locator('.u-legend').textContent()).resolves.toContain('EU');
    await shot(page, 'metrics');
    await page.context().close();
  });

  it('opens the reviews and explain views to an admin', async () => {
    const page = await signIn('dana');
    await page.getByRole('button', { name: 'Access reviews', exact: true }).click();
    await page.getByRole('button', { name: 'Review', exact: true }).click();
    await page.locator('main table tbody tr').first().waitFor();
    await shot(page, 'reviews');
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    const form = page.locator('main form');
    for (const [k, v] of Object.entries({ subject: 'alice', domain: 'hr', dataset: 'employees' })) await form.locator(`input[name="${k}"]`).fill(v);
    await form.getByRole('button', { name: 'Explain' }).click();
    const answer = page.locator('section[aria-label="explanation"]');
    await answer.waitFor();
    await expect(answer.locator('p').textContent()).resolves.toMatch(/^deny/);
    await shot(page, 'explain');
    await page.context().close();
  });
});
