#!/usr/bin/env python3
"""An SMTP server for lantian's tests (aiosmtpd from PyPI): STARTTLS required, AUTH required
after it, every accepted message recorded as one JSON line.

    smtp_server.py --record mails.jsonl --cert cert.pem --keyfile key.pem
                   --user alarms@example.test --password secret [--port 0]

Prints `READY <port>` on stdout once it listens on 127.0.0.1. A client that does not start
TLS, or does not log in with the given user and password, is refused (530 / 535), as a
submission server does. Each message is appended to --record, flushed and synced:

    {"mail_from", "rcpt_tos": [...], "message_id", "subject", "body", "tls": true}
"""
import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import socket
import ssl
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--record", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--keyfile", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    args = p.parse_args()
    # aiosmtpd logs a traceback for every refused handshake (the tests make some on purpose)
    # and warns about its own deprecated attribute: neither is news.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    port = args.port
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain",))
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "message_id": msg["Message-ID"],
                "subject": str(msg["Subject"]),
                "body": body.get_content() if body is not None else "",
                "tls": session.ssl is not None,
            }
            with open(args.record, "a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == args.user
              and auth_data.password.decode() == args.password)
        # handled=False: aiosmtpd answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.keyfile)
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    print("READY", port, flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
