/**
 * The app is self-hosted: it must never reach out to another origin (fonts, icons, scripts,
 * analytics). Every test already fails on such a request (helpers.ts checks all recorded
 * URLs after each test); this one walks the main pages deliberately and checks the record.
 */
import { describe, expect, it } from 'vitest';
import { api, apiLogin, baseUrl, foreignRequests, registerAccount, signInViaUi, uniq, useBrowser } from './helpers';

const browser = useBrowser();

describe('network', () => {
  it('loads every main page, its fonts and icons from its own origin only', async () => {
    const account = await registerAccount('net');
    const token = await apiLogin(account.email, account.password);
    const roomName = uniq('net');
    expect((await api('/api/room/create', { token, body: { name: roomName } })).status).toBe(200);

    const { page, requests } = await browser.open();
    await page.goto('/');
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await signInViaUi(page, account.email, account.password, '/dashboard');
    await page.getByRole('article', { name: roomName }).waitFor();
    for (const [path, heading] of [
      ['/settings', 'Account'],
      ['/register', null],
      [`/m/${roomName}`, `Join ${roomName}`],
    ] as const) {
      await page.goto(path);
      if (heading) await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
    }
    await page.getByLabel('Your camera preview').waitFor({ timeout: 20_000 });
    await page.evaluate(() => document.fonts.ready);
    await browser.shot(page);

    // Something was recorded: the documents, the bundle, its CSS and the API calls.
    const paths = requests.map((u) => new URL(u).pathname);
    expect(paths).toContain('/settings');
    expect(paths.some((p) => /^\/assets\/.+\.js$/.test(p)), paths.join('\n')).toBe(true);
    expect(paths.some((p) => /^\/assets\/.+\.css$/.test(p)), paths.join('\n')).toBe(true);
    expect(paths).toContain('/api/room/list');
    // All of it from the app's own origin (or data:/blob: URLs).
    expect(foreignRequests(requests, baseUrl)).toEqual([]);
    // The page agrees: every resource it loaded, fonts included, is same-origin.
    const resources = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    expect(foreignRequests(resources, baseUrl)).toEqual([]);
    const fontSources = await page.evaluate(() =>
      [...document.styleSheets].flatMap((sheet) =>
        [...sheet.cssRules].filter((r) => r instanceof CSSFontFaceRule).map((r) => (r as CSSFontFaceRule).style.getPropertyValue('src')),
      ),
    );
    for (const src of fontSources) expect(src).not.toMatch(/url\(["']?(https?:)?\/\//);

    // The check itself tells foreign requests apart.
    expect(
      foreignRequests(
        [`${baseUrl}/x`, 'https://fonts.googleapis.com/css2?family=Inter', 'data:image/png;base64,AA', `${baseUrl.replace('http', 'ws')}/livekit/rtc`, 'http://localhost:1/'],
        baseUrl,
      ),
    ).toEqual(['https://fonts.googleapis.com/css2?family=Inter', 'http://localhost:1/']);
  });
});
