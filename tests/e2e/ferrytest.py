"""Shared helpers of ferry's end-to-end tests.

The environment comes from ctest (tests/e2e/CMakeLists.txt): FERRY_BIN is the built ferry,
FERRY_TEST_WORK contains the built images (images/) and the state of the shared registries
(registries/plain.json, registries/secure.json).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from registry import Endpoint

FERRY_BIN = Path(os.environ.get("FERRY_BIN", "ferry"))
WORK = Path(os.environ.get("FERRY_TEST_WORK", "/tmp/ferry-test-work"))
IMAGES = WORK / "images"
STATE = WORK / "registries"
SOURCE_DIR = Path(os.environ.get("FERRY_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def plain_registry() -> Endpoint:
    """The shared anonymous plain-HTTP registry."""
    return Endpoint.load(STATE / "plain.json")


def secure_registry() -> Endpoint:
    """The shared HTTPS registry with htpasswd auth; its password is in a 0600 file."""
    return Endpoint.load(STATE / "secure.json")


_counter = itertools.count()


def unique_repo(prefix: str) -> str:
    """A repository name no other test uses, so tests can share registries."""
    return f"{prefix}/{uuid.uuid4().hex[:10]}{next(_counter)}"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def clean_env(**extra: str) -> dict[str, str]:
    """An environment without ambient credentials: HOME and XDG dirs point into WORK."""
    home = WORK / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FERRY_SRC_", "FERRY_DEST_", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "VAULT_"))}
    env.update({"HOME": str(home), "XDG_RUNTIME_DIR": str(home / "run"), "XDG_CONFIG_HOME": str(home / "config")})
    env.pop("GITHUB_ACTIONS", None)
    env.update(extra)
    return env


def run_ferry(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
              timeout: float = 300) -> Result:
    completed = subprocess.run([str(FERRY_BIN), *args], input=stdin, capture_output=True, text=True,
                               env=env if env is not None else clean_env(), timeout=timeout)
    return Result(completed.returncode, completed.stdout, completed.stderr)


def start_ferry(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.Popen:
    process = subprocess.Popen([str(FERRY_BIN), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env=env if env is not None else clean_env())
    if stdin is not None:
        process.stdin.write(stdin)
    process.stdin.close()
    return process


def docker_ref(registry: Endpoint, repo_tag: str) -> str:
    return f"docker://{registry.host}/{repo_tag}"


def cmdlines_containing(needle: str) -> list[str]:
    """Command lines of all processes whose argv contains needle."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            raw = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if needle.encode() in raw:
            found.append(raw.replace(b"\0", b" ").decode(errors="replace"))
    return found


def poll_until(condition, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Polls condition() until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)
