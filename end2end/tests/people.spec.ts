// Administrators managing people in the browser (/admin/users), with
// JavaScript: role changes, disabling (which signs the account out at
// once), and one-time reset links.

import { test, expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { logInAs, openHydrated, PASSWORD, signUpDirectly } from './helpers';

function row(page: Page, email: string) {
  return page.locator(`[data-testid="person"][data-email="${email}"]`);
}

test('an admin changes a role with a double click, and it is saved once', async ({ page, browser }) => {
  const member = await (await browser.newContext()).newPage();
  const email = await signUpDirectly(member, 'Riley Role', 'role');
  await logInAs(page, 'admin');
  await openHydrated(page, `/admin/users?q=${encodeURIComponent(email)}`);
  await row(page, email).getByLabel('Role').selectOption('staff');
  await row(page, email).getByRole('button', { name: 'Save' }).dblclick();
  // The list is read again after the save: the row now carries version 2.
  await expect(row(page, email).locator('input[name="version"]')).toHaveValue('2');
  await expect(row(page, email).getByLabel('Role')).toHaveValue('staff');
  await expect(page.getByTestId('people-conflict')).toHaveCount(0);
  const [person] = await (
    await page.request.post('/sfn/list_people', { form: { search: email }, headers: { Accept: 'application/json' } })
  ).json();
  expect(person.role).toBe('staff');
  expect(person.version, 'one save, not two').toBe(2);
  // The member's very next page is a staff one.
  await member.goto('/staff');
  await expect(member.getByRole('heading', { name: 'Staff workspace' })).toBeVisible();
  await member.context().close();
});

test('a disabled account is signed out at once and cannot sign in until enabled', async ({ page, browser }) => {
  const member = await (await browser.newContext()).newPage();
  const email = await signUpDirectly(member, 'Dana Dormant', 'dormant');
  await openHydrated(member, '/cards');
  await logInAs(page, 'admin');
  await openHydrated(page, `/admin/users?q=${encodeURIComponent(email)}`);
  await row(page, email).getByLabel('May sign in').uncheck();
  await row(page, email).getByRole('button', { name: 'Save' }).click();
  await expect(row(page, email).getByTestId('disabled')).toBeVisible();

  await member.reload();
  await expect(member).toHaveURL(/\/login\?next=%2Fcards$/);
  await member.getByLabel('Email').fill(email);
  await member.getByLabel('Password').fill(PASSWORD);
  await member.getByRole('button', { name: 'Log in' }).click();
  await expect(member.getByText('This account is disabled. Ask an administrator to enable it.')).toBeVisible();

  await row(page, email).getByLabel('May sign in').check();
  await row(page, email).getByRole('button', { name: 'Save' }).click();
  await expect(row(page, email).getByTestId('disabled')).toHaveCount(0);
  await member.getByRole('button', { name: 'Log in' }).click();
  await expect(member).toHaveURL(/\/cards$/);
  await member.context().close();
});

test('a reset link sets a new password once', async ({ page, browser }) => {
  const member = await (await browser.newContext()).newPage();
  const email = await signUpDirectly(member, 'Parker Password', 'reset');
  await logInAs(page, 'admin');
  await openHydrated(page, `/admin/users?q=${encodeURIComponent(email)}`);
  await row(page, email).getByRole('button', { name: 'Reset link' }).click();
  const link = (await page.getByTestId('reset-link').locator('code').textContent())!;
  expect(link).toMatch(/^http:\/\/[^/]+\/reset-password\?token=[0-9a-f]{64}$/);

  const visitor = await (await browser.newContext()).newPage();
  await openHydrated(visitor, link);
  await expect(visitor.getByTestId('reset-password')).toContainText(email);
  const newPassword = `fresh ${randomUUID()}`;
  await visitor.getByLabel('New password').fill(newPassword);
  await visitor.getByRole('button', { name: 'Set the password' }).click();
  await expect(visitor).toHaveURL(/\/account$/);
  await expect(visitor.getByTestId('account-email')).toHaveText(email);

  // The old sessions ended with the old password; the link is used up.
  expect((await member.request.get('/api/auth/me')).status()).toBe(401);
  const again = await visitor.goto(link);
  expect(again?.status()).toBe(404);
  await expect(visitor.getByTestId('reset-link-invalid')).toBeVisible();
  await member.context().close();
  await visitor.context().close();
});
