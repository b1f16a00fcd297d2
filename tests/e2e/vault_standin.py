#!/usr/bin/env python3
"""A stand-in for the parts of the HashiCorp Vault HTTP API that ferry's vault source uses.

No Vault server can be installed on the test machines, so the tests run this instead. It
answers with the request and response shapes of Vault's API documentation:

    GET  /v1/sys/internal/ui/mounts/<path>   mount path, type and options.version of a path
    GET  /v1/<kv v1 mount>/<key>             {"data": {...}}
    GET  /v1/<kv v2 mount>/data/<key>        {"data": {"data": {...}, "metadata": {...}}}
    GET  /v1/auth/token/lookup-self          {"data": {"policies": [...], ...}}
    POST /v1/auth/<approle mount>/login      {"role_id", "secret_id"} -> {"auth": {"client_token"}}
    POST /v1/auth/<jwt mount>/login          {"role", "jwt"} -> {"auth": {"client_token"}}
    GET  /oidc/token?...&audience=<aud>      GitHub Actions' ID token endpoint: {"value": jwt}

Errors use Vault's body {"errors": [...]}: 403 "permission denied" for a missing or unknown
X-Vault-Token, a token without read access, or a wrong X-Vault-Namespace; 404 for a missing
secret; 503 "Vault is sealed" for every /v1 request when sealed. It listens on 127.0.0.1 only.

Configuration (JSON; every key optional):

    {
      "namespace": "team-a",           # X-Vault-Namespace every /v1 request must carry
      "sealed": false,
      "tokens": {"<token>": ["secret/data/ferry/*", ...]},   # fnmatch patterns of readable paths
      "mounts": {"secret/": {"version": "2"}, "kv/": {"version": "1"}},
      "secrets": {"secret/ferry/registries/reg:5000": {"username": "u", "password": "p"}},
      "deleted": ["secret/ferry/old"],     # KV v2 keys whose latest version is deleted
      "approle": {"mount": "approle", "role_id": "...", "secret_id": "...", "token": "..."},
      "jwt": {"mount": "jwt", "role": "ferry", "jwt": "...", "token": "..."},
      "oidc": {"request_token": "...", "audience": "...", "jwt": "..."},
      "tls": {"cert": "server.crt", "key": "server.key"}
    }

Secrets are keyed by mount path plus key, without KV v2's "data/" segment.

Python tests use the context manager, which serves from a thread:

    with VaultStandin(config) as vault:
        vault.url, vault.requests

Other tests start it as a process; it prints its port on the first line of stdout:

    python3 vault_standin.py CONFIG.json
"""

from __future__ import annotations

import fnmatch
import json
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_PREFIX = "/v1/"
OIDC_PATH = "/oidc/token"
MAX_BODY_BYTES = 1 << 20


