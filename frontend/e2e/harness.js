// Shared end-to-end harness: starts the real Shakedown server on a free
// loopback port with a throw-away data directory, launches the system
// Chromium through playwright-core, and offers small helpers.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FRONTEND = path.resolve(here, '..');
export const OUT = path.join(FRONTEND, 'test-output');
export const ADMIN_PASSWORD = 'e2e-admin-pass-1234';
const BIN = path.resolve(FRONTEND, process.env.SHAKEDOWN_BIN || '../bin/shakedown');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

mkdirSync(OUT, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `shakedown serve --demo`; resolves when /api/v1/health answers.
 * opts.args: extra command-line arguments (e.g. ['--guest-dir', dir]).
 */
export async function startServer(opts = {}) {
  if (!existsSync(BIN)) {
    throw new Error(`Shakedown binary not found at ${BIN}. Build it (make build) or set SHAKEDOWN_BIN.`);
  }
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shakedown-e2e-'));
  const addr = `127.0.0.1:${port}`;
  const baseURL = `http://${addr}`;
  let log = '';
  const child = spawn(BIN, ['serve', '--addr', addr, '--data', dataDir, '--demo', ...(opts.args ?? [])], {
    env: { ...process.env, SHAKEDOWN_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const deadline = Date.now() + 30000;
  for (;;) {
    if (exited) throw new Error(`shakedown exited early (${JSON.stringify(exited)}):\n${log}`);
    try {
      const res = await fetch(`${baseURL}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`shakedown did not become healthy within 30 s:\n${log}`);
    }
    await sleep(150);
  }

  async function stop() {
    if (!exited) {
      process.kill(child.pid, 'SIGTERM');
      const until = Date.now() + 5000;
      while (!exited && Date.now() < until) await sleep(50);
      if (!exited) process.kill(child.pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { baseURL, stop, log: () => log, pid: child.pid };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A new context + page at 1280×800; console errors are collected on page.errors. */
export async function newPage(browser, baseURL, opts = {}) {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 800 },
    timezoneId: opts.timezoneId || 'UTC',
    locale: 'en-GB',
  });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(m.text());
  });
  return page;
}

/** Signs in through the login form and waits for the app header. */
export async function uiLogin(page, username = 'admin', password = ADMIN_PASSWORD) {
  await page.goto('/#/board');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-header').waitFor();
}

export async function shot(page, name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: false });
}

/** A tiny API client for arranging data from Node (cookie + CSRF, like the browser). */
export async function apiClient(baseURL, username = 'admin', password = ADMIN_PASSWORD) {
  const res = await fetch(`${baseURL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const body = await res.json();
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = body.csrf_token;
  async function call(method, p, data) {
    const r = await fetch(`${baseURL}/api/v1${p}`, {
      method,
      headers: {
        Cookie: cookie,
        'X-CSRF-Token': csrf,
        ...(data !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: data !== undefined ? JSON.stringify(data) : undefined,
    });
    const text = await r.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!r.ok) throw new Error(`${method} ${p} → ${r.status}: ${text}`);
    return json;
  }
  return {
    user: body.user,
    get: (p) => call('GET', p),
    post: (p, d) => call('POST', p, d ?? {}),
    patch: (p, d) => call('PATCH', p, d),
    put: (p, d) => call('PUT', p, d),
    del: (p) => call('DELETE', p),
  };
}

let uniq = 0;
/** A short unique suffix so names never clash with demo data or other tests. */
export function uid() {
  uniq++;
  return `${Date.now().toString(36).slice(-4)}${uniq}`;
}

/** Creates a release through the API. */
export async function createRelease(api, overrides = {}) {
  const u = uid();
  return api.post('/releases', {
    name: `E2E release ${u}`,
    version: `1.0.${uniq}`,
    type: 'minor',
    description: 'Created by the end-to-end tests.',
    owner: 'e2e',
    environment: 'production',
    planned_start: '2031-02-03T08:00:00Z',
    planned_end: '2031-02-03T12:00:00Z',
    changes: [{ rfc: `RFC-${u}`, title: 'A change', risk: 'low', link: '' }],
    ci_ids: [],
    depends_on: [],
    ...overrides,
  });
}

export async function createCI(api, overrides = {}) {
  const u = uid();
  return api.post('/cis', {
    name: `e2e-ci-${u}`,
    kind: 'vm',
    environment: 'production',
    criticality: 'medium',
    description: 'e2e',
    ...overrides,
  });
}

/**
 * Registers before/after hooks that start a server and a browser for one
 * test file, and returns the object they fill in.
 */
export function useEnv(before, after, opts = {}) {
  const env = { server: null, browser: null, baseURL: '', api: null, pages: [] };
  before(async () => {
    env.server = await startServer(opts);
    env.baseURL = env.server.baseURL;
    env.browser = await launchBrowser();
    env.api = await apiClient(env.baseURL);
  });
  after(async () => {
    try {
      if (opts.beforeStop && env.api) await opts.beforeStop(env);
    } catch (e) {
      console.error('cleanup before stopping the server failed:', e);
    }
    try {
      if (env.browser) await env.browser.close();
    } finally {
      if (env.server) await env.server.stop();
    }
  });
  return env;
}
