#!/usr/bin/env python3
"""A real HTTP receiver for webhook tests: records every request it gets (method, path, headers, body
and the status it answered) as one JSON line in LOG, and misbehaves on request:

  --fail-first N      answer 500 to the first N requests
  --slow-first N      of the requests after those, hold the first N for --slow-seconds before a 200
  --slow-seconds S    (default 3)
  --always-fail       answer 503 to everything

usage: webhook_receiver.py PORT LOG [options]   (prints "ready" when it listens)
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("log")
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--slow-first", type=int, default=0)
parser.add_argument("--slow-seconds", type=float, default=3)
parser.add_argument("--always-fail", action="store_true")
options = parser.parse_args()

lock = threading.Lock()
count = 0


class Handler(BaseHTTPRequestHandler):
    def handle_request(self):
        global count
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        with lock:
            count += 1
            number = count
        status = 200
        if options.always_fail:
            status = 503
        elif number <= options.fail_first:
            status = 500
        slow = options.fail_first < number <= options.fail_first + options.slow_first
        # Recorded on arrival (a slow answer's sender may give up, and the receiver be stopped, before it is sent).
        with lock, open(options.log, "a") as log:
            log.write(json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                                  "body": body, "status": "slow" if slow else status, "at": time.time()}) + "\n")
        if slow:
            time.sleep(options.slow_seconds)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = handle_request
    do_POST = handle_request

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
server.daemon_threads = True
print("ready", flush=True)
server.serve_forever()
