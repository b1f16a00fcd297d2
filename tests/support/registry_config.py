"""Configuration of docker-registry (distribution 2.8.2) instances for tests.

RegistryOptions describes what a test needs, and build_config turns it into
the registry's configuration. write_config stores that as JSON, which is valid
YAML and lets json.dumps quote every path and secret.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class TokenAuth:
    """Settings of the registry's `auth.token` section.

    A token issuer started by a test provides them: realm is the issuer's token
    endpoint on 127.0.0.1, and rootcertbundle is the PEM certificate whose key
    signs the RS256 tokens. distribution 2.8.2 expects that certificate in the
    token's `x5c` header and checks the claims iss (= issuer), aud (= service),
    exp, nbf and access.
    """

    realm: str
    service: str
    issuer: str
    rootcertbundle: Path


@dataclass
class RegistryOptions:
    """Features of one registry instance. users and token_auth exclude each other."""

    tls: bool = False
    users: Mapping[str, str] = field(default_factory=dict)
    token_auth: TokenAuth | None = None
    relative_urls: bool = False
    # Origin that blob GET and HEAD are redirected to (307) by the storage
    # `redirect` middleware. The registry keeps only its scheme and host.
    redirect_baseurl: str | None = None
    delete_enabled: bool = True

    def validate(self) -> None:
        if self.users and self.token_auth:
            raise ValueError("users (htpasswd auth) and token_auth are exclusive: the registry has one auth provider")
        if self.redirect_baseurl:
            require_loopback_url(self.redirect_baseurl, "redirect_baseurl")
        if self.token_auth:
            require_loopback_url(self.token_auth.realm, "token_auth.realm")


def require_loopback_url(url: str, option: str) -> None:
    """Raise ValueError unless url is http(s) on a loopback host, because test servers listen there only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{option} must be an http(s) URL on 127.0.0.1 or localhost, got {url!r}")


@dataclass(frozen=True)
class ConfigPaths:
    """Files and directories that build_config points the registry at."""

    storage_dir: Path
    htpasswd_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None


def build_config(options: RegistryOptions, port: int, paths: ConfigPaths) -> dict:
    """Return the registry configuration for one instance on 127.0.0.1:port."""
    options.validate()
    config: dict = {
        "version": "0.1",
        # The access log (one combined-format line per request) goes to stdout,
        # the application log to stderr.
        "log": {"level": "info", "formatter": "text", "accesslog": {"disabled": False}},
        "storage": {
            "filesystem": {"rootdirectory": str(paths.storage_dir)},
            "delete": {"enabled": options.delete_enabled},
            # Purging runs on a timer and would delete uploads of a paused test.
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {
            "addr": f"127.0.0.1:{port}",
            # A fixed secret avoids the startup warning about a generated one.
            "secret": secrets.token_hex(16),
            "relativeurls": options.relative_urls,
        },
    }

    if options.tls:
        config["http"]["tls"] = {"certificate": str(paths.tls_cert_file), "key": str(paths.tls_key_file)}
    if options.users:
        config["auth"] = {"htpasswd": {"realm": "ferry-test", "path": str(paths.htpasswd_file)}}
    if options.token_auth:
        config["auth"] = {"token": token_auth_section(options.token_auth)}
    if options.redirect_baseurl:
        config["middleware"] = {
            "storage": [{"name": "redirect", "options": {"baseurl": options.redirect_baseurl}}]
        }
    return config


def token_auth_section(token: TokenAuth) -> dict:
    return {
        "realm": token.realm,
        "service": token.service,
        "issuer": token.issuer,
        "rootcertbundle": str(token.rootcertbundle),
    }


def write_config(path: Path, config: dict) -> None:
    Path(path).write_text(json.dumps(config, indent=2) + "\n")


def write_htpasswd(path: Path, users: Mapping[str, str]) -> None:
    """Write bcrypt entries for users. Passwords go to htpasswd on stdin, never on argv.

    distribution 2.8.2 accepts only bcrypt entries. The file is 0600 because it
    contains hashes of test passwords.
    """
    lines = []
    for username, password in users.items():
        if ":" in username:
            raise ValueError(f"htpasswd user name must not contain ':', got {username!r}")
        result = subprocess.run(
            ["htpasswd", "-iBn", username], input=password, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"htpasswd failed for user {username!r}: {result.stderr.strip()}")
        lines.append(result.stdout.splitlines()[0])

    path = Path(path)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n")
