import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { logInAs, openHydrated, PASSWORD, signUpDirectly, submitLogInForm } from './helpers';

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

/** The session cookie of a context, to send by hand after the context itself was signed out. */
async function sessionCookie(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === 'lockstep_session');
  if (!cookie) throw new Error('the context holds no session cookie');
  return `${cookie.name}=${cookie.value}`;
}

/** The status instance C answers for `path` with exactly this cookie. */
async function onC(cookie: string, path: string): Promise<number> {
  return (await fetch(`${INSTANCE_C}${path}`, { headers: { Cookie: cookie }, redirect: 'manual' })).status;
}

test('what ends a session on instance A refuses its very next request on instance C', async ({ browser }) => {
  // Instance C has each session in its cache (a first request there) before
  // instance A ends it; C's next request must not be served from that cache.
  const laptopContext = await browser.newContext({ baseURL: INSTANCE_A });
  const laptop = await laptopContext.newPage();
  const email = await signUpDirectly(laptop, 'Cache Checker', 'cache');
  const signedInDevice = async (): Promise<string> => {
    const context = await browser.newContext({ baseURL: INSTANCE_A });
    expect((await context.request.post('/api/auth/login', { data: { email, password } })).status()).toBe(200);
    return sessionCookie(context);
  };
  let password = PASSWORD;

  // A device signed out from another one.
  const phone = await signedInDevice();
  expect(await onC(phone, '/api/auth/me')).toBe(200);
  const devices = await (await laptop.request.post('/sfn/list_devices', { headers: { Accept: 'application/json' } })).json();
  const phoneDevice = devices.find((d: { this_device: boolean }) => !d.this_device);
  const revoked = await laptop.request.post('/sfn/revoke_device', {
    form: { id: phoneDevice.device.id }, headers: { Accept: 'application/json' },
  });
  expect(revoked.status(), await revoked.text()).toBe(200);
  expect(await onC(phone, '/api/auth/me'), 'revoked device on C').toBe(401);

  // A password change signs out every other device.
  const tablet = await signedInDevice();
  expect(await onC(tablet, '/api/auth/me')).toBe(200);
  const newPassword = `changed ${randomUUID()}`;
  const changed = await laptop.request.post('/sfn/change_password', {
    form: { current_password: password, new_password: newPassword }, headers: { Accept: 'application/json' },
  });
  expect(changed.status(), await changed.text()).toBe(200);
  password = newPassword;
  expect(await onC(tablet, '/api/auth/me'), 'device of the old password on C').toBe(401);

  // A role change: the next staff request on C is refused.
  const admin = await (await browser.newContext({ baseURL: INSTANCE_A })).newPage();
  await logInAs(admin, 'admin');
  const person = async () => (await (await admin.request.post('/sfn/list_people', {
    form: { search: email }, headers: { Accept: 'application/json' },
  })).json())[0];
  const setRole = async (role: string) => {
    const { id, version } = await person();
    const saved = await admin.request.post('/sfn/set_access', {
      form: { id, version: String(version), role, enabled: 'on' }, headers: { Accept: 'application/json' },
    });
    expect(saved.status(), await saved.text()).toBe(200);
  };
  const laptopCookie = await sessionCookie(laptopContext);
  const staffOnly = `/api/clients/no-such-client-${randomUUID().slice(0, 8)}`;
  await setRole('staff');
  expect(await onC(laptopCookie, staffOnly), 'a staff member on C').toBe(404);
  await setRole('member');
  expect(await onC(laptopCookie, staffOnly), 'no longer staff on C').toBe(403);

  // Logging out.
  expect(await onC(laptopCookie, '/api/auth/me')).toBe(200);
  expect((await laptop.request.post('/api/auth/logout')).status()).toBe(204);
  expect(await onC(laptopCookie, '/api/auth/me'), 'logged out, on C').toBe(401);
});
