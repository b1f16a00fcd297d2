"""End-to-end tests of the vault credential source through the ferry binary.

No Vault server can be installed on the test machines: every test talks to the stand-in in
vault_standin.py, which implements the endpoints ferry uses with Vault's documented request and
response shapes, on 127.0.0.1.
"""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from ferrytest import IMAGES, WORK, clean_env, docker_ref, plain_registry, run_ferry, secure_registry, unique_repo
from registry import manifest_digest, seed
from vault_standin import VaultStandin

TOKEN = "hvs.e2e-token-5f3a91"
LIMITED_TOKEN = "hvs.e2e-limited-0b77c2"
APPROLE_TOKEN = "hvs.e2e-approle-6d2e14"
JWT_TOKEN = "hvs.e2e-jwt-91c3aa"
PASSWORD = "e2e-registry-pass-2c81d0"
ROLE_ID = "e2e-role-4b0f6e"
SECRET_ID = "e2e-secret-id-a7d512"
JWT = "eyJhbGciOi.e2e-jwt-3e9b77.sig"
REQUEST_TOKEN = "e2e-gh-request-8f14c0"
REGISTRY = "reg.example.com:5000"
REFERENCE = f"docker://{REGISTRY}/team/app:v1"
ALL_SECRETS = (TOKEN, LIMITED_TOKEN, APPROLE_TOKEN, JWT_TOKEN, PASSWORD, SECRET_ID, JWT, REQUEST_TOKEN)


def standin_config(**overrides) -> dict:
    config = {
        "tokens": {
            TOKEN: ["secret/data/ferry/*"],
            APPROLE_TOKEN: ["secret/data/ferry/*"],
            JWT_TOKEN: ["secret/data/ferry/*"],
            LIMITED_TOKEN: ["secret/data/other/*"],
        },
        "mounts": {"secret/": {"version": "2"}},
        "secrets": {
            f"secret/ferry/registries/{REGISTRY}": {"username": "alice", "password": PASSWORD},
            "secret/ferry/registries/nofield.example.com": {"username": "alice"},
        },
        "approle": {"role_id": ROLE_ID, "secret_id": SECRET_ID, "token": APPROLE_TOKEN},
        "jwt": {"role": "ferry", "jwt": JWT, "token": JWT_TOKEN},
        "oidc": {"request_token": REQUEST_TOKEN, "audience": "ferry-test", "jwt": JWT},
    }
    config.update(overrides)
    return config


