"""A small OpenID Connect provider on loopback, for the browser tests.

It publishes discovery and a JWKS, "signs in" whoever reaches /authorize (it
redirects straight back with a code: no consent page), checks the client's
credentials, the redirect URI and PKCE at /token, and answers an RS256 ID token
with the nonce it was given. RSA is done with Python integers (a fresh 2048-bit
key per run), so nothing beyond the standard library is needed.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_int(n):
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def is_probable_prime(n, rounds=40):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def prime(bits):
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if is_probable_prime(candidate):
            return candidate


class RsaKey:
    def __init__(self):
        self.e = 65537
        while True:
            p, q = prime(1024), prime(1024)
            phi = (p - 1) * (q - 1)
            if p != q and phi % self.e:
                break
        self.n = p * q
        self.d = pow(self.e, -1, phi)
        self.kid = secrets.token_hex(8)

    def sign_rs256(self, message):
        """RSASSA-PKCS1-v1_5 with SHA-256."""
        digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(message).digest()
        size = (self.n.bit_length() + 7) // 8
        encoded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
        return pow(int.from_bytes(encoded, "big"), self.d, self.n).to_bytes(size, "big")

    def jwk(self):
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": b64url_int(self.n), "e": b64url_int(self.e)}


class Provider:
    def __init__(self, client_id="veza-web", client_secret="browser-test-secret"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RsaKey()
        self.codes = {}
        self.user = {"sub": "sso-user-1", "preferred_username": "sso.user", "email": "sso.user@example.com", "email_verified": True}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()

    def id_token(self, nonce):
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "kid": self.key.kid}
        claims = dict(self.user, iss=self.issuer, aud=self.client_id, iat=now, exp=now + 300, nonce=nonce)
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
        return f"{signing_input.decode()}.{b64url(self.key.sign_rs256(signing_input))}"

    def handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body=None, headers=()):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self.answer(200, {
                        "issuer": provider.issuer,
                        "authorization_endpoint": f"{provider.issuer}/authorize",
                        "token_endpoint": f"{provider.issuer}/token",
                        "jwks_uri": f"{provider.issuer}/jwks",
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                        "code_challenge_methods_supported": ["S256"],
                    })
                elif url.path == "/jwks":
                    self.answer(200, {"keys": [provider.key.jwk()]})
                elif url.path == "/authorize":
                    ok = (query.get("client_id") == provider.client_id and query.get("response_type") == "code"
                          and query.get("code_challenge_method") == "S256")
                    if not ok:
                        self.answer(400, {"error": "invalid_request"})
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    back = f"{query['redirect_uri']}?{urllib.parse.urlencode({'code': code, 'state': query['state']})}"
                    self.answer(302, headers=[("Location", back)])
                else:
                    self.answer(404, {"error": "not_found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                basic = self.headers.get("Authorization", "")
                if basic.startswith("Basic "):
                    user, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                    form.setdefault("client_id", urllib.parse.unquote(user))
                    form.setdefault("client_secret", urllib.parse.unquote(secret))
                started = provider.codes.pop(form.get("code"), None)
                verifier = form.get("code_verifier", "").encode()
                ok = (started is not None and self.path == "/token"
                      and form.get("client_id") == provider.client_id
                      and form.get("client_secret") == provider.client_secret
                      and form.get("redirect_uri") == started["redirect_uri"]
                      and b64url(hashlib.sha256(verifier).digest()) == started["code_challenge"])
                if not ok:
                    self.answer(400, {"error": "invalid_grant"})
                    return
                self.answer(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                  "expires_in": 300, "id_token": provider.id_token(started["nonce"])})

        return Handler
