import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, shot, uid, ADMIN_PASSWORD } from './harness.js';

describe('sign in', () => {
  const env = useEnv(before, after);

  it('rejects a wrong password with a visible message, then signs in and out', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await page.goto('/');
    await page.getByTestId('login-form').waitFor();

    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill('definitely-wrong');
    await page.getByTestId('login-submit').click();
    const err = page.getByTestId('login-error');
    await err.waitFor();
    assert.match(await err.innerText(), /wrong username or password/i);
    assert.equal(await page.getByTestId('app-header').count(), 0);
    await shot(page, 'login-error');

    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-header').waitFor();
    await page.getByTestId('board').waitFor();

    const who = await page.getByTestId('current-user').innerText();
    assert.match(who, /admin/i);
    // admin holds all three roles, and sees the Admin menu
    for (const role of ['tester', 'manager', 'admin']) assert.match(who, new RegExp(role));
    await page.getByTestId('nav-admin').waitFor();
    // host status and live indicator are in the header
    await page.getByTestId('host-status').waitFor();
    await page.locator('[data-testid="live-indicator"][data-status="connected"]').waitFor();

    // the session survives a reload
    await page.reload();
    await page.getByTestId('board').waitFor();

    // sign out lives in the user menu under the name
    await page.getByTestId('current-user').click();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-form').waitFor();
    await page.reload();
    await page.getByTestId('login-form').waitFor();

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('hides admin pages from a user without the admin role', async () => {
    const username = `tess${uid()}`;
    await env.api.post('/users', {
      username,
      display_name: 'Tess Tester',
      password: 'tester-pass-123',
      roles: ['tester'],
    });
    const page = await newPage(env.browser, env.baseURL);
    await page.goto('/');
    await page.getByTestId('login-username').fill(username);
    await page.getByTestId('login-password').fill('tester-pass-123');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('board').waitFor();
    assert.match(await page.getByTestId('current-user').innerText(), /Tess Tester/);
    assert.equal(await page.getByTestId('nav-admin').count(), 0);
    await page.goto('/#/admin/users');
    await page.getByText('only available to admins').waitFor();
    await page.context().close();
  });
});
