"""A small OpenID Connect provider for the console's sign-in tests, on loopback: discovery,
an authorization endpoint with a "sign in as" form, a token endpoint that checks the code (once),
the client, its secret, the redirect URI and the PKCE verifier (S256), and ID tokens signed
with an Ed25519 key from `awsgate token keygen`.

Run with one JSON argument: {"pem": ..., "kid": ..., "jwks": {...}, "client_id": ...,
"client_secret": ...}. Prints `listening http://127.0.0.1:PORT` once ready, then serves until
killed. Each token request is printed as a JSON line (`{"token_request": {...}}`) for the test.
"""

import base64
import hashlib
import html
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.serialization import load_pem_private_key

SPEC = json.loads(sys.argv[1])
KEY = load_pem_private_key(SPEC["pem"].encode(), password=None)
CODES = {}
LOCK = threading.Lock()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(issuer, user, nonce):
    header = {"alg": "EdDSA", "typ": "JWT", "kid": SPEC["kid"]}
    now = int(time.time())
    claims = {"iss": issuer, "aud": SPEC["client_id"], "sub": user, "nonce": nonce, "iat": now, "exp": now + 300}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(KEY.sign(signing_input.encode()))}"


class Provider(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def issuer(self):
        return f"http://{self.headers['Host']}"

    def answer(self, status, body, content_type="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/.well-known/openid-configuration":
            doc = {
                "issuer": self.issuer(),
                "authorization_endpoint": f"{self.issuer()}/authorize",
                "token_endpoint": f"{self.issuer()}/token",
                "jwks_uri": f"{self.issuer()}/jwks",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
            }
            return self.answer(200, json.dumps(doc))
        if url.path == "/jwks":
            return self.answer(200, json.dumps(SPEC["jwks"]))
        if url.path == "/authorize":
            problems = []
            if query.get("response_type") != "code":
                problems.append("response_type")
            if query.get("client_id") != SPEC["client_id"]:
                problems.append("client_id")
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                problems.append("pkce")
            if not query.get("state") or not query.get("nonce"):
                problems.append("state/nonce")
            if problems:
                return self.answer(400, json.dumps({"error": "invalid_request", "bad": problems}))
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in query.items()
            )
            page = (
                "<!doctype html><title>Test IdP</title><h1>Test identity provider</h1>"
                f'<form method="post" action="/authorize">{hidden}'
                '<label for="user">User</label><input id="user" name="user">'
                '<button id="go" type="submit">Sign in</button></form>'
            )
            return self.answer(200, page, "text/html; charset=utf-8")
        return self.answer(404, json.dumps({"error": "not_found"}))

    def form(self):
        length = int(self.headers.get("Content-Length", "0"))
        return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        form = self.form()
        if url.path == "/authorize":
            code = secrets.token_urlsafe(24)
            with LOCK:
                CODES[code] = form
            back = form["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": form["state"]})
            return self.answer(302, "", "text/plain", [("Location", back)])
        if url.path == "/token":
            print(json.dumps({"token_request": {k: v for k, v in form.items() if k != "code"}}), flush=True)
            with LOCK:
                asked = CODES.pop(form.get("code", ""), None)
            if asked is None:
                return self.answer(400, json.dumps({"error": "invalid_grant"}))
            verifier = form.get("code_verifier", "")
            checks = {
                "grant_type": form.get("grant_type") == "authorization_code",
                "client": form.get("client_id") == SPEC["client_id"],
                "secret": form.get("client_secret") == SPEC["client_secret"],
                "redirect_uri": form.get("redirect_uri") == asked["redirect_uri"],
                "pkce": b64url(hashlib.sha256(verifier.encode()).digest()) == asked["code_challenge"],
            }
            if not all(checks.values()):
                bad = [k for k, ok in checks.items() if not ok]
                return self.answer(400, json.dumps({"error": "invalid_grant", "bad": bad}))
            token = id_token(self.issuer(), asked["user"], asked["nonce"])
            return self.answer(200, json.dumps({"access_token": "opaque", "token_type": "Bearer", "id_token": token}))
        return self.answer(404, json.dumps({"error": "not_found"}))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    print(f"listening http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
