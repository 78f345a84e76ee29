import { expect, test, type Browser, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { logInAs, openHydrated, signUpDirectly, submitLogInForm } from './helpers';

// Attacks of SECURITY.md that need a real browser: what it strips from a
// URL, whether the Content-Security-Policy lets hydration run, and a live
// stream that must end when its session does (through nginx, on another
// instance than the one that ended it).

const INSTANCE_A = process.env.LOCKSTEP_URL_INSTANCE_A;
const INSTANCE_C = process.env.LOCKSTEP_URL_INSTANCE_C;

/** Collects every Content-Security-Policy violation the page reports. */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return violations;
}

test('pages hydrate under the Content-Security-Policy without a single violation', async ({ browser }) => {
  const member = await (await browser.newContext()).newPage();
  const memberViolations = await watchViolations(member);
  await signUpDirectly(member, 'Policy Member');
  const created = await member.request.post('/api/cards', { data: { name: `CSP ${randomUUID().slice(0, 8)}`, accent_color: '#aa3366' } });
  expect(created.status()).toBe(201);
  const card = await created.json();
  for (const path of ['/', '/cards', `/cards/${card.id}`, '/profile', '/profile/sessions']) {
    await openHydrated(member, path);
  }
  // The public card page is never hydrated (cards.spec.ts): loaded is all it gets.
  await member.goto(`/c/${card.slug}`, { waitUntil: 'load' });
  await expect(member.getByTestId('card-preview')).toBeVisible();
  const admin = await (await browser.newContext()).newPage();
  const adminViolations = await watchViolations(admin);
  await logInAs(admin, 'admin');
  for (const path of ['/staff', '/staff/clients', '/staff/scenarios', '/admin/api-keys', '/admin/metrics', '/docs/api']) {
    await openHydrated(admin, path);
  }
  expect(memberViolations).toEqual([]);
  expect(adminViolations).toEqual([]);
});

test('a log-in link whose next= a browser would fold into another host stays on the site', async ({ page }) => {
  const email = await signUpDirectly(page, 'Redirect Target');
  const site = new URL(test.info().project.use.baseURL ?? '').host;
  // "/\t/evil.example": browsers drop the tab and would read //evil.example;
  // "/\\evil.example": they read the backslash as a slash.
  for (const next of ['/%09/evil.example', '/%5C/evil.example', '%2F%2Fevil.example', '/%0A/evil.example']) {
    await page.context().clearCookies();
    await openHydrated(page, `/login?next=${next}`);
    await submitLogInForm(page, email);
    await expect(page).toHaveURL(/\/account$/);
    expect(new URL(page.url()).host).toBe(site);
  }
});

test('a crafted link cannot make the log-in form show words the server never said', async ({ page }) => {
  const forged = Buffer.from(JSON.stringify({ Invalid: { field: 'email', message: 'Account locked: call +1 555 0100' } }))
    .toString('base64url');
  await page.goto(`/login?next=%2Fcards&__path=%2Fsfn%2Flog_in&__err=${forged}`);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page).toHaveURL(/\/login\?next=%2Fcards$/);
  await expect(page.getByText('call +1 555 0100')).toHaveCount(0);
});

async function staffOn(browser: Browser, baseURL: string | undefined): Promise<Page> {
  if (!baseURL) throw new Error('LOCKSTEP_URL_INSTANCE_A/C are not set (scripts/test.sh sets them)');
  const page = await (await browser.newContext({ baseURL })).newPage();
  await logInAs(page, 'staff');
  return page;
}

declare global {
  interface Window {
    changes: string[];
    stream: EventSource;
    opened: boolean;
  }
}

test('a staff stream opened before log-out receives nothing after it, across instances', async ({ browser }) => {
  // Signed in through instance A; the page and its stream are on instance C
  // (cookies are per host, not per port, so both see the session).
  const watcher = await staffOn(browser, INSTANCE_A);
  await watcher.goto(`${INSTANCE_C}/staff`);
  await watcher.evaluate(() => {
    window.changes = [];
    window.opened = false;
    window.stream = new EventSource('/api/events?watch=client:*');
    window.stream.addEventListener('open', () => { window.opened = true; });
    window.stream.addEventListener('change', (event) => window.changes.push(JSON.parse((event as MessageEvent).data).id));
  });
  await watcher.waitForFunction(() => window.opened);

  const other = await staffOn(browser, INSTANCE_A);
  const before = `before-${randomUUID().slice(0, 8)}`;
  expect((await other.request.post('/api/clients', { data: { id: before, name: 'Seen live' } })).status()).toBe(201);
  await watcher.waitForFunction((id) => window.changes.includes(id), before);

  expect((await watcher.request.post(`${INSTANCE_A}/api/auth/logout`)).status()).toBe(204);
  // The server ends the stream, and the browser's reconnect is refused.
  await watcher.waitForFunction(() => window.stream.readyState === EventSource.CLOSED, undefined, { timeout: 20_000 });
  const after = `after-${randomUUID().slice(0, 8)}`;
  expect((await other.request.post('/api/clients', { data: { id: after, name: 'Not for them' } })).status()).toBe(201);
  // A fresh stream of another staff session sees it, so it was announced.
  await other.goto(`${INSTANCE_C}/staff`);
  const seen = await other.evaluate((id) => new Promise<boolean>((resolve) => {
    const stream = new EventSource('/api/events?watch=client:*');
    stream.addEventListener('open', async () => {
      await fetch('/api/clients', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: `${id}-probe`, name: 'Probe' }),
      });
    });
    stream.addEventListener('change', (event) => {
      if (JSON.parse((event as MessageEvent).data).id === `${id}-probe`) { stream.close(); resolve(true); }
    });
  }), after);
  expect(seen).toBe(true);
  expect(await watcher.evaluate(() => window.changes)).toEqual([before]);
});
