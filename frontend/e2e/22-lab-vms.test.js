// Labs outside a release, without libvirt VMs: the Labs page (every lab),
// a lab VM's view when there is no such VM, evidence whose output is empty
// ("no output", not a disabled button), and the Hosts page while a remote
// host is being contacted (busy, then advice that fits a remote host).
// The VM view with a live console is covered on real VMs by
// backend/server/console_vm_test.go.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { useEnv, newPage, uiLogin, shot, createRelease } from './harness.js';

/** A TCP server that accepts and says nothing, then hangs up after holdMs: a remote host that is slow to fail. */
async function silentHost(holdMs) {
  const socks = new Set();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    setTimeout(() => s.destroy(), holdMs);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: srv.address().port,
    close: () => new Promise((r) => { for (const s of socks) s.destroy(); srv.close(r); }),
  };
}

describe('Labs page, lab VMs and hosts', () => {
  const env = useEnv(before, after);

  it('lists every lab from the header, and a missing VM says so', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.getByTestId('nav-labs').click();
    await page.waitForURL(/#\/labs$/);
    const labsPage = page.getByTestId('labs-page');
    await labsPage.waitFor();
    assert.equal(await page.getByTestId('nav-labs').getAttribute('aria-current'), 'page');
    // No lab was made on this server: the page says where labs come from.
    await labsPage.getByTestId('labs-page-empty').waitFor();
    assert.match(await labsPage.getByTestId('labs-page-empty').innerText(), /release/i);
    await labsPage.getByTestId('labs-filter').selectOption('');
    await labsPage.getByTestId('labs-page-empty').waitFor();
    await shot(page, 'labs-page-empty');

    await page.goto('/#/labs/nolab1/vms/sd-lab-nolab1-web');
    await page.getByTestId('vm-not-found').waitFor();
    assert.match(await page.getByTestId('vm-not-found').innerText(), /sd-lab-nolab1-web/);
  });

  it('shows "no output" for a check that printed nothing, and a button for one that did', async () => {
    const rel = await createRelease(env.api);
    await env.api.post(`/releases/${rel.id}/evidence`, {
      name: 'Smoke',
      target: 'stage-web-1',
      checks: [
        { name: 'silent check', passed: true, output: '' },
        { name: 'talking check', passed: true, output: 'HTTP/1.1 200 OK' },
      ],
    });
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/releases/${rel.id}`);
    const ev = page.getByTestId('release-evidence');
    await ev.waitFor();
    // The records view (the grid is the default) lists each check's output.
    await ev.getByTestId('evidence-view-records').click();
    const silent = ev.locator('[data-testid="evidence-row"][data-name="Smoke: silent check"]');
    const talking = ev.locator('[data-testid="evidence-row"][data-name="Smoke: talking check"]');
    await silent.waitFor();
    assert.equal(await silent.getByTestId('evidence-no-output').innerText(), 'no output');
    assert.equal(await silent.getByTestId('evidence-toggle').count(), 0, 'no button for an empty output');
    assert.equal(await talking.getByTestId('evidence-no-output').count(), 0);
    await talking.getByTestId('evidence-toggle').click();
    await ev.getByTestId('evidence-stdout').waitFor();
    assert.match(await ev.getByTestId('evidence-stdout').innerText(), /200 OK/);
    await shot(page, 'evidence-no-output');
  });

  it('says it is contacting a remote host, then gives advice that fits a remote host', async () => {
    const slow = await silentHost(2500);
    try {
      const page = await newPage(env.browser, env.baseURL);
      await uiLogin(page);
      await page.goto('/#/admin/hosts');
      await page.getByTestId('hosts-page').waitFor();
      await page.getByTestId('new-host').click();
      const dlg = page.getByTestId('host-dialog');
      await dlg.waitFor();
      await dlg.getByTestId('host-name').fill('rack-9');
      await dlg.getByTestId('host-uri').fill(`qemu+tcp://127.0.0.1:${slow.port}/system`);
      await dlg.getByTestId('host-save').click();
      // While the server contacts the host: a spinner and words, not just a greyed button.
      await dlg.getByTestId('host-contacting').waitFor({ timeout: 2000 });
      assert.match(await dlg.getByTestId('host-contacting').innerText(), new RegExp(`Contacting qemu\\+tcp://127\\.0\\.0\\.1:${slow.port}/system`));
      assert.match(await dlg.getByTestId('host-save').innerText(), /Contacting/);
      assert.equal(await dlg.getByTestId('host-save').isDisabled(), true);
      await shot(page, 'host-contacting');
      // Then the refusal, with advice for a remote host (not the local start script).
      const err = dlg.locator('[data-testid="field-error"][data-field="uri"]');
      await err.waitFor({ timeout: 15000 });
      const text = await err.innerText();
      assert.match(text, /cannot reach/);
      assert.match(text, /127\.0\.0\.1/);
      assert.doesNotMatch(text, /scripts\/libvirt\.sh/);
      assert.equal(await dlg.getByTestId('host-contacting').count(), 0);
      assert.equal(await dlg.getByTestId('host-save').isDisabled(), false);
      await shot(page, 'host-remote-unreachable');
    } finally {
      await slow.close();
    }
  });
});
