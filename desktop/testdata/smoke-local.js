// Local mode: the window signs in by itself as the local user.
(async () => {
  try {
    await smoke.until(() => smoke.el('board'), 'the release board (signed in as the local user)');
    const who = smoke.el('app-header').innerText;
    const id = await smoke.createRelease('Desktop smoke');
    await smoke.until(() => /Desktop smoke/.test(document.title), 'the window title to name the release');
    await smoke.report({ ok: true, release_id: id, header: who, title: document.title, runtime: typeof window.runtime });
  } catch (e) {
    await smoke.report({ ok: false, error: String(e), hash: location.hash, body: document.body.innerText.slice(0, 500) });
  }
})();
