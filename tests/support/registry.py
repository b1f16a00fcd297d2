#!/usr/bin/env python3
"""Run real docker-registry instances on free 127.0.0.1 ports for ferry's tests.

Python tests use the context manager:

    with Registry(tmpdir, tls=True, users={"u": "p"}) as reg:
        seed(layout_dir, "v1", reg, "test/busybox:v1")
        manifest_digest(reg, "test/busybox", "v1")

ctest fixtures use the CLI, which leaves the registry running between commands:

    registry.py start --state DIR --name NAME [--tls] [--htpasswd USER] [...]
    registry.py stop --state DIR [--name NAME]

`start` writes DIR/NAME.json (pid, port, url, CA file, access log, user name)
and, with --htpasswd, the generated password to DIR/NAME.password and an auth
file for skopeo or ferry to DIR/NAME.auth.json, both 0600. The registry's files
(config, storage, logs) live in DIR/NAME/. All registries started with the same
DIR share one test CA, DIR/test-ca/certs/ca.crt.
"""

from __future__ import annotations

import argparse
import ctypes
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_client import (  # noqa: E402  re-exported for tests that import registry only
    MEDIA_TYPES_MANIFEST,
    Manifest,
    count_requests,
    get_manifest,
    manifest_digest,
    seed,
    skopeo_copy,
    wait_for_request_count,
    write_authfile,
    write_private_file,
)
from registry_config import ConfigPaths, RegistryOptions, TokenAuth, build_config, write_config, write_htpasswd  # noqa: E402
from tls_ca import ensure_ca, issue_server_certificate  # noqa: E402

__all__ = [
    "MEDIA_TYPES_MANIFEST", "Endpoint", "Manifest", "Registry", "TokenAuth", "count_requests",
    "get_manifest", "manifest_digest", "seed", "skopeo_copy", "stop_from_state", "wait_for_request_count",
    "write_authfile",
]

REGISTRY_COMMAND = "docker-registry"
START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 10.0
PROBE_TIMEOUT_SECONDS = 1.0
POLL_INTERVAL_SECONDS = 0.05
# Another process can take the free port between the probe bind and the
# registry's own bind. The registry then exits and start retries on a new port.
PORT_ATTEMPTS = 3
# Directory of the shared test CA inside a workdir, so no registry may use this name.
CA_DIR_NAME = "test-ca"
REGISTRY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RegistryStartError(RuntimeError):
    pass


@dataclass
class Endpoint:
    """A running registry as described by its CLI state file."""

    name: str
    pid: int
    port: int
    host: str
    url: str
    ca_file: Path | None
    cert_dir: Path | None
    access_log: Path
    error_log: Path
    config_file: Path
    storage_dir: Path
    username: str | None
    password_file: Path | None
    authfile: Path | None

    @property
    def password(self) -> str | None:
        return self.password_file.read_text() if self.password_file else None

    @classmethod
    def load(cls, state_file: Path) -> "Endpoint":
        data = json.loads(Path(state_file).read_text())
        for key in ("ca_file", "cert_dir", "access_log", "error_log", "config_file", "storage_dir",
                    "password_file", "authfile"):
            data[key] = Path(data[key]) if data[key] else None
        return cls(**data)


