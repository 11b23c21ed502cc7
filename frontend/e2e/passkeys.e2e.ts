/**
 * Passkeys end to end with Chromium's virtual authenticator (DevTools protocol, WebAuthn
 * domain). The server's relying party is `localhost` with the origin
 * http://localhost:<port> (global-setup.ts), so these pages are opened there.
 */
import type { CDPSession, Page, Response } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { api, apiLogin, header, localhostUrl, registerAccount, signInViaUi, useBrowser } from './helpers';

const browser = useBrowser();

interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  userHandle?: string;
  signCount: number;
}

interface PasskeyRow {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const isCall = (path: string) => (res: Response) =>
  new URL(res.url()).pathname === path && res.request().method() === 'POST';

/** A platform authenticator with resident keys and user verification, always verifying. */
async function addAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return { cdp, authenticatorId };
}

async function credentials(cdp: CDPSession, authenticatorId: string): Promise<VirtualCredential[]> {
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  return credentials as VirtualCredential[];
}

describe('passkeys', () => {
  it('registers a passkey on the account page and signs in with it', async () => {
    const account = await registerAccount('passkey');
    const { page } = await browser.open({ viaLocalhost: true });
    expect(page.url()).toBe('about:blank');
    const { cdp, authenticatorId } = await addAuthenticator(page);

    // Register on the account settings page.
    await signInViaUi(page, account.email, account.password, '/settings');
    expect(new URL(page.url()).origin).toBe(localhostUrl);
    const section = page.getByRole('region', { name: 'Passkeys' });
    await section.getByText('No passkeys yet.').waitFor();
    await section.getByLabel('Name for the new passkey').fill('E2E laptop');
    const finish = page.waitForResponse(isCall('/api/auth/passkey/register/finish'));
    await section.getByRole('button', { name: 'Add passkey' }).click();
    const registered = await finish;
    expect(registered.status(), await registered.text()).toBe(200);
    await page.getByRole('status').filter({ hasText: 'Passkey added' }).waitFor();
    await section.getByText('E2E laptop', { exact: true }).waitFor();
    await section.getByText('last used never').waitFor();
    await browser.shot(page, 'registered');

    // The authenticator holds one discoverable credential for this RP; the server lists it.
    const [credential, ...more] = await credentials(cdp, authenticatorId);
    expect(more).toEqual([]);
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    const token = await apiLogin(account.email, account.password);
    const listed = await api<PasskeyRow[]>('/api/auth/passkeys', { token });
    expect(listed.status).toBe(200);
    expect(listed.body.map((p) => [p.name, p.lastUsedAt])).toEqual([['E2E laptop', null]]);

    // Sign out, then sign in with the passkey alone (no email: a discoverable login).
    await header(page).getByRole('button', { name: 'Sign out' }).click();
    await header(page).getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto('/login?redirect=%2Fsettings');
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe('');
    const login = page.waitForResponse(isCall('/api/auth/passkey/login/finish'));
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const loggedIn = await login;
    expect(loggedIn.status(), await loggedIn.text()).toBe(200);
    expect(((await loggedIn.json()) as { user: { email: string } }).user.email).toBe(account.email);
    await page.waitForURL((url) => url.pathname === '/settings');
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await header(page).getByText(account.name, { exact: true }).waitFor();
    await browser.shot(page, 'signed-in-with-passkey');

    // The assertion was made with that credential, and the server recorded its use.
    const [after] = await credentials(cdp, authenticatorId);
    expect(after.credentialId).toBe(credential.credentialId);
    expect(after.signCount).toBeGreaterThan(credential.signCount);
    const used = await api<PasskeyRow[]>('/api/auth/passkeys', { token });
    expect(used.body).toHaveLength(1);
    expect(used.body[0].lastUsedAt).not.toBeNull();
    await page.getByRole('region', { name: 'Passkeys' }).getByText('last used never').waitFor({ state: 'detached' });
  });

  it('explains a passkey sign-in that finds no passkey and stays usable', async () => {
    const { page } = await browser.open({ viaLocalhost: true });
    const { cdp, authenticatorId } = await addAuthenticator(page);
    expect(await credentials(cdp, authenticatorId)).toEqual([]);
    await page.goto('/login');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'The passkey request was cancelled or timed out.' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign in', exact: true }).isEnabled()).toBe(true);
    await browser.shot(page);
  });
});
