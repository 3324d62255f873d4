import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, apiClient } from './harness.js';

describe('admin settings', () => {
  const env = useEnv(before, after);

  it('an admin bounds token lifetimes and the networks imports may reach; a bad network is refused next to its field', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto('/#/admin/settings');
    await page.getByTestId('settings-page').waitFor();
    assert.equal(await page.getByTestId('settings-max-days').inputValue(), '90');

    await page.getByTestId('settings-networks').fill('10.20.0.0/16\nnot-a-network');
    await page.getByTestId('settings-save').click();
    const err = page.locator('[data-testid="field-error"][data-field="import_networks"]');
    await err.waitFor();
    assert.match(await err.innerText(), /not-a-network/);

    await page.getByTestId('settings-max-days').fill('30');
    await page.getByTestId('settings-networks').fill('10.20.0.0/16\n192.168.1.20');
    await page.getByTestId('settings-save').click();
    await page.getByText('Settings saved.').waitFor();
    assert.equal(await page.getByTestId('settings-networks').inputValue(), '10.20.0.0/16\n192.168.1.20/32');
    await shot(page, 'settings');

    const admin = await apiClient(env.baseURL);
    const saved = await admin.get('/settings');
    assert.equal(saved.token_max_days, 30);
    assert.deepEqual(saved.import_networks, ['10.20.0.0/16', '192.168.1.20/32']);
    // A token asked for longer than the bound is refused.
    await assert.rejects(admin.post('/auth/tokens', { name: 'too long', expires_in_days: 31 }), /30/);
    // Put the defaults back for the other tests.
    await admin.put('/settings', { token_max_days: 90, allow_non_expiring_tokens: false, import_networks: [], trusted_proxies: [] });
  });

  it('an admin sets separation of duties for an environment on the policies page', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto('/#/admin/policies');
    const prod = page.locator('[data-testid="duty-row"][data-environment="production"]');
    await prod.waitFor();
    assert.equal(await prod.getByTestId('duty-requester').isChecked(), false);
    assert.equal(await prod.getByTestId('duty-approver').inputValue(), 'emergency');
    await page.getByTestId('duty-new-env').fill('staging');
    await page.getByTestId('duty-add').click();
    const staging = page.locator('[data-testid="duty-row"][data-environment="staging"]');
    await staging.waitFor();
    await staging.getByTestId('duty-requester').uncheck();
    await staging.getByTestId('duty-approver').selectOption('no');
    await page.getByText(/Separation of duties in staging saved/).waitFor();
    await shot(page, 'duty-policies');
    const admin = await apiClient(env.baseURL);
    const rules = (await admin.get('/duty-policies')).items.find((p) => p.environment === 'staging');
    assert.deepEqual(rules, { environment: 'staging', requester_may_approve: false, approver_may_deploy: 'no' });
    await staging.getByTestId('duty-delete').click();
    await staging.waitFor({ state: 'detached' });
  });
});
