/** Shared helpers of the browser tests: Chromium, per-test contexts, API calls, waiting, screenshots. */
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';

export const baseUrl = inject('baseUrl');
/** The same server under http://localhost:<port>, the WebAuthn origin (RP id `localhost`). */
export const localhostUrl = inject('localhostUrl');
export const admin = inject('admin');

/** Where tests save their screenshots (git-ignored). */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, 'screenshots');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

/** What a page reported while a test ran. */
export interface PageProblems {
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** console.error messages (includes Chromium's own "Failed to load resource" lines). */
  consoleErrors: string[];
  /** Content-Security-Policy violations seen by the page (securitypolicyviolation events). */
  cspViolations: string[];
}

export interface Opened {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
  /** Every URL the context requested (HTTP and WebSocket), in order. */
  requests: string[];
  /** The origin the context was opened on. */
  origin: string;
}

export interface OpenOptions extends BrowserContextOptions {
  /** Open the app on http://localhost:<port> (needed for passkeys) instead of 127.0.0.1. */
  viaLocalhost?: boolean;
}

/**
 * Requests that left the app's origin: anything but same-origin http(s)/ws(s), data: and
 * blob: URLs. The app bundles its fonts and icons, so there must be none.
 */
export function foreignRequests(requests: string[], origin: string): string[] {
  const own = new URL(origin);
  return requests.filter((raw) => {
    const url = new URL(raw);
    if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
    const http = url.protocol === 'ws:' ? 'http:' : url.protocol === 'wss:' ? 'https:' : url.protocol;
    return !(http === own.protocol && url.host === own.host);
  });
}

/** A file-name-safe form of a test name. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
}

/** `<file>--<describe and test name>` of the running test. */
function currentTestSlug(): string {
  const state = expect.getState();
  const file = basename(state.testPath ?? 'unknown').replace(/\.e2e\.ts$/, '');
  return `${slug(file)}--${slug(state.currentTestName ?? 'unknown')}`;
}

// Runs in every page before its own scripts (injected by the browser, so the CSP does not apply):
// records violations in the page and reports them to the test through a binding.
const CSP_RECORDER = `(() => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    const text = e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber;
    window.__cspViolations.push(text);
    if (typeof window.__e2eReportCsp === 'function') window.__e2eReportCsp(text);
  });
})();`;

/**
 * Console errors other than the expected one: on every load the app asks POST /api/auth/refresh
 * whether the (HttpOnly) refresh cookie holds a session; without one the server answers 400/401,
 * which Chromium itself logs as "Failed to load resource".
 */
export function unexpectedConsoleErrors(problems: PageProblems): string[] {
  return problems.consoleErrors.filter(
    (m) => !/^Failed to load resource: the server responded with a status of 40[01] .*\(\S+\/api\/auth\/refresh\)$/.test(m),
  );
}

/**
 * Launches Chromium for the test file (a fresh temporary profile per launch) and gives each
 * test isolated browser contexts. After every test: contexts are closed and the test fails
 * on uncaught page errors, CSP violations, requests that left the app's origin, or when it
 * saved no screenshot (`shot`). A failed test gets a screenshot of each of its pages
 * (`…--failure-N.png`) instead.
 */
export function useBrowser() {
  let browser: Browser | undefined;
  let opened: Opened[] = [];
  let shots: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterEach(async (ctx) => {
    const all = opened;
    const taken = shots;
    opened = [];
    shots = [];
    const failed = ctx.task.result?.state === 'fail';
    const pageErrors: string[] = [];
    const csp: string[] = [];
    const foreign: string[] = [];
    for (const [i, o] of all.entries()) {
      pageErrors.push(...o.problems.pageErrors);
      csp.push(...o.problems.cspViolations);
      foreign.push(...foreignRequests(o.requests, o.origin));
      if (failed) {
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const path = join(SCREENSHOT_DIR, `${currentTestSlug()}--failure-${i + 1}.png`);
        await o.page.screenshot({ path, fullPage: true }).catch(() => undefined);
        console.log(`[e2e] failure screenshot: ${path}`);
      }
      await o.context.close();
    }
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    expect(csp, 'Content-Security-Policy violations').toEqual([]);
    expect(foreign, 'requests outside the app origin').toEqual([]);
    if (!failed) expect(taken, 'screenshots saved by the test (call shot() at its key moment)').not.toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    /** A new isolated context (own cookies and storage) with one page. */
    async open({ viaLocalhost = false, ...options }: OpenOptions = {}): Promise<Opened> {
      if (!browser) throw new Error('browser not launched');
      const origin = viaLocalhost ? localhostUrl : baseUrl;
      const context = await browser.newContext({ baseURL: origin, viewport: { width: 1280, height: 900 }, ...options });
      context.setDefaultTimeout(15_000);
      context.setDefaultNavigationTimeout(20_000);
      const problems: PageProblems = { pageErrors: [], consoleErrors: [], cspViolations: [] };
      await context.exposeBinding('__e2eReportCsp', (_source, text: string) => {
        problems.cspViolations.push(text);
      });
      await context.addInitScript({ content: CSP_RECORDER });
      const page = await context.newPage();
      page.on('pageerror', (err) => problems.pageErrors.push(`${err.name}: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') {
          const url = msg.location().url;
          problems.consoleErrors.push(url ? `${msg.text()} (${url})` : msg.text());
        }
      });
      const requests: string[] = [];
      context.on('request', (req) => requests.push(req.url()));
      page.on('websocket', (ws) => requests.push(ws.url()));
      const o = { context, page, problems, requests, origin };
      opened.push(o);
      return o;
    },

    /**
     * Saves a full-page screenshot as e2e/screenshots/<file>--<test>[--<label>].png and
     * returns its path. Every test calls it at least once, at its key moment.
     */
    async shot(page: Page, label?: string): Promise<string> {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, `${currentTestSlug()}${label ? `--${slug(label)}` : ''}.png`);
      await page.screenshot({ path, fullPage: true });
      shots.push(path);
      return path;
    },
  };
}

/** A unique, lowercase token for names and emails. */
export function uniq(prefix = 'e2e'): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** A JSON call to the server under test (outside the browser). */
export async function api<T = Record<string, unknown>>(
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(baseUrl + path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T };
}

export interface Account {
  name: string;
  email: string;
  password: string;
}

interface LoginBody {
  user: { id: string; name: string; email: string; accesses: string[] };
  tokens: { accessToken: string; refreshToken: string };
}

/** Registers an account through the API (not the UI) and returns its credentials. */
export async function registerAccount(prefix = 'user'): Promise<Account & { id: string }> {
  const id = uniq(prefix);
  const account = { name: `Test ${id}`, email: `${id}@example.com`, password: 'correct horse battery staple' };
  const res = await api<LoginBody>('/api/auth/register', { body: account });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...account, id: res.body.user.id };
}

/** Signs in through the API; returns the access token. */
export async function apiLogin(email: string, password: string): Promise<string> {
  const res = await api<LoginBody>('/api/auth/login', { body: { email, password } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.tokens.accessToken;
}

/** Signs in through the sign-in page and waits until the app has left it. */
export async function signInViaUi(page: Page, email: string, password: string, redirect?: string): Promise<void> {
  await page.goto(redirect ? `/login?redirect=${encodeURIComponent(redirect)}` : '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** The main navigation bar (header) of the app. */
export function header(page: Page) {
  return page.getByRole('navigation', { name: 'Main' });
}

/** Polls `check` until it returns true (for conditions playwright-core has no waiter for). */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The path (with query) the page is on. */
export function pathOf(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}
