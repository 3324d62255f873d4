// Helpers for the desktop smoke scripts, run inside the Wails window with
// runtime.WindowExecJS. They drive the real UI the way a user would (type,
// click) and report to the Go side through POST /desktop/smoke.
window.smoke = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  async until(fn, what, ms = 30000) {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      const v = fn();
      if (v) return v;
      await smoke.sleep(100);
    }
    throw new Error('timed out waiting for ' + what);
  },
  el(testid) {
    return document.querySelector(`[data-testid="${testid}"]`);
  },
  fill(testid, value) {
    const el = smoke.el(testid);
    if (!el) throw new Error('no field ' + testid);
    const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  },
  click(testid) {
    const el = smoke.el(testid);
    if (!el) throw new Error('no button ' + testid);
    el.click();
  },
  report(result) {
    return fetch('/desktop/smoke', { method: 'POST', body: JSON.stringify(result) });
  },
  // Creates a release through the form and returns its id.
  async createRelease(name) {
    location.hash = '#/releases/new';
    await smoke.until(() => smoke.el('release-form'), 'the release form');
    smoke.fill('form-name', name);
    smoke.fill('form-version', '1.0.0');
    smoke.fill('form-type', 'minor');
    smoke.fill('form-environment', 'production');
    smoke.fill('form-planned-start', '2031-05-04T10:00');
    smoke.fill('form-planned-end', '2031-05-04T12:00');
    await smoke.sleep(200);
    smoke.click('form-submit');
    await smoke.until(() => smoke.el('release-detail') && /#\/releases\/\d+$/.test(location.hash), 'the new release page');
    return Number(location.hash.split('/').pop());
  },
};
