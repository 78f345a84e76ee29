// A first visit as a user on a phone would make it: Chromium with its CPU
// slowed 4× and a slow mobile network (150 ms round trip, 1.6 Mbit/s down,
// 750 kbit/s up) emulated through the DevTools protocol, the cache empty.
// For each page: bytes transferred (compressed, as sent) until the page is
// hydrated, the JS + WASM part of them, how many WASM files, and the time
// from navigation until hydrated (a page sent without WASM: until loaded).
//
//   node bench/first-load.cjs LABEL BASE_URL STAFF_EMAIL PASSWORD
//
// Prints one Markdown table row per page. bench/first-load.sh runs it.
'use strict';
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { createRequire } = require('node:module');

const fromEnd2end = createRequire(path.join(__dirname, '..', 'end2end', 'package.json'));
const { chromium } = fromEnd2end('@playwright/test');

const [label, baseURL, staffEmail, password] = process.argv.slice(2);
if (!password) {
  console.error('usage: first-load.cjs LABEL BASE_URL STAFF_EMAIL PASSWORD');
  process.exit(2);
}

const NETWORK = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };
const CPU_SLOWDOWN = 4;
const RUNS = Number(process.env.FIRST_LOAD_RUNS ?? 3);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS % 2 === 0) {
  console.error('FIRST_LOAD_RUNS must be an odd number of runs (the median is the middle one)');
  process.exit(2);
}

async function post(request, url, data) {
  const response = await request.post(url, { data });
  if (!response.ok()) throw new Error(`${url}: ${response.status()} ${await response.text()}`);
  return response.json();
}

/** A member with a card, and a staff session with an assessment to open. */
async function prepare(browser) {
  const member = await browser.newContext({ baseURL });
  const email = `first-load-${randomUUID().slice(0, 8)}@lockstep.test`;
  const signUp = await member.request.post('/sfn/sign_up', {
    form: { display_name: 'Grace Hopper', email, password, idempotency_key: randomUUID() },
    headers: { Accept: 'application/json' },
  });
  if (signUp.status() !== 200) throw new Error(`sign-up: ${signUp.status()}`);
  const card = await post(member.request, '/api/cards', {
    name: `First load ${randomUUID().slice(0, 6)}`,
    full_name: 'Grace Hopper',
    job_title: 'Rear Admiral',
    company: 'US Navy',
    email,
  });

  const staff = await browser.newContext({ baseURL });
  await post(staff.request, '/api/auth/login', { email: staffEmail, password });
  const clientId = `first-load-${randomUUID().slice(0, 8)}`;
  await post(staff.request, '/api/clients', { id: clientId, name: 'Fleet Ltd' });
  const request = await post(staff.request, '/api/requests', { client_id: clientId, vehicle_make: 'Volvo', vehicle_model: 'V70' });
  const inspection = await post(staff.request, `/api/requests/${request.id}/inspection`, {});
  const appointment = await post(staff.request, `/api/inspections/${inspection.id}/appointments`, {
    scheduled_at: '2026-12-01T09:00:00Z',
    location: 'Depot',
  });
  const assessment = await post(staff.request, `/api/appointments/${appointment.id}/assessment`, {});
  return {
    pages: [
      { path: `/c/${card.slug}`, who: member },
      { path: '/cards', who: member },
      { path: `/cards/${card.id}`, who: member },
      { path: '/profile', who: member },
      { path: '/staff', who: staff },
      { path: `/staff/assessments/${assessment.id}`, who: staff },
    ],
    cookiesOf: async (context) => context.cookies(),
  };
}

async function measure(browser, cookies, pagePath) {
  const context = await browser.newContext({ baseURL });
  await context.addCookies(cookies);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', NETWORK);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });

  const urls = new Map();
  const sizes = [];
  cdp.on('Network.responseReceived', (event) => urls.set(event.requestId, event.response.url));
  cdp.on('Network.loadingFinished', (event) => sizes.push({ url: urls.get(event.requestId) ?? '', bytes: event.encodedDataLength }));

  const started = Date.now();
  const response = await page.goto(pagePath, { waitUntil: 'load' });
  if (!response || response.status() !== 200) throw new Error(`${pagePath}: ${response && response.status()}`);
  // A page that names no script or WASM under /pkg/ is not hydrated at all.
  const hasHydrationScript = /\/pkg\/[^"']*\.(js|wasm)/.test(await page.content());
  if (hasHydrationScript) {
    await page.locator('body[data-hydrated="true"]').waitFor({ timeout: 120_000 });
  }
  const elapsed = Date.now() - started;
  // Responses still arriving when hydration finished are counted too.
  await page.waitForLoadState('networkidle');
  const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
  const code = sizes.filter((s) => /\.(js|wasm)(\?|$)/.test(s.url));
  const codeBytes = code.reduce((sum, s) => sum + s.bytes, 0);
  const wasmFiles = sizes.filter((s) => /\.wasm(\?|$)/.test(s.url)).length;
  await context.close();
  return { total, codeBytes, wasmFiles, elapsed, hydrated: hasHydrationScript };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const { pages, cookiesOf } = await prepare(browser);
    for (const { path: pagePath, who } of pages) {
      const runs = [];
      for (let run = 0; run < RUNS; run += 1) runs.push(await measure(browser, await cookiesOf(who), pagePath));
      runs.sort((a, b) => a.elapsed - b.elapsed);
      const result = runs[Math.floor(runs.length / 2)];
      const kib = (bytes) => (bytes / 1024).toFixed(1);
      const shown = pagePath.replace(/[0-9a-f-]{36}/, '{id}').replace(/^\/c\/.*/, '/c/{slug}');
      console.log(
        `| ${label} | \`${shown}\` | ${kib(result.total)} | ${kib(result.codeBytes)} | ${result.wasmFiles} | ` +
          `${(result.elapsed / 1000).toFixed(2)} s ${result.hydrated ? 'hydrated' : 'loaded (no WASM)'} |`,
      );
    }
  } finally {
    await browser.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
