import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, uid, apiClient } from './harness.js';

describe('your account', () => {
  const env = useEnv(before, after);

  it('changes your own password: the current one is required, tokens are revoked', async () => {
    const admin = await apiClient(env.baseURL);
    const name = `acct${uid()}`;
    await admin.post('/users', { username: name, password: 'first-password-1', roles: ['tester'] });
    const user = await apiClient(env.baseURL, name, 'first-password-1');
    const { secret } = await user.post('/auth/tokens', { name: 'ci' });
    const useToken = () => fetch(`${env.baseURL}/api/v1/releases`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal((await useToken()).status, 200);

    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page, name, 'first-password-1');
    await page.getByTestId('current-user').click();
    await page.getByTestId('nav-account').click();
    await page.getByTestId('account-page').waitFor();
    assert.match(page.url(), /#\/account$/);
    assert.match(await page.getByTestId('account-password-note').innerText(), /revokes all your API tokens \(1 token now\)/);

    // a wrong current password lands next to its field
    await page.getByTestId('current-password').fill('not-my-password');
    await page.getByTestId('new-password').fill('second-password-2');
    await page.getByTestId('confirm-password').fill('second-password-2');
    await page.getByTestId('change-password').click();
    const curErr = page.locator('[data-testid="field-error"][data-field="current_password"]');
    await curErr.waitFor();
    assert.match(await curErr.innerText(), /not your current password/);

    await page.getByTestId('current-password').fill('first-password-1');
    await page.getByTestId('change-password').click();
    const doneBanner = page.getByTestId('account-password-done');
    await doneBanner.waitFor();
    assert.match(await doneBanner.innerText(), /1 API token was revoked/);
    await shot(page, 'account-password');

    assert.equal((await useToken()).status, 401);
    // this session goes on; the other one (the API client's) ended
    await page.reload();
    await page.getByTestId('account-page').waitFor();
    await assert.rejects(user.get('/auth/me'), /401/);
    await apiClient(env.baseURL, name, 'second-password-2');

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
