// Every form of the app that changes something, posted as a plain HTML form
// with JavaScript turned off: the browser posts to the server function, the
// server answers with a redirect, and the page it lands on must show the
// outcome; the stored state is then read back with the same session (the
// REST API, or a fresh visit of the page that shows it).
//
// One row per form (or per outcome of a form). A row names where the form is
// rendered (`source`), so a form that does not work without JavaScript is
// reported with the file to look at, the URL it posted to and what came back.

import {
  test,
  expect,
  type APIRequestContext,
  type BrowserContext,
  type BrowserContextOptions,
  type ConsoleMessage,
  type Locator,
  type Page,
  type Request,
} from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { ACCOUNTS, fillFields, fillSignUpForm, logInAs, PASSWORD, signUpDirectly, uniqueEmail } from './helpers';

test.use({ javaScriptEnabled: false });

/** Who the page is signed in as when the form is opened. */
type Who = keyof typeof ACCOUNTS | 'member' | 'visitor';

/** Ids and values a case's setup made, for its later steps. */
type Data = Record<string, string>;

interface Run {
  /** The page the form is posted from: JavaScript off, signed in as `who`. */
  page: Page;
  data: Data;
  /** Other pages a setup opened (another device, another tab), by name. */
  others: Record<string, Page>;
  /** The fresh member's email (`who: 'member'`, or made by a setup). */
  email: string;
  /** Another browser context (JavaScript off), closed after the test. */
  newContext: (options?: BrowserContextOptions) => Promise<BrowserContext>;
  /** Another context's page signed in as the same member: another device. */
  otherDevice: (options?: BrowserContextOptions) => Promise<Page>;
  /** An API client signed in as staff (for setups of other roles' cases). */
  staff: () => Promise<APIRequestContext>;
}

interface FormCase {
  name: string;
  who: Who;
  /** Where the form is rendered (file:line under app/src). */
  source: string;
  /** Builds what the form needs, through the API (never through the UI). */
  setup?: (run: Run) => Promise<void>;
  /** The page the form is on. */
  open: (data: Data) => string;
  fill?: (run: Run) => Promise<void>;
  /** The submit button of the form. */
  submit: (page: Page, data: Data) => Locator;
  /** The post is meant to be refused: the page it lands on carries an error. */
  refused?: boolean;
  /** What the page the browser lands on shows. */
  expectPage: (run: Run) => Promise<void>;
  /** What is stored now, read back with the same session. */
  expectStored: (run: Run) => Promise<void>;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

/** The page's URL ends with `path` (a regex source); Leptos leaves a bare `?` after a plain form post. */
function landedOn(path: string): RegExp {
  return new RegExp(`^[a-z]+://[^/]+${path}\\??$`);
}

function unique(prefix: string): string {
  return `${prefix} ${randomUUID().slice(0, 8)}`;
}

function button(name: string, within?: (page: Page) => Locator): (page: Page) => Locator {
  return (page) => (within ? within(page) : page).getByRole('button', { name, exact: true });
}

/** The last path segment of the page's URL (the id of what it shows). */
function idInUrl(page: Page): string {
  return new URL(page.url()).pathname.split('/').filter(Boolean).pop() ?? '';
}

async function getJson(api: APIRequestContext, path: string): Promise<any> {
  const response = await api.get(path);
  expect(response.status(), `GET ${path}: ${await response.text()}`).toBe(200);
  return response.json();
}

async function send(api: APIRequestContext, method: 'POST' | 'PUT', path: string, data: object = {}): Promise<any> {
  const response = await api.fetch(path, { method, data });
  expect(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json();
}

/** Calls a server function as the browser's script would (form-encoded, JSON answer). */
async function serverFunction(api: APIRequestContext, name: string, form: Record<string, string>): Promise<any> {
  const response = await api.post(`/sfn/${name}`, { form, headers: { Accept: 'application/json' } });
  expect(response.status(), `/sfn/${name}: ${await response.text()}`).toBe(200);
  return response.json();
}

/** An external system's call with an API key. */
function withKey(api: APIRequestContext, secret: string) {
  return api.get('/api/external/assignments?user_id=e2e-casey', { headers: { 'X-API-Key': secret } });
}

async function statusOf(api: APIRequestContext, path: string): Promise<number> {
  return (await api.get(path)).status();
}

// The staff workflow, built through the REST API up to the step a case needs.
async function clientReady(run: Run): Promise<void> {
  run.data.clientId = `nojs-${randomUUID().slice(0, 8)}`;
  run.data.clientName = unique('Fleet');
  await send(run.page.request, 'POST', '/api/clients', { id: run.data.clientId, name: run.data.clientName, company: 'Fleet Ltd' });
}

async function requestReady(run: Run): Promise<void> {
  await clientReady(run);
  const request = await send(run.page.request, 'POST', '/api/requests', {
    client_id: run.data.clientId,
    vehicle_make: 'Volvo',
    vehicle_model: 'V70',
  });
  run.data.requestId = request.id;
  run.data.requestNumber = request.number;
}

async function inspectionReady(run: Run): Promise<void> {
  await requestReady(run);
  run.data.inspectionId = (await send(run.page.request, 'POST', `/api/requests/${run.data.requestId}/inspection`)).id;
}

async function appointmentReady(run: Run): Promise<void> {
  await inspectionReady(run);
  const appointment = await send(run.page.request, 'POST', `/api/inspections/${run.data.inspectionId}/appointments`, {
    scheduled_at: '2026-12-01T09:00:00Z',
    location: 'Depot',
  });
  run.data.appointmentId = appointment.id;
}

async function assessmentReady(run: Run): Promise<void> {
  await appointmentReady(run);
  run.data.assessmentId = (await send(run.page.request, 'POST', `/api/appointments/${run.data.appointmentId}/assessment`)).id;
}

async function assessment(run: Run): Promise<any> {
  return getJson(run.page.request, `/api/assessments/${run.data.assessmentId}`);
}

async function scenarioReady(api: APIRequestContext, data: Data): Promise<void> {
  data.title = unique('No-script scenario');
  const response = await api.post('/api/scenarios', { data: { title: data.title, description: 'Without JavaScript' } });
  expect(response.status(), await response.text()).toBe(201);
  data.scenarioId = (await response.json()).id;
}

async function scenario(run: Run): Promise<any> {
  const all: any[] = await getJson(run.page.request, '/api/scenarios');
  const found = all.find((s) => s.id === run.data.scenarioId);
  expect(found, `scenario ${run.data.scenarioId} is listed`).toBeTruthy();
  return found;
}

async function boardRows(run: Run): Promise<any[]> {
  return getJson(run.page.request, `/api/scenarios/${run.data.scenarioId}/assignments`);
}

/** A scenario assigned (by staff) to the counselor the page is signed in as. */
async function assignmentReady(run: Run): Promise<void> {
  const me = await getJson(run.page.request, '/api/auth/me');
  const staff = await run.staff();
  await scenarioReady(staff, run.data);
  const assignment = await send(staff, 'POST', '/api/assignments', { counselor_id: me.id, scenario_id: run.data.scenarioId });
  run.data.assignmentId = assignment.id;
}

async function myAssignment(run: Run): Promise<any> {
  const mine: any[] = await getJson(run.page.request, '/api/assignments/mine');
  const found = mine.find((a) => a.id === run.data.assignmentId);
  expect(found, `assignment ${run.data.assignmentId} is listed`).toBeTruthy();
  return found;
}

function myAssignmentRow(page: Page, data: Data): Locator {
  return page.locator(`[data-testid="my-assignment"][data-scenario="${data.title}"]`);
}

/** A second device of the page's member: the devices page lists it as an iPhone. */
async function phoneReady(run: Run): Promise<void> {
  const phone = await run.otherDevice({ userAgent: IPHONE });
  await phone.goto('/account');
  await expect(phone.getByTestId('account-email')).toHaveText(run.email);
  run.others.phone = phone;
}

async function cardReady(run: Run): Promise<void> {
  run.data.cardName = unique('No-script card');
  const card = await send(run.page.request, 'POST', '/api/cards', { name: run.data.cardName, company: 'Acme' });
  run.data.cardId = card.id;
}

async function card(run: Run): Promise<any> {
  return getJson(run.page.request, `/api/cards/${run.data.cardId}`);
}

/** A member freshly signed up, with the page's context signed out again. */
async function memberSignedOut(run: Run): Promise<void> {
  run.email = await signUpDirectly(run.page, 'Logan Login', 'nojs-login');
  await run.page.context().clearCookies();
}

const section = (testid: string) => (page: Page) => page.getByTestId(testid);

/** The four free-form sections of an assessment, each with its own form. */
const SECTIONS: { name: string; fields: Record<string, string>; stored: Record<string, string> }[] = [
  {
    name: 'identification',
    fields: { Registration: 'NJ12 SCR', VIN: 'YV1SW61T042123456', 'Odometer (km)': '123456', Colour: 'Dark blue' },
    stored: { registration: 'NJ12 SCR', vin: 'YV1SW61T042123456', odometer_km: '123456', colour: 'Dark blue' },
  },
  {
    name: 'damage',
    fields: { Description: 'Dent in the rear door', 'Damaged areas': 'Rear door', Severity: 'Minor' },
    stored: { description: 'Dent in the rear door', areas: 'Rear door', severity: 'Minor' },
  },
  {
    name: 'vehicle_values',
    fields: { 'Market value': '12000', 'Salvage value': '1500.5' },
    stored: { market_value: '12000.00', salvage_value: '1500.50' },
  },
  {
    name: 'pre_incident_estimate',
    fields: { 'Condition before the incident': 'Well kept', 'Value before the incident': '11000' },
    stored: { condition: 'Well kept', value: '11000.00' },
  },
];

const cases: FormCase[] = [
  // ── Accounts
  {
    name: 'sign up',
    who: 'visitor',
    source: 'app/src/pages/signup.rs:17',
    setup: async ({ data }) => {
      data.email = uniqueEmail('nojs-signup');
    },
    open: () => '/signup',
    fill: async ({ page, data }) => fillSignUpForm(page, 'Nora Noscript', data.email),
    submit: button('Sign up'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn('/account'));
      await expect(page.getByTestId('account-email')).toHaveText(data.email);
    },
    expectStored: async ({ page, data }) => {
      expect((await getJson(page.request, '/api/auth/me')).email).toBe(data.email);
    },
  },
  {
    name: 'log in',
    who: 'visitor',
    source: 'app/src/pages/login.rs:36',
    setup: memberSignedOut,
    open: () => '/login?next=/profile',
    fill: async ({ page, email }) => fillFields(page, { Email: email, Password: PASSWORD }),
    submit: button('Log in'),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(landedOn('/profile'));
      await expect(page.getByRole('heading', { name: 'Your profile' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
    },
    expectStored: async ({ page, email }) => {
      expect((await getJson(page.request, '/api/auth/me')).email).toBe(email);
    },
  },
  {
    name: 'log in with a wrong password shows the error',
    who: 'visitor',
    source: 'app/src/pages/login.rs:36',
    refused: true,
    setup: memberSignedOut,
    open: () => '/login',
    fill: async ({ page, email }) => fillFields(page, { Email: email, Password: 'not the password' }),
    submit: button('Log in'),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(/\/login/);
      await expect(page.getByRole('alert').filter({ hasText: 'Wrong email or password.' })).toBeVisible();
      await expect(page.getByRole('link', { name: 'Log in' }).first()).toBeVisible();
    },
    expectStored: async ({ page }) => {
      expect(await statusOf(page.request, '/api/auth/me')).toBe(401);
    },
  },
  {
    name: 'log out',
    who: 'member',
    source: 'app/src/lib.rs:208',
    open: () => '/account',
    submit: button('Log out'),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(landedOn('/'));
      await expect(page.getByRole('link', { name: 'Log in' }).first()).toBeVisible();
      await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0);
    },
    expectStored: async ({ page }) => {
      expect(await statusOf(page.request, '/api/auth/me')).toBe(401);
    },
  },

