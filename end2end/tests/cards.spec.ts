import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import jsQR from 'jsqr';
import { createCard, type Fields, holdFirstRequest, openHydrated, saveWhileOtherTabHasEdits, signUpDirectly } from './helpers';

function uniqueName(prefix: string): string {
  return `${prefix} ${randomUUID().slice(0, 8)}`;
}

async function save(page: Page, expectedVersion: number): Promise<void> {
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('version')).toHaveText(`Version ${expectedVersion}`);
}

/** The card editor's save button and version, for saveWhileOtherTabHasEdits. */
const CARD_SAVE = { button: 'Save', versionTestId: 'version' };

/** Creates a card and opens its editor in a second tab, then again in this one; returns the second tab. */
async function createCardInTwoTabs(page: Page, context: BrowserContext, name: string, fields: Fields): Promise<Page> {
  const editor = await createCard(page, name, fields);
  const other = await context.newPage();
  await openHydrated(other, editor);
  await openHydrated(page, editor);
  return other;
}

test('a new user sees the empty state, then the card they create', async ({ page }) => {
  await signUpDirectly(page);
  await openHydrated(page, '/cards');
  await expect(page.getByTestId('cards-empty')).toBeVisible();

  const name = uniqueName('First');
  await createCard(page, name, { 'Full name': 'Ada Lovelace', 'Job title': 'Analyst' });
  await expect(page.getByTestId('card-preview')).toContainText('Ada Lovelace');
  await openHydrated(page, '/cards');
  await expect(page.getByTestId('card-list').getByRole('link', { name, exact: true })).toHaveCount(1);
});

test('the create form previews the card while typing', async ({ page }) => {
  await signUpDirectly(page);
  await openHydrated(page, '/cards/new');
  await page.getByLabel('Full name', { exact: true }).fill('Grace Hopper');
  await page.getByLabel('Company', { exact: true }).fill('Navy');
  const preview = page.getByTestId('card-preview');
  await expect(preview).toContainText('Grace Hopper');
  await expect(preview).toContainText('Navy');
  await page.getByLabel('Template').selectOption('bold');
  await expect(preview).toHaveClass(/template-bold/);
});

test('a double click on "Create card" makes one card', async ({ page }) => {
  await signUpDirectly(page);
  await openHydrated(page, '/cards/new');
  const name = uniqueName('Double');
  await page.getByLabel('Card name', { exact: true }).fill(name);

  const held = await holdFirstRequest(page, '**/sfn/create_card');
  const button = page.getByRole('button', { name: /Create card|Creating/ });
  await button.dblclick();
  await expect(button).toBeDisabled();
  await expect(button).toHaveAttribute('aria-busy', 'true');
  held.release();

  await expect(page).toHaveURL(/\/cards\/[0-9a-f-]{36}$/);
  expect(held.posts()).toBe(1);
  await openHydrated(page, '/cards');
  await expect(page.getByTestId('card-list').getByRole('link', { name, exact: true })).toHaveCount(1);
});

test('two tabs editing different fields: both changes survive', async ({ page, context }) => {
  await signUpDirectly(page);
  const other = await createCardInTwoTabs(page, context, uniqueName('Merge'), { 'Job title': 'Engineer', Company: 'Acme' });

  // The other tab has unsaved edits when this one saves: it is told (live
  // notice) but keeps its text, and saving it anyway meets the version check.
  await saveWhileOtherTabHasEdits(
    { mine: page, theirs: other },
    { mine: { 'Job title': 'CTO' }, theirs: { Company: 'Globex' } },
    CARD_SAVE,
  );
  const panel = other.getByTestId('merge-panel');
  await expect(panel).toBeVisible();
  await expect(other.getByTestId('merged-fields')).toContainText('Job title');
  await expect(other.getByLabel('Job title', { exact: true })).toHaveValue('CTO');
  await expect(other.getByLabel('Company', { exact: true })).toHaveValue('Globex');
  await save(other, 3);
  await expect(panel).toBeHidden();

  await page.reload();
  await expect(page.getByLabel('Job title', { exact: true })).toHaveValue('CTO');
  await expect(page.getByLabel('Company', { exact: true })).toHaveValue('Globex');
  await expect(page.getByTestId('version')).toHaveText('Version 3');
});

