#!/usr/bin/env python3
"""A notification receiver for lantian's tests: an HTTP server (standard library only) that
records every request it gets as one JSON line and answers as a webhook, a DingTalk robot
or a WeCom robot would.

    http_receiver.py --record requests.jsonl [--port 0] [--mode webhook|dingtalk|wecom]
                     [--status 200] [--token T] [--secret S] [--key K] [--hang]

Prints `READY <port>` on stdout once it listens (port 0: any free port). Each request is
appended to the --record file, flushed and synced, before the answer is sent:

    {"mode", "method", "path", "query": {name: value}, "headers": {lower-case name: value},
     "body": <JSON or text>, "key": <idempotency key or null>, "status": <answered>,
     "errcode": <robot's errcode or null>, "sign_ok": <DingTalk: signature valid or null>}

Modes:
  webhook   answers --status (200 by default; 500 to play a failing receiver) with
            {"ok": true}; the key is the Idempotency-Key header (also checked against the
            body's "key": a mismatch answers 400).
  dingtalk  checks access_token == --token and the signature as DingTalk documents it
            (sign = urlEncode(base64(HmacSHA256(secret, timestamp + "\\n" + secret))),
            timestamp within an hour), computed here independently of lantian; answers HTTP
            200 with {"errcode": 0} or {"errcode": 310000, "errmsg": "sign not match"}
            (300001 for a wrong token).
  wecom     checks key == --key; answers {"errcode": 0} or {"errcode": 93000}.

--hang accepts connections and reads requests but never answers (a receiver that is up but
stuck). Stop it with SIGTERM or SIGKILL; start it again on the same port to play an outage.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def dingtalk_sign(timestamp, secret):
    """The signature exactly as DingTalk's documentation computes it in Python."""
    string_to_sign = "{}\n{}".format(timestamp, secret)
    code = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"),
                    digestmod=hashlib.sha256).digest()
    return base64.b64encode(code).decode("ascii")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--record", required=True)
    p.add_argument("--mode", choices=["webhook", "dingtalk", "wecom"], default="webhook")
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--token")
    p.add_argument("--secret")
    p.add_argument("--key")
    p.add_argument("--hang", action="store_true")
    args = p.parse_args()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if args.hang:
                time.sleep(3600)
                return
            url = urllib.parse.urlsplit(self.path)
            # parse_qs undoes the URL encoding: the signature compares in Base64.
            query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer, errcode, sign_ok = args.status, {"ok": True}, None, None
            key = headers.get("idempotency-key")
            if args.mode == "webhook":
                if status == 200 and isinstance(body, dict) and body.get("key") != key:
                    status, answer = 400, {"error": "Idempotency-Key differs from the body's key"}
            elif args.mode == "dingtalk":
                ts = query.get("timestamp", "")
                expected = dingtalk_sign(ts, args.secret or "")
                fresh = ts.isdigit() and abs(int(ts) - time.time() * 1000) < 3600 * 1000
                sign_ok = fresh and hmac.compare_digest(query.get("sign", ""), expected)
                if query.get("access_token") != args.token:
                    errcode = 300001
                elif not sign_ok:
                    errcode = 310000
                else:
                    errcode = 0
            else:
                errcode = 0 if query.get("key") == args.key else 93000
            if errcode is not None:
                answer = {"errcode": errcode,
                          "errmsg": "ok" if errcode == 0 else "sign not match"
                          if errcode == 310000 else "invalid token or key"}
            record = {"mode": args.mode, "method": "POST", "path": url.path, "query": query,
                      "headers": headers, "body": body, "key": key, "status": status,
                      "errcode": errcode, "sign_ok": sign_ok}
            with LOCK:
                with open(args.record, "a", encoding="utf-8") as f:
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
            data = json.dumps(answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("READY", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
