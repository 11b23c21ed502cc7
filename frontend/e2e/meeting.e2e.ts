/**
 * Joining meetings. The server's embedded LiveKit is the fake one (global-setup.ts): it
 * serves the RoomService API, so the join calls succeed and mint tokens, but its signalling
 * path only echoes, so no call can ever connect. The app must then say that the media server
 * cannot be reached — in bounded time, with a way to try again and a way back.
 */
import type { Page, Response } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { api, apiLogin, baseUrl, header, registerAccount, signInViaUi, uniq, until, useBrowser } from './helpers';

const browser = useBrowser();

/** The app's overall connect deadline (src/lib/meeting.ts CONNECT_TIMEOUT_MS) plus a margin. */
const FRIENDLY_ERROR_WITHIN_MS = 30_000;
const FRIENDLY_TEXT = "We couldn't reach the media server.";

interface JoinBody {
  id: string;
  name: string;
  token: string;
  livekitHost: string;
}

interface GuestJoinBody extends JoinBody {
  accessToken: string;
  tokens: { accessToken: string; refreshToken: string };
}

const isCall = (path: string, method = 'POST') => (res: Response) =>
  new URL(res.url()).pathname === path && res.request().method() === method;

/** Waits for the "Couldn't connect" view that explains the unreachable media server. */
async function expectMediaUnreachable(page: Page, since: number): Promise<number> {
  await page.getByRole('heading', { name: "Couldn't connect", level: 1 }).waitFor({ timeout: FRIENDLY_ERROR_WITHIN_MS });
  const elapsed = Date.now() - since;
  const alert = page.getByRole('alert').filter({ hasText: FRIENDLY_TEXT });
  await alert.waitFor();
  expect(await alert.innerText()).toContain('Please try again in a moment.');
  // No spinner or "Connecting…" banner is left behind.
  expect(await page.getByText('Connecting to the meeting…').count()).toBe(0);
  return elapsed;
}