class VaultStandin:
    """Serves the stand-in API on a free 127.0.0.1 port from a background thread."""

    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        tls = config.get("tls")
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls["cert"], tls["key"])
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        scheme = "https" if self.config.get("tls") else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def start(self) -> "VaultStandin":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> "VaultStandin":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _make_handler(standin: VaultStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(_VaultHandler):
        pass

    Handler.standin = standin
    return Handler


class _VaultHandler(BaseHTTPRequestHandler):
    standin: VaultStandin
    protocol_version = "HTTP/1.1"

    # -- plumbing -------------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (BaseHTTPRequestHandler's name)
        # Silent: the access log would go to stderr of the test.
        pass

    def do_GET(self) -> None:  # noqa: N802  (BaseHTTPRequestHandler's name)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, *messages: str) -> None:
        self._send_json(status, {"errors": list(messages)})

    def _read_json(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return None
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

    @property
    def config(self) -> dict[str, Any]:
        return self.standin.config

    def _dispatch(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        query = urllib.parse.parse_qs(url.query)
        # Only whether a token came, never its value: tests read this list.
        self.standin.record({
            "method": method,
            "path": path,
            "query": query,
            "namespace": self.headers.get("X-Vault-Namespace"),
            "has_token": self.headers.get("X-Vault-Token") is not None,
        })

        if path == OIDC_PATH and method == "GET":
            self._oidc_token(query)
            return
        if not path.startswith(API_PREFIX):
            self._error(404, "no handler for route")
            return
        if self.config.get("sealed"):
            self._error(503, "Vault is sealed")
            return
        expected_namespace = self.config.get("namespace")
        if expected_namespace is not None and self.headers.get("X-Vault-Namespace") != expected_namespace:
            self._error(403, "permission denied")
            return

        api_path = path[len(API_PREFIX):]
        if method == "POST":
            self._login(api_path)
        elif api_path.startswith("sys/internal/ui/mounts/"):
            self._mount_info(api_path[len("sys/internal/ui/mounts/"):])
        elif api_path == "auth/token/lookup-self":
            self._lookup_self()
        else:
            self._read_secret(api_path)

    # -- tokens and ACLs ------------------------------------------------------------------------

    def _token_patterns(self) -> list[str] | None:
        token = self.headers.get("X-Vault-Token")
        if token is None:
            return None
        return self.config.get("tokens", {}).get(token)

    def _may_read(self, api_path: str) -> bool:
        patterns = self._token_patterns() or []
        return any(fnmatch.fnmatchcase(api_path, pattern) for pattern in patterns)

    def _lookup_self(self) -> None:
        patterns = self._token_patterns()
        if patterns is None:
            self._error(403, "permission denied")
            return
        self._send_json(200, {"data": {"policies": ["default", "ferry"], "ttl": 3600,
                                       "display_name": "token", "renewable": False}})

    # -- mounts and secrets ---------------------------------------------------------------------

    def _find_mount(self, path: str) -> tuple[str, dict[str, Any]] | None:
        """The longest mount path that prefixes path, as Vault's router matches."""
        best = None
        for mount, options in self.config.get("mounts", {}).items():
            if (path + "/").startswith(mount) and (best is None or len(mount) > len(best[0])):
                best = (mount, options)
        return best

    def _mount_info(self, path: str) -> None:
        patterns = self._token_patterns()
        if patterns is None:
            self._error(403, "permission denied")
            return
        found = self._find_mount(path)
        if found is None:
            self._error(400, f"no mount found for path {path}")
            return
        mount, options = found
        # Vault lets a token call this for a path when it has any capability in that mount.
        if not any(pattern.startswith(mount) for pattern in patterns):
            self._error(403, "permission denied")
            return
        version = options.get("version", "1")
        self._send_json(200, {"data": {
            "path": mount,
            "type": "kv",
            "description": "key/value secret storage",
            "options": {"version": version} if version != "1" else None,
            "accessor": "kv_standin",
            "local": False,
            "seal_wrap": False,
        }})

    def _read_secret(self, api_path: str) -> None:
        if self._token_patterns() is None or not self._may_read(api_path):
            self._error(403, "permission denied")
            return
        found = self._find_mount(api_path)
        if found is None:
            self._error(404, f"no handler for route \"{api_path}\". route entry not found.")
            return
        mount, options = found
        rest = api_path[len(mount):]
        secrets = self.config.get("secrets", {})

        if options.get("version", "1") != "2":
            value = secrets.get(mount + rest)
            if value is None:
                self._error(404)
                return
            self._send_json(200, {"data": value, "lease_duration": 2764800, "renewable": False,
                                  "lease_id": "", "auth": None})
            return

        if not rest.startswith("data/"):
            # What Vault answers for a KV v2 mount read without "data/".
            self._send_json(404, {"errors": [], "warnings": [
                "Invalid path for a versioned K/V secrets engine. See the API docs for the "
                "appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' "
                "for this operation."]})
            return
        key = mount + rest[len("data/"):]
        if key in self.config.get("deleted", []):
            self._send_json(404, {"data": {"data": None, "metadata": {
                "created_time": "2024-01-01T00:00:00Z", "custom_metadata": None,
                "deletion_time": "2024-01-02T00:00:00Z", "destroyed": False, "version": 2}}})
            return
        value = secrets.get(key)
        if value is None:
            self._error(404)
            return
        self._send_json(200, {"data": {"data": value, "metadata": {
            "created_time": "2024-01-01T00:00:00Z", "custom_metadata": None,
            "deletion_time": "", "destroyed": False, "version": 1}}})

    # -- logins ---------------------------------------------------------------------------------

    def _login(self, api_path: str) -> None:
        body = self._read_json()
        if body is None:
            self._error(400, "failed to parse JSON input")
            return
        approle = self.config.get("approle")
        jwt = self.config.get("jwt")
        if approle and api_path == f"auth/{approle.get('mount', 'approle')}/login":
            if not body.get("role_id"):
                self._error(400, "missing role_id")
            elif body.get("role_id") != approle["role_id"]:
                self._error(400, "invalid role or secret ID")
            elif body.get("secret_id") != approle.get("secret_id"):
                self._error(400, "invalid role or secret ID")
            else:
                self._send_auth(approle["token"])
            return
        if jwt and api_path == f"auth/{jwt.get('mount', 'jwt')}/login":
            if body.get("role") != jwt["role"]:
                self._error(400, f"role \"{body.get('role')}\" could not be found")
            elif body.get("jwt") != jwt["jwt"]:
                self._error(400, "error validating token: invalid signature")
            else:
                self._send_auth(jwt["token"])
            return
        self._error(404, f"no handler for route \"{api_path}\"")

    def _send_auth(self, token: str) -> None:
        self._send_json(200, {"auth": {
            "client_token": token,
            "accessor": "standin-accessor",
            "policies": ["default", "ferry"],
            "token_policies": ["default", "ferry"],
            "lease_duration": 1200,
            "renewable": True,
        }})

    # -- GitHub Actions OIDC --------------------------------------------------------------------

    def _oidc_token(self, query: dict[str, list[str]]) -> None:
        oidc = self.config.get("oidc")
        if not oidc:
            self._error(404, "no OIDC endpoint configured")
            return
        if self.headers.get("Authorization") != f"bearer {oidc['request_token']}":
            self._send_json(401, {"message": "Bad credentials"})
            return
        # The real URL already carries api-version; losing it means the client broke the query.
        if query.get("api-version") != ["2.0"]:
            self._send_json(400, {"message": "api-version is missing"})
            return
        if "audience" in oidc and query.get("audience") != [oidc["audience"]]:
            self._send_json(400, {"message": f"unexpected audience {query.get('audience')}"})
            return
        self._send_json(200, {"count": 1, "value": oidc["jwt"]})


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: vault_standin.py CONFIG.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as config_file:
        config = json.load(config_file)
    standin = VaultStandin(config)
    print(standin.port, flush=True)
    try:
        standin._server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
