import { defineConfig } from '@playwright/test';

// The server is started by scripts/test.sh (release build, fresh database);
// this config only points the browser at it.
const baseURL = process.env.LOCKSTEP_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  // A focused test left in by mistake would silently skip every other test,
  // here as in CI: such a run fails instead.
  forbidOnly: true,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