test('two tabs editing the same field: the merge panel shows both and the user decides', async ({ page, context }) => {
  await signUpDirectly(page);
  const other = await createCardInTwoTabs(page, context, uniqueName('Clash'), { Company: 'Acme' });

  await saveWhileOtherTabHasEdits(
    { mine: page, theirs: other },
    { mine: { Company: 'Initech' }, theirs: { Company: 'Globex', Tagline: 'Only mine' } },
    CARD_SAVE,
  );
  const conflict = other.getByTestId('conflict-company');
  await expect(conflict).toBeVisible();
  await expect(conflict.getByTestId('mine')).toHaveText('Globex');
  await expect(conflict.getByTestId('theirs')).toHaveText('Initech');
  // Nothing typed is lost while deciding.
  await expect(other.getByLabel('Company', { exact: true })).toHaveValue('Globex');
  await expect(other.getByLabel('Tagline', { exact: true })).toHaveValue('Only mine');

  await other.getByRole('button', { name: 'Use their Company' }).click();
  await expect(conflict).toBeHidden();
  await expect(other.getByLabel('Company', { exact: true })).toHaveValue('Initech');
  await save(other, 3);

  await page.reload();
  await expect(page.getByLabel('Company', { exact: true })).toHaveValue('Initech');
  await expect(page.getByLabel('Tagline', { exact: true })).toHaveValue('Only mine');
});

test('the public page opens by slug while logged out, with a vCard', async ({ page, browser }) => {
  await signUpDirectly(page);
  await createCard(page, uniqueName('Public'), { 'Full name': 'Katherine Johnson', Company: 'NASA' });
  const publicPath = await page.getByTestId('public-link').getAttribute('href');
  expect(publicPath).toMatch(/^\/c\/public-[a-z0-9-]+$/);

  const visitor = await browser.newContext();
  const visitorPage = await visitor.newPage();
  const response = await visitorPage.goto(publicPath!);
  expect(response?.status()).toBe(200);
  await expect(visitorPage.getByTestId('card-preview')).toContainText('Katherine Johnson');
  await expect(visitorPage.getByTestId('card-preview')).toContainText('NASA');
  const vcardLink = visitorPage.getByRole('link', { name: 'Add to contacts (vCard)' });
  const vcard = await visitorPage.request.get((await vcardLink.getAttribute('href'))!);
  expect(vcard.headers()['content-type']).toContain('text/vcard');
  expect(await vcard.text()).toContain('FN:Katherine Johnson');

  const missing = await visitorPage.goto('/c/no-card-here-' + randomUUID().slice(0, 6));
  expect(missing?.status()).toBe(404);
  await expect(visitorPage.getByTestId('card-missing')).toBeVisible();
  await visitor.close();
});

