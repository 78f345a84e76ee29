import { test, expect } from '@playwright/test';
import { logIn, openHydrated, PASSWORD, signUp, uniqueEmail } from './helpers';

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
  await page.getByLabel('Your name').fill('Grace Hopper');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);

  // Hold the first request until we have looked at the button.
  let posts = 0;
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
  await page.route('**/sfn/sign_up', async (route) => {
    posts += 1;
    if (posts === 1) await firstHeld;
    await route.continue();
  });

  const button = page.getByRole('button', { name: /Sign up|Creating your account/ });
  await button.dblclick();
  await expect(button).toBeDisabled();
  await expect(button).toHaveAttribute('aria-busy', 'true');
  await expect(button).toHaveText('Creating your account…');
  releaseFirst();

  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await expect(page.locator('.field-error:not(:empty), .form-error')).toHaveCount(0);
  expect(posts).toBe(1);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the sign-up form works as a plain HTML form', async ({ page }) => {
    const email = uniqueEmail('nojs');
    await page.goto('/signup');
    await page.getByLabel('Your name').fill('Katherine Johnson');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByTestId('account-email')).toHaveText(email);
  });

  test('a taken email (in another case) is a message beside the field', async ({ page, browser }) => {
    const email = uniqueEmail('taken');
    const first = await browser.newContext({ javaScriptEnabled: false });
    await signUpWithoutScript(await first.newPage(), email);
    await first.close();

    await page.goto('/signup');
    await page.getByLabel('Your name').fill('Someone Else');
    await page.getByLabel('Email').fill(email.toUpperCase());
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect(page).toHaveURL(/\/signup/);
    await expect(page.locator('#field-email-error')).toHaveText(/already exists/);
  });
});

async function signUpWithoutScript(page: import('@playwright/test').Page, email: string) {
  await page.goto('/signup');
  await page.getByLabel('Your name').fill('First Owner');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/account$/);
}

test('a taken email is a field error with JavaScript too', async ({ page, browser }) => {
  const email = uniqueEmail('taken-js');
  const first = await browser.newContext();
  await signUp(await first.newPage(), 'First Owner', email);
  await first.close();

  await openHydrated(page, '/signup');
  await page.getByLabel('Your name').fill('Second Person');
  await page.getByLabel('Email').fill(email.toUpperCase());
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
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
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /email or password/i }).first()).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test('an anonymous visit to a member page goes to login and comes back', async ({ page }) => {
  const email = uniqueEmail('back');
  const setup = await page.request.post('/sfn/sign_up', {
    form: { display_name: 'Dorothy Vaughan', email, password: PASSWORD, idempotency_key: crypto.randomUUID() },
    headers: { Accept: 'application/json' },
  });
  expect(setup.status()).toBe(200);
  await page.context().clearCookies();

  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
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
