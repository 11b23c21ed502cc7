import { describe, expect, it } from 'vitest';
import { unexpectedConsoleErrors, until, useBrowser } from './helpers';

const browser = useBrowser();

const violations = (page: import('playwright-core').Page) =>
  page.evaluate(() => [...((window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])]);

/** The directive's sources, e.g. scriptSrc(csp) → ["'self'"]. */
function directive(csp: string, name: string): string[] | undefined {
  for (const part of csp.split(';')) {
    const [key, ...values] = part.trim().split(/\s+/);
    if (key?.toLowerCase() === name) return values;
  }
  return undefined;
}

describe('content security policy', () => {
  it('serves the sign-in page under a strict CSP without violations or errors', async () => {
    const { page, problems } = await browser.open();
    const response = await page.goto('/login');
    expect(response?.status()).toBe(200);
    const csp = (await response?.headerValue('content-security-policy')) ?? '';
    expect(csp, 'Content-Security-Policy header').not.toBe('');
    const scriptSrc = directive(csp, 'script-src') ?? directive(csp, 'default-src') ?? [];
    expect(scriptSrc).toContain("'self'");
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");

    // The app ran (its scripts were allowed) and finished its start-up calls.
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Continue as guest' }).waitFor();
    await page.waitForLoadState('networkidle');
    await browser.shot(page);

    expect(await violations(page)).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
    expect(problems.consoleErrors.filter((m) => /content security policy|refused to/i.test(m))).toEqual([]);
    expect(unexpectedConsoleErrors(problems)).toEqual([]);
    expect(problems.pageErrors).toEqual([]);

    // Control: the recorder does see a blocked inline script, so the checks above can fail.
    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.body.appendChild(s);
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    await until(() => problems.cspViolations.length > 0, 'the reported CSP violation');
    expect((await violations(page)).join('\n')).toContain('script-src');
    expect(problems.cspViolations.join('\n')).toContain('script-src');
    // Forget the provoked violation; the after-test check then fails only on real ones.
    problems.cspViolations.length = 0;
  });

  it('loads the other public pages without violations or errors', async () => {
    const { page, problems } = await browser.open();
    for (const path of ['/', '/register', '/no-such-page']) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await violations(page), path).toEqual([]);
    }
    await page.getByRole('heading', { name: /not found/i }).waitFor();
    await browser.shot(page);
    expect(unexpectedConsoleErrors(problems)).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
  });
});
