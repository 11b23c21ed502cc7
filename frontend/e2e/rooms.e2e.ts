import { describe, expect, it } from 'vitest';
import { api, apiLogin, registerAccount, signInViaUi, uniq, useBrowser } from './helpers';

const browser = useBrowser();

describe('rooms', () => {
  it('creates a room from the dashboard, lists it and opens its pre-join screen', async () => {
    const account = await registerAccount('rooms');
    const { page } = await browser.open();
    await signInViaUi(page, account.email, account.password, '/dashboard');
    await page.getByRole('heading', { name: 'My rooms', level: 1 }).waitFor();
    await page.getByText('You have no active rooms yet.').waitFor();

    const roomName = uniq('room');
    await page.getByRole('button', { name: 'New room' }).click();
    const dialog = page.getByRole('dialog', { name: 'New room' });
    await dialog.getByLabel(/Room name/).fill(roomName);
    await dialog.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('status').filter({ hasText: `Room ${roomName} created` }).waitFor();
    const card = page.getByRole('article', { name: roomName });
    await card.waitFor();

    // The server lists it for its creator, also after a reload.
    const token = await apiLogin(account.email, account.password);
    const list = await api<{ name: string; isActive: boolean }[]>('/api/room/list', { token });
    expect(list.status).toBe(200);
    expect(list.body.map((r) => r.name)).toEqual([roomName]);
    await page.reload();
    await card.waitFor();

    // Join → pre-join screen of the room, camera preview from the fake device.
    await card.getByRole('link', { name: 'Join' }).click();
    await page.waitForURL(`**/m/${roomName}`);
    await page.getByRole('heading', { name: `Join ${roomName}` }).waitFor();
    await page.getByLabel('Your camera preview').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Turn microphone off' }).waitFor();

    await page.getByRole('button', { name: 'Join now' }).waitFor();
    await browser.shot(page);
    // Joining itself: meeting.e2e.ts.
  });

  it('shows a guest the pre-join screen of an existing room and "not found" for an unknown one', async () => {
    const account = await registerAccount('host');
    const token = await apiLogin(account.email, account.password);
    const roomName = uniq('pub');
    const created = await api('/api/room/create', { token, body: { name: roomName, isPublic: true } });
    expect(created.status, JSON.stringify(created.body)).toBe(200);

    const { page } = await browser.open();
    await page.goto(`/m/${roomName}`);
    await page.getByRole('heading', { name: `Join ${roomName}` }).waitFor();
    await page.getByLabel('Your name').waitFor();
    await browser.shot(page, 'pre-join');

    await page.goto(`/m/${uniq('nope')}`);
    await page.getByRole('heading', { name: "Can't join this meeting" }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Room not found' }).waitFor();
    await browser.shot(page, 'not-found');
  });
});
