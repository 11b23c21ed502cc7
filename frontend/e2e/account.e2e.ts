import { describe, expect, it } from 'vitest';
import { api, apiLogin, header, registerAccount, signInViaUi, uniq, useBrowser } from './helpers';

const browser = useBrowser();

describe('account settings', () => {
  it('changes the name, which survives a reload and reaches the server', async () => {
    const account = await registerAccount('settings');
    const { page } = await browser.open();
    await signInViaUi(page, account.email, account.password, '/settings');
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();

    const nameInput = page.locator('#profile-name');
    expect(await nameInput.inputValue()).toBe(account.name);
    const newName = `Renamed ${uniq('n')}`;
    await nameInput.fill(newName);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile saved' }).waitFor();
    await header(page).getByText(newName, { exact: true }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await header(page).getByText(newName, { exact: true }).waitFor();
    expect(await page.locator('#profile-name').inputValue()).toBe(newName);
    await browser.shot(page);

    const token = await apiLogin(account.email, account.password);
    const me = await api<{ name: string }>('/api/auth/me', { token });
    expect(me.body.name).toBe(newName);
  });

  it('shows the server error for an invalid name and keeps the old one', async () => {
    const account = await registerAccount('badname');
    const { page } = await browser.open();
    await signInViaUi(page, account.email, account.password, '/settings');
    await page.locator('#profile-name').fill('x');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('alert').filter({ hasText: 'Name must be at least 2 characters' }).waitFor();
    await header(page).getByText(account.name, { exact: true }).waitFor();
    await browser.shot(page);
  });
});

describe('theme', () => {
  const background = (page: import('playwright-core').Page) =>
    page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const themeAttr = (page: import('playwright-core').Page) =>
    page.evaluate(() => document.documentElement.getAttribute('data-theme'));

  it('toggles between light and dark and remembers the choice', async () => {
    const { page } = await browser.open({ colorScheme: 'light' });
    await page.goto('/');
    const toDark = header(page).getByRole('button', { name: 'Switch to dark theme' });
    await toDark.waitFor();
    expect(await themeAttr(page)).toBeNull(); // follows the system until the user picks
    const lightBg = await background(page);

    await toDark.click();
    await header(page).getByRole('button', { name: 'Switch to light theme' }).waitFor();
    expect(await themeAttr(page)).toBe('dark');
    expect(await page.evaluate(() => document.documentElement.style.colorScheme)).toBe('dark');
    const darkBg = await background(page);
    expect(darkBg).not.toBe(lightBg);
    await browser.shot(page, 'dark');

    await page.reload();
    await header(page).getByRole('button', { name: 'Switch to light theme' }).waitFor();
    expect(await themeAttr(page)).toBe('dark');

    await header(page).getByRole('button', { name: 'Switch to light theme' }).click();
    await header(page).getByRole('button', { name: 'Switch to dark theme' }).waitFor();
    expect(await themeAttr(page)).toBe('light');
    expect(await background(page)).toBe(lightBg);
  });

  it('follows a dark system preference until the user chooses', async () => {
    const { page } = await browser.open({ colorScheme: 'dark' });
    await page.goto('/');
    await header(page).getByRole('button', { name: 'Switch to light theme' }).waitFor();
    expect(await themeAttr(page)).toBeNull();
    expect(await page.evaluate(() => document.documentElement.style.colorScheme)).toBe('dark');
    await browser.shot(page);
  });
});
