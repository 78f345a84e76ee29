import { expect, type ConsoleMessage, type Locator, type Page, type Request, type Response } from '@playwright/test';
import { randomUUID } from 'node:crypto';

/** An email no other test (or earlier run on the same database) uses. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}@example.test`;
}

export const PASSWORD = 'correct horse battery';

/**
 * Opens a page and waits until the WASM bundle has hydrated it. A page that
 * never hydrates fails with what the browser saw go wrong meanwhile (errors
 * and panics on the console, failed or refused requests), so a rare failure
 * says why.
 */
export async function openHydrated(page: Page, path: string): Promise<void> {
  const seen: string[] = [];
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === 'error') seen.push(`console: ${message.text()}`);
  };
  const onPageError = (error: Error) => seen.push(`page error: ${error.message}`);
  const onFailed = (request: Request) => seen.push(`failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  const onResponse = (response: Response) => {
    if (response.status() >= 400) seen.push(`${response.status()}: ${response.url()}`);
  };
  page.on('console', onConsole);
  page.on('pageerror', onPageError);
  page.on('requestfailed', onFailed);
  page.on('response', onResponse);
  let document: Response | null = null;
  try {
    document = await page.goto(path);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  } catch (error) {
    // The page's own answer too: which policy it came with, and its request id.
    const headers = document?.headers() ?? {};
    const answer = `${document?.status()} csp="${headers['content-security-policy'] ?? ''}" id=${headers['x-request-id'] ?? ''}`;
    throw new Error(`${path} did not hydrate (${answer}); the browser saw: ${seen.join('; ') || 'nothing wrong'}`, {
      cause: error,
    });
  } finally {
    page.off('console', onConsole);
    page.off('pageerror', onPageError);
    page.off('requestfailed', onFailed);
    page.off('response', onResponse);
  }
}

/** Fills the sign-up form already open on the page, without sending it. */
export async function fillSignUpForm(page: Page, name: string, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
}

/**
 * Fills and sends the sign-up form already open on the page, and checks nothing
 * about the outcome (callers expect success or a field error).
 */
export async function submitSignUpForm(page: Page, name: string, email: string, password = PASSWORD): Promise<void> {
  await fillSignUpForm(page, name, email, password);
  await page.getByRole('button', { name: 'Sign up' }).click();
}

export async function signUp(page: Page, name: string, email: string, password = PASSWORD): Promise<void> {
  await openHydrated(page, '/signup');
  await submitSignUpForm(page, name, email, password);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
}

/**
 * Fills and sends the log-in form already open on the page, and checks nothing
 * about the outcome (callers expect success or an error).
 */
export async function submitLogInForm(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await openHydrated(page, '/login');
  await submitLogInForm(page, email, password);
  await expect(page).toHaveURL(/\/account$/);
}

/** Signs up through the server function (no UI), leaving the session cookie in the page's context. */
export async function signUpDirectly(page: Page, name = 'Card Maker', emailPrefix = 'cards'): Promise<string> {
  const email = uniqueEmail(emailPrefix);
  const response = await page.request.post('/sfn/sign_up', {
    form: { display_name: name, email, password: PASSWORD, idempotency_key: randomUUID() },
    headers: { Accept: 'application/json' },
  });
  expect(response.status()).toBe(200);
  return email;
}

/** Form fields by their exact label, with the text to type, filled in this order. */
export type Fields = Record<string, string>;

/** Types each field into `form` (a page, or one section of it), in order. */
export async function fillFields(form: Page | Locator, fields: Fields): Promise<void> {
  for (const [label, value] of Object.entries(fields)) {
    await form.getByLabel(label, { exact: true }).fill(value);
  }
}

/**
 * The race of the two-tab conflict tests, with both tabs showing version 1 of
 * a record: the other tab types `edits.theirs` and leaves it unsaved, this tab
 * types `edits.mine` and saves (to version 2), then the other tab presses the
 * same save button, which meets the version check; the caller checks what the
 * other tab shows then. `tabs` are the same form (a page, or a section of it)
 * in the two tabs; `save` names its save button and the test id of the
 * version it shows.
 */
export async function saveWhileOtherTabHasEdits(
  tabs: { mine: Page | Locator; theirs: Page | Locator },
  edits: { mine: Fields; theirs: Fields },
  save: { button: string; versionTestId: string },
): Promise<void> {
  await fillFields(tabs.theirs, edits.theirs);
  await fillFields(tabs.mine, edits.mine);
  await tabs.mine.getByRole('button', { name: save.button }).click();
  await expect(tabs.mine.getByTestId(save.versionTestId)).toHaveText('Version 2');
  await tabs.theirs.getByRole('button', { name: save.button }).click();
}

/** Creates a card through the form and returns the editor's path (/cards/{id}). */
export async function createCard(page: Page, name: string, fields: Fields = {}): Promise<string> {
  await openHydrated(page, '/cards/new');
  await page.getByLabel('Card name', { exact: true }).fill(name);
  await fillFields(page, fields);
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

/**
 * For double-click tests: holds the first request to `url` (a route pattern)
 * until `release()` is called, so the test can look at the busy button while
 * it is pending, and counts every request to it (`posts()`), so the test can
 * check that only one was sent. Later requests pass straight through.
 */
export async function holdFirstRequest(page: Page, url: string): Promise<{ release: () => void; posts: () => number }> {
  let posts = 0;
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
  await page.route(url, async (route) => {
    posts += 1;
    if (posts === 1) await firstHeld;
    await route.continue();
  });
  return { release: () => releaseFirst(), posts: () => posts };
}
