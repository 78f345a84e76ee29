// A newcomer's first minutes: the first administrator made in the browser
// with the link Lockstep printed (an instance on a database of its own with
// no administrator), and the demo data walked by its staff member (another
// instance, seeded with `lockstep demo`). scripts/test.sh starts both.

import { test, expect } from '@playwright/test';
import { openHydrated } from './helpers';

const FIRST_RUN = process.env.LOCKSTEP_URL_FIRST_RUN;
const SETUP_LINK = process.env.LOCKSTEP_SETUP_LINK;
const DEMO = process.env.LOCKSTEP_URL_DEMO;

test('the first administrator is made with the printed link, and only with it, once', async ({ browser }) => {
  if (!FIRST_RUN || !SETUP_LINK) throw new Error('LOCKSTEP_URL_FIRST_RUN and LOCKSTEP_SETUP_LINK are not set (scripts/test.sh sets them)');
  const link = new URL(SETUP_LINK);
  const setupPath = link.pathname + link.search;
  const page = await (await browser.newContext({ baseURL: FIRST_RUN })).newPage();

  for (const path of ['/setup', `/setup?token=${'0'.repeat(64)}`]) {
    const refused = await page.goto(path);
    expect(refused?.status(), path).toBe(403);
    await expect(page.getByTestId('setup-refused')).toBeVisible();
  }

  await openHydrated(page, setupPath);
  await expect(page.getByRole('heading', { name: 'Create the administrator' })).toBeVisible();
  await page.getByLabel('Your name').fill('Olive Owner');
  await page.getByLabel('Email').fill('owner@first-run.test');
  await page.getByLabel('Password').fill('the very first password');
  await page.getByRole('button', { name: 'Create the administrator' }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.locator('[data-testid="person"][data-email="owner@first-run.test"]')).toContainText('(you)');

  // Gone for good, for anyone holding the link.
  const other = await (await browser.newContext({ baseURL: FIRST_RUN })).newPage();
  const gone = await other.goto(setupPath);
  expect(gone?.status()).toBe(404);
  await expect(other.getByTestId('page-not-found')).toBeVisible();
  await page.context().close();
  await other.context().close();
});

test('the demo staff member walks a demo request to its report', async ({ browser }) => {
  if (!DEMO) throw new Error('LOCKSTEP_URL_DEMO is not set (scripts/test.sh sets it)');
  const page = await (await browser.newContext({ baseURL: DEMO })).newPage();
  await openHydrated(page, '/login');
  await page.getByLabel('Email').fill('staff@demo.example');
  await page.getByLabel('Password').fill('lockstep-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/account$/);

  // Every stage is there to look at; the first client has only a request.
  await openHydrated(page, '/staff/clients');
  for (const id of ['DEMO-001', 'DEMO-002', 'DEMO-003', 'DEMO-004', 'DEMO-005']) {
    await expect(page.getByTestId('client-list')).toContainText(id);
  }
  await page.getByRole('link', { name: 'Harbor Logistics (demo)' }).click();
  await page.getByRole('link', { name: /^REQ-/ }).first().click();
  await expect(page).toHaveURL(/\/staff\/requests\/[0-9a-f-]{36}$/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  await page.getByRole('button', { name: 'Create inspection' }).click();
  await expect(page.getByTestId('inspection-number')).toHaveText(/^INS-/);
  await page.getByLabel('Date and time (UTC)').fill('2027-02-01T09:00');
  await page.getByLabel('Location').fill('Demo yard');
  await page.getByRole('button', { name: 'Book appointment' }).click();
  await expect(page.getByTestId('appointment')).toContainText('2027-02-01 09:00 UTC');
  await page.getByRole('button', { name: 'Start assessment' }).click();
  await expect(page).toHaveURL(/\/staff\/assessments\/[0-9a-f-]{36}$/);

  await page.getByTestId('tab-summary').click();
  await page.getByRole('button', { name: 'Mark assessment completed' }).click();
  await expect(page.getByTestId('assessment-status')).toHaveText('Completed');
  await page.getByRole('button', { name: 'Generate report' }).click();
  await expect(page).toHaveURL(/\/report$/);
  await expect(page.getByTestId('report-number')).toHaveText(/^RPT-\d{4}-\d{4,}$/);
  await page.context().close();
});
