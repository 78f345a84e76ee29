// Pages that never dead-end: a link opened too early or mistyped explains
// itself and offers the nearest useful page; the header fits a phone.
import { test, expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { logInAs, logInAsStaff } from './helpers';

async function api(page: Page, path: string, data: object = {}): Promise<any> {
  const response = await page.request.post(path, { data });
  expect(response.ok(), `${path}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json();
}

test('a report link before the report exists says what is missing and leads back', async ({ page }) => {
  await logInAsStaff(page);
  const clientId = `early-${randomUUID().slice(0, 8)}`;
  await api(page, '/api/clients', { id: clientId, name: 'Early Bird Ltd' });
  const request = await api(page, '/api/requests', { client_id: clientId });
  const inspection = await api(page, `/api/requests/${request.id}/inspection`);
  const appointment = await api(page, `/api/inspections/${inspection.id}/appointments`, {
    scheduled_at: '2026-12-01T09:00:00Z',
    location: 'Depot',
  });
  const assessment = await api(page, `/api/appointments/${appointment.id}/assessment`);

  const response = await page.goto(`/staff/assessments/${assessment.id}/report`);
  expect(response?.status()).toBe(200);
  const notYet = page.getByTestId('report-not-yet');
  await expect(notYet.getByRole('heading', { name: 'No report yet' })).toBeVisible();
  await expect(notYet).toContainText(`Assessment ${assessment.number} has no report.`);
  await expect(notYet).toContainText(
    'Tabs still open: Identification, Tyres, Damage, Vehicle values, Pre-incident estimate, Estimate, Summary.',
  );
  await notYet.getByRole('link', { name: 'Back to the assessment' }).click();
  await expect(page).toHaveURL(new RegExp(`/staff/assessments/${assessment.id}$`));
  await expect(page.getByText(assessment.number).first()).toBeVisible();
});

test('a mistyped address offers the section it was in', async ({ page }) => {
  await logInAsStaff(page);
  const response = await page.goto('/staff/clients/no-such-client/edit');
  expect(response?.status()).toBe(404);
  const lost = page.getByTestId('page-not-found');
  await expect(lost.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(lost.getByRole('link', { name: 'Clients' })).toHaveAttribute('href', '/staff/clients');
  await expect(lost.getByRole('link', { name: 'The start page' })).toHaveAttribute('href', '/');

  await page.goto('/no-such-page');
  await expect(page.getByTestId('page-not-found').getByRole('link', { name: 'Go to the start page' })).toHaveAttribute(
    'href',
    '/',
  );
});

test.describe('on a 390-pixel-wide phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  for (const who of ['staff', 'admin'] as const) {
    test(`the header of ${who} wraps without scrolling sideways`, async ({ page }) => {
      await logInAs(page, who);
      // The header's layout is the server's HTML and the stylesheet alone.
      await page.goto('/staff');
      const header = page.locator('.site-header');
      await expect(header).toBeVisible();
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        header: document.querySelector('.site-header')?.scrollWidth ?? 0,
      }));
      expect(widths.page, 'the page does not scroll sideways').toBeLessThanOrEqual(390);
      expect(widths.header, 'the header fits').toBeLessThanOrEqual(390);
      // Every link of the header is on screen.
      for (const link of await header.getByRole('link').all()) {
        const box = await link.boundingBox();
        expect(box, `${await link.textContent()} is laid out`).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      }
    });
  }
});
