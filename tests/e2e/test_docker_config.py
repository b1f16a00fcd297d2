"""End-to-end tests of the docker-config credential source through the ferry binary.

Every test points HOME at a fresh directory. Its .docker/config.json (or an --authfile) is the
only place that stores the credentials of the shared HTTPS+htpasswd registry. The tests copy
from that registry with `ferry copy --creds-from docker-config` and the skopeo or native
backend, or run `ferry creds which`. A credential helper test puts a docker-credential-*
script on PATH.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path

from ferrytest import (IMAGES, WORK, clean_env, docker_ref, plain_registry, run_ferry, secure_registry,
                       unique_repo)
from registry import manifest_digest, seed


def available_backends() -> set[str]:
    listing = run_ferry("plugins", "--format", "json")
    if listing.returncode != 0:
        return set()
    plugins = {plugin["name"]: plugin for plugin in listing.json()}
    if "docker-config" not in plugins or plugins["docker-config"]["error"]:
        return set()
    usable = {name for name in ("skopeo", "native") if name in plugins and not plugins[name]["error"]}
    if shutil.which("skopeo") is None:
        usable.discard("skopeo")
    return usable


BACKENDS = available_backends()


def basic_auth(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def write_private(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


@unittest.skipUnless(BACKENDS, "neither the skopeo nor the native backend, or no docker-config plugin, is available")
class DockerConfigCopy(unittest.TestCase):
    """Copies from the shared secure registry with credentials only in a temporary HOME."""

    @classmethod
    def setUpClass(cls):
        cls.secure = secure_registry()
        cls.plain = plain_registry()
        cls.scratch = Path(tempfile.mkdtemp(prefix="docker-config-e2e-", dir=WORK))
        cls.repo = unique_repo("dockercfg/multiarch")
        cls.index_digest = seed(IMAGES / "multiarch", "v1", cls.secure, f"{cls.repo}:v1")
        cls.public_repo = unique_repo("dockercfg/public")
        cls.public_digest = seed(IMAGES / "multiarch", "v1", cls.plain, f"{cls.public_repo}:v1")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def make_home(self, config: dict | str | None) -> Path:
        """A fresh HOME; config (a dict, or raw text) becomes its .docker/config.json."""
        home = Path(tempfile.mkdtemp(prefix="home-", dir=self.scratch))
        if config is not None:
            text = config if isinstance(config, str) else json.dumps(config)
            write_private(home / ".docker" / "config.json", text)
        return home

    def env_for(self, home: Path, **extra: str) -> dict[str, str]:
        return clean_env(HOME=str(home), XDG_RUNTIME_DIR=str(home / "run"), XDG_CONFIG_HOME=str(home / "config"),
                         **extra)

    def secure_auths(self, key: str | None = None, password: str | None = None) -> dict:
        entry = {"auth": basic_auth(self.secure.username, password or self.secure.password)}
        return {"auths": {key or self.secure.host: entry}}

    def copy(self, backend: str, env: dict[str, str], *extra: str, destination: str | None = None):
        destination = destination or unique_repo(f"dockercfg/{backend}")
        result = run_ferry("copy", "--backend", backend, "--creds-from", "docker-config",
                           "--src-cert-dir", str(self.secure.cert_dir), "--dest-tls-verify=false",
                           "--format", "json", *extra,
                           docker_ref(self.secure, f"{self.repo}:v1"),
                           docker_ref(self.plain, f"{destination}:v1"), env=env)
        return result, destination

    def copy_public(self, env: dict[str, str]):
        """Copies the anonymous image within the plain registry with the default --creds-from."""
        destination = unique_repo("dockercfg/public-copy")
        result = run_ferry("copy", "--backend", sorted(BACKENDS)[0], "--src-tls-verify=false",
                           "--dest-tls-verify=false", "--format", "json",
                           docker_ref(self.plain, f"{self.public_repo}:v1"),
                           docker_ref(self.plain, f"{destination}:v1"), env=env)
        return result, destination

    def add_helper(self, home: Path, name: str, script: str) -> dict[str, str]:
        """Writes docker-credential-NAME into HOME/bin; returns extra env that puts it on PATH."""
        helper = home / "bin" / f"docker-credential-{name}"
        write_private(helper, "#!/bin/sh\n" + script).chmod(0o700)
        return {"PATH": f"{home / 'bin'}:{os.environ['PATH']}"}

    def assert_copied(self, result, destination: str) -> None:
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], self.index_digest)
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), self.index_digest)

    def assert_no_secret(self, result) -> None:
        output = result.stdout + result.stderr
        self.assertNotIn(self.secure.password, output)
        self.assertNotIn(basic_auth(self.secure.username, self.secure.password), output)

    def test_copy_with_config_json_each_backend(self):
        home = self.make_home(self.secure_auths())
        for backend in sorted(BACKENDS):
            with self.subTest(backend=backend):
                result, destination = self.copy(backend, self.env_for(home))
                self.assert_copied(result, destination)
                self.assert_no_secret(result)

    def test_https_v2_key_form(self):
        backend = sorted(BACKENDS)[0]
        home = self.make_home(self.secure_auths(key=f"https://{self.secure.host}/v2/"))
        result, destination = self.copy(backend, self.env_for(home))
        self.assert_copied(result, destination)

    def test_namespace_key_wins_over_registry_key(self):
        backend = sorted(BACKENDS)[0]
        namespace = self.repo.split("/")[0]
        config = {"auths": {
            self.secure.host: {"auth": basic_auth(self.secure.username, "wrong-password")},
            f"{self.secure.host}/{namespace}": {"auth": basic_auth(self.secure.username, self.secure.password)},
        }}
        result, destination = self.copy(backend, self.env_for(self.make_home(config)))
        self.assert_copied(result, destination)

    def test_authfile_is_only_file_read(self):
        backend = sorted(BACKENDS)[0]
        home = self.make_home(self.secure_auths(password="wrong-password"))
        authfile = write_private(home / "explicit" / "auth.json", json.dumps(self.secure_auths()))
        result, destination = self.copy(backend, self.env_for(home), "--authfile", str(authfile))
        self.assert_copied(result, destination)

    def test_podman_auth_json_read_before_config_json(self):
        backend = sorted(BACKENDS)[0]
        home = self.make_home(self.secure_auths(password="wrong-password"))
        write_private(home / "run" / "containers" / "auth.json", json.dumps(self.secure_auths()))
        result, destination = self.copy(backend, self.env_for(home))
        self.assert_copied(result, destination)

    def test_credential_helper_on_path(self):
        backend = sorted(BACKENDS)[0]
        home = self.make_home({"credsStore": "ferrye2e", "auths": {self.secure.host: {}}})
        answer = write_private(home / "helper-answer.json", json.dumps(
            {"ServerURL": self.secure.host, "Username": self.secure.username, "Secret": self.secure.password}))
        helper = home / "bin" / "docker-credential-ferrye2e"
        write_private(helper, f"#!/bin/sh\ncat > '{home}/helper-stdin'\nexec cat '{answer}'\n").chmod(0o700)
        env = self.env_for(home, PATH=f"{home / 'bin'}:{os.environ['PATH']}")

        which = run_ferry("creds", "which", docker_ref(self.secure, f"{self.repo}:v1"),
                          "--creds-from", "docker-config", env=env)
        self.assertEqual(which.returncode, 0, which.stderr)
        self.assertIn(f'{self.secure.host}: docker-config (credential helper "ferrye2e"), '
                      f'user "{self.secure.username}", password', which.stdout)
        self.assertEqual((home / "helper-stdin").read_text(), self.secure.host)

        result, destination = self.copy(backend, env)
        self.assert_copied(result, destination)
        self.assert_no_secret(result)

    @unittest.skipIf(shutil.which("docker-credential-desktop"), "docker-credential-desktop is installed")
    def test_missing_creds_store_helper_warns_and_copies(self):
        home = self.make_home({"credsStore": "desktop"})
        env = self.env_for(home)

        result, destination = self.copy_public(env)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), self.public_digest)
        config = home / ".docker" / "config.json"
        self.assertIn(f"docker-credential-desktop (credsStore in {config}) is not on PATH", result.stderr)
        self.assertIn("--creds-from input", result.stderr)
        self.assertEqual(result.stderr.count("docker-credential-desktop (credsStore"), 1, result.stderr)
        self.assertNotIn(env["PATH"], result.stderr)

    @unittest.skipIf(shutil.which("docker-credential-desktop"), "docker-credential-desktop is installed")
    def test_missing_creds_store_helper_falls_back_to_auths(self):
        config = self.secure_auths()
        config["credsStore"] = "desktop"
        home = self.make_home(config)

        result, destination = self.copy(sorted(BACKENDS)[0], self.env_for(home))

        self.assert_copied(result, destination)
        self.assertIn("docker-credential-desktop", result.stderr)
        self.assert_no_secret(result)

    @unittest.skipUnless(shutil.which("docker-credential-secretservice"),
                         "docker-credential-secretservice is not installed (golang-docker-credential-helpers)")
    def test_secretservice_without_session_bus_copies(self):
        home = self.make_home({"credsStore": "secretservice"})
        env = self.env_for(home)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("DISPLAY", None)

        result, destination = self.copy_public(env)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), self.public_digest)
        self.assertIn("docker-credential-secretservice", result.stderr)
        self.assertIn("no D-Bus session bus", result.stderr)

    def test_failing_helper_stops_copy_with_advice(self):
        # The image is public, so only the helper's failure can stop this copy.
        home = self.make_home({"credsStore": "locked"})
        env = self.env_for(home, **self.add_helper(home, "locked", "echo 'error: the keyring is locked'\nexit 1\n"))

        result, _ = self.copy_public(env)

        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("docker-credential-locked", result.stderr)
        self.assertIn("the keyring is locked", result.stderr)
        self.assertIn("--creds-from input", result.stderr)
        self.assertNotIn(env["PATH"], result.stderr)

    def test_no_entry_means_anonymous_and_denied(self):
        backend = sorted(BACKENDS)[0]
        home = self.make_home({"auths": {"other.example": {"auth": basic_auth("u", "p")}}})
        which = run_ferry("creds", "which", docker_ref(self.secure, f"{self.repo}:v1"),
                          "--creds-from", "docker-config", env=self.env_for(home))
        self.assertEqual(which.returncode, 0, which.stderr)
        self.assertIn(f"{self.secure.host}: anonymous", which.stdout)

        result, _ = self.copy(backend, self.env_for(home))
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertRegex(result.stderr, "unauthorized|authentication required|401")

    def test_malformed_config_names_file_and_position(self):
        backend = sorted(BACKENDS)[0]
        password_b64 = basic_auth(self.secure.username, self.secure.password)
        home = self.make_home('{"auths": {"' + self.secure.host + '": {"auth": "' + password_b64 + '"}')
        result, _ = self.copy(backend, self.env_for(home))
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(str(home / ".docker" / "config.json"), result.stderr)
        self.assertRegex(result.stderr, r"not valid JSON at line 1, column \d+ \(byte \d+\)")
        self.assert_no_secret(result)

    def test_missing_authfile_is_usage_error(self):
        home = self.make_home(self.secure_auths())
        missing = home / "no-such-auth.json"
        which = run_ferry("creds", "which", docker_ref(self.secure, f"{self.repo}:v1"),
                          "--creds-from", "docker-config", "--authfile", str(missing), env=self.env_for(home))
        self.assertEqual(which.returncode, 2, which.stderr)
        self.assertIn(str(missing), which.stderr)
        self.assertIn("does not exist", which.stderr)


if __name__ == "__main__":
    unittest.main()
