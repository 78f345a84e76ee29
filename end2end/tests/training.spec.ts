import { test, expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { holdFirstRequest, logInAs, openHydrated } from './helpers';

/** A scenario of its own for this test (titles are unique); returns its board path. */
async function newScenario(page: Page): Promise<{ title: string; board: string }> {
  const title = `Scenario ${randomUUID().slice(0, 8)}`;
  const response = await page.request.post('/api/scenarios', { data: { title, description: 'End-to-end' } });
  expect(response.status(), await response.text()).toBe(201);
  const scenario = await response.json();
  return { title, board: `/staff/scenarios/${scenario.id}` };
}

async function assignmentsOf(page: Page, board: string): Promise<any[]> {
  const response = await page.request.get(`/api${board.replace('/staff', '')}/assignments`);
  expect(response.status()).toBe(200);
  return response.json();
}

test('a double click on "Assign" creates one assignment', async ({ page }) => {
  await logInAs(page, 'staff');
  const { board } = await newScenario(page);
  await openHydrated(page, board);
  await page.getByLabel('Counselor', { exact: true }).selectOption({ label: 'Casey Cole (casey@lockstep.test)' });

  // Hold the first request, so the second click lands while it is pending.
  const held = await holdFirstRequest(page, '**/sfn/assign_counselor');
  const button = page.getByRole('button', { name: /^Assign$|^Assigning/ });
  await button.dblclick();
  await expect(button).toBeDisabled();
  await expect(button).toHaveAttribute('aria-busy', 'true');
  held.release();

  await expect(page.getByText('Assigned to Casey Cole.')).toBeVisible();
  expect(held.posts()).toBe(1);
  await expect(page.getByTestId('assignment-row')).toHaveCount(1);
  await expect(page.locator('.alert.error')).toHaveCount(0);
  expect(await assignmentsOf(page, board)).toHaveLength(1);
});

test('bulk assign reports who was assigned and who was skipped', async ({ page }) => {
  await logInAs(page, 'staff');
  const { board } = await newScenario(page);
  await openHydrated(page, board);
  await page.getByLabel('Counselor', { exact: true }).selectOption({ label: 'Casey Cole (casey@lockstep.test)' });
  await page.getByRole('button', { name: 'Assign', exact: true }).click();
  await expect(page.getByTestId('assignment-row')).toHaveCount(1);

  await page.getByRole('checkbox', { name: 'Casey Cole' }).check();
  await page.getByRole('checkbox', { name: 'Robin Reyes' }).check();
  await page.getByRole('button', { name: 'Assign selected' }).click();

  const result = page.getByTestId('bulk-result');
  await expect(result).toContainText('1 created, 1 skipped');
  await expect(result.getByTestId('bulk-outcome').filter({ hasText: 'Robin Reyes' })).toHaveAttribute('data-created', 'true');
  const casey = result.getByTestId('bulk-outcome').filter({ hasText: 'Casey Cole' });
  await expect(casey).toHaveAttribute('data-created', 'false');
  await expect(casey).toContainText('already has an active assignment');
  await expect(page.getByTestId('assignment-row')).toHaveCount(2);
});

test('a counselor completes an assignment and staff can assign the scenario again', async ({ page, browser }) => {
  await logInAs(page, 'staff');
  const { title, board } = await newScenario(page);
  await openHydrated(page, board);
  await page.getByLabel('Counselor', { exact: true }).selectOption({ label: 'Robin Reyes (robin@lockstep.test)' });
  await page.getByRole('button', { name: 'Assign', exact: true }).click();
  await expect(page.getByTestId('assignment-row')).toHaveCount(1);

  // Assigning again while it is active is refused, naming the assignment.
  await page.getByRole('button', { name: 'Assign', exact: true }).click();
  await expect(page.locator('.alert.error')).toContainText('Robin Reyes already has an active assignment');

  const counselorContext = await browser.newContext();
  const counselor = await counselorContext.newPage();
  await logInAs(counselor, 'robin');
  await openHydrated(counselor, '/assignments');
  const row = counselor.locator(`[data-testid="my-assignment"][data-scenario="${title}"]`);
  await row.getByRole('button', { name: 'Start' }).click();
  await expect(row).toHaveAttribute('data-status', 'in_progress');
  await row.getByRole('button', { name: 'Complete' }).click();
  await expect(row).toHaveAttribute('data-status', 'completed');
  await counselorContext.close();

  await openHydrated(page, board);
  await expect(page.locator('[data-testid="assignment-row"][data-status="completed"]')).toHaveCount(1);
  await page.getByLabel('Counselor', { exact: true }).selectOption({ label: 'Robin Reyes (robin@lockstep.test)' });
  await page.getByRole('button', { name: 'Assign', exact: true }).click();
  await expect(page.getByText('Assigned to Robin Reyes.')).toBeVisible();
  await expect(page.locator('[data-testid="assignment-row"][data-status="pending"]')).toHaveCount(1);
  await expect(page.getByTestId('assignment-row')).toHaveCount(2);
});

test('an admin creates an API key that works once shown, and revoking it locks it out', async ({ page }) => {
  await logInAs(page, 'admin');
  await openHydrated(page, '/admin/api-keys');
  const name = `Portal ${randomUUID().slice(0, 6)}`;
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = (await page.getByTestId('new-api-key').locator('code').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^lsk_[0-9a-f]+_[0-9a-f]{64}$/);

  const scenario = await page.request.post('/api/scenarios', { data: { title: `Keyed ${randomUUID().slice(0, 8)}` } });
  const scenarioId = (await scenario.json()).id;
  const call = () =>
    page.request.post('/api/external/assignments', {
      headers: { 'X-API-Key': secret },
      data: { user_id: 'e2e-casey', scenario_id: scenarioId },
    });
  expect((await call()).status()).toBe(201);
  expect((await call()).status()).toBe(409);

  const keyRow = page.getByTestId('api-keys').locator('tr', { hasText: name });
  await keyRow.getByRole('button', { name: 'Revoke' }).click();
  await expect(keyRow).toContainText('Revoked');
  expect((await call()).status()).toBe(401);
});
