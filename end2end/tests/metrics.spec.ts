import { expect, test } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { logInAs, openHydrated } from './helpers';

// Metrics are per instance, so this test talks to one instance only (the
// nginx port pinned to the first one, which scripts/test.sh provides).
test('the metrics page shows conflicts by record type and flags what is over a threshold', async ({ browser }) => {
  const baseURL = process.env.LOCKSTEP_URL_INSTANCE_A;
  if (!baseURL) throw new Error('LOCKSTEP_URL_INSTANCE_A is not set (scripts/test.sh sets it)');
  const page = await (await browser.newContext({ baseURL })).newPage();
  await logInAs(page, 'admin');
  // One version conflict of our own: two edits of version 1 of a new card.
  const created = await page.request.post('/api/cards', { data: { name: `Metrics ${randomUUID().slice(0, 8)}` } });
  expect(created.status()).toBe(201);
  const card = await created.json();
  const edit = () => page.request.patch(`/api/cards/${card.id}`, { data: { version: 1, tagline: 'Edited' } });
  expect((await edit()).status()).toBe(200);
  expect((await edit()).status()).toBe(409);

  await openHydrated(page, '/admin/metrics');
  const cardRow = page.getByTestId('conflicts-by-entity').locator('tr', { hasText: /^card/ });
  await expect(cardRow).toBeVisible();
  const conflicts = Number(await cardRow.locator('td').nth(2).textContent());
  expect(conflicts).toBeGreaterThanOrEqual(1);

  const conflictTile = page.getByTestId('metric-tile').filter({ hasText: 'Version conflicts' });
  await expect(conflictTile).toContainText('%');
  // The tile is highlighted exactly when the alert list names it.
  const over = (await conflictTile.getAttribute('class'))?.includes('over') ?? false;
  if (over) {
    await expect(page.getByTestId('metrics-alerts')).toContainText('Version conflicts');
  } else {
    await expect(page.getByTestId('metrics-alerts').or(page.getByTestId('metrics-ok'))).toBeVisible();
    await expect(page.getByTestId('metrics-alerts').filter({ hasText: 'Version conflicts' })).toHaveCount(0);
  }
  // The busiest routes, by pattern (never a raw id), with their average time.
  await expect(page.getByTestId('routes').locator('tbody tr').first()).toContainText('ms');
  await expect(page.getByTestId('routes')).not.toContainText(card.id);
});

test('the metrics page is for administrators only', async ({ page }) => {
  await logInAs(page, 'staff');
  const response = await page.goto('/admin/metrics');
  expect(response?.status()).toBe(403);
  await expect(page.getByTestId('forbidden')).toBeVisible();
});
