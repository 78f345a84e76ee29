import { test, expect } from '@playwright/test';
import {
  fillSignUpForm,
  holdFirstRequest,
  logIn,
  openHydrated,
  PASSWORD,
  signUp,
  signUpDirectly,
  submitLogInForm,
  submitSignUpForm,
  uniqueEmail,
} from './helpers';

test('sign up, log out, log in; a second device keeps its own session', async ({ page, browser }) => {
  const email = uniqueEmail('cycle');
  await signUp(page, 'Ada Lovelace', email);
  await expect(page.getByRole('status')).toContainText('Welcome to Lockstep, Ada Lovelace!');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'Log in' }).first()).toBeVisible();

  await logIn(page, email);
  await expect(page.getByTestId('account-email')).toHaveText(email);

  // A second browser (another device): logging in there must not end the first session.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await logIn(otherPage, email);
  await expect(otherPage.getByTestId('account-email')).toHaveText(email);

  await page.reload();
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await otherPage.reload();
  await expect(otherPage.getByTestId('account-email')).toHaveText(email);
  await other.close();
});

test('a double click on "Sign up" creates one account, with the button busy meanwhile', async ({ page }) => {
  const email = uniqueEmail('double');
  await openHydrated(page, '/signup');
  await fillSignUpForm(page, 'Grace Hopper', email);

  // Hold the first request until we have looked at the button.
  const held = await holdFirstRequest(page, '**/sfn/sign_up');

  const button = page.getByRole('button', { name: /Sign up|Creating your account/ });
  await button.dblclick();
  await expect(button).toBeDisabled();
  await expect(button).toHaveAttribute('aria-busy', 'true');
  await expect(button).toHaveText('Creating your account…');
  held.release();

  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await expect(page.locator('.field-error:not(:empty), .form-error')).toHaveCount(0);
  expect(held.posts()).toBe(1);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the sign-up form works as a plain HTML form', async ({ page }) => {
    const email = uniqueEmail('nojs');
    await page.goto('/signup');
    await submitSignUpForm(page, 'Katherine Johnson', email);
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByTestId('account-email')).toHaveText(email);
  });

  test('a taken email (in another case) is a message beside the field', async ({ page, browser }) => {
    const email = uniqueEmail('taken');
    const first = await browser.newContext({ javaScriptEnabled: false });
    await signUpWithoutScript(await first.newPage(), email);
    await first.close();

    await page.goto('/signup');
    await submitSignUpForm(page, 'Someone Else', email.toUpperCase());
    await expect(page).toHaveURL(/\/signup/);
    await expect(page.locator('#field-email-error')).toHaveText(/already exists/);
  });
});

async function signUpWithoutScript(page: import('@playwright/test').Page, email: string) {
  await page.goto('/signup');
  await submitSignUpForm(page, 'First Owner', email);
  await expect(page).toHaveURL(/\/account$/);
}

test('a taken email is a field error with JavaScript too', async ({ page, browser }) => {
  const email = uniqueEmail('taken-js');
  const first = await browser.newContext();
  await signUp(await first.newPage(), 'First Owner', email);
  await first.close();

  await openHydrated(page, '/signup');
  await submitSignUpForm(page, 'Second Person', email.toUpperCase());
  await expect(page.locator('#field-email-error')).toHaveText(/already exists/);
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/signup$/);
});

test('a wrong password says so and signs nobody in', async ({ page }) => {
  const email = uniqueEmail('wrong');
  await signUp(page, 'Mary Jackson', email);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/$/);

  await openHydrated(page, '/login');
  await submitLogInForm(page, email, 'not the password');
  await expect(page.getByRole('alert').filter({ hasText: /email or password/i }).first()).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test('an anonymous visit to a member page goes to login and comes back', async ({ page }) => {
  const email = await signUpDirectly(page, 'Dorothy Vaughan', 'back');
  await page.context().clearCookies();

  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await submitLogInForm(page, email);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
});

test('a member cannot open a staff page or call a staff function', async ({ page }) => {
  await signUp(page, 'Plain Member', uniqueEmail('member'));
  await expect(page.getByRole('link', { name: 'Staff' })).toHaveCount(0);

  const response = await page.goto('/staff');
  expect(response?.status()).toBe(403);
  await expect(page.getByTestId('forbidden')).toBeVisible();

  const call = await page.request.post('/sfn/staff_overview', { headers: { Accept: 'application/json' } });
  expect(call.status()).toBe(403);
});

test('an anonymous caller gets 401 from member functions and the API', async ({ request }) => {
  const me = await request.get('/api/auth/me');
  expect(me.status()).toBe(401);
  const overview = await request.post('/sfn/staff_overview', { headers: { Accept: 'application/json' } });
  expect(overview.status()).toBe(401);
});

test('a cross-origin POST is refused', async ({ request }) => {
  const email = uniqueEmail('csrf');
  const response = await request.post('/sfn/sign_up', {
    form: { display_name: 'Mallory', email, password: PASSWORD, idempotency_key: crypto.randomUUID() },
    headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
  });
  expect(response.status()).toBe(403);
  const login = await request.post('/api/auth/login', {
    data: { email, password: PASSWORD },
    headers: { Origin: 'https://evil.example' },
  });
  expect(login.status()).toBe(403);
});
