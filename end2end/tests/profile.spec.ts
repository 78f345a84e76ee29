import { test, expect, type Page } from '@playwright/test';
import { holdFirstRequest, logIn, openHydrated, signUpDirectly } from './helpers';

function personal(page: Page) {
  return page.getByTestId('personal');
}

async function savePersonal(page: Page, expectedVersion: number): Promise<void> {
  await personal(page).getByRole('button', { name: 'Save personal details' }).click();
  await expect(page.getByTestId('personal-version')).toHaveText(`Version ${expectedVersion}`);
}

test('two tabs change different personal fields: both survive', async ({ page, context }) => {
  await signUpDirectly(page);
  const other = await context.newPage();
  await openHydrated(page, '/profile');
  await openHydrated(other, '/profile');
  await expect(page.getByTestId('personal-version')).toHaveText('Not saved yet');

  // Both tabs make the first save of the section: one creates it, the other merges.
  // The other tab has unsaved edits when this one saves: it keeps them, and
  // saving them meets the version check.
  await personal(other).getByLabel('City', { exact: true }).fill('London');
  await personal(page).getByLabel('Full name', { exact: true }).fill('Ada Lovelace');
  await savePersonal(page, 1);

  await personal(other).getByRole('button', { name: 'Save personal details' }).click();
  await expect(personal(other).getByTestId('merge-panel')).toBeVisible();
  await expect(personal(other).getByLabel('Full name', { exact: true })).toHaveValue('Ada Lovelace');
  await expect(personal(other).getByLabel('City', { exact: true })).toHaveValue('London');
  await savePersonal(other, 2);

  await page.reload();
  await expect(personal(page).getByLabel('Full name', { exact: true })).toHaveValue('Ada Lovelace');
  await expect(personal(page).getByLabel('City', { exact: true })).toHaveValue('London');
});

test('two tabs change the same field: the merge panel lets the user keep theirs', async ({ page, context }) => {
  await signUpDirectly(page);
  await openHydrated(page, '/profile');
  await personal(page).getByLabel('Phone', { exact: true }).fill('+44 20 7946 0000');
  await savePersonal(page, 1);

  const other = await context.newPage();
  await openHydrated(other, '/profile');
  await personal(other).getByLabel('Phone', { exact: true }).fill('+44 20 7946 2222');
  await personal(page).getByLabel('Phone', { exact: true }).fill('+44 20 7946 1111');
  await savePersonal(page, 2);

  await personal(other).getByRole('button', { name: 'Save personal details' }).click();
  const conflict = personal(other).getByTestId('conflict-phone');
  await expect(conflict.getByTestId('mine')).toHaveText('+44 20 7946 2222');
  await expect(conflict.getByTestId('theirs')).toHaveText('+44 20 7946 1111');
  await conflict.getByRole('button', { name: 'Keep my Phone' }).click();
  await savePersonal(other, 3);

  await page.reload();
  await expect(personal(page).getByLabel('Phone', { exact: true })).toHaveValue('+44 20 7946 2222');
});

test('a bad field is a message beside it and nothing is saved', async ({ page }) => {
  await signUpDirectly(page);
  await openHydrated(page, '/profile');
  const section = page.getByTestId('professional');
  await section.getByLabel('LinkedIn', { exact: true }).fill('https://example.com/ada');
  await section.getByRole('button', { name: 'Save professional details' }).click();
  await expect(page.locator('#field-linkedin-error')).toHaveText(/LinkedIn address/);
  await expect(page.getByTestId('professional-version')).toHaveText('Not saved yet');
});

test('a double click on "Save" writes one version', async ({ page }) => {
  await signUpDirectly(page);
  await openHydrated(page, '/profile');
  await personal(page).getByLabel('Country', { exact: true }).fill('Iceland');

  const held = await holdFirstRequest(page, '**/sfn/save_personal');
  const button = personal(page).getByRole('button', { name: /Save personal details|Saving/ });
  await button.dblclick();
  await expect(button).toBeDisabled();
  held.release();
  await expect(page.getByTestId('personal-version')).toHaveText('Version 1');
  expect(held.posts()).toBe(1);
  await page.reload();
  await expect(page.getByTestId('personal-version')).toHaveText('Version 1');
});

test('the card editor can fill itself from the profile', async ({ page }) => {
  await signUpDirectly(page);
  await openHydrated(page, '/profile');
  await personal(page).getByLabel('Full name', { exact: true }).fill('Grace Hopper');
  await savePersonal(page, 1);
  const professional = page.getByTestId('professional');
  await professional.getByLabel('Company', { exact: true }).fill('US Navy');
  await professional.getByLabel('Job title', { exact: true }).fill('Rear Admiral');
  await professional.getByRole('button', { name: 'Save professional details' }).click();
  await expect(page.getByTestId('professional-version')).toHaveText('Version 1');

  await openHydrated(page, '/cards/new');
  await page.getByRole('button', { name: 'Fill from my profile' }).click();
  await expect(page.getByLabel('Full name', { exact: true })).toHaveValue('Grace Hopper');
  await expect(page.getByLabel('Company', { exact: true })).toHaveValue('US Navy');
  await expect(page.getByLabel('Job title', { exact: true })).toHaveValue('Rear Admiral');
  await expect(page.getByTestId('card-preview')).toContainText('Rear Admiral');
});

test('revoking a device signs that browser out at its next request', async ({ page, browser }) => {
  const email = await signUpDirectly(page);
  const phoneContext = await browser.newContext({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1' });
  const phone = await phoneContext.newPage();
  await logIn(phone, email);

  await openHydrated(page, '/profile/sessions');
  await expect(page.getByTestId('password-note')).toContainText('signs out every other device');
  const devices = page.getByTestId('device');
  await expect(devices).toHaveCount(2);
  await expect(page.getByTestId('this-device')).toHaveCount(1);
  const phoneRow = devices.filter({ hasText: 'iPhone' });
  await phoneRow.getByRole('button', { name: 'Sign out' }).click();
  await expect(devices).toHaveCount(1);

  await phone.goto('/account');
  await expect(phone).toHaveURL(/\/login\?next=%2Faccount$/);
  await page.goto('/account');
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await phoneContext.close();
});
