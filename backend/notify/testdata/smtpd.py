#!/usr/bin/python3
"""A real SMTP server for the notify tests (aiosmtpd, Debian's python3-aiosmtpd).

Every message received is saved as OUT/<n>.eml (the envelope's sender and
recipients in X-Envelope-* headers first). With --cert/--key it offers
STARTTLS and requires it; with --user/--password it requires AUTH (PLAIN
or LOGIN) over TLS. It prints "ready <port>" once it listens, and stops on
SIGTERM or when stdin closes.
"""
import argparse
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Saver:
    def __init__(self, out):
        self.out = out
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            path = os.path.join(self.out, "%04d.eml" % self.n)
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (envelope.mail_from, ", ".join(envelope.rcpt_tos))
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(tmp, path)
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()
    kw = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kw["tls_context"] = ctx
        kw["require_starttls"] = True
    if a.user:
        def auth(server, session, envelope, mechanism, data):
            ok = data.login.decode() == a.user and data.password.decode() == a.password
            return AuthResult(success=ok, handled=False)
        kw["authenticator"] = auth
        kw["auth_required"] = True
        kw["auth_require_tls"] = bool(a.cert)
    c = Controller(Saver(a.out), hostname="127.0.0.1", port=a.port, server_kwargs=kw)
    c.start()
    print("ready %d" % a.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    c.stop()


if __name__ == "__main__":
    main()
