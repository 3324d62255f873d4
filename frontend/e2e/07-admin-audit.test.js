import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, uid } from './harness.js';

describe('administration and audit', () => {
  const env = useEnv(before, after);

  it('manages users: create, edit roles, reset password, disable', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('users-page').waitFor();
    await page.locator('[data-testid="user-row"][data-username="admin"]').waitFor();

    const username = `mgr${uid()}`;
    await page.getByTestId('new-user').click();
    const dlg = page.getByTestId('user-dialog');
    await dlg.getByTestId('user-username').fill(username);
    await dlg.getByTestId('user-display-name').fill('Maria Manager');
    await dlg.getByTestId('user-password-input').fill('manager-pass-123');
    await dlg.getByTestId('user-role-tester').uncheck();
    await dlg.getByTestId('user-role-manager').check();
    await dlg.getByTestId('user-save').click();
    const row = page.locator(`[data-testid="user-row"][data-username="${username}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Maria Manager/);
    assert.match(await row.innerText(), /manager/);

    // edit: add the tester role
    await row.getByTestId('user-edit').click();
    await dlg.getByTestId('user-role-tester').check();
    await dlg.getByTestId('user-display-name').fill('Maria M.');
    await dlg.getByTestId('user-save').click();
    await row.getByText('Maria M.').waitFor();
    await row.getByText('tester').waitFor();

    // reset password
    await row.getByTestId('user-password').click();
    await page.getByTestId('password-dialog').getByTestId('new-password').fill('another-pass-456');
    await page.getByTestId('password-save').click();
    await page.getByTestId('users-flash').getByText('Password reset').waitFor();

    // disable
    await row.getByTestId('user-toggle').click();
    await row.getByText('disabled').waitFor();
    await shot(page, 'users');

    // the disabled user cannot sign in
    const other = await newPage(env.browser, env.baseURL);
    await other.goto('/');
    await other.getByTestId('login-username').fill(username);
    await other.getByTestId('login-password').fill('another-pass-456');
    await other.getByTestId('login-submit').click();
    await other.getByTestId('login-error').waitFor();
    await other.context().close();

    // enable again
    await row.getByTestId('user-toggle').click();
    await row.getByText('active').waitFor();
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('manages freeze windows', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto('/#/admin/freezes');
    await page.getByTestId('freezes-page').waitFor();
    const name = `Year-end freeze ${uid()}`;
    await page.getByTestId('new-freeze').click();
    const dlg = page.getByTestId('freeze-dialog');
    await dlg.getByTestId('freeze-name').fill(name);
    await dlg.getByTestId('freeze-start').fill('2031-12-20T00:00');
    await dlg.getByTestId('freeze-end').fill('2032-01-03T00:00');
    await dlg.getByTestId('freeze-recurrence').selectOption('yearly');
    await dlg.getByTestId('freeze-reason').fill('Trading peak');
    await dlg.getByTestId('freeze-save').click();
    const row = page.locator('[data-testid="freeze-row"]', { hasText: name });
    await row.waitFor();
    assert.match(await row.innerText(), /yearly/);

    await row.getByTestId('freeze-edit').click();
    await dlg.getByTestId('freeze-environment').fill('production');
    await dlg.getByTestId('freeze-save').click();
    await row.getByText('production').waitFor();
    await shot(page, 'freezes');

    await row.getByTestId('freeze-delete').click();
    await page.getByTestId('freeze-delete-confirm').click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('lists audit entries with filters and verifies the chain', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.locator('nav[aria-label="Main"] >> text=Audit').click();
    await page.getByTestId('audit-page').waitFor();
    await page.getByTestId('audit-row').first().waitFor();

    await page.getByTestId('audit-entity').selectOption('release');
    await page.getByTestId('audit-apply').click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="audit-row"] td:nth-child(5)')].every((td) => /release/.test(td.textContent)),
    );

    await page.getByTestId('verify-chain').click();
    const result = page.getByTestId('verify-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-ok'), 'true');
    assert.match(await result.innerText(), /entries checked/);
    await shot(page, 'audit');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
