#!/usr/bin/python3
# tests/smtp-server.py — a real SMTP server on loopback for the tests (aiosmtpd)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# smtp-server.py OUTDIR starttls|smtps|plain USER PASSWORD CERT KEY
#
# Prints "READY <port>" once it listens on 127.0.0.1, then keeps each mail it
# accepts as OUTDIR/NNN.eml and adds a JSON line about it to OUTDIR/index.jsonl.
# starttls: STARTTLS and AUTH are required (AUTH only after STARTTLS);
# smtps: TLS from the first byte, AUTH required; plain: no TLS, no AUTH.
# A recipient starting with "reject" gets 550, one starting with "busy" 451;
# a mail to one starting with "slow" creates OUTDIR/slow-started once its
# data has arrived, and is answered only after a minute.
# Stops on SIGTERM, or when its standard input closes: when the test that
# started it dies, so no server outlives its test.
import asyncio
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out, mode, user, password, cert, key = sys.argv[1:7]
os.makedirs(out, exist_ok=True)

# aiosmtpd cannot be asked for port 0, so find a free one first.
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]


def authenticate(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and \
        (data.login, data.password) == (user.encode(), password.encode())
    return AuthResult(success=ok, handled=False, auth_data=user if ok else None)


class Handler:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("reject"):
            return "550 5.1.1 Mailbox unavailable"
        if address.startswith("busy"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(address.startswith("slow") for address in envelope.rcpt_tos):
            open(os.path.join(out, "slow-started"), "w").close()
            await asyncio.sleep(60)
        Handler.count += 1
        name = f"{Handler.count:03d}.eml"
        with open(os.path.join(out, name), "wb") as f:
            f.write(envelope.original_content)
        with open(os.path.join(out, "index.jsonl"), "a") as f:
            print(json.dumps({"file": name, "mail_from": envelope.mail_from,
                              "rcpt_tos": envelope.rcpt_tos,
                              "auth_user": session.auth_data}), file=f)
        return f"250 2.0.0 Ok: queued as {name}"


options = dict(hostname="127.0.0.1", port=port)
if mode in ("starttls", "smtps"):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # aiosmtpd counts only STARTTLS as TLS: with smtps, requiring TLS for AUTH
    # would refuse every login.
    options.update(authenticator=authenticate, auth_required=True,
                   auth_require_tls=(mode == "starttls"))
    if mode == "starttls":
        options.update(tls_context=context, require_starttls=True)
    else:
        options.update(ssl_context=context)
elif mode != "plain":
    sys.exit(f"unknown mode {mode}")

controller = Controller(Handler(), **options)
controller.start()
print("READY", port, flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *args: stop.set())


def watch_stdin():
    sys.stdin.buffer.read()
    stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()
stop.wait()
controller.stop()
