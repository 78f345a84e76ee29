import { expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';

/** An email no other test (or earlier run on the same database) uses. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}@example.test`;
}

export const PASSWORD = 'correct horse battery';

/** Opens a page and waits until the WASM bundle has hydrated it. */
export async function openHydrated(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function signUp(page: Page, name: string, email: string, password = PASSWORD): Promise<void> {
  await openHydrated(page, '/signup');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
}

export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await openHydrated(page, '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/** Signs up through the server function (no UI), leaving the session cookie in the page's context. */
export async function signUpDirectly(page: Page, name = 'Card Maker'): Promise<string> {
  const email = uniqueEmail('cards');
  const response = await page.request.post('/sfn/sign_up', {
    form: { display_name: name, email, password: PASSWORD, idempotency_key: randomUUID() },
    headers: { Accept: 'application/json' },
  });
  expect(response.status()).toBe(200);
  return email;
}

/** Creates a card through the form and returns the editor's path (/cards/{id}). */
export async function createCard(page: Page, name: string, fields: Record<string, string> = {}): Promise<string> {
  await openHydrated(page, '/cards/new');
  await page.getByLabel('Card name', { exact: true }).fill(name);
  for (const [label, value] of Object.entries(fields)) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
  await page.getByRole('button', { name: 'Create card' }).click();
  await expect(page).toHaveURL(/\/cards\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('version')).toHaveText('Version 1');
  return new URL(page.url()).pathname;
}

/** Accounts scripts/test.sh creates before the end-to-end tests run. */
export const ACCOUNTS = {
  staff: 'staff@lockstep.test',
  admin: 'admin@lockstep.test',
  casey: 'casey@lockstep.test',
  robin: 'robin@lockstep.test',
} as const;

/** Signs the page's browser context in as one of the prepared accounts. */
export async function logInAs(page: Page, account: keyof typeof ACCOUNTS): Promise<void> {
  const password = process.env.LOCKSTEP_E2E_PASSWORD;
  if (!password) throw new Error('LOCKSTEP_E2E_PASSWORD is not set (scripts/test.sh sets it)');
  const response = await page.request.post('/api/auth/login', { data: { email: ACCOUNTS[account], password } });
  expect(response.status()).toBe(200);
}

export async function logInAsStaff(page: Page): Promise<void> {
  await logInAs(page, 'staff');
}