  // ── Cards
  {
    name: 'card create',
    who: 'member',
    source: 'app/src/pages/cards.rs:88',
    setup: async ({ data }) => {
      data.cardName = unique('No-script card');
    },
    open: () => '/cards/new',
    fill: async ({ page, data }) =>
      fillFields(page, { 'Card name': data.cardName, 'Full name': 'Ada Noscript', 'Job title': 'Analyst' }),
    submit: button('Create card'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/cards/${UUID}`));
      data.cardId = idInUrl(page);
      await expect(page.getByRole('heading', { name: data.cardName })).toBeVisible();
      await expect(page.getByTestId('version')).toHaveText('Version 1');
      await expect(page.getByTestId('card-preview')).toContainText('Ada Noscript');
    },
    expectStored: async (run) => {
      const stored = await card(run);
      expect([stored.name, stored.full_name, stored.job_title, stored.version]).toEqual([
        run.data.cardName,
        'Ada Noscript',
        'Analyst',
        1,
      ]);
    },
  },
  {
    name: 'card edit',
    who: 'member',
    source: 'app/src/pages/cards.rs:241 (Editor, form in app/src/editor/mod.rs:51)',
    setup: cardReady,
    open: (data) => `/cards/${data.cardId}`,
    fill: async ({ page }) => fillFields(page, { Company: 'Globex', Tagline: 'Posted without a script' }),
    submit: button('Save'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/cards/${data.cardId}`));
      await expect(page.getByTestId('version')).toHaveText('Version 2');
      await expect(page.getByLabel('Company', { exact: true })).toHaveValue('Globex');
      await expect(page.getByTestId('card-preview')).toContainText('Posted without a script');
    },
    expectStored: async (run) => {
      const stored = await card(run);
      expect([stored.company, stored.tagline, stored.version]).toEqual(['Globex', 'Posted without a script', 2]);
    },
  },
  {
    name: 'card edit conflict: the second save is told and overwrites nothing',
    who: 'member',
    source: 'app/src/pages/cards.rs:241 (Editor, form in app/src/editor/mod.rs:51)',
    refused: true,
    setup: async (run) => {
      await cardReady(run);
      // The other tab: another browser context of the same member, opened at version 1 too.
      const other = await run.otherDevice();
      await other.goto(`/cards/${run.data.cardId}`);
      await expect(other.getByTestId('version')).toHaveText('Version 1');
      run.others.tab = other;
    },
    open: (data) => `/cards/${data.cardId}`,
    fill: async ({ page, others }) => {
      await expect(page.getByTestId('version')).toHaveText('Version 1');
      await fillFields(page, { Company: 'Mine Ltd' });
      // Meanwhile the other tab saves its own change (to version 2).
      const other = others.tab;
      await fillFields(other, { Company: 'Theirs Ltd' });
      await other.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(other.getByTestId('version')).toHaveText('Version 2');
    },
    submit: button('Save'),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(/\/cards\/[0-9a-f-]{36}(\?|$)/);
      // Without a script there is no merge in the browser, and the redirect
      // does not carry what was typed: the page must say the save was
      // refused and show what is stored, at the version to edit from.
      await expect(page.getByRole('alert').filter({ hasText: 'Not saved: someone else changed this first.' })).toBeVisible();
      await expect(page.getByLabel('Company', { exact: true })).toHaveValue('Theirs Ltd');
      await expect(page.getByTestId('version')).toHaveText('Version 2');
    },
    expectStored: async (run) => {
      const stored = await card(run);
      expect([stored.company, stored.version]).toEqual(['Theirs Ltd', 2]);
    },
  },
  {
    name: 'card delete',
    who: 'member',
    source: 'app/src/pages/cards.rs:247',
    setup: cardReady,
    open: (data) => `/cards/${data.cardId}`,
    submit: button('Delete card'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn('/cards'));
      await expect(page.getByRole('heading', { name: 'Your business cards' })).toBeVisible();
      await expect(page.getByRole('link', { name: data.cardName, exact: true })).toHaveCount(0);
    },
    expectStored: async ({ page, data }) => {
      expect(await statusOf(page.request, `/api/cards/${data.cardId}`)).toBe(404);
    },
  },

  // ── Profile, devices, password
  {
    name: 'profile: personal details',
    who: 'member',
    source: 'app/src/pages/profiles.rs:30 (Editor, form in app/src/editor/mod.rs:51)',
    open: () => '/profile',
    fill: async ({ page }) =>
      fillFields(page.getByTestId('personal'), { 'Full name': 'Ada Lovelace', 'Date of birth': '1990-05-17', City: 'London' }),
    submit: button('Save personal details', section('personal')),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(landedOn('/profile'));
      await expect(page.getByTestId('personal-version')).toHaveText('Version 1');
      await expect(page.getByTestId('personal').getByLabel('City', { exact: true })).toHaveValue('London');
      await expect(page.getByTestId('professional-version')).toHaveText('Not saved yet');
    },
    expectStored: async ({ page }) => {
      const stored = await getJson(page.request, '/api/profile/personal');
      expect([stored.full_name, stored.date_of_birth, stored.city, stored.version]).toEqual([
        'Ada Lovelace',
        '1990-05-17',
        'London',
        1,
      ]);
    },
  },
  {
    name: 'profile: professional details',
    who: 'member',
    source: 'app/src/pages/profiles.rs:35 (Editor, form in app/src/editor/mod.rs:51)',
    open: () => '/profile',
    fill: async ({ page }) =>
      fillFields(page.getByTestId('professional'), {
        Company: 'Analytical Engines',
        'Job title': 'Programmer',
        LinkedIn: 'https://www.linkedin.com/in/ada-noscript',
        Bio: 'Writes notes on engines.',
      }),
    submit: button('Save professional details', section('professional')),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(landedOn('/profile'));
      await expect(page.getByTestId('professional-version')).toHaveText('Version 1');
      await expect(page.getByTestId('professional').getByLabel('Job title', { exact: true })).toHaveValue('Programmer');
    },
    expectStored: async ({ page }) => {
      const stored = await getJson(page.request, '/api/profile/professional');
      expect([stored.company, stored.job_title, stored.linkedin, stored.bio, stored.version]).toEqual([
        'Analytical Engines',
        'Programmer',
        'https://www.linkedin.com/in/ada-noscript',
        'Writes notes on engines.',
        1,
      ]);
    },
  },
  {
    name: 'profile: a bad field is a message beside it and nothing is saved',
    who: 'member',
    source: 'app/src/pages/profiles.rs:35 (Editor, form in app/src/editor/mod.rs:51)',
    refused: true,
    open: () => '/profile',
    fill: async ({ page }) => fillFields(page.getByTestId('professional'), { LinkedIn: 'https://example.com/ada' }),
    submit: button('Save professional details', section('professional')),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(/\/profile/);
      await expect(page.locator('#field-linkedin-error')).toHaveText(/LinkedIn address/);
      await expect(page.getByTestId('professional-version')).toHaveText('Not saved yet');
    },
    expectStored: async ({ page }) => {
      expect((await getJson(page.request, '/api/profile/professional')).version).toBe(0);
    },
  },
  {
    name: 'devices: sign out another device',
    who: 'member',
    source: 'app/src/pages/profiles.rs:165',
    setup: phoneReady,
    open: () => '/profile/sessions',
    fill: async ({ page }) => {
      await expect(page.getByTestId('device')).toHaveCount(2);
    },
    submit: (page) =>
      page.getByTestId('device').filter({ hasText: 'iPhone' }).getByRole('button', { name: 'Sign out', exact: true }),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(landedOn('/profile/sessions'));
      await expect(page.getByTestId('device')).toHaveCount(1);
      await expect(page.getByTestId('this-device')).toBeVisible();
    },
    expectStored: async ({ page, others }) => {
      expect(await statusOf(others.phone.request, '/api/auth/me')).toBe(401);
      expect(await statusOf(page.request, '/api/auth/me')).toBe(200);
    },
  },
  {
    name: 'devices: sign out all other devices',
    who: 'member',
    source: 'app/src/pages/profiles.rs:116',
    setup: phoneReady,
    open: () => '/profile/sessions',
    fill: async ({ page }) => {
      await expect(page.getByTestId('device')).toHaveCount(2);
    },
    submit: button('Sign out all other devices'),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(landedOn('/profile/sessions'));
      await expect(page.getByTestId('device')).toHaveCount(1);
      await expect(page.getByTestId('this-device')).toBeVisible();
    },
    expectStored: async ({ page, others }) => {
      expect(await statusOf(others.phone.request, '/api/auth/me')).toBe(401);
      expect(await statusOf(page.request, '/api/auth/me')).toBe(200);
    },
  },
  {
    name: 'password change',
    who: 'member',
    source: 'app/src/pages/profiles.rs:126',
    setup: async (run) => {
      await phoneReady(run);
      run.data.newPassword = `new ${randomUUID()}`;
    },
    open: () => '/profile/sessions',
    fill: async ({ page, data }) =>
      fillFields(page, { 'Current password': PASSWORD, 'New password': data.newPassword }),
    submit: button('Change password'),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(landedOn('/profile/sessions'));
      // This device stays signed in; the phone was signed out.
      await expect(page.getByTestId('this-device')).toBeVisible();
      await expect(page.getByTestId('device')).toHaveCount(1);
    },
    expectStored: async (run) => {
      expect(await statusOf(run.page.request, '/api/auth/me')).toBe(200);
      expect(await statusOf(run.others.phone.request, '/api/auth/me')).toBe(401);
      const fresh = (await run.newContext()).request;
      const login = await fresh.post('/api/auth/login', { data: { email: run.email, password: run.data.newPassword } });
      expect(login.status(), await login.text()).toBe(200);
    },
  },
  {
    name: 'password change with a wrong current password shows the error',
    who: 'member',
    source: 'app/src/pages/profiles.rs:126',
    refused: true,
    open: () => '/profile/sessions',
    fill: async ({ page }) =>
      fillFields(page, { 'Current password': 'not my password', 'New password': 'another new password' }),
    submit: button('Change password'),
    expectPage: async ({ page }) => {
      await expect(page).toHaveURL(/\/profile\/sessions/);
      await expect(page.getByRole('alert').filter({ hasText: /password/i }).first()).toBeVisible();
      await expect(page.getByTestId('this-device')).toBeVisible();
    },
    expectStored: async (run) => {
      // The old password still works.
      const fresh = (await run.newContext()).request;
      const login = await fresh.post('/api/auth/login', { data: { email: run.email, password: PASSWORD } });
      expect(login.status(), await login.text()).toBe(200);
    },
  },

  // ── Staff workflow: client → request → inspection → appointment → assessment
  {
    name: 'client create',
    who: 'staff',
    source: 'app/src/pages/workflow/clients.rs:112',
    setup: async ({ data }) => {
      data.clientId = `nojs-${randomUUID().slice(0, 8)}`;
      data.clientName = unique('Initech');
      data.clientEmail = uniqueEmail('fleet'); // client emails are unique
    },
    open: () => '/staff/clients/new',
    fill: async ({ page, data }) =>
      fillFields(page, { 'Client id': data.clientId, Name: data.clientName, Email: data.clientEmail, Company: 'Initech' }),
    submit: button('Create client'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/clients/${data.clientId}`));
      await expect(page.getByTestId('client-name')).toHaveText(data.clientName);
      await expect(page.getByTestId('client-id')).toHaveText(data.clientId);
      await expect(page.getByTestId('client-version')).toHaveText('Version 1');
    },
    expectStored: async ({ page, data }) => {
      const stored = await getJson(page.request, `/api/clients/${data.clientId}`);
      expect([stored.name, stored.email, stored.company, stored.version]).toEqual([
        data.clientName,
        data.clientEmail,
        'Initech',
        1,
      ]);
    },
  },
  {
    name: 'client edit',
    who: 'staff',
    source: 'app/src/pages/workflow/clients.rs:197 (Editor, form in app/src/editor/mod.rs:51)',
    setup: clientReady,
    open: (data) => `/staff/clients/${data.clientId}`,
    fill: async ({ page }) =>
      fillFields(page.getByTestId('client-details'), { Phone: '+1 555 0199', Company: 'Fleet Holdings' }),
    submit: button('Save client', section('client-details')),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/clients/${data.clientId}`));
      await expect(page.getByTestId('client-version')).toHaveText('Version 2');
      await expect(page.getByTestId('client-details').getByLabel('Phone', { exact: true })).toHaveValue('+1 555 0199');
    },
    expectStored: async ({ page, data }) => {
      const stored = await getJson(page.request, `/api/clients/${data.clientId}`);
      expect([stored.phone, stored.company, stored.version]).toEqual(['+1 555 0199', 'Fleet Holdings', 2]);
    },
  },
  {
    name: 'request create',
    who: 'staff',
    source: 'app/src/pages/workflow/clients.rs:175',
    setup: clientReady,
    open: (data) => `/staff/clients/${data.clientId}`,
    fill: async ({ page }) =>
      fillFields(page, { Make: 'Saab', Model: '900', Registration: 'NJ 900', 'Claim reference': 'CLM-NOJS-1' }),
    submit: button('Open request'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/requests/${UUID}`));
      data.requestId = idInUrl(page);
      await expect(page.getByTestId('request-number')).toHaveText(/^REQ-\d{4}-\d{4,}$/);
      await expect(page.getByRole('link', { name: data.clientName })).toBeVisible();
    },
    expectStored: async ({ page, data }) => {
      const stored = await getJson(page.request, `/api/requests/${data.requestId}`);
      expect([stored.client_id, stored.vehicle_make, stored.vehicle_model, stored.registration, stored.claim_reference]).toEqual(
        [data.clientId, 'Saab', '900', 'NJ 900', 'CLM-NOJS-1'],
      );
      await page.goto(`/staff/clients/${data.clientId}`);
      await expect(page.getByTestId('request-list').locator('tbody tr')).toHaveCount(1);
    },
  },
  {
    name: 'inspection create',
    who: 'staff',
    source: 'app/src/pages/workflow/requests.rs:80',
    setup: requestReady,
    open: (data) => `/staff/requests/${data.requestId}`,
    submit: button('Create inspection'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/requests/${data.requestId}`));
      await expect(page.getByTestId('inspection-number')).toHaveText(/^INS-\d{4}-\d{4,}$/);
      data.inspectionNumber = (await page.getByTestId('inspection-number').textContent()) ?? '';
      await expect(page.getByRole('button', { name: 'Book appointment' })).toBeVisible();
    },
    expectStored: async ({ page, data }) => {
      const stored = await getJson(page.request, `/api/requests/${data.requestId}/inspection`);
      expect(stored.number).toBe(data.inspectionNumber);
    },
  },
  {
    name: 'appointment create',
    who: 'staff',
    source: 'app/src/pages/workflow/requests.rs:99',
    setup: async (run) => {
      await inspectionReady(run);
      run.data.location = unique('Bay');
    },
    open: (data) => `/staff/requests/${data.requestId}`,
    fill: async ({ page, data }) =>
      fillFields(page, { 'Date and time (UTC)': '2027-03-04T10:30', Location: data.location }),
    submit: button('Book appointment'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/requests/${data.requestId}`));
      const row = page.getByTestId('appointment');
      await expect(row).toHaveCount(1);
      await expect(row).toContainText(data.location);
      await expect(row).toContainText('2027-03-04 10:30 UTC');
      data.appointmentId = await row.locator('input[name="appointment_id"]').first().inputValue();
    },
    expectStored: async ({ page, data }) => {
      const me = await getJson(page.request, '/api/auth/me');
      const stored = await getJson(page.request, `/api/appointments/${data.appointmentId}`);
      expect([stored.inspection_id, stored.location, stored.scheduled_at, stored.assessor_id]).toEqual([
        data.inspectionId,
        data.location,
        '2027-03-04T10:30:00Z',
        me.id,
      ]);
    },
  },
  {
    name: 'appointment reschedule',
    who: 'staff',
    source: 'app/src/pages/workflow/requests.rs:177',
    setup: async (run) => {
      await appointmentReady(run);
      run.data.location = unique('North depot');
    },
    open: (data) => `/staff/requests/${data.requestId}`,
    fill: async ({ page, data }) => {
      const row = page.getByTestId('appointment');
      await row.getByText('Reschedule').click(); // a native <details>: opens without a script
      await fillFields(row, { 'Date and time (UTC)': '2027-01-02T08:15', Location: data.location });
    },
    submit: button('Save new time', (page) => page.getByTestId('appointment')),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/requests/${data.requestId}`));
      await expect(page.getByTestId('appointment')).toContainText(data.location);
      await expect(page.getByTestId('appointment')).toContainText('2027-01-02 08:15 UTC');
    },
    expectStored: async ({ page, data }) => {
      const stored = await getJson(page.request, `/api/appointments/${data.appointmentId}`);
      expect([stored.location, stored.scheduled_at, stored.version]).toEqual([data.location, '2027-01-02T08:15:00Z', 2]);
    },
  },
  {
    name: 'start assessment',
    who: 'staff',
    source: 'app/src/pages/workflow/requests.rs:211',
    setup: appointmentReady,
    open: (data) => `/staff/requests/${data.requestId}`,
    submit: button('Start assessment'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/assessments/${UUID}`));
      data.assessmentId = idInUrl(page);
      await expect(page.getByTestId('assessment-number')).toHaveText(/^ASM-\d{4}-\d{4,}$/);
      await expect(page.getByTestId('assessment-status')).toHaveText('In progress');
    },
    expectStored: async (run) => {
      const stored = await assessment(run);
      expect([stored.appointment_id, stored.status]).toEqual([run.data.appointmentId, 'in_progress']);
      await run.page.goto(`/staff/requests/${run.data.requestId}`);
      await expect(run.page.getByTestId('assessment-link')).toHaveText(`Open ${stored.number}`);
    },
  },
  ...SECTIONS.map(
    ({ name, fields, stored: expected }): FormCase => ({
      name: `assessment section: ${name}`,
      who: 'staff',
      source: 'app/src/pages/workflow/assessments.rs:254 (Editor, form in app/src/editor/mod.rs:51)',
      setup: assessmentReady,
      open: (data) => `/staff/assessments/${data.assessmentId}?tab=${name}`,
      fill: async ({ page }) => fillFields(page.getByTestId(`section-${name}`), fields),
      submit: button('Save section', section(`section-${name}`)),
      expectPage: async ({ page, data }) => {
        await expect(page).toHaveURL(landedOn(`/staff/assessments/${data.assessmentId}\\?tab=${name}`));
        const panel = page.getByTestId(`section-${name}`);
        await expect(panel).toBeVisible();
        await expect(panel.getByTestId('section-version')).toHaveText('Version 2');
        const [label] = Object.keys(fields);
        await expect(panel.getByLabel(label, { exact: true })).toHaveValue(expected[Object.keys(expected)[0]]);
      },
      expectStored: async (run) => {
        const stored = (await assessment(run))[name];
        expect(stored).toMatchObject({ ...expected, version: 2 });
      },
    }),
  ),
  {
    name: 'assessment tyre row',
    who: 'staff',
    source: 'app/src/pages/workflow/assessments.rs:197 (Editor, form in app/src/editor/mod.rs:51)',
    setup: assessmentReady,
    open: (data) => `/staff/assessments/${data.assessmentId}?tab=tyres`,
    fill: async ({ page }) =>
      fillFields(page.getByTestId('tyre-front_left'), {
        Make: 'Michelin',
        Size: '205/55 R16',
        'Tread depth (mm)': '4.5',
        Condition: 'Good',
      }),
    submit: button('Save tyre', section('tyre-front_left')),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/assessments/${data.assessmentId}\\?tab=tyres`));
      await expect(page.getByTestId('tyre-front_left').getByTestId('tyre-version')).toHaveText('Version 2');
      await expect(page.getByTestId('tyre-front_left').getByLabel('Make', { exact: true })).toHaveValue('Michelin');
      await expect(page.getByTestId('tyre-spare').getByTestId('tyre-version')).toHaveText('Version 1');
    },
    expectStored: async (run) => {
      const tyres: any[] = (await assessment(run)).tyres;
      expect(tyres.find((t) => t.position === 'front_left')).toMatchObject({
        make: 'Michelin',
        size: '205/55 R16',
        condition: 'Good',
        version: 2,
      });
      expect(tyres.find((t) => t.position === 'spare')).toMatchObject({ make: '', version: 1 });
    },
  },
  {
    name: 'assessment estimate',
    who: 'staff',
    source: 'app/src/pages/workflow/assessments.rs:226 (Editor, form in app/src/editor/mod.rs:51)',
    setup: assessmentReady,
    open: (data) => `/staff/assessments/${data.assessmentId}?tab=estimate`,
    fill: async ({ page }) => fillFields(page.getByTestId('estimate'), { Labour: '100', Parts: '250.5' }),
    submit: button('Save estimate', section('estimate')),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/assessments/${data.assessmentId}\\?tab=estimate`));
      await expect(page.getByTestId('estimate-version')).toHaveText('Version 2');
      await expect(page.getByTestId('estimate-total')).toHaveText('350.50');
    },
    expectStored: async (run) => {
      expect((await assessment(run)).estimate).toMatchObject({ labour: '100.00', parts: '250.50', total: '350.50', version: 2 });
    },
  },
  {
    name: 'assessment: mark a tab complete',
    who: 'staff',
    source: 'app/src/pages/workflow/assessments.rs:163',
    setup: assessmentReady,
    open: (data) => `/staff/assessments/${data.assessmentId}?tab=damage`,
    submit: (page) => page.getByTestId('mark-damage'),
    expectPage: async ({ page }) => {
      await expect(page.getByTestId('complete-damage')).toBeVisible();
      await expect(page.getByTestId('tab-damage')).toContainText('\u2713');
      await expect(page.getByTestId('reopen-damage')).toBeVisible();
    },
    expectStored: async (run) => {
      expect((await assessment(run)).tabs_completed).toEqual(['damage']);
    },
  },
  {
    name: 'assessment: reopen a tab',
    who: 'staff',
    source: 'app/src/pages/workflow/assessments.rs:163',
    setup: async (run) => {
      await assessmentReady(run);
      await send(run.page.request, 'PUT', `/api/assessments/${run.data.assessmentId}/tabs/damage`, { complete: true });
    },
    open: (data) => `/staff/assessments/${data.assessmentId}?tab=damage`,
    submit: (page) => page.getByTestId('reopen-damage'),
    expectPage: async ({ page }) => {
      await expect(page.getByTestId('mark-damage')).toHaveText('Mark tab complete');
      await expect(page.getByTestId('tab-damage')).not.toContainText('\u2713');
    },
    expectStored: async (run) => {
      expect((await assessment(run)).tabs_completed).toEqual([]);
    },
  },
  {
    name: 'assessment: mark completed',
    who: 'staff',
    source: 'app/src/pages/workflow/assessments.rs:120',
    setup: assessmentReady,
    open: (data) => `/staff/assessments/${data.assessmentId}?tab=summary`,
    submit: button('Mark assessment completed'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/assessments/${data.assessmentId}\\?tab=summary`));
      await expect(page.getByTestId('assessment-status')).toHaveText('Completed');
      await expect(page.getByRole('button', { name: 'Generate report' })).toBeVisible();
    },
    expectStored: async (run) => {
      expect((await assessment(run)).status).toBe('completed');
    },
  },
  {
    name: 'assessment: generate the report',
    who: 'staff',
    source: 'app/src/pages/workflow/assessments.rs:112',
    setup: async (run) => {
      await assessmentReady(run);
      await send(run.page.request, 'POST', `/api/assessments/${run.data.assessmentId}/complete`, { version: 1 });
    },
    open: (data) => `/staff/assessments/${data.assessmentId}?tab=summary`,
    submit: button('Generate report'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/assessments/${data.assessmentId}/report`));
      await expect(page.getByTestId('report-number')).toHaveText(/^RPT-\d{4}-\d{4,}$/);
      data.reportNumber = (await page.getByTestId('report-number').textContent()) ?? '';
    },
    expectStored: async ({ page, data }) => {
      const stored = await getJson(page.request, `/api/assessments/${data.assessmentId}/report`);
      expect(stored.number).toBe(data.reportNumber);
    },
  },
  {
    name: 'staff: find a document by its number',
    who: 'staff',
    source: 'app/src/pages/staff.rs:43',
    setup: requestReady,
    open: () => '/staff',
    fill: async ({ page, data }) => fillFields(page, { 'Document number': data.requestNumber.toLowerCase() }),
    submit: button('Find'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/requests/${data.requestId}`));
      await expect(page.getByTestId('request-number')).toHaveText(data.requestNumber);
    },
    expectStored: async ({ page, data }) => {
      // A search changes nothing.
      expect((await getJson(page.request, `/api/requests/${data.requestId}`)).version).toBe(1);
    },
  },
  {
    name: 'staff: an unknown document number is a message beside the field',
    who: 'staff',
    source: 'app/src/pages/staff.rs:43',
    refused: true,
    setup: async ({ data }) => {
      data.number = `REQ-1999-${String(Math.floor(Math.random() * 9000) + 1000)}`;
    },
    open: () => '/staff',
    fill: async ({ page, data }) => fillFields(page, { 'Document number': data.number }),
    submit: button('Find'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(/\/staff(\?|$)/);
      await expect(page.locator('#field-number-error')).toContainText(`No document has the number \u201c${data.number}\u201d`);
    },
    expectStored: async ({ page }) => {
      // A search stores nothing; the session it was made in is intact.
      expect(await statusOf(page.request, '/api/auth/me')).toBe(200);
    },
  },

  // ── Training: scenarios, assignments
  {
    name: 'scenario create',
    who: 'staff',
    source: 'app/src/pages/training.rs:38',
    setup: async ({ data }) => {
      data.title = unique('No-script scenario');
    },
    open: () => '/staff/scenarios',
    fill: async ({ page, data }) => fillFields(page, { Title: data.title, Description: 'Made without JavaScript' }),
    submit: button('Create scenario'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/scenarios/${UUID}`));
      data.scenarioId = idInUrl(page);
      await expect(page.getByTestId('scenario-title')).toHaveText(data.title);
      await expect(page.getByTestId('scenario-status')).toHaveText('Active');
      await expect(page.getByTestId('assignments-empty')).toBeVisible();
    },
    expectStored: async (run) => {
      const stored = await scenario(run);
      expect([stored.title, stored.description, stored.active]).toEqual([run.data.title, 'Made without JavaScript', true]);
    },
  },
  {
    name: 'scenario deactivate',
    who: 'staff',
    source: 'app/src/pages/training.rs:196',
    setup: ({ page, data }) => scenarioReady(page.request, data),
    open: (data) => `/staff/scenarios/${data.scenarioId}`,
    submit: button('Deactivate scenario'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/scenarios/${data.scenarioId}`));
      await expect(page.getByTestId('scenario-status')).toHaveText('Inactive');
      await expect(page.getByRole('button', { name: 'Activate scenario' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Assign', exact: true })).toHaveCount(0);
    },
    expectStored: async (run) => {
      const stored = await scenario(run);
      expect([stored.active, stored.version]).toEqual([false, 2]);
    },
  },
  {
    name: 'scenario activate',
    who: 'staff',
    source: 'app/src/pages/training.rs:196',
    setup: async ({ page, data }) => {
      await scenarioReady(page.request, data);
      await serverFunction(page.request, 'set_scenario_active', { id: data.scenarioId, version: '1', active: 'false' });
    },
    open: (data) => `/staff/scenarios/${data.scenarioId}`,
    submit: button('Activate scenario'),
    expectPage: async ({ page }) => {
      await expect(page.getByTestId('scenario-status')).toHaveText('Active');
      await expect(page.getByRole('button', { name: 'Assign', exact: true })).toBeVisible();
    },
    expectStored: async (run) => {
      const stored = await scenario(run);
      expect([stored.active, stored.version]).toEqual([true, 3]);
    },
  },
  {
    name: 'assign a counselor to a scenario',
    who: 'staff',
    source: 'app/src/pages/training.rs:154',
    setup: ({ page, data }) => scenarioReady(page.request, data),
    open: (data) => `/staff/scenarios/${data.scenarioId}`,
    fill: async ({ page }) => {
      const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Assign', exact: true }) });
      await form.getByLabel('Counselor', { exact: true }).selectOption({ label: 'Casey Cole (casey@lockstep.test)' });
      await form.getByLabel('Due date (optional)').fill('2027-01-31');
    },
    submit: button('Assign'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/scenarios/${data.scenarioId}`));
      const rows = page.getByTestId('assignment-row');
      await expect(rows).toHaveCount(1);
      await expect(rows).toContainText('Casey Cole');
      await expect(rows).toHaveAttribute('data-status', 'pending');
    },
    expectStored: async (run) => {
      const rows = await boardRows(run);
      expect(rows.map((r) => [r.counselor_name, r.status, r.due_date])).toEqual([['Casey Cole', 'pending', '2027-01-31']]);
    },
  },
  {
    name: 'assign a counselor who already has it active shows the refusal',
    who: 'staff',
    source: 'app/src/pages/training.rs:154',
    refused: true,
    setup: ({ page, data }) => scenarioReady(page.request, data),
    open: (data) => `/staff/scenarios/${data.scenarioId}`,
    fill: async ({ page, data }) => {
      const select = page.getByLabel('Counselor', { exact: true });
      await select.selectOption({ label: 'Robin Reyes (robin@lockstep.test)' });
      // A colleague assigns Robin while this form is open.
      const counselor = await select.inputValue();
      await send(page.request, 'POST', '/api/assignments', { counselor_id: counselor, scenario_id: data.scenarioId });
    },
    submit: button('Assign'),
    expectPage: async ({ page }) => {
      await expect(page.locator('.alert.error')).toContainText('Robin Reyes already has an active assignment');
      await expect(page.getByTestId('assignment-row')).toHaveCount(1);
    },
    expectStored: async (run) => {
      expect((await boardRows(run)).map((r) => r.counselor_name)).toEqual(['Robin Reyes']);
    },
  },
  {
    name: 'bulk assign',
    who: 'staff',
    source: 'app/src/pages/training.rs:175',
    setup: ({ page, data }) => scenarioReady(page.request, data),
    open: (data) => `/staff/scenarios/${data.scenarioId}`,
    fill: async ({ page }) => {
      await page.getByRole('checkbox', { name: 'Casey Cole' }).check();
      await page.getByRole('checkbox', { name: 'Robin Reyes' }).check();
    },
    submit: button('Assign selected'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn(`/staff/scenarios/${data.scenarioId}`));
      await expect(page.getByTestId('assignment-row')).toHaveCount(2);
      await expect(page.getByTestId('assignment-board')).toContainText('Casey Cole');
      await expect(page.getByTestId('assignment-board')).toContainText('Robin Reyes');
    },
    expectStored: async (run) => {
      const names = (await boardRows(run)).map((r) => r.counselor_name).sort();
      expect(names).toEqual(['Casey Cole', 'Robin Reyes']);
    },
  },
  {
    name: 'counselor starts an assignment',
    who: 'robin',
    source: 'app/src/pages/training.rs:293',
    setup: assignmentReady,
    open: () => '/assignments',
    submit: (page, data) => myAssignmentRow(page, data).getByRole('button', { name: 'Start', exact: true }),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn('/assignments'));
      await expect(myAssignmentRow(page, data)).toHaveAttribute('data-status', 'in_progress');
      await expect(myAssignmentRow(page, data).getByRole('button', { name: 'Complete' })).toBeVisible();
    },
    expectStored: async (run) => {
      expect((await myAssignment(run)).status).toBe('in_progress');
    },
  },
  {
    name: 'counselor completes an assignment',
    who: 'casey',
    source: 'app/src/pages/training.rs:293',
    setup: async (run) => {
      await assignmentReady(run);
      await send(run.page.request, 'POST', `/api/assignments/${run.data.assignmentId}/start`, { version: 1 });
    },
    open: () => '/assignments',
    submit: (page, data) => myAssignmentRow(page, data).getByRole('button', { name: 'Complete', exact: true }),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn('/assignments'));
      await expect(myAssignmentRow(page, data)).toHaveAttribute('data-status', 'completed');
      await expect(myAssignmentRow(page, data).getByRole('button')).toHaveCount(0);
    },
    expectStored: async (run) => {
      expect((await myAssignment(run)).status).toBe('completed');
    },
  },

  // ── API keys
  {
    name: 'API key create',
    who: 'admin',
    source: 'app/src/pages/api_keys.rs:25',
    setup: async ({ data }) => {
      data.keyName = unique('No-script portal');
    },
    open: () => '/admin/api-keys',
    fill: async ({ page, data }) => fillFields(page, { Name: data.keyName, 'Expires after (days)': '30' }),
    submit: button('Create key'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn('/admin/api-keys'));
      await expect(page.getByTestId('api-keys').locator('tr', { hasText: data.keyName })).toBeVisible();
      // The key is shown once, right after it is made: without it the key is of no use.
      await expect(
        page.getByTestId('new-api-key').locator('code'),
        'the key was created (it is listed), but the page the browser landed on does not show its secret, ' +
          'so nobody can ever use it',
      ).toHaveText(/^lsk_[0-9a-f]+_[0-9a-f]{64}$/);
      const secret = (await page.getByTestId('new-api-key').locator('code').textContent()) ?? '';
      await expect(page.getByTestId('new-api-key')).toContainText(`The key for \u201c${data.keyName}\u201d`);
      expect(page.url(), 'the secret never travels in a URL').not.toContain(secret);
      data.secret = secret;
    },
    expectStored: async ({ page, data }) => {
      // The secret shown is this key's, and it works.
      expect((await withKey(page.request, data.secret)).status()).toBe(200);
      const [, prefix] = data.secret.split('_');
      // Shown once: the next visit lists the key, without its secret.
      await page.goto('/admin/api-keys');
      const row = page.getByTestId('api-keys').locator('tr', { hasText: data.keyName });
      await expect(row).toHaveCount(1);
      await expect(row).toContainText(prefix);
      await expect(row).toContainText('Revoke');
      await expect(page.getByTestId('new-api-key')).toHaveCount(0);
    },
  },
  {
    name: 'API key revoke',
    who: 'admin',
    source: 'app/src/pages/api_keys.rs:85',
    setup: async ({ page, data }) => {
      data.keyName = unique('Revoked portal');
      const issued = await serverFunction(page.request, 'create_api_key', {
        name: data.keyName,
        workflow: 'on',
        assignments: 'on',
        expires_in_days: '',
      });
      data.secret = issued.secret;
      const works = await withKey(page.request, data.secret);
      expect(works.status(), await works.text()).toBe(200);
    },
    open: () => '/admin/api-keys',
    submit: (page, data) =>
      page.getByTestId('api-keys').locator('tr', { hasText: data.keyName }).getByRole('button', { name: 'Revoke' }),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn('/admin/api-keys'));
      await expect(page.getByTestId('api-keys').locator('tr', { hasText: data.keyName })).toContainText('Revoked');
    },
    expectStored: async ({ page, data }) => {
      expect((await withKey(page.request, data.secret)).status()).toBe(401);
    },
  },

  // ── People (administrators) and reset links
  {
    name: 'person disable',
    who: 'admin',
    source: 'app/src/pages/people.rs:116',
    setup: memberToManage,
    open: (data) => `/admin/users?q=${encodeURIComponent(data.memberEmail)}`,
    fill: async ({ page, data }) => personRow(page, data).getByLabel('May sign in').uncheck(),
    submit: (page, data) => personRow(page, data).getByRole('button', { name: 'Save' }),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(/\/admin\/users/);
      await expect(personRow(page, data).getByTestId('disabled')).toBeVisible();
    },
    expectStored: async ({ page, data, others }) => {
      const [person] = await serverFunction(page.request, 'list_people', { search: data.memberEmail });
      expect(person.disabled_at).not.toBeNull();
      expect(person.version).toBe(2);
      expect((await others.member.request.get('/api/auth/me')).status(), 'signed out everywhere').toBe(401);
    },
  },
  {
    name: 'person reset link',
    who: 'admin',
    source: 'app/src/pages/people.rs:137',
    setup: memberToManage,
    open: (data) => `/admin/users?q=${encodeURIComponent(data.memberEmail)}`,
    submit: (page, data) => personRow(page, data).getByRole('button', { name: 'Reset link' }),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(/\/admin\/users/);
      const link = page.getByTestId('reset-link').locator('code');
      await expect(link, 'the link is made, so the page must show it once').toHaveText(/\/reset-password\?token=[0-9a-f]{64}$/);
      data.link = (await link.textContent()) ?? '';
      expect(page.url(), 'the token never travels in a URL').not.toContain(data.link.split('=')[1]);
    },
    expectStored: async ({ page, data, newContext }) => {
      const opened = await (await (await newContext()).newPage()).goto(data.link);
      expect(opened?.status()).toBe(200);
      expect(await opened!.text()).toContain(data.memberEmail);
      await page.goto('/admin/users');
      await expect(page.getByTestId('reset-link'), 'shown once').toHaveCount(0);
    },
  },
  {
    name: 'reset password with a link',
    who: 'visitor',
    source: 'app/src/pages/setup.rs:117',
    setup: async (run) => {
      await memberToManage(run);
      const admin = await (await run.newContext()).newPage();
      await logInAs(admin, 'admin');
      run.data.token = (await serverFunction(admin.request, 'issue_reset_link', { id: run.data.memberId })).token;
      run.data.newPassword = `new ${randomUUID()}`;
    },
    open: (data) => `/reset-password?token=${data.token}`,
    fill: async ({ page, data }) => fillFields(page, { 'New password': data.newPassword }),
    submit: button('Set the password'),
    expectPage: async ({ page, data }) => {
      await expect(page).toHaveURL(landedOn('/account'));
      await expect(page.getByTestId('account-email')).toHaveText(data.memberEmail);
    },
    expectStored: async ({ page, data }) => {
      const login = await page.request.post('/api/auth/login', { data: { email: data.memberEmail, password: data.newPassword } });
      expect(login.status()).toBe(200);
      expect((await page.request.get(`/reset-password?token=${data.token}`)).status(), 'used up').toBe(404);
    },
  },
];

/** A member an administrator will manage, signed in on a device of their own (`others.member`). */
async function memberToManage(run: Run): Promise<void> {
  const member = await (await run.newContext()).newPage();
  run.data.memberEmail = uniqueEmail('managed');
  const made = await serverFunction(member.request, 'sign_up', {
    display_name: 'Morgan Managed',
    email: run.data.memberEmail,
    password: PASSWORD,
    idempotency_key: randomUUID(),
  });
  run.data.memberId = made.id;
  run.others.member = member;
}

function personRow(page: Page, data: Data): Locator {
  return page.locator(`[data-testid="person"][data-email="${data.memberEmail}"]`);
}

/** The `__err` a plain form post's redirect carries, decoded, if any. */
function errorInUrl(url: string): string | undefined {
  const encoded = new URL(url).searchParams.get('__err');
  if (encoded === null) return undefined;
  return Buffer.from(encoded, 'base64url').toString('utf8');
}

function pathOf(url: string): string {
  const { pathname, search } = new URL(url);
  return pathname + (search.length > 120 ? `${search.slice(0, 120)}…` : search);
}

/**
 * Presses the submit button of a form with JavaScript off and checks that
 * the browser made a plain form post to a server function, was redirected,
 * and landed on an HTML page (not a JSON answer, not an error status).
 */
async function postPlainForm(page: Page, submit: Locator, c: FormCase): Promise<void> {
  const form = `"${c.name}" (form rendered at ${c.source})`;
  await expect(submit, `${form}: its submit button`).toBeEnabled();
  const action = await submit.evaluate((element) => {
    const owner = (element as HTMLButtonElement).form;
    return owner ? `${owner.method.toUpperCase()} ${owner.action}` : 'no form';
  });
  expect(action, `${form}: the button must belong to a form that posts to a server function`).toMatch(/^POST .*\/sfn\/\w+$/);

  const landed = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400),
    { timeout: 15_000 },
  );
  // A post the browser refuses (a policy without `form-action 'self'`)
  // says so only on the console.
  const refusals: string[] = [];
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === 'error') refusals.push(message.text());
  };
  page.on('console', onConsole);
  await submit.click();
  const landing = await landed
    .catch((error: Error) => {
      throw new Error(
        `${form} posted ${action}, but the browser did not land on any page: ${error.message}; ` +
          `the browser said: ${refusals.join('; ') || 'nothing'}`,
      );
    })
    .finally(() => page.off('console', onConsole));
  const chain: Request[] = [];
  for (let request: Request | null = landing.request(); request; request = request.redirectedFrom()) chain.unshift(request);
  const hops = await Promise.all(
    chain.map(async (request) => `${request.method()} ${pathOf(request.url())} → ${(await request.response())?.status() ?? '?'}`),
  );
  const where = `${form} posted ${action}; the browser went ${hops.join(', then ')}`;
  const type = landing.headers()['content-type'] ?? '';
  if (chain.length < 2 || landing.status() !== 200 || !type.includes('text/html')) {
    const body = (await landing.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 400);
    throw new Error(
      `${where}. A plain form post must be answered with a redirect to an HTML page; ` +
        `the browser landed on ${landing.status()} ${type || '(no content type)'}: ${body}`,
    );
  }
  expect(chain[0].method(), where).toBe('POST');
  const error = errorInUrl(landing.url());
  if (c.refused) {
    expect(error, `${where}: the page should have been sent back with the error`).toBeDefined();
  } else {
    expect(error, `${where}: the server function answered with an error`).toBeUndefined();
  }
}

for (const c of cases) {
  test(c.name, async ({ page, browser, request }) => {
    const contexts: BrowserContext[] = [];
    const newContext = async (options: BrowserContextOptions = {}) => {
      const context = await browser.newContext({ javaScriptEnabled: false, ...options });
      contexts.push(context);
      return context;
    };
    let staffSignedIn = false;
    const run: Run = {
      page,
      data: {},
      others: {},
      email: '',
      newContext,
      otherDevice: async (options = {}) => {
        const other = await (await newContext(options)).newPage();
        const login = await other.request.post('/api/auth/login', { data: { email: run.email, password: PASSWORD } });
        expect(login.status(), await login.text()).toBe(200);
        return other;
      },
      staff: async () => {
        if (!staffSignedIn) {
          const password = process.env.LOCKSTEP_E2E_PASSWORD;
          if (!password) throw new Error('LOCKSTEP_E2E_PASSWORD is not set (scripts/test.sh sets it)');
          const login = await request.post('/api/auth/login', { data: { email: ACCOUNTS.staff, password } });
          expect(login.status(), await login.text()).toBe(200);
          staffSignedIn = true;
        }
        return request;
      },
    };
    try {
      if (c.who === 'member') run.email = await signUpDirectly(page, 'Nadia Noscript', 'nojs');
      else if (c.who !== 'visitor') await logInAs(page, c.who);

      await test.step('setup', async () => c.setup?.(run));
      const path = c.open(run.data);
      const opened = await page.goto(path);
      expect(opened?.status(), `GET ${path}`).toBe(200);
      await test.step('fill', async () => c.fill?.(run));
      await test.step('submit', () => postPlainForm(page, c.submit(page, run.data), c));
      // Both are checked even when the page is wrong: a form that shows the
      // wrong thing may still have stored the right one (or not).
      const failures: Error[] = [];
      await test.step('the page it lands on', () => c.expectPage(run)).catch((error: Error) => failures.push(error));
      await test.step('what is stored', () => c.expectStored(run)).catch((error: Error) => failures.push(error));
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) {
        const steps = ['The page it lands on', 'What is stored'];
        throw new Error(failures.map((error, i) => `${steps[i]}: ${error.message}`).join('\n\n'));
      }
    } finally {
      for (const context of contexts) await context.close();
    }
  });
}
