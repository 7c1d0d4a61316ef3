// The live page (api/ui) in headless chromium against real slotd processes:
// limits and leases made through the API must show in the DOM, the bars
// and the holder list must follow changes within a second, 10,000 limits
// must render and be searchable, and the page must ask for credentials
// when slotd has an auth string. Run by run.sh (node's test runner).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { chromium } from 'playwright-core';

const SLOTD = process.env.SLOTD_BINARY;
const ARTIFACTS = process.env.ARTIFACTS;
const WITHIN = 1000;  // ms: how soon a change made through the API must show

// A slotd on a free port, stopped by stop().
async function startSlotd(env = {}) {
  const child = spawn(SLOTD, ['--port', '0', '--quiet'], {
    env: { ...process.env, PREFECT_SERVER_API_AUTH_STRING: undefined, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`slotd did not start: ${out}`)), 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /slotd listening on (http:\/\/[^/\s]+)\/api/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`slotd exited ${code}: ${out}`)); });
  });
  child.removeAllListeners('exit');
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function client(base, auth) {
  const headers = { 'Content-Type': 'application/json' };
  if (auth) headers.Authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  return async (method, route, body) => {
    const res = await fetch(base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

async function launch() {
  const args = [];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: process.env.CHROMIUM, headless: true, args });
}

// A page that fails the test on a script error or a CSP violation.
async function openPage(browser, url, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 820 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) page.problems.push(`console: ${msg.text()}`);
  });
  if (url) await page.goto(url);
  return page;
}

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

const row = (page, name) => page.locator(`.row:not([hidden])[data-name="${name}"]`);

// Waits until the row of `name` shows `active` of `limit` (bar and text).
async function waitForRow(page, name, active, limit, timeout = WITHIN) {
  await page.waitForFunction(([n, a, l]) => {
    const r = [...document.querySelectorAll('.row')].find((x) => !x.hidden && x.dataset.name === n);
    if (!r) return false;
    const width = parseFloat(r.querySelector('.fill').style.width);
    const expected = l > 0 ? Math.min(100, (a / l) * 100) : 0;
    return r.dataset.active === String(a) && r.dataset.limit === String(l)
      && r.querySelector('.occ-text').textContent === `${a} / ${l}`
      && Math.abs(width - expected) < 0.01;
  }, [name, active, limit], { timeout });
}

