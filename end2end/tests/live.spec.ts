import { expect, test, type Browser, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { openHydrated, PASSWORD, signUpDirectly } from './helpers';

// scripts/test.sh runs three instances behind nginx and gives two nginx
// ports pinned to the first and the last instance, so the two "devices"
// below are served by different instances.
const INSTANCE_A = process.env.LOCKSTEP_URL_INSTANCE_A;
const INSTANCE_C = process.env.LOCKSTEP_URL_INSTANCE_C;

async function device(browser: Browser, baseURL: string | undefined): Promise<Page> {
  if (!baseURL) throw new Error('LOCKSTEP_URL_INSTANCE_A/C are not set (scripts/test.sh sets them)');
  const context = await browser.newContext({ baseURL });
  return context.newPage();
}

/** A member with a card, signed in on two devices on different instances. */
async function twoDevicesOnOneCard(browser: Browser): Promise<{ a: Page; b: Page; path: string }> {
  const a = await device(browser, INSTANCE_A);
  const email = await signUpDirectly(a, 'Ada Live');
  const created = await a.request.post('/api/cards', { data: { name: `Live ${randomUUID().slice(0, 8)}`, job_title: 'Analyst' } });
  expect(created.status()).toBe(201);
  const path = `/cards/${(await created.json()).id}`;
  const b = await device(browser, INSTANCE_C);
  expect((await b.request.post('/api/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(200);
  return { a, b, path };
}

async function openLive(page: Page, path: string): Promise<void> {
  await openHydrated(page, path);
  await expect(page.locator('body')).toHaveAttribute('data-live', 'open');
}

test('a save on one instance reaches the other tab at once; its unsaved text survives "Review changes"', async ({ browser }) => {
  const { a, b, path } = await twoDevicesOnOneCard(browser);
  await openLive(b, path);
  await b.getByLabel('Tagline', { exact: true }).fill('Typed on B, not saved');

  await openHydrated(a, path);
  await a.getByLabel('Job title', { exact: true }).fill('Chief Analyst');
  await a.getByRole('button', { name: 'Save' }).click();
  await expect(a.getByTestId('version')).toHaveText('Version 2');

  const notice = b.getByTestId('live-notice');
  await expect(notice).toContainText('Changed by Ada Live on another device (version 2)', { timeout: 2000 });
  await expect(b.getByLabel('Tagline', { exact: true })).toHaveValue('Typed on B, not saved');
  await notice.getByRole('button', { name: 'Review changes' }).click();
  await expect(notice).toHaveCount(0);
  await expect(b.getByTestId('merged-fields')).toContainText('Job title');
  await expect(b.getByLabel('Job title', { exact: true })).toHaveValue('Chief Analyst');
  await expect(b.getByLabel('Tagline', { exact: true })).toHaveValue('Typed on B, not saved');
  await expect(b.getByTestId('version')).toHaveText('Version 2');
  // B's save now goes against version 2 and keeps both changes.
  await b.getByRole('button', { name: 'Save' }).click();
  await expect(b.getByTestId('version')).toHaveText('Version 3');
  const saved = await (await a.request.get(`/api${path}`)).json();
  expect([saved.job_title, saved.tagline]).toEqual(['Chief Analyst', 'Typed on B, not saved']);
});

test('a tab without unsaved edits simply takes the new values, and the card list updates in place', async ({ browser }) => {
  const { a, b, path } = await twoDevicesOnOneCard(browser);
  await openLive(b, path);
  const list = await b.context().newPage();
  await openLive(list, '/cards');
  const tiles = list.getByTestId('card-list').locator('li');
  const before = await tiles.count();

  const card = await (await a.request.get(`/api${path}`)).json();
  const edit = await a.request.patch(`/api${path}`, { data: { version: card.version, job_title: 'Head of Analysis' } });
  expect(edit.status()).toBe(200);
  await expect(b.getByLabel('Job title', { exact: true })).toHaveValue('Head of Analysis', { timeout: 2000 });
  await expect(b.getByTestId('version')).toHaveText('Version 2');
  await expect(b.getByTestId('live-notice')).toHaveCount(0);

  expect((await a.request.post('/api/cards', { data: { name: 'Made on A' } })).status()).toBe(201);
  await expect(tiles).toHaveCount(before + 1, { timeout: 2000 });
});
