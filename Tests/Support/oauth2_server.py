"""A local OAuth2 authorisation server for the poller's tests: a token endpoint (refresh-token grant,
rotating refresh tokens) and an RFC 7662 introspection endpoint that dovecot's oauth2 passdb asks.
    python3 oauth2_server.py PORT USERNAME REFRESH_TOKEN LOG"""
import json, sys, urllib.parse, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, username, refresh, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
refresh_tokens = {refresh}
access_tokens = set()

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        get = lambda key: form.get(key, [""])[0]
        if self.path == "/token":
            if get("grant_type") != "refresh_token" or get("refresh_token") not in refresh_tokens:
                return self.answer(400, {"error": "invalid_grant", "error_description": "unknown refresh token"})
            refresh_tokens.discard(get("refresh_token"))
            access, rotated = "at-" + uuid.uuid4().hex, "rt-" + uuid.uuid4().hex
            access_tokens.add(access)
            refresh_tokens.add(rotated)
            with open(log, "a") as f:
                f.write("token %s %s\n" % (get("client_id"), get("scope")))
            return self.answer(200, {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": rotated})
        if self.path == "/introspect":
            token = get("token")
            with open(log, "a") as f:
                f.write("introspect %s\n" % ("known" if token in access_tokens else "unknown"))
            if token in access_tokens:
                return self.answer(200, {"active": True, "username": username})
            return self.answer(200, {"active": False})
        self.answer(404, {})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