async function waitForHolders(page, leaseIds, timeout = WITHIN) {
  const want = [...leaseIds].sort();
  await page.waitForFunction((ids) => {
    const got = [...document.querySelectorAll('#holders tr[data-lease-id]')].map((r) => r.dataset.leaseId).sort();
    return JSON.stringify(got) === JSON.stringify(ids);
  }, want, { timeout });
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

describe('the live page', () => {
  let server;
  let api;
  before(async () => {
    server = await startSlotd();
    api = client(server.url);
  });
  after(async () => { await server?.stop(); });

  it('lists every limit with its occupancy, decay and state', async () => {
    await api('POST', '/api/v2/concurrency_limits/', { name: 'db', limit: 4 });
    await api('POST', '/api/v2/concurrency_limits/', { name: 'tag:etl', limit: 2 });
    await api('POST', '/api/v2/concurrency_limits/', { name: 'rate', limit: 5, slot_decay_per_second: 0.5 });
    await api('POST', '/api/v2/concurrency_limits/', { name: 'paused', limit: 3, active: false });
    await api('POST', '/api/v2/concurrency_limits/increment', { names: ['tag:etl'], slots: 2, mode: 'concurrency' });
    const page = await openPage(browser, `${server.url}/`);
    await waitForRow(page, 'db', 0, 4, 5000);
    await waitForRow(page, 'tag:etl', 2, 2);
    assert.equal(await row(page, 'tag:etl').locator('.fill').getAttribute('class'), 'fill full');
    assert.equal(await row(page, 'rate').locator('.decay').textContent(), '0.5/s');
    assert.equal(await row(page, 'db').locator('.decay').textContent(), '–');
    assert.equal(await row(page, 'paused').locator('.chip').textContent(), 'inactive');
    assert.equal(await row(page, 'db').locator('.chip').textContent(), 'active');
    assert.equal(await page.locator('#total-limits').textContent(), '4');
    assert.deepEqual(await page.locator('.row:visible').evaluateAll((rs) => rs.map((r) => r.dataset.name)),
      ['db', 'paused', 'rate', 'tag:etl']);
    await shot(page, 'list-light');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('shows the holders of the limit clicked, and follows acquisitions and releases within a second', async () => {
    const holder = { type: 'task_run', id: randomUUID() };
    const first = await api('POST', '/api/v2/concurrency_limits/increment-with-lease',
      { names: ['db'], slots: 1, mode: 'concurrency', lease_duration: 60, holder });
    const page = await openPage(browser, `${server.url}/ui`);
    await waitForRow(page, 'db', 1, 4, 5000);
    await row(page, 'db').click();
    await waitForHolders(page, [first.lease_id]);
    const cells = await page.locator(`#holders tr[data-lease-id="${first.lease_id}"] td`).allTextContents();
    assert.equal(cells[0], first.lease_id.slice(0, 8));
    assert.equal(cells[1], `task_run ${holder.id.slice(0, 8)}`);
    assert.equal(cells[2], '1');
    assert.match(cells[3], /^\d+s$/);
    assert.match(cells[4], /^(59s|1m 00s)$/);
    assert.equal(await page.locator('#detail-occupancy').evaluate((n) => n.firstChild.textContent), '1 / 4');
    assert.equal(await page.evaluate(() => location.hash), '#limit=db');

    assert.equal(await page.locator('#live').getAttribute('data-state'), 'live');
    assert.equal(await page.locator('#notice').isVisible(), false);
    const second = await api('POST', '/api/v2/concurrency_limits/increment-with-lease',
      { names: ['db'], slots: 2, mode: 'concurrency', lease_duration: 120 });
    const acquired = Date.now();
    await waitForRow(page, 'db', 3, 4);
    const barMs = Date.now() - acquired;
    await waitForHolders(page, [first.lease_id, second.lease_id]);
    console.log(`# an acquisition showed in the bar ${barMs} ms and in the holders ${Date.now() - acquired} ms after its answer`);
    assert.equal(await row(page, 'db').locator('.fill').getAttribute('class'), 'fill warn');
    await shot(page, 'holders-light');
    await api('POST', '/api/v2/concurrency_limits/decrement-with-lease', { lease_id: first.lease_id });
    await waitForRow(page, 'db', 2, 4);
    await waitForHolders(page, [second.lease_id]);
    // A refusal counts as a denial.
    await fetch(`${server.url}/api/v2/concurrency_limits/increment`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ names: ['tag:etl'], slots: 1, mode: 'concurrency' }),
    });
    await page.waitForFunction(() => {
      const r = document.querySelector('.row:not([hidden])[data-name="tag:etl"] .rate');
      return r && r.textContent !== '–';
    }, null, { timeout: WITHIN });
    // A new limit appears, a deleted one goes.
    await api('POST', '/api/v2/concurrency_limits/', { name: 'fresh', limit: 7 });
    await waitForRow(page, 'fresh', 0, 7);
    await api('DELETE', '/api/v2/concurrency_limits/fresh');
    await page.waitForFunction(() => !document.querySelector('.row[data-name="fresh"]:not([hidden])'), null, { timeout: WITHIN });
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('without the event stream says live updates are unavailable, and reads again on demand', async () => {
    const page = await openPage(browser, null);
    await page.route('**/api/slotd/events', (route) => route.fulfill({
      status: 404, contentType: 'application/json', body: '{"detail":"Not Found"}',
    }));
    await page.goto(`${server.url}/`);
    await waitForRow(page, 'db', 2, 4, 5000);
    await page.locator('#live[data-state="unavailable"]').waitFor({ timeout: WITHIN });
    assert.match(await page.locator('#notice').textContent(), /Live updates unavailable/);
    assert.equal(await page.locator('#notice').isVisible(), true);
    await shot(page, 'not-live-light');
    const extra = await api('POST', '/api/v2/concurrency_limits/increment-with-lease',
      { names: ['db'], slots: 1, mode: 'concurrency', lease_duration: 60 });
    await page.click('#notice-action');
    await waitForRow(page, 'db', 3, 4);
    await row(page, 'db').click();
    await page.locator(`#holders tr[data-lease-id="${extra.lease_id}"]`).waitFor({ timeout: WITHIN });
    await api('POST', '/api/v2/concurrency_limits/decrement-with-lease', { lease_id: extra.lease_id });
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('shows renewals and waiters, and a waiter granted when a slot frees, within a second', async () => {
    await api('POST', '/api/v2/concurrency_limits/', { name: 'line', limit: 1 });
    const held = await api('POST', '/api/v2/concurrency_limits/increment-with-lease',
      { names: ['line'], slots: 1, mode: 'concurrency', lease_duration: 60 });
    for (let i = 0; i < 2; i++) {
      await api('POST', `/api/v2/concurrency_limits/leases/${held.lease_id}/renew`, { lease_duration: 90 });
    }
    // A request that waits in line (fair waiting) for the slot.
    const waiter = fetch(`${server.url}/api/v2/concurrency_limits/increment-with-lease`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Prefer: 'wait=20' },
      body: JSON.stringify({ names: ['line'], slots: 1, mode: 'concurrency', lease_duration: 60 }),
    });
    for (let i = 0; (await api('GET', '/api/slotd/limits/line/holders')).waiting !== 1; i++) {
      assert.ok(i < 100, 'the request never waited');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const page = await openPage(browser, `${server.url}/#limit=line`);
    await waitForHolders(page, [held.lease_id], 5000);
    const cells = await page.locator(`#holders tr[data-lease-id="${held.lease_id}"] td`).allTextContents();
    assert.equal(cells[5], '2');
    assert.match(cells[4], /^1m (29|30)s$/);
    assert.equal(await page.locator('#waiters h3 .count').textContent(), '1');
    const waiters = await page.locator('#waiters tbody tr').evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(waiters.length, 1);
    assert.deepEqual(waiters[0].slice(0, 3), ['lease', 'line', '1']);
    assert.match(waiters[0][3], /^\d+s$/);
    await shot(page, 'waiters-light');

    // The slot freed goes to the waiter: its lease replaces the old one.
    await api('POST', '/api/v2/concurrency_limits/decrement-with-lease', { lease_id: held.lease_id });
    const granted = await (await waiter).json();
    await waitForHolders(page, [granted.lease_id]);
    await page.locator('#waiters').filter({ hasText: 'Nothing waits for this limit.' }).waitFor({ timeout: WITHIN });
    await waitForRow(page, 'line', 1, 1);
    await api('POST', '/api/v2/concurrency_limits/decrement-with-lease', { lease_id: granted.lease_id });
    await api('DELETE', '/api/v2/concurrency_limits/line');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('highlights leases close to expiry', async () => {
    const page = await openPage(browser, null, { colorScheme: 'dark' });
    await page.clock.install();
    await page.goto(`${server.url}/#limit=db`);
    const leases = await page.locator('#holders tr[data-lease-id]');
    await leases.first().waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#holders tr.soon, #holders tr.expired').count(), 0);
    // The 120 s lease, 112 s on: within the last 15 s.
    await page.clock.fastForward(112000);
    await page.locator('#holders tr.soon').first().waitFor({ timeout: WITHIN });
    assert.match(await page.locator('#holders tr.soon td.expires').first().textContent(), /^\d+s$/);
    await shot(page, 'holders-expiring-dark');
    await page.clock.fastForward(10000);
    await page.locator('#holders tr.expired').first().waitFor({ timeout: WITHIN });
    assert.equal(await page.locator('#holders tr.expired td.expires').first().textContent(), 'expired');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('renders 10,000 limits in a virtualised list, and search finds one', async () => {
    const names = Array.from({ length: 10000 }, (_, i) => `bulk-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((name, k) =>
        api('POST', '/api/v2/concurrency_limits/', { name, limit: 10 + ((i + k) % 7) })));
    }
    const page = await openPage(browser, null, { colorScheme: 'dark' });
    const started = Date.now();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.getElementById('total-limits').textContent === '10,004',
      null, { timeout: 20000 });
    const loadMs = Date.now() - started;
    console.log(`# 10,004 limits listed and drawn in ${loadMs} ms`);
    const drawn = await page.locator('.row').count();
    assert.ok(drawn > 10 && drawn < 100, `rows in the DOM: ${drawn}`);
    await shot(page, 'list-10000-dark');

    await page.locator('#viewport').evaluate((v) => { v.scrollTop = v.scrollHeight; });
    await page.waitForFunction(() => [...document.querySelectorAll('.row:not([hidden])')]
      .some((r) => r.dataset.name === 'tag:etl'), null, { timeout: WITHIN });

    const typed = Date.now();
    await page.fill('#search', 'bulk-04242');
    await page.waitForFunction(() => {
      const shown = [...document.querySelectorAll('.row:not([hidden])')];
      return shown.length === 1 && shown[0].dataset.name === 'bulk-04242';
    }, null, { timeout: WITHIN });
    console.log(`# search over 10,004 limits answered in ${Date.now() - typed} ms`);
    assert.equal(await page.locator('#matches').textContent(), '1 of 10,004');
    // What the browser shows, not only what the DOM holds: rows put aside
    // for reuse must not be seen.
    assert.equal(await page.locator('.row:visible').count(), 1);
    await waitForRow(page, 'bulk-04242', 0, 10 + (4242 % 7));
    await page.fill('#search', 'no-such-limit');
    await page.locator('#empty').filter({ hasText: 'No limit matches' }).waitFor({ timeout: WITHIN });
    await page.fill('#search', 'bulk-0999');
    await page.waitForFunction(() => document.querySelectorAll('.row:not([hidden])').length === 10, null, { timeout: WITHIN });
    await row(page, 'bulk-09990').click();
    await page.locator('#holders').filter({ hasText: 'No lease holds this limit.' }).waitFor({ timeout: WITHIN });
    await shot(page, 'search-dark');
    await api('POST', '/api/v2/concurrency_limits/increment', { names: ['bulk-09993'], slots: 5, mode: 'concurrency' });
    await waitForRow(page, 'bulk-09993', 5, 10 + (9993 % 7));
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe('with an auth string', () => {
  let server;
  before(async () => { server = await startSlotd({ PREFECT_SERVER_API_AUTH_STRING: 'admin:pass' }); });
  after(async () => { await server?.stop(); });

  it('the page asks the browser for Basic credentials and then works', async () => {
    await client(server.url, 'admin:pass')('POST', '/api/v2/concurrency_limits/', { name: 'guarded', limit: 3 });
    // What makes a browser ask (headless chromium, with nobody to ask, fails
    // the navigation instead).
    for (const route of ['/', '/ui']) {
      const refused = await fetch(server.url + route);
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('www-authenticate'), 'Basic realm="slotd"');
    }
    const anonymous = await openPage(browser, null);
    await assert.rejects(anonymous.goto(`${server.url}/`), /ERR_INVALID_AUTH_CREDENTIALS/);
    await anonymous.context().close();

    const page = await openPage(browser, `${server.url}/`, { httpCredentials: { username: 'admin', password: 'pass' } });
    await waitForRow(page, 'guarded', 0, 3, 5000);
    await row(page, 'guarded').click();
    await page.locator('#holders').filter({ hasText: 'No lease holds this limit.' }).waitFor({ timeout: WITHIN });
    await shot(page, 'auth-light');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