test('the public page is complete without WASM; its one script only copies the link', async ({ page, browser }) => {
  await signUpDirectly(page);
  await createCard(page, uniqueName('Static'), { 'Full name': 'Dorothy Vaughan', 'Job title': 'Supervisor' });
  const publicPath = (await page.getByTestId('public-link').getAttribute('href'))!;

  const visitor = await browser.newContext();
  const visitorPage = await visitor.newPage();
  const code: string[] = [];
  visitorPage.on('request', (request) => {
    if (/\.(js|wasm)(\?|$)/.test(request.url())) code.push(request.url());
  });
  const response = await visitorPage.goto(publicPath, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  await expect(visitorPage.getByTestId('card-preview')).toContainText('Dorothy Vaughan');
  await expect(visitorPage.getByTestId('card-preview')).toContainText('Supervisor');
  await expect(visitorPage.locator('script[type="module"], link[rel="modulepreload"]')).toHaveCount(0);
  expect(code.map((url) => new URL(url).pathname)).toEqual(['/share.js']);
  await visitor.close();
});

test('deleting a card frees its page', async ({ page }) => {
  await signUpDirectly(page);
  await createCard(page, uniqueName('Gone'));
  const publicPath = (await page.getByTestId('public-link').getAttribute('href'))!;
  await page.getByRole('button', { name: 'Delete card' }).click();
  await expect(page).toHaveURL(/\/cards$/);
  const response = await page.goto(publicPath);
  expect(response?.status()).toBe(404);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a create form posted twice makes one card', async ({ page }) => {
    await signUpDirectly(page);
    await page.goto('/cards/new');
    const name = uniqueName('NoScript');
    await page.getByLabel('Card name', { exact: true }).fill(name);

    // The network sends the form twice (a resend); the browser sees the second answer.
    const locations: string[] = [];
    await page.route('**/sfn/create_card', async (route) => {
      const first = await route.fetch({ maxRedirects: 0 });
      const second = await route.fetch({ maxRedirects: 0 });
      locations.push(first.headers()['location'] ?? '', second.headers()['location'] ?? '');
      await route.fulfill({ response: second });
    });
    await page.getByRole('button', { name: 'Create card' }).click();
    await expect(page).toHaveURL(/\/cards\/[0-9a-f-]{36}$/);
    expect(locations[0]).toMatch(/\/cards\/[0-9a-f-]{36}$/);
    expect(locations[1]).toBe(locations[0]);
    await page.unroute('**/sfn/create_card');

    await page.goto('/cards');
    await expect(page.getByTestId('card-list').getByRole('link', { name, exact: true })).toHaveCount(1);
  });
});

test('a card is shared by QR code, copied link and vCard, from its page and its editor', async ({ page, browser }) => {
  await signUpDirectly(page);
  await createCard(page, uniqueName('Share'), { 'Full name': 'Mary Jackson' });
  const publicPath = (await page.getByTestId('public-link').getAttribute('href'))!;
  const address = new URL(publicPath, page.url()).toString();
  // The editor shows the same QR code and full address.
  await expect(page.getByTestId('share').getByTestId('card-address')).toHaveText(address);

  const visitor = await browser.newContext();
  await visitor.grantPermissions(['clipboard-read', 'clipboard-write']);
  const visitorPage = await visitor.newPage();
  await visitorPage.goto(publicPath);
  const qr = visitorPage.getByTestId('qr-code');
  await expect(qr).toBeVisible();
  expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  const svg = await visitorPage.request.get(publicPath + '/qr.svg');
  expect(svg.status()).toBe(200);
  expect(svg.headers()['content-type']).toBe('image/svg+xml');
  expect((await svg.body()).length).toBeLessThan(8 * 1024);
  // What a phone's camera would read: the code as the browser draws it.
  const size = 336;
  const pixels = await qr.evaluate((img: HTMLImageElement, size: number) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = size;
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#fff';
    context.fillRect(0, 0, size, size);
    context.drawImage(img, 0, 0, size, size);
    return Array.from(context.getImageData(0, 0, size, size).data);
  }, size);
  expect(jsQR(Uint8ClampedArray.from(pixels), size, size)?.data, 'the QR code decodes to the card address').toBe(address);

  const download = visitorPage.waitForEvent('download');
  await visitorPage.getByRole('link', { name: 'Download QR code' }).click();
  expect((await download).suggestedFilename()).toMatch(/^share-[a-z0-9-]+-qr\.svg$/);

  await expect(visitorPage.getByTestId('card-address')).toHaveText(address);
  await visitorPage.getByTestId('copy-link').click();
  await expect(visitorPage.getByTestId('copy-link')).toHaveText('Link copied');
  expect(await visitorPage.evaluate(() => navigator.clipboard.readText())).toBe(address);
  await visitor.close();
});
