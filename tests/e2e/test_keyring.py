"""End-to-end tests of the keyring credential source through the ferry binary.

Each test runs its commands inside tests/unit/keyring/keyring-session.sh, which starts a
private D-Bus session bus and a gnome-keyring-daemon unlocked with a test password, so the
user's own keyring is never touched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import unittest

from ferrytest import FERRY_BIN, SOURCE_DIR, WORK, clean_env

SESSION = SOURCE_DIR / "tests" / "unit" / "keyring" / "keyring-session.sh"
PASSWORD = "e2e-keyring-pass-71be0d"
REGISTRY = "reg.example.com:5000"
REFERENCE = f"docker://{REGISTRY}/team/app:v1"
LOCK_LOGIN_COLLECTION = (
    "gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets "
    "--method org.freedesktop.Secret.Service.Lock \"['/org/freedesktop/secrets/collection/login']\" >/dev/null"
)


def missing_tools() -> list[str]:
    return [tool for tool in ("dbus-run-session", "gnome-keyring-daemon", "gdbus", "docker-credential-secretservice")
            if shutil.which(tool) is None]


def in_session(script: str, **env: str) -> subprocess.CompletedProcess:
    """Runs a shell script inside a fresh keyring session; $FERRY is the ferry binary."""
    environment = clean_env(FERRY=str(FERRY_BIN), **env)
    return subprocess.run([str(SESSION), "sh", "-c", script], capture_output=True, text=True,
                          env=environment, timeout=120)


def docker_helper_store(server: str, username: str, secret: str) -> str:
    entry = json.dumps({"ServerURL": server, "Username": username, "Secret": secret})
    return f"printf '%s' '{entry}' | docker-credential-secretservice store"


@unittest.skipIf(missing_tools(), f"needs {', '.join(missing_tools())} (packages dbus-daemon, gnome-keyring, "
                                  "libglib2.0-bin, golang-docker-credential-helpers)")
class KeyringCredsWhich(unittest.TestCase):
    def assert_no_secret(self, result: subprocess.CompletedProcess) -> None:
        self.assertNotIn(PASSWORD, result.stdout + result.stderr)

    def test_docker_helper_entry_found(self):
        result = in_session(f'{docker_helper_store("https://" + REGISTRY, "alice", PASSWORD)} && '
                            f'"$FERRY" creds which {REFERENCE} --creds-from keyring')

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f'{REGISTRY}: keyring (docker-credential-secretservice entry), user "alice", password',
                      result.stdout)
        self.assert_no_secret(result)

    def test_nothing_stored_is_anonymous(self):
        result = in_session(f'"$FERRY" creds which {REFERENCE} --creds-from keyring')

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"{REGISTRY}: anonymous", result.stdout)

    def test_locked_collection_fails_fast(self):
        started = time.monotonic()
        result = in_session(f'{docker_helper_store(REGISTRY, "alice", PASSWORD)} && {LOCK_LOGIN_COLLECTION} && '
                            f'"$FERRY" creds which {REFERENCE} --creds-from keyring')
        elapsed = time.monotonic() - started

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("locked", result.stderr)
        self.assertIn(REGISTRY, result.stderr)
        self.assertLess(elapsed, 10)
        self.assert_no_secret(result)


class KeyringWithoutBus(unittest.TestCase):
    def test_no_session_bus_is_error(self):
        runtime_dir = WORK / "keyring-no-bus"
        runtime_dir.mkdir(parents=True, exist_ok=True)
        environment = clean_env(XDG_RUNTIME_DIR=str(runtime_dir))
        environment.pop("DBUS_SESSION_BUS_ADDRESS", None)

        result = subprocess.run([str(FERRY_BIN), "creds", "which", REFERENCE, "--creds-from", "keyring"],
                                capture_output=True, text=True, env=environment, timeout=60)

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no D-Bus session bus", result.stderr)


if __name__ == "__main__":
    unittest.main()
