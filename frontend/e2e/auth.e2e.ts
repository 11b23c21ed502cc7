import { describe, expect, it } from 'vitest';
import { api, header, pathOf, registerAccount, signInViaUi, uniq, useBrowser } from './helpers';

const browser = useBrowser();

describe('registration and session', () => {
  it('registers through the UI, keeps the session over a reload and signs out', async () => {
    const { page, context } = await browser.open();
    const id = uniq('reg');
    const name = `Reg ${id}`;
    const email = `${id}@example.com`;
    const password = 'a long enough passphrase';

    await page.goto('/');
    await header(page).getByRole('link', { name: 'Create account' }).click();
    await page.waitForURL('**/register');
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();

    // Lands on the dashboard, signed in.
    await page.waitForURL('**/dashboard');
    await page.getByRole('heading', { name: 'My rooms', level: 1 }).waitFor();
    await header(page).getByText(name, { exact: true }).waitFor();
    await browser.shot(page, 'registered');

    // The refresh token is an HttpOnly cookie; the access token is never readable by scripts.
    const cookies = await context.cookies();
    const refresh = cookies.find((c) => c.name === 'refresh_token');
    expect(refresh?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain('refresh_token');

    // The server has the account: the same credentials sign in through the API.
    const login = await api('/api/auth/login', { body: { email, password } });
    expect(login.status).toBe(200);

    // A reload restores the session from the refresh cookie.
    await page.reload();
    await page.getByRole('heading', { name: 'My rooms', level: 1 }).waitFor();
    await header(page).getByText(name, { exact: true }).waitFor();
    expect(pathOf(page)).toBe('/dashboard');

    // Sign out: back to the start page, anonymous, cookies cleared.
    await header(page).getByRole('button', { name: 'Sign out' }).click();
    await header(page).getByRole('link', { name: 'Sign in' }).waitFor();
    expect(pathOf(page)).toBe('/');
    expect(await header(page).getByText(name, { exact: true }).count()).toBe(0);
    expect((await context.cookies()).find((c) => c.name === 'refresh_token')).toBeUndefined();

    // Still signed out after a reload; account pages send to sign-in.
    await page.goto('/dashboard');
    await page.waitForURL((url) => url.pathname === '/login');
    expect(pathOf(page)).toBe('/login?redirect=%2Fdashboard');
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  });

  it('shows the server error for a wrong password and signs in with the right one', async () => {
    const account = await registerAccount('login');
    const { page } = await browser.open();

    await page.goto('/login?redirect=%2Fsettings');
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill('definitely the wrong password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Invalid credentials' }).waitFor();
    expect(pathOf(page)).toBe('/login?redirect=%2Fsettings');
    await browser.shot(page, 'wrong-password');

    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // The redirect target is honoured.
    await page.waitForURL('**/settings');
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await header(page).getByText(account.name, { exact: true }).waitFor();
    expect(await page.getByRole('alert').filter({ hasText: 'Invalid credentials' }).count()).toBe(0);
  });

  it('lets a guest in without account-only features', async () => {
    const { page } = await browser.open();
    const guestName = `Guest ${uniq('g')}`;

    await page.goto('/login');
    await page.getByLabel('Your name').fill(guestName);
    await page.getByRole('button', { name: 'Continue as guest' }).click();

    await page.waitForURL((url) => url.pathname === '/');
    await page.getByText('You are signed in as a guest. Guests can join meetings but cannot create rooms.').waitFor();
    await header(page).getByText(guestName, { exact: true }).waitFor();
    await browser.shot(page);
    expect(await page.getByRole('button', { name: 'New meeting' }).count()).toBe(0);
    expect(await header(page).getByRole('link', { name: 'My rooms' }).count()).toBe(0);
    expect(await header(page).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await header(page).getByRole('link', { name: 'Account' }).waitFor();

    // The server sees a guest (GET with the HttpOnly access cookie).
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
    expect(me.provider).toBe('guest');
    expect(me.accesses).toEqual(['guest']);
    expect(me.name).toBe(guestName);

    // The rooms dashboard is refused.
    await page.goto('/dashboard');
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await page.getByText('Guests cannot create or manage rooms').waitFor();
    expect(await page.getByRole('button', { name: 'New room' }).count()).toBe(0);
  });

  it('keeps an already signed-in user away from the sign-in page', async () => {
    const account = await registerAccount('signed');
    const { page } = await browser.open();
    await signInViaUi(page, account.email, account.password);
    await header(page).getByText(account.name, { exact: true }).waitFor();
    await page.goto('/login');
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByRole('button', { name: 'New meeting' }).waitFor();
    await browser.shot(page);
  });
});
