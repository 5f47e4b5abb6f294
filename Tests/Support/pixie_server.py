#!/usr/bin/env python3
"""A small Pixie-compatible server for the tests, written from seed 002 (Pixie's REST API v2).

  POST /api/v2/sms          Authorization: Bearer TOKEN, {"sender", "message", "recipients"}
                            -> {"id": campaign, "smsCount": parts, "totalCost": cost}
                            Recipients starting with --invalid-prefix are rejected as Pixie's
                            clients document it: {"rejected": {"invalid": [{"number", "reason"}],
                            "optedOut": [...]}}; those starting with --opted-out-prefix are opted out.
  GET  /api/v2/sms/stream   what is new (incoming messages, delivery statuses), each handed out once
                            (twice in "duplicates" mode, as a stream that repeats itself would).

The test steers it over /control (no token):
  POST /control/next        {"responses": ["ok", "429:3", "500", "hang:8", "401"]}: how the next
                            POSTs are answered, in order (then "ok"). "hang:N" takes the message,
                            waits N seconds, then answers (too late for a client with a shorter timeout).
  POST /control/incoming    {"sender", "text"}: a message received by the relay
  POST /control/duplicates  {"on": true}
  POST /control/status      {"on": false}: whether each accepted message gets a "delivered" item
  GET  /control/posts       every POST the server received (also refused ones), in order
Each line on stdout is JSON: the first says the port.
"""

import argparse
import json
import math
import ssl
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {
    "next": [],
    "posts": [],
    "stream": [],
    "duplicates": False,
    "statuses": True,
    "campaign": 172122,
    "item": 2593321,
}


def timestamp():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parts(text):
    gsm = all(ord(c) < 128 for c in text)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if len(text) <= single else math.ceil(len(text) / multi)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def authorised(self):
        if self.headers.get("Authorization") != "Bearer " + ARGS.token:
            self.answer(401, {"message": "invalid token"})
            return False
        return True

    def do_GET(self):
        if self.path == "/control/posts":
            with LOCK:
                return self.answer(200, STATE["posts"])
        if self.path.startswith("/api/v2/sms/stream"):
            if not self.authorised():
                return
            with LOCK:
                items, STATE["stream"] = STATE["stream"], []
                if STATE["duplicates"]:
                    # Each item again, now and in the next answer.
                    STATE["stream"] = list(items)
                    items = items + items
            return self.answer(200, items)
        self.answer(404, {"message": "not found"})

    def do_POST(self):
        if self.path.startswith("/control/"):
            body = self.body()
            with LOCK:
                if self.path == "/control/next":
                    STATE["next"].extend(body["responses"])
                elif self.path == "/control/incoming":
                    STATE["item"] += 1
                    STATE["stream"].append({
                        "kind": "incoming", "id": STATE["item"], "sender": body["sender"],
                        "recipient": "+46060570174", "text": body["text"], "timestamp": timestamp(),
                    })
                elif self.path == "/control/duplicates":
                    STATE["duplicates"] = bool(body["on"])
                elif self.path == "/control/status":
                    STATE["statuses"] = bool(body["on"])
            return self.answer(200, {"ok": True})
        if self.path != "/api/v2/sms":
            return self.answer(404, {"message": "not found"})
        if not self.authorised():
            return
        try:
            body = self.body()
        except ValueError:
            return self.answer(400, {"message": "not JSON"})
        with LOCK:
            response = STATE["next"].pop(0) if STATE["next"] else "ok"
            STATE["posts"].append({"body": body, "response": response,
                                   "content_type": self.headers.get("Content-Type")})
        kind, _, argument = response.partition(":")
        if kind == "429":
            return self.answer(429, {"message": "too many requests"}, {"Retry-After": argument or "1"})
        if kind == "500":
            return self.answer(500, {"message": "internal error"})
        if kind == "401":
            return self.answer(401, {"message": "invalid token"})
        message, recipients = body.get("message"), body.get("recipients")
        if not isinstance(message, str) or not message or not isinstance(recipients, list) or not recipients:
            return self.answer(400, {"message": "sender, message and recipients are required"})
        invalid = [r for r in recipients if r.startswith(ARGS.invalid_prefix)]
        opted_out = [r for r in recipients if r.startswith(ARGS.opted_out_prefix)]
        sent = [r for r in recipients if r not in invalid and r not in opted_out]
        with LOCK:
            STATE["campaign"] += 1
            campaign = STATE["campaign"]
            if STATE["statuses"]:
                for recipient in sent:
                    STATE["item"] += 1
                    STATE["stream"].append({
                        "kind": "outgoing", "id": campaign, "sender": body.get("sender"),
                        "recipient": recipient, "text": message, "timestamp": timestamp(),
                        "status": "delivered",
                    })
        if kind == "hang":
            # The message is taken; the answer comes too late.
            time.sleep(float(argument or "30"))
        count = parts(message) * len(sent)
        answer = {"id": campaign, "smsCount": count, "totalCost": round(0.34 * count, 4)}
        if invalid or opted_out:
            answer["rejected"] = {
                "invalid": [{"number": r, "reason": "invalid_number_format"} for r in invalid],
                "optedOut": opted_out,
            }
        try:
            self.answer(200, answer)
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--invalid-prefix", default="+4699")
    parser.add_argument("--opted-out-prefix", default="+4698")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate")
    global ARGS
    ARGS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    if ARGS.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*ARGS.tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