def find_free_port() -> int:
    """Return a port that was free on 127.0.0.1 a moment ago, by binding port 0 and releasing it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _terminate_with_parent() -> None:
    """Ask the kernel to send SIGTERM to the child when the test process dies (Linux prctl)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Registry:
    """One docker-registry process with its config, storage and logs under workdir.

    Attributes for the helpers in registry_client: host, url, ca_file, cert_dir,
    username and password (the first entry of users). access_log receives the
    registry's stdout, one combined-format line per request; error_log its stderr.

    detach=True starts the registry in its own session that outlives this
    Python process (the CLI uses it). Otherwise the registry gets SIGTERM when
    the thread that started it exits, which Linux ties to PR_SET_PDEATHSIG.
    NOTE: start such registries from a thread that outlives them, not from a
    short-lived worker thread.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        name: str | None = None,
        tls: bool = False,
        users: Mapping[str, str] | None = None,
        token_auth: TokenAuth | None = None,
        relative_urls: bool = False,
        redirect_baseurl: str | None = None,
        storage_dir: Path | None = None,
        delete_enabled: bool = True,
        detach: bool = False,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.options = RegistryOptions(
            tls=tls, users=dict(users or {}), token_auth=token_auth, relative_urls=relative_urls,
            redirect_baseurl=redirect_baseurl, delete_enabled=delete_enabled,
        )
        self.options.validate()
        if name is not None and (not REGISTRY_NAME.match(name) or name == CA_DIR_NAME):
            raise ValueError(f"invalid registry name {name!r}: use letters, digits, '.', '_' and '-', "
                             f"and not {CA_DIR_NAME!r}")
        self.name = name
        self.requested_storage_dir = Path(storage_dir).resolve() if storage_dir else None
        self.detach = detach
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    # --- Attributes used by the client helpers ------------------------------

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        scheme = "https" if self.options.tls else "http"
        return f"{scheme}://{self.host}"

    @property
    def username(self) -> str | None:
        return next(iter(self.options.users), None)

    @property
    def password(self) -> str | None:
        return self.options.users.get(self.username) if self.username else None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    # --- Lifecycle ------------------------------------------------------------

    def __enter__(self) -> "Registry":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> "Registry":
        """Write the configuration, start the registry and wait until GET /v2/ responds.

        Raises RegistryStartError with the registry's stderr when it exits or
        does not respond within timeout seconds.
        """
        self._prepare_files()
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.port = find_free_port()
            write_config(self.config_file, build_config(self.options, self.port, self._config_paths))
            self._spawn()
            try:
                self._wait_until_ready(time.monotonic() + timeout)
                return self
            except RegistryStartError as error:
                self.stop()
                if "address already in use" not in str(error) or attempt == PORT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _prepare_files(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.name:
            self.dir = self.workdir / self.name
            self.dir.mkdir(exist_ok=True)
        else:
            self.dir = Path(tempfile.mkdtemp(prefix="registry-", dir=self.workdir))
            self.name = self.dir.name

        self.config_file = self.dir / "config.yml"
        self.access_log = self.dir / "access.log"
        self.error_log = self.dir / "registry.log"
        self.storage_dir = self.requested_storage_dir or self.dir / "storage"
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        self.ca_file = self.cert_dir = None
        paths = {"storage_dir": self.storage_dir}

        if self.options.tls:
            ca = ensure_ca(self.workdir / CA_DIR_NAME)
            server = issue_server_certificate(ca, self.dir / "tls")
            self.ca_file, self.cert_dir = ca.cert_file, ca.cert_dir
            paths.update(tls_cert_file=server.cert_file, tls_key_file=server.key_file)
        if self.options.users:
            paths["htpasswd_file"] = self.dir / "htpasswd"
            write_htpasswd(paths["htpasswd_file"], self.options.users)
        self._config_paths = ConfigPaths(**paths)

    def _spawn(self) -> None:
        with open(self.access_log, "ab") as stdout, open(self.error_log, "wb") as stderr:
            self.process = subprocess.Popen(
                [REGISTRY_COMMAND, "serve", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=None if self.detach else _terminate_with_parent,
            )

    def _wait_until_ready(self, deadline: float) -> None:
        last_error: Exception | None = None
        while True:
            if self.process.poll() is not None:
                raise RegistryStartError(
                    f"{REGISTRY_COMMAND} exited with code {self.process.returncode} during startup "
                    f"on {self.host}: {self.error_log.read_text(errors='replace').strip()}"
                )
            try:
                self._probe()
                return
            except (OSError, http.client.HTTPException) as error:  # URLError and SSLError are OSError
                last_error = error

            if time.monotonic() > deadline:
                raise RegistryStartError(
                    f"{REGISTRY_COMMAND} on {self.host} timed out: GET /v2/ failed until the deadline, "
                    f"last with {last_error}. Registry log: {self.error_log.read_text(errors='replace').strip()}"
                )
            try:
                self.process.wait(timeout=POLL_INTERVAL_SECONDS)
            except subprocess.TimeoutExpired:
                pass

    def _probe(self) -> None:
        """Raise unless GET /v2/ returns 200, or 401 from a registry with auth."""
        handlers: list = [urllib.request.ProxyHandler({})]
        if self.ca_file:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(self.ca_file))))
        try:
            urllib.request.build_opener(*handlers).open(f"{self.url}/v2/", timeout=PROBE_TIMEOUT_SECONDS).close()
        except urllib.error.HTTPError as error:
            if error.code != 401:
                raise

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop the registry: SIGTERM, then SIGKILL after timeout seconds. Safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def state(self) -> dict:
        """Return the fields of the CLI state file, without secrets."""
        return {
            "name": self.name, "pid": self.pid, "port": self.port, "host": self.host, "url": self.url,
            "ca_file": str(self.ca_file) if self.ca_file else None,
            "cert_dir": str(self.cert_dir) if self.cert_dir else None,
            "access_log": str(self.access_log), "error_log": str(self.error_log),
            "config_file": str(self.config_file), "storage_dir": str(self.storage_dir),
            "username": self.username,
        }


# --- Stopping by PID ---------------------------------------------------------


def _is_running_registry(pid: int, config_file: Path) -> bool:
    """True if pid is a live (not zombie) docker-registry serving config_file.

    Comparing the command line protects a reused PID from being signalled.
    """
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z" and str(config_file).encode() in cmdline


def _wait_for_exit(pid: int, config_file: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_running_registry(pid, config_file):
        if time.monotonic() > deadline:
            return False
        # Polling: this process is not the parent, so it cannot wait for the exit.
        time.sleep(POLL_INTERVAL_SECONDS)
    return True


def _signal(pid: int, signal_number: int) -> None:
    try:
        os.kill(pid, signal_number)
    except ProcessLookupError:
        pass  # It exited after the last check.


def stop_pid(pid: int, config_file: Path, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Stop the registry with pid: SIGTERM, then SIGKILL after timeout. Return whether it was running.

    Raises RuntimeError if the process outlives SIGKILL by timeout seconds.
    """
    if not _is_running_registry(pid, config_file):
        return False

    _signal(pid, signal.SIGTERM)
    if _wait_for_exit(pid, config_file, timeout):
        return True

    _signal(pid, signal.SIGKILL)
    if _wait_for_exit(pid, config_file, timeout):
        return True
    raise RuntimeError(f"{REGISTRY_COMMAND} pid {pid} did not exit within {timeout} s after SIGKILL")


