import { describe, expect, it } from 'vitest';
import { admin, api, apiLogin, header, pathOf, registerAccount, signInViaUi, until, useBrowser } from './helpers';

const browser = useBrowser();

interface AdminUsers {
  users: { id: string; email: string; isActive: boolean }[];
  total: number;
}

describe('administration', () => {
  it('lets a superadmin find and deactivate a user', async () => {
    const target = await registerAccount('victim');
    await registerAccount('bystander'); // so the search has something to filter out
    const { page } = await browser.open();

    await signInViaUi(page, admin.email, admin.password);
    await header(page).getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL('**/admin');
    await page.getByRole('heading', { name: 'Administration', level: 1 }).waitFor();
    await page.getByRole('link', { name: /^Users/ }).click();
    await page.waitForURL('**/admin/users');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    await until(async () => (await rows.count()) > 1, 'the unfiltered user list');

    await page.getByRole('searchbox', { name: 'Search' }).fill(target.email);
    await until(
      async () => (await rows.count()) === 1 && (await rows.first().innerText()).includes(target.email),
      `the list filtered down to ${target.email}`,
    );
    const row = rows.filter({ hasText: target.email });
    expect(await row.getByText('Active', { exact: true }).count()).toBe(1);

    await row.getByRole('button', { name: 'Deactivate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deactivate user?' });
    await dialog.getByText(`${target.name} will be signed out`).waitFor();
    await dialog.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await page.getByRole('status').filter({ hasText: `${target.name} deactivated` }).waitFor();
    await row.getByText('Deactivated', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Activate' }).waitFor();
    await browser.shot(page);

    // Server state: inactive, and the account can no longer sign in.
    const token = await apiLogin(admin.email, admin.password);
    const list = await api<AdminUsers>(`/api/admin/users?q=${encodeURIComponent(target.email)}`, { token });
    expect(list.status).toBe(200);
    expect(list.body.users.map((u) => [u.email, u.isActive])).toEqual([[target.email, false]]);
    const login = await api('/api/auth/login', { body: { email: target.email, password: target.password } });
    expect(login.status).toBe(401);
    expect(login.body).toMatchObject({ error: 'Invalid credentials' });

    // The state shows after a reload, filtered by status.
    await page.reload();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByLabel('Status').selectOption('banned');
    await page.getByRole('searchbox', { name: 'Search' }).fill(target.email);
    await until(
      async () => (await rows.count()) === 1 && (await rows.first().innerText()).includes('Deactivated'),
      'the deactivated user under the status filter',
    );
  });

  it('refuses the admin area to other users', async () => {
    const user = await registerAccount('plain');
    const { page } = await browser.open();

    // Anonymous: sent to sign-in, with the way back.
    await page.goto('/admin/users');
    await page.waitForURL((url) => url.pathname === '/login');
    expect(pathOf(page)).toBe('/login?redirect=%2Fadmin%2Fusers');

    // Signed in without the role: back to /admin/users, which says no.
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL('**/admin/users');
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await page.getByText('This area is for server administrators only.').waitFor();
    expect(await page.locator('table').count()).toBe(0);
    expect(await header(page).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await browser.shot(page);

    // The server refuses the same call.
    const token = await apiLogin(user.email, user.password);
    const res = await api('/api/admin/users', { token });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'Insufficient access rights' });
  });
});