class VaultCredsWhich(unittest.TestCase):
    """`ferry creds which` reports what the vault source found, without any registry traffic."""

    config: dict = standin_config()

    def setUp(self):
        self.vault = VaultStandin(self.config).start()
        self.addCleanup(self.vault.stop)

    def which(self, *args: str, **env: str):
        result = run_ferry("creds", "which", REFERENCE, "--creds-from", "vault",
                           "--vault-addr", self.vault.url, *args, env=clean_env(**env))
        for secret in ALL_SECRETS:
            self.assertNotIn(secret, result.stdout + result.stderr)
        return result

    def assert_found_alice(self, result):
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f'{REGISTRY}: vault (secret/data/ferry/registries/{REGISTRY}), user "alice", password',
                      result.stdout)

    def test_token_from_environment(self):
        self.assert_found_alice(self.which(VAULT_TOKEN=TOKEN))

    def test_token_file(self):
        with tempfile.NamedTemporaryFile("w", dir=WORK, suffix=".token") as token_file:
            token_file.write(TOKEN + "\n")
            token_file.flush()
            self.assert_found_alice(self.which("--vault-token-file", token_file.name))

    def test_token_file_beats_environment_token(self):
        # The environment token may not read the registry's secret, so only the file's token finds alice.
        with tempfile.NamedTemporaryFile("w", dir=WORK, suffix=".token") as token_file:
            token_file.write(TOKEN + "\n")
            token_file.flush()
            self.assert_found_alice(self.which("--vault-token-file", token_file.name, VAULT_TOKEN=LIMITED_TOKEN))

    def test_missing_token_file_is_usage_error(self):
        missing = str(WORK / "no-such-vault-token")

        result = self.which("--vault-token-file", missing, VAULT_TOKEN=TOKEN)

        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"the Vault token file {missing} named by --vault-token-file does not exist", result.stderr)
        self.assertNotIn("vault login", result.stderr)
        self.assertEqual(self.vault.requests, [])

    def test_approle(self):
        result = self.which("--vault-auth-method", "approle", "--vault-role-id", ROLE_ID, VAULT_SECRET_ID=SECRET_ID)

        self.assert_found_alice(result)
        logins = [r for r in self.vault.requests if r["path"] == "/v1/auth/approle/login"]
        self.assertEqual(len(logins), 1)

    def test_jwt_with_github_oidc_token(self):
        result = self.which("--vault-auth-method", "jwt", "--vault-jwt-role", "ferry",
                            "--vault-oidc-audience", "ferry-test",
                            ACTIONS_ID_TOKEN_REQUEST_URL=f"{self.vault.url}/oidc/token?api-version=2.0",
                            ACTIONS_ID_TOKEN_REQUEST_TOKEN=REQUEST_TOKEN)

        self.assert_found_alice(result)
        oidc = [r for r in self.vault.requests if r["path"] == "/oidc/token"]
        self.assertEqual(len(oidc), 1)
        self.assertEqual(oidc[0]["query"], {"api-version": ["2.0"], "audience": ["ferry-test"]})

    def test_jwt_without_request_url(self):
        result = self.which("--vault-auth-method", "jwt", "--vault-jwt-role", "ferry")

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ACTIONS_ID_TOKEN_REQUEST_URL is not set", result.stderr)
        self.assertIn("permissions: id-token: write", result.stderr)

    def test_missing_path_is_anonymous(self):
        result = run_ferry("creds", "which", "docker://unknown.example.com/team/app:v1", "--creds-from", "vault",
                           "--vault-addr", self.vault.url, env=clean_env(VAULT_TOKEN=TOKEN))

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("unknown.example.com: anonymous", result.stdout)

    def test_missing_field_names_path(self):
        result = run_ferry("creds", "which", "docker://nofield.example.com/team/app:v1", "--creds-from", "vault",
                           "--vault-addr", self.vault.url, env=clean_env(VAULT_TOKEN=TOKEN))

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("secret/data/ferry/registries/nofield.example.com", result.stderr)
        self.assertIn('no field "password"', result.stderr)

    def test_permission_denied_names_path(self):
        result = self.which(VAULT_TOKEN=LIMITED_TOKEN)

        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"permission denied while reading secret/data/ferry/registries/{REGISTRY}", result.stderr)

    def test_token_setting_rejected(self):
        result = run_ferry("--plugin-option", f"vault.token={TOKEN}", "creds", "which", REFERENCE,
                           "--creds-from", "vault", "--vault-addr", self.vault.url, env=clean_env())

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("VAULT_TOKEN", result.stderr)
        self.assertNotIn(TOKEN, result.stdout + result.stderr)
        self.assertEqual(self.vault.requests, [])


class SealedVault(unittest.TestCase):
    def test_sealed_is_error(self):
        with VaultStandin(standin_config(sealed=True)) as vault:
            result = run_ferry("creds", "which", REFERENCE, "--creds-from", "vault", "--vault-addr", vault.url,
                               env=clean_env(VAULT_TOKEN=TOKEN))

        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"Vault at {vault.url} is sealed", result.stderr)


class NamespacedVault(unittest.TestCase):
    def test_namespace_sent_on_every_request(self):
        with VaultStandin(standin_config(namespace="team-a")) as vault:
            result = run_ferry("creds", "which", REFERENCE, "--creds-from", "vault", "--vault-addr", vault.url,
                               "--vault-namespace", "team-a", env=clean_env(VAULT_TOKEN=TOKEN))
            requests = list(vault.requests)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(len(requests), 2)
        self.assertEqual({r["namespace"] for r in requests}, {"team-a"})


class VaultCopy(unittest.TestCase):
    """A real copy into the htpasswd-protected registry with credentials from the stand-in."""

    def test_copy_with_destination_credentials_from_vault(self):
        plain = plain_registry()
        secure = secure_registry()
        source = unique_repo("vault/source")
        digest = seed(IMAGES / "single", "v1", plain, f"{source}:v1")
        secrets = {f"secret/ferry/registries/{secure.host}": {"username": secure.username,
                                                              "password": secure.password}}

        for backend in ("native", "skopeo"):
            with self.subTest(backend=backend), VaultStandin(standin_config(secrets=secrets)) as vault:
                destination = unique_repo(f"vault/{backend}")
                result = run_ferry("copy", "--backend", backend, "--src-creds-from", "vault",
                                   "--dest-creds-from", "vault", "--vault-addr", vault.url, "--src-tls-verify=false",
                                   "--dest-cert-dir", str(secure.cert_dir),
                                   docker_ref(plain, f"{source}:v1"), docker_ref(secure, f"{destination}:v1"),
                                   env=clean_env(VAULT_TOKEN=TOKEN))

                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(manifest_digest(secure, destination, "v1"), digest)
                self.assertNotIn(secure.password, result.stdout + result.stderr)
                self.assertNotIn(TOKEN, result.stdout + result.stderr)

if __name__ == "__main__":
    unittest.main()
