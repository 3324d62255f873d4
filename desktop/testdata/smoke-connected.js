// Connected mode: sign in on the team server's login, then work there.
(async () => {
  try {
    await smoke.until(() => smoke.el('login-username'), 'the sign-in form of the team server');
    smoke.fill('login-username', 'admin');
    smoke.fill('login-password', window.SMOKE_PASSWORD);
    smoke.click('login-submit');
    await smoke.until(() => smoke.el('board'), "the team server's board");
    const id = await smoke.createRelease('Connected smoke');
    await smoke.report({ ok: true, release_id: id, header: smoke.el('app-header').innerText, title: document.title });
  } catch (e) {
    await smoke.report({ ok: false, error: String(e), hash: location.hash, body: document.body.innerText.slice(0, 500) });
  }
})();
