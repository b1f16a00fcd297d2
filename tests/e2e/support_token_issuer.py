"""A registry token service for tests: issues RS256 JWTs that docker-registry 2.8.2 accepts.

The issuer runs in a thread on 127.0.0.1 and implements both flows of the Docker token
protocol: GET with optional Basic credentials, and the OAuth2 POST with
grant_type=password or grant_type=refresh_token. Tokens carry the certificate in the x5c
header, signed with `openssl dgst -sha256 -sign` through a subprocess, so only the Python
standard library and the openssl command are needed.

Every request is recorded (method, scopes, how the client authenticated) so tests can check
how often a client asks for tokens and for which scopes.

    with TokenIssuer(workdir, users={"u": "p"}) as issuer:
        with Registry(workdir, token_auth=issuer.token_auth) as registry:
            ...
        issuer.requests  # list of TokenRequest
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Mapping

from registry_config import TokenAuth

SERVICE = "ferry-test-registry"
ISSUER = "ferry-test-issuer"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenRequest:
    method: str
    scopes: list[str]
    client: str  # "basic:<user>", "refresh:<user>", "anonymous" or "rejected"
    granted: bool


@dataclass
class TokenIssuer:
    workdir: Path
    users: Mapping[str, str] = field(default_factory=dict)
    # refresh token -> user name, for the OAuth2 refresh_token grant
    refresh_tokens: Mapping[str, str] = field(default_factory=dict)
    expires_in: int = 300
    requests: list[TokenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Lifecycle ------------------------------------------------------------

    def __enter__(self) -> "TokenIssuer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> "TokenIssuer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.key_file = self.workdir / "token-signing.key"
        self.cert_file = self.workdir / "token-signing.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=ferry-test-token-issuer", "-keyout", str(self.key_file), "-out", str(self.cert_file)],
            check=True, capture_output=True)
        self.key_file.chmod(0o600)
        self._x5c = base64.b64encode(ssl.PEM_cert_to_DER_cert(self.cert_file.read_text())).decode()

        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                issuer._handle_get(self)

            def do_POST(self) -> None:  # noqa: N802
                issuer._handle_post(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    @property
    def token_auth(self) -> TokenAuth:
        return TokenAuth(realm=self.realm, service=SERVICE, issuer=ISSUER, rootcertbundle=self.cert_file)

    def recorded(self) -> list[TokenRequest]:
        with self._lock:
            return list(self.requests)

    # --- Token protocol -------------------------------------------------------

    def _record(self, request: TokenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _basic_user(self, handler: BaseHTTPRequestHandler) -> str | None:
        """The user of valid Basic credentials, "" when none were sent, None when they are wrong."""
        header = handler.headers.get("Authorization", "")
        if not header:
            return ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if user in self.users and secrets.compare_digest(self.users[user], password) else None

    def _handle_get(self, handler: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        query = urllib.parse.parse_qs(url.query)
        scopes = query.get("scope", [])
        user = self._basic_user(handler)
        if user is None:
            self._record(TokenRequest("GET", scopes, "rejected", False))
            self._send(handler, 401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid credentials"}]})
            return
        self._record(TokenRequest("GET", scopes, f"basic:{user}" if user else "anonymous", True))
        self._send(handler, 200, {"token": self._token(user, scopes), "expires_in": self.expires_in})

    def _handle_post(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(handler.rfile.read(length).decode())
        scopes = " ".join(form.get("scope", [])).split()
        grant = form.get("grant_type", [""])[0]
        user = None
        if grant == "refresh_token":
            user = self.refresh_tokens.get(form.get("refresh_token", [""])[0])
        elif grant == "password":
            name, password = form.get("username", [""])[0], form.get("password", [""])[0]
            user = name if name in self.users and secrets.compare_digest(self.users[name], password) else None
        if user is None:
            self._record(TokenRequest("POST", scopes, "rejected", False))
            self._send(handler, 401, {"error": "invalid_grant"})
            return
        self._record(TokenRequest("POST", scopes, f"refresh:{user}", True))
        self._send(handler, 200, {"access_token": self._token(user, scopes), "expires_in": self.expires_in})

    def _token(self, user: str, scopes: list[str]) -> str:
        """A JWT granting every requested action to a known user and nothing to anonymous clients."""
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind and name:
                access.append({"type": kind, "name": name, "actions": actions.split(",") if user else []})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": user, "aud": SERVICE, "exp": now + self.expires_in, "nbf": now - 10,
                  "iat": now, "jti": secrets.token_hex(8), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key_file)],
                                   input=signing_input.encode(), capture_output=True, check=True).stdout
        return f"{signing_input}.{_b64url(signature)}"

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