describe('meeting', () => {
  it('joins through the fake LiveKit and explains that the media server cannot be reached', async () => {
    const account = await registerAccount('meet');
    const token = await apiLogin(account.email, account.password);
    const roomName = uniq('call');
    const created = await api('/api/room/create', { token, body: { name: roomName } });
    expect(created.status, JSON.stringify(created.body)).toBe(200);

    const { page } = await browser.open();
    await signInViaUi(page, account.email, account.password, `/m/${roomName}`);
    await page.getByRole('heading', { name: `Join ${roomName}` }).waitFor();
    // Pre-join with Chromium's fake camera and microphone.
    await page.getByLabel('Your camera preview').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Turn camera off' }).waitFor();
    await page.getByRole('button', { name: 'Turn microphone off' }).waitFor();
    await browser.shot(page, 'pre-join');

    const joinCall = page.waitForResponse(isCall('/api/room/join'));
    const signalling = page.waitForEvent('websocket', {
      predicate: (ws) => new URL(ws.url()).pathname.startsWith('/livekit/rtc'),
      timeout: FRIENDLY_ERROR_WITHIN_MS,
    });
    const pressed = Date.now();
    await page.getByRole('button', { name: 'Join now' }).click();

    // The server admitted us and pointed the client at its own /livekit proxy …
    const joined = await joinCall;
    expect(joined.status()).toBe(200);
    const body = (await joined.json()) as JoinBody;
    expect(body.name).toBe(roomName);
    expect(body.token).not.toBe('');
    expect(body.livekitHost).toBe(`${baseUrl.replace(/^http/, 'ws')}/livekit`);
    // … the client tried the media server through it …
    await signalling;
    // … and, as nothing answers like LiveKit, says so in words.
    const elapsed = await expectMediaUnreachable(page, pressed);
    console.log(`[e2e] the unreachable media server was explained ${elapsed} ms after "Join now"`);
    expect(elapsed).toBeLessThan(FRIENDLY_ERROR_WITHIN_MS);
    await browser.shot(page, 'media-unreachable');

    // The page still works: "Try again" fetches a fresh token and fails the same friendly way.
    const refresh = page.waitForResponse(isCall('/api/room/refresh-token'));
    const retried = Date.now();
    await page.getByRole('button', { name: 'Try again' }).click();
    expect((await refresh).status()).toBe(200);
    await expectMediaUnreachable(page, retried);

    // … and "Go home" leads back into the app.
    await page.getByRole('link', { name: 'Go home' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByRole('button', { name: 'New meeting' }).waitFor();
    await header(page).getByText(account.name, { exact: true }).waitFor();
  }, 120_000);

  it('gives up in bounded time when the media server accepts connections but never answers', async () => {
    const account = await registerAccount('hang');
    const token = await apiLogin(account.email, account.password);
    const roomName = uniq('hang');
    expect((await api('/api/room/create', { token, body: { name: roomName } })).status).toBe(200);

    const { page } = await browser.open();
    await signInViaUi(page, account.email, account.password, `/m/${roomName}`);
    await page.getByRole('heading', { name: `Join ${roomName}` }).waitFor();

    // From now on the fake LiveKit (its control endpoint, through bedrud's /livekit proxy)
    // leaves every request unanswered, the signalling WebSocket upgrade included.
    const hang = await api('/livekit/_fake/fail', { body: { mode: 'hang' } });
    expect(hang.status, JSON.stringify(hang.body)).toBe(200);
    try {
      const joinCall = page.waitForResponse(isCall('/api/room/join'));
      const pressed = Date.now();
      await page.getByRole('button', { name: 'Join now' }).click();
      expect((await joinCall).status()).toBe(200);
      // While it waits, the user sees that something is happening …
      await page.getByRole('status').filter({ hasText: 'Connecting to the meeting…' }).waitFor();
      await browser.shot(page, 'connecting');
      // … and then, well before the user gives up, why it did not work.
      const elapsed = await expectMediaUnreachable(page, pressed);
      console.log(`[e2e] a hanging media server was explained ${elapsed} ms after "Join now"`);
      expect(elapsed).toBeLessThan(FRIENDLY_ERROR_WITHIN_MS);
      await browser.shot(page, 'gave-up');
      await page.getByRole('button', { name: 'Try again' }).waitFor();
      await page.getByRole('link', { name: 'Go home' }).waitFor();
    } finally {
      // Back to normal for the other tests (the supervisor may have restarted it meanwhile).
      await api('/livekit/_fake/fail', { body: { mode: 'none' } });
      await until(
        async () => (await api<{ livekit: string }>('/api/ready')).body.livekit === 'running',
        'the fake LiveKit running again',
        30_000,
      );
    }
  }, 120_000);

  it('lets a guest join through the invite link copied from the dashboard', async () => {
    // The host creates a public room on the dashboard and copies its invite link.
    const host = await registerAccount('inviter');
    const { page: hostPage, context: hostContext } = await browser.open();
    await hostContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    await signInViaUi(hostPage, host.email, host.password, '/dashboard');
    await hostPage.getByRole('heading', { name: 'My rooms', level: 1 }).waitFor();
    const roomName = uniq('invite');
    await hostPage.getByRole('button', { name: 'New room' }).click();
    const dialog = hostPage.getByRole('dialog', { name: 'New room' });
    await dialog.getByLabel(/Room name/).fill(roomName);
    await dialog.getByLabel(/Public — anyone with the link can join/).check();
    await dialog.getByRole('button', { name: 'Create room' }).click();
    const card = hostPage.getByRole('article', { name: roomName });
    await card.waitFor();
    await card.getByText('Public', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Copy invite link' }).click();
    await hostPage.getByRole('status').filter({ hasText: 'Invite link copied' }).waitFor();
    const link = await hostPage.evaluate(() => navigator.clipboard.readText());
    expect(link).toBe(`${baseUrl}/m/${roomName}`);
    await browser.shot(hostPage, 'host-dashboard');

    // A stranger (fresh context, no account) opens the link.
    const { page } = await browser.open();
    await page.goto(link);
    await page.getByRole('heading', { name: `Join ${roomName}` }).waitFor();
    const guestName = `Guest ${uniq('g').slice(-6)}`;
    await page.getByLabel('Your name').fill(guestName);
    await page.getByLabel('Your camera preview').waitFor({ timeout: 20_000 });
    await browser.shot(page, 'guest-pre-join');

    const guestJoin = page.waitForResponse(isCall('/api/room/guest-join'));
    const pressed = Date.now();
    await page.getByRole('button', { name: 'Join now' }).click();
    const res = await guestJoin;
    expect(res.status()).toBe(200);
    expect(res.request().postDataJSON()).toEqual({ roomName, guestName });
    const body = (await res.json()) as GuestJoinBody;
    expect(body.name).toBe(roomName);
    expect(body.token).not.toBe('');
    expect(body.tokens.accessToken).toBe(body.accessToken);

    // Joined through the API: the same friendly state as a member, not a hang.
    await expectMediaUnreachable(page, pressed);
    await browser.shot(page, 'guest-media-unreachable');

    // The server knows the guest by the name given on the pre-join screen.
    const me = await api<{ name: string; provider: string; accesses: string[] }>('/api/auth/me', { token: body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: guestName, provider: 'guest', accesses: ['guest'] });
  }, 120_000);
});