def stop_from_state(state_file: Path) -> None:
    """Stop the registry recorded in state_file and remove its state, secrets and owned storage.

    The config and logs under DIR/NAME/ stay for post-mortem reading.
    """
    state_file = Path(state_file)
    try:
        endpoint = Endpoint.load(state_file)
    except FileNotFoundError:
        return

    stopped = stop_pid(endpoint.pid, endpoint.config_file)
    print(f"registry {endpoint.name} (pid {endpoint.pid}) {'stopped' if stopped else 'was not running'}")

    for secret in (endpoint.password_file, endpoint.authfile):
        if secret:
            secret.unlink(missing_ok=True)
    if endpoint.storage_dir.parent == endpoint.config_file.parent:
        shutil.rmtree(endpoint.storage_dir, ignore_errors=True)
    state_file.unlink(missing_ok=True)


# --- CLI -----------------------------------------------------------------------


def _token_auth_from_args(args: argparse.Namespace) -> TokenAuth | None:
    fields = (args.token_realm, args.token_service, args.token_issuer, args.token_rootcertbundle)
    if not any(fields):
        return None
    if not all(fields):
        raise SystemExit("registry.py: error: token auth needs --token-realm, --token-service, "
                         "--token-issuer and --token-rootcertbundle together")
    return TokenAuth(args.token_realm, args.token_service, args.token_issuer, Path(args.token_rootcertbundle).resolve())


