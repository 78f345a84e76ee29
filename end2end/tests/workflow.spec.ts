import { test, expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { holdFirstRequest, logInAsStaff, openHydrated, saveWhileOtherTabHasEdits, signUpDirectly } from './helpers';

async function api(page: Page, path: string, data: object = {}): Promise<any> {
  const response = await page.request.post(path, { data });
  expect(response.ok(), `${path}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json();
}

/** A client, a request, its inspection and one appointment; returns ids. */
async function appointmentReady(page: Page): Promise<{ requestId: string; appointmentId: string }> {
  const clientId = `e2e-${randomUUID().slice(0, 8)}`;
  await api(page, '/api/clients', { id: clientId, name: 'Fleet Ltd' });
  const request = await api(page, '/api/requests', { client_id: clientId, vehicle_make: 'Volvo', vehicle_model: 'V70' });
  const inspection = await api(page, `/api/requests/${request.id}/inspection`);
  const appointment = await api(page, `/api/inspections/${inspection.id}/appointments`, {
    scheduled_at: '2026-12-01T09:00:00Z',
    location: 'Depot',
  });
  return { requestId: request.id, appointmentId: appointment.id };
}

test('two tabs create a client with the same id: both show the one client', async ({ page, context }) => {
  await logInAsStaff(page);
  const other = await context.newPage();
  const id = `twin-${randomUUID().slice(0, 8)}`;
  await openHydrated(page, '/staff/clients/new');
  await openHydrated(other, '/staff/clients/new');
  await page.getByLabel('Client id').fill(id);
  await page.getByLabel('Name').fill('First Tab Ltd');
  await other.getByLabel('Client id').fill(id);
  await other.getByLabel('Name').fill('Second Tab Ltd');

  await Promise.all([
    page.getByRole('button', { name: 'Create client' }).click(),
    other.getByRole('button', { name: 'Create client' }).click(),
  ]);
  for (const tab of [page, other]) {
    await expect(tab).toHaveURL(new RegExp(`/staff/clients/${id}(\\?existing=1)?$`));
    await expect(tab.getByTestId('client-id')).toHaveText(id);
  }
  const names = [await page.getByTestId('client-name').textContent(), await other.getByTestId('client-name').textContent()];
  expect(names[0]).toBe(names[1]);
  const existed = (await page.getByTestId('client-existed').count()) + (await other.getByTestId('client-existed').count());
  expect(existed).toBe(1);
});

test('a double click on "Start assessment" makes one assessment, without an error', async ({ page }) => {
  await logInAsStaff(page);
  const { requestId, appointmentId } = await appointmentReady(page);
  await openHydrated(page, `/staff/requests/${requestId}`);

  const held = await holdFirstRequest(page, '**/sfn/start_assessment');
  const button = page.getByRole('button', { name: /Start assessment|Starting/ });
  await button.dblclick();
  await expect(button).toBeDisabled();
  held.release();

  await expect(page).toHaveURL(/\/staff\/assessments\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('assessment-number')).toHaveText(/^ASM-\d{4}-\d{4,}$/);
  await expect(page.locator('.alert.error')).toHaveCount(0);
  expect(held.posts()).toBe(1);
  const again = await page.request.post(`/api/appointments/${appointmentId}/assessment`);
  expect(again.status()).toBe(200);
  expect(page.url()).toContain((await again.json()).id);
});

test('refreshing while the assessment is created lands on the same assessment', async ({ page }) => {
  await logInAsStaff(page);
  const { requestId, appointmentId } = await appointmentReady(page);
  await openHydrated(page, `/staff/requests/${requestId}`);

  // The server creates the assessment; the browser reloads before it gets
  // the answer (which is then dropped, as a reload drops it).
  let created!: () => void;
  const serverDone = new Promise<void>((resolve) => (created = resolve));
  let reloaded!: () => void;
  const afterReload = new Promise<void>((resolve) => (reloaded = resolve));
  await page.route('**/sfn/start_assessment', async (route) => {
    await route.fetch({ maxRedirects: 0 });
    created();
    await afterReload;
    await route.abort().catch(() => {});
  });
  await page.getByRole('button', { name: 'Start assessment' }).click();
  await serverDone;
  await page.reload();
  reloaded();
  await page.unroute('**/sfn/start_assessment');

  const link = page.getByTestId('assessment-link');
  await expect(link).toHaveText(/^Open ASM-/);
  await link.click();
  await expect(page).toHaveURL(/\/staff\/assessments\/[0-9a-f-]{36}$/);
  const again = await page.request.post(`/api/appointments/${appointmentId}/assessment`);
  expect(again.status()).toBe(200);
  expect(page.url()).toContain((await again.json()).id);
});

test('two tabs edit the same tyre: the second sees the merge panel', async ({ page, context }) => {
  await logInAsStaff(page);
  const { appointmentId } = await appointmentReady(page);
  const assessment = await api(page, `/api/appointments/${appointmentId}/assessment`);
  const other = await context.newPage();
  await openHydrated(page, `/staff/assessments/${assessment.id}?tab=tyres`);
  await openHydrated(other, `/staff/assessments/${assessment.id}?tab=tyres`);

  // The second tab has unsaved edits when the first saves: a live notice
  // does not touch them, and saving them meets the version check.
  const theirs = other.getByTestId('tyre-front_left');
  const mine = page.getByTestId('tyre-front_left');
  await saveWhileOtherTabHasEdits(
    { mine, theirs },
    { mine: { Make: 'Michelin' }, theirs: { Make: 'Pirelli', Size: '205/55 R16' } },
    { button: 'Save tyre', versionTestId: 'tyre-version' },
  );
  const conflict = theirs.getByTestId('conflict-make');
  await expect(conflict.getByTestId('mine')).toHaveText('Pirelli');
  await expect(conflict.getByTestId('theirs')).toHaveText('Michelin');
  await conflict.getByRole('button', { name: 'Use their Make' }).click();
  await theirs.getByRole('button', { name: 'Save tyre' }).click();
  await expect(theirs.getByTestId('tyre-version')).toHaveText('Version 3');

  await page.reload();
  await expect(mine.getByLabel('Make', { exact: true })).toHaveValue('Michelin');
  await expect(mine.getByLabel('Size', { exact: true })).toHaveValue('205/55 R16');
  // Other tyres were never touched.
  await expect(page.getByTestId('tyre-spare').getByTestId('tyre-version')).toHaveText('Version 1');
});

test('a completed assessment gets its report once', async ({ page }) => {
  await logInAsStaff(page);
  const { appointmentId } = await appointmentReady(page);
  const assessment = await api(page, `/api/appointments/${appointmentId}/assessment`);
  await openHydrated(page, `/staff/assessments/${assessment.id}`);
  await page.getByTestId('tab-damage').click();
  const damage = page.getByTestId('section-damage');
  await damage.getByLabel('Description', { exact: true }).fill('Dent in the rear door');
  await damage.getByRole('button', { name: 'Save section' }).click();
  await expect(damage.getByTestId('section-version')).toHaveText('Version 2');

  await page.getByTestId('tab-estimate').click();
  const estimate = page.getByTestId('estimate');
  await estimate.getByLabel('Labour', { exact: true }).fill('100');
  await estimate.getByLabel('Parts', { exact: true }).fill('250.5');
  await estimate.getByRole('button', { name: 'Save estimate' }).click();
  await expect(estimate.getByTestId('estimate-total')).toHaveText('350.50');

  await page.getByTestId('tab-summary').click();
  await page.getByRole('button', { name: 'Mark assessment completed' }).click();
  await expect(page.getByTestId('assessment-status')).toHaveText('Completed');
  await expect(page.getByTestId('audit-trail')).toContainText('changed it (version 1 → 2)');
  await page.getByRole('button', { name: 'Generate report' }).click();
  await expect(page).toHaveURL(/\/report$/);
  const number = await page.getByTestId('report-number').textContent();
  expect(number).toMatch(/^RPT-\d{4}-\d{4,}$/);
  const again = await page.request.post(`/api/assessments/${assessment.id}/report`);
  expect(again.status()).toBe(200);
  expect((await again.json()).number).toBe(number);
  await expect(page.getByTestId('report')).toContainText('350.50');
  await expect(page.getByTestId('report')).toContainText('Dent in the rear door');
});

test('assessment tabs keep unsaved text, and a tab marked complete stays marked', async ({ page }) => {
  await logInAsStaff(page);
  const { appointmentId } = await appointmentReady(page);
  const assessment = await api(page, `/api/appointments/${appointmentId}/assessment`);
  const editor = `/staff/assessments/${assessment.id}`;
  await openHydrated(page, editor);
  await expect(page.getByTestId('tab-identification')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('tab-panel-damage')).toBeHidden();

  await page.getByTestId('tab-damage').click();
  const damage = page.getByTestId('section-damage');
  await damage.getByLabel('Description', { exact: true }).fill('Cracked bumper, not saved yet');
  await page.getByTestId('tab-tyres').click();
  await expect(damage).toBeHidden();
  await page.getByTestId('tab-damage').click();
  await expect(damage.getByLabel('Description', { exact: true })).toHaveValue('Cracked bumper, not saved yet');

  // A double click marks it once: the second click lands on the note that
  // replaces the button, not on "Reopen tab".
  await page.getByTestId('mark-damage').dblclick();
  await expect(page.getByTestId('tab-damage')).toContainText('\u2713');
  await expect(page.getByTestId('complete-damage')).toBeVisible();
  await expect(page.getByTestId('reopen-damage')).toBeVisible();
  const marked = await page.request.get(`/api/assessments/${assessment.id}`);
  expect((await marked.json()).tabs_completed).toEqual(['damage']);

  // Opened again without a tab, the editor resumes after the finished one.
  await openHydrated(page, editor);
  await expect(page.getByTestId('tab-vehicle_values')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('tab-damage')).toContainText('\u2713');
  await page.getByTestId('tab-summary').click();
  await expect(page.getByTestId('tab-checklist')).toContainText('Damage: complete');
  await page.getByTestId('tab-damage').click();
  await page.getByTestId('reopen-damage').click();
  await expect(page.getByTestId('mark-damage')).toHaveText('Mark tab complete');
  await expect(page.getByTestId('tab-damage')).not.toContainText('\u2713');
});

test('two tabs reschedule one appointment: the second is told, nothing is overwritten', async ({ page, context }) => {
  await logInAsStaff(page);
  const { requestId, appointmentId } = await appointmentReady(page);
  const other = await context.newPage();
  await openHydrated(page, `/staff/requests/${requestId}`);
  await openHydrated(other, `/staff/requests/${requestId}`);

  const mine = page.getByTestId('appointment');
  await mine.getByText('Reschedule').click();
  await mine.getByLabel('Location').fill('North depot');
  await mine.getByRole('button', { name: 'Save new time' }).click();
  await expect(mine).toContainText('North depot');

  const theirs = other.getByTestId('appointment');
  await theirs.getByText('Reschedule').click();
  await theirs.getByLabel('Location').fill('South depot');
  await theirs.getByRole('button', { name: 'Save new time' }).click();
  await expect(other.getByTestId('reschedule-error')).toContainText('Someone else changed this appointment first');
  await expect(theirs).toContainText('North depot');
  const stored = await (await page.request.get(`/api/appointments/${appointmentId}`)).json();
  expect([stored.location, stored.version]).toEqual(['North depot', 2]);
});

test('a member cannot open the staff pages', async ({ page }) => {
  await signUpDirectly(page);
  const response = await page.goto('/staff/clients');
  expect(response?.status()).toBe(403);
  await expect(page.getByTestId('forbidden')).toBeVisible();
});

test('staff find any document by its number, and see open work', async ({ page }) => {
  await logInAsStaff(page);
  const { requestId } = await appointmentReady(page);
  const request = await (await page.request.get(`/api/requests/${requestId}`)).json();

  await openHydrated(page, '/staff');
  await expect(page.getByTestId('open-requests')).toContainText(request.number);
  await page.getByLabel('Document number').fill('REQ-1999-0001');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.locator('#field-number-error')).toContainText('No document has the number');

  await page.getByLabel('Document number').fill(request.number.toLowerCase());
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page).toHaveURL(new RegExp(`/staff/requests/${requestId}$`));
  await expect(page.getByTestId('request-number')).toHaveText(request.number);
});

test('two tabs edit one client: different fields are merged', async ({ page, context }) => {
  await logInAsStaff(page);
  const id = `edit-${randomUUID().slice(0, 8)}`;
  await api(page, '/api/clients', { id, name: 'Initech', company: 'Initech' });
  const other = await context.newPage();
  await openHydrated(page, `/staff/clients/${id}`);
  await openHydrated(other, `/staff/clients/${id}`);

  const theirs = other.getByTestId('client-details');
  const mine = page.getByTestId('client-details');
  await saveWhileOtherTabHasEdits(
    { mine, theirs },
    { mine: { Phone: '+1 555 0100' }, theirs: { Company: 'Initech Holdings' } },
    { button: 'Save client', versionTestId: 'client-version' },
  );
  await expect(theirs.getByTestId('merge-panel')).toBeVisible();
  await expect(theirs.getByLabel('Phone', { exact: true })).toHaveValue('+1 555 0100');
  await theirs.getByRole('button', { name: 'Save client' }).click();
  await expect(theirs.getByTestId('client-version')).toHaveText('Version 3');

  await page.reload();
  await expect(mine.getByLabel('Company', { exact: true })).toHaveValue('Initech Holdings');
  await expect(mine.getByLabel('Phone', { exact: true })).toHaveValue('+1 555 0100');
});

test('a lazily loaded page is double-submit safe while its code is still on the way', async ({ page }) => {
  await logInAsStaff(page);
  const clientId = `lazy-${randomUUID().slice(0, 8)}`;
  await api(page, '/api/clients', { id: clientId, name: 'Slow Link Ltd' });

  // Every split-out part of the WASM waits until released, the main module
  // does not: the client page is on screen, server-rendered, its main
  // module running, and not yet hydrated.
  const heldParts: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const mainModule = page.waitForResponse((response) => /\/pkg\/lockstep(\.[\w-]+)?\.wasm$/.test(response.url()));
  await page.route(/\/pkg\/(chunk_|split_)[^/]*\.wasm$/, async (route) => {
    heldParts.push(route.request().url());
    await released;
    await route.continue();
  });
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().includes('/sfn/create_request')) posts.push(request.url());
  });
  await page.goto(`/staff/clients/${clientId}`, { waitUntil: 'domcontentloaded' });
  expect((await mainModule).status()).toBe(200);
  await expect.poll(() => heldParts.length).toBeGreaterThan(0);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');

  await page.getByLabel('Make', { exact: true }).fill('Saab');
  await page.getByLabel('Model', { exact: true }).fill('900');
  // The form as the server sent it, posted twice as a browser resends it:
  // its idempotency key makes both answers the one request.
  const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Open request' }) });
  const action = await form.getAttribute('action');
  const fields = await form.evaluate((element) =>
    Object.fromEntries([...new FormData(element as HTMLFormElement)].map(([name, value]) => [name, String(value)])),
  );
  expect(fields.idempotency_key).toBeTruthy();
  const locations: (string | undefined)[] = [];
  for (let post = 0; post < 2; post++) {
    const response = await page.request.post(action!, {
      form: fields,
      maxRedirects: 0,
      headers: { Accept: 'text/html', Referer: page.url() },
    });
    expect([302, 303], await response.text()).toContain(response.status());
    locations.push(response.headers()['location']);
  }
  expect(locations[1]).toBe(locations[0]);

  // And a double click before the page is hydrated: a native post, twice.
  await page.getByRole('button', { name: 'Open request' }).dblclick();
  await expect(page).toHaveURL(/\/staff\/requests\/[0-9a-f-]{36}$/);
  release();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  expect(posts.length).toBeGreaterThan(0);

  await openHydrated(page, `/staff/clients/${clientId}`);
  await expect(page.getByTestId('request-list').locator('tbody tr')).toHaveCount(1);
});
