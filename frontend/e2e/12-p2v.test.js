// P2V end to end: a physical host CI gets a disk image through the CI dialog.
// Upload of a real qcow2 image (the guest's base.qcow2) with upload progress,
// the image in the list, a text file refused with "not a disk image" next to
// the upload, and an SSH (dd) import whose live operation fails at connect.
// The server gets --guest-dir like 11-labs, so it needs libvirtd and the
// guest image; it is skipped without the image. The image volumes it makes
// are deleted at the end (virsh), since nothing else sweeps sd-image-*.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, mkdtempSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { useEnv, newPage, uiLogin, shot, createCI, createRelease, FRONTEND } from './harness.js';

const VM_PREFIX = 'sdtest-p2v-';
const GUEST_DIR = path.resolve(process.env.SHAKEDOWN_GUEST_DIR || path.join(FRONTEND, '../build/guest'));
const IMAGE = path.join(GUEST_DIR, 'base.qcow2');
const haveGuest = existsSync(path.join(GUEST_DIR, 'guest.json')) && existsSync(IMAGE);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const made = { ciIds: [] };

// Delete the libvirt volumes of the images this server imported.
async function deleteImages(env) {
  for (const id of made.ciIds) {
    const imgs = (await env.api.get(`/cis/${id}/images`).catch(() => ({ items: [] }))).items ?? [];
    for (const img of imgs) {
      try {
        execFileSync('virsh', ['-c', 'qemu:///system', 'vol-delete', '--pool', 'shakedown', img.volume], { stdio: 'ignore' });
      } catch (e) {
        console.error(`could not delete volume ${img.volume}: ${e}`);
      }
    }
  }
}

describe('P2V disk images', { skip: haveGuest ? false : `no guest image in ${GUEST_DIR} (run scripts/build-guest.sh)` }, () => {
  const env = useEnv(before, after, { args: ['--guest-dir', GUEST_DIR, '--demo-vm-prefix', VM_PREFIX], beforeStop: deleteImages });
  let tmp = '';
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('uploads a qcow2 image with progress, refuses a text file, and shows an SSH import live', { timeout: 180000 }, async () => {
    const ci = await createCI(env.api, { name: `e2e-phys-${Date.now().toString(36).slice(-5)}`, kind: 'host', description: 'a physical server' });
    made.ciIds.push(ci.id);
    const rel = await createRelease(env.api, { ci_ids: [ci.id] });

    tmp = mkdtempSync(path.join(tmpdir(), 'shakedown-p2v-'));
    const textFile = path.join(tmp, 'notes.txt');
    writeFileSync(textFile, 'These are my notes, not a disk.\n'.repeat(20));

    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/releases/${rel.id}`);
    const row = page.locator(`[data-testid="ci-row"][data-ci-id="${ci.id}"]`);
    await row.getByTestId('ci-edit').click();
    const dlg = page.getByTestId('ci-dialog');
    const p2v = dlg.getByTestId('ci-images');
    await p2v.waitFor();
    await p2v.getByText('Disk images (P2V)').waitFor();
    await p2v.getByTestId('ci-images-empty').waitFor();

    // Slow the upload down (Chromium network emulation) so its progress is visible.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 4 * 1024 * 1024,
    });

    await p2v.getByTestId('ci-image-file').setInputFiles(IMAGE);
    await p2v.getByTestId('ci-image-origin').fill('db7:/dev/sda (e2e)');
    await p2v.getByTestId('ci-image-upload').click();

    const prog = p2v.getByTestId('ci-image-upload-progress');
    await prog.waitFor();
    const seen = new Set();
    const states = new Set();
    const deadline = Date.now() + 90000;
    for (;;) {
      const st = await prog.getAttribute('data-state');
      states.add(st);
      seen.add(Number(await prog.getAttribute('data-percent')));
      if (st === 'done') break;
      if (Date.now() > deadline) throw new Error(`upload did not finish: states ${[...states]}, percents ${[...seen]}`);
      await sleep(40);
    }
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const mid = [...seen].filter((p) => p > 0 && p < 100);
    assert.ok(mid.length > 0, `an intermediate upload percentage was shown (saw ${[...seen].sort((a, b) => a - b)})`);
    assert.ok(states.has('sending'), `the bar showed the upload being sent (states ${[...states]})`);
    assert.equal(await prog.getAttribute('data-percent'), '100');
    assert.match(await p2v.getByTestId('ci-image-upload-status').innerText(), /Imported: qcow2 → qcow2/);

    // The image is listed: qcow2 sent, qcow2 stored.
    const imgRow = p2v.getByTestId('ci-image-row');
    await imgRow.waitFor();
    assert.equal(await imgRow.count(), 1);
    assert.equal(await imgRow.getAttribute('data-source-format'), 'qcow2');
    assert.equal(await imgRow.getAttribute('data-format'), 'qcow2');
    assert.equal(await imgRow.getByTestId('ci-image-source-format').innerText(), 'qcow2');
    assert.equal(await imgRow.getByTestId('ci-image-format').innerText(), 'qcow2');
    assert.match(await imgRow.innerText(), /db7:\/dev\/sda \(e2e\)/);
    const api = (await env.api.get(`/cis/${ci.id}/images`)).items;
    assert.equal(api.length, 1);
    assert.equal(api[0].bytes, statSync(IMAGE).size);
    assert.equal(await imgRow.getByTestId('ci-image-sha').innerText(), api[0].sha256.slice(0, 12));

    // A text file is not a disk image: the server's sentence, next to the upload.
    await p2v.getByTestId('ci-image-file').setInputFiles(textFile);
    await p2v.getByTestId('ci-image-upload').click();
    const err = p2v.locator('[data-testid="field-error"][data-field="file"]');
    await err.waitFor();
    assert.match(await err.innerText(), /not a disk image/i);
    assert.equal(await p2v.getByTestId('ci-image-row').count(), 1, 'nothing was added');
    assert.equal((await env.api.get(`/cis/${ci.id}/images`)).items.length, 1);
    await shot(page, 'p2v');

    // Over SSH: field errors from the form, then a live operation that
    // cannot connect (nothing listens on port 1).
    await p2v.getByTestId('ci-images-mode-ssh').click();
    await p2v.getByTestId('ci-ssh-start').click();
    await p2v.locator('[data-testid="field-error"][data-field="address"]').waitFor();
    await p2v.locator('[data-testid="field-error"][data-field="host_key_fingerprint"]').waitFor();
    await p2v.getByTestId('ci-ssh-address').fill('127.0.0.1:1');
    await p2v.getByTestId('ci-ssh-password').fill('secret');
    await p2v.getByTestId('ci-ssh-insecure').check();
    await p2v.getByTestId('ci-ssh-start').click();
    const op = p2v.getByTestId('op-progress');
    await op.waitFor();
    await p2v.locator('[data-testid="op-progress"][data-status="failure"]').waitFor({ timeout: 30000 });
    assert.equal(await op.getAttribute('data-stage'), 'connect');
    assert.match(await op.getByTestId('op-error').innerText(), /127\.0\.0\.1:1/);
    assert.equal(await op.locator('[data-testid="op-stage"][data-stage="connect"]').getAttribute('data-state'), 'failed');
    await p2v.getByTestId('ci-import-op').scrollIntoViewIfNeeded();
    await shot(page, 'p2v-ssh');

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