def _write_cli_state(registry: Registry, state_dir: Path, password: str | None) -> dict:
    """Write DIR/NAME.json and, for a registry with a user, the 0600 password and auth files."""
    state = registry.state() | {"password_file": None, "authfile": None}
    if password is not None:
        password_file = state_dir / f"{registry.name}.password"
        password_file.unlink(missing_ok=True)
        write_private_file(password_file, password)
        authfile = state_dir / f"{registry.name}.auth.json"
        authfile.unlink(missing_ok=True)
        write_authfile(authfile, [registry])
        state |= {"password_file": str(password_file), "authfile": str(authfile)}

    # Written last and renamed into place, so a reader never sees a partial state file.
    temporary = state_dir / f"{registry.name}.json.tmp"
    temporary.write_text(json.dumps(state, indent=2) + "\n")
    temporary.rename(state_dir / f"{registry.name}.json")
    return state


def command_start(args: argparse.Namespace) -> int:
    state_dir = Path(args.state).resolve()
    state_file = state_dir / f"{args.name}.json"
    if state_file.exists():
        print(f"registry.py: error: {state_file} exists. Run `registry.py stop --state {args.state} "
              f"--name {args.name}` first.", file=sys.stderr)
        return 1

    password = secrets.token_urlsafe(18) if args.htpasswd else None
    try:
        registry = Registry(
            state_dir, name=args.name, tls=args.tls, users={args.htpasswd: password} if password else None,
            token_auth=_token_auth_from_args(args), relative_urls=args.relative_urls,
            redirect_baseurl=args.redirect_baseurl, storage_dir=args.storage_dir,
            delete_enabled=not args.no_delete, detach=True,
        )
        registry.start(timeout=args.timeout)
    except (RuntimeError, ValueError) as error:  # RegistryStartError is a RuntimeError
        print(f"registry.py: error: {error}", file=sys.stderr)
        return 1

    state = _write_cli_state(registry, state_dir, password)
    print(json.dumps(state, indent=2))
    return 0


def command_stop(args: argparse.Namespace) -> int:
    state_dir = Path(args.state)
    names = [args.name] if args.name else sorted(p.stem for p in state_dir.glob("*.json"))
    for name in names:
        stop_from_state(state_dir / f"{name}.json")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Start and stop docker-registry instances for ferry's tests.")
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="start a registry on a free 127.0.0.1 port and write DIR/NAME.json")
    start.add_argument("--state", required=True, metavar="DIR", help="directory for state files and registry data")
    start.add_argument("--name", required=True, help="registry name, unique within DIR")
    start.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate from the test CA in DIR/test-ca")
    start.add_argument("--htpasswd", metavar="USER", help="require Basic auth for USER with a generated password")
    start.add_argument("--relative-urls", action="store_true", help="set http.relativeurls")
    start.add_argument("--redirect-baseurl", metavar="URL",
                       help="redirect blob GET and HEAD to this 127.0.0.1 origin (storage redirect middleware)")
    start.add_argument("--storage-dir", metavar="DIR", help="storage root, for example under /dev/shm. Default: DIR/NAME/storage")
    start.add_argument("--no-delete", action="store_true", help="disable the delete API (enabled by default)")
    start.add_argument("--token-realm", metavar="URL", help="token auth: URL of the token endpoint")
    start.add_argument("--token-service", help="token auth: service name, the token audience")
    start.add_argument("--token-issuer", help="token auth: expected issuer of tokens")
    start.add_argument("--token-rootcertbundle", metavar="FILE", help="token auth: PEM certificate of the token signer")
    start.add_argument("--timeout", type=float, default=START_TIMEOUT_SECONDS, help="seconds to wait for GET /v2/")
    start.set_defaults(run=command_start)

    stop = commands.add_parser("stop", help="stop registries started with --state DIR and remove their state")
    stop.add_argument("--state", required=True, metavar="DIR")
    stop.add_argument("--name", help="registry to stop. Default: every registry in DIR")
    stop.set_defaults(run=command_stop)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
