"""End-to-end tests of `ferry login` and `ferry logout` with the keyring, against the shared
HTTPS registry with htpasswd auth, and of copies that take their credentials from the keyring.

Every test runs inside tests/unit/keyring/keyring-session.sh: a private D-Bus session with its
own gnome-keyring-daemon, so the user's keyring is never touched.
"""

from __future__ import annotations

import shlex
import unittest

from ferrytest import IMAGES, plain_registry, secure_registry, unique_repo
from registry import manifest_digest, seed
from test_keyring import in_session, missing_tools

BACKENDS = ("native", "skopeo")


@unittest.skipIf(missing_tools(), f"needs {', '.join(missing_tools())}")
class LoginWithKeyring(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.secure = secure_registry()
        cls.plain = plain_registry()
        cls.password = cls.secure.password
        cls.repo = unique_repo("login/source")
        cls.digest = seed(IMAGES / "multiarch", "v1", cls.secure, f"{cls.repo}:v1")

    def login_script(self, password: str, backend: str) -> str:
        return (f"printf '%s' {shlex.quote(password)} | \"$FERRY\" login --backend {backend} "
                f"--username {self.secure.username} --password-stdin --cert-dir {self.secure.cert_dir} "
                f"{self.secure.host}")

    def test_wrong_password_stores_nothing(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                result = in_session(f"{self.login_script('not-the-password', backend)}; echo \"rc=$?\"; "
                                    f"\"$FERRY\" creds which --creds-from keyring {self.secure.host}/x/y:1")
                self.assertIn("rc=1", result.stdout)
                self.assertIn("rejected the credentials", result.stderr)
                self.assertIn(f"{self.secure.host}: anonymous", result.stdout)
                self.assertNotIn("not-the-password", result.stdout + result.stderr)

    def test_login_then_copy_from_keyring(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                destination = unique_repo(f"login/{backend}")
                result = in_session(
                    f"{self.login_script(self.password, backend)} && "
                    f"\"$FERRY\" copy --backend {backend} --src-creds-from keyring --dest-creds-from input "
                    f"--src-cert-dir {self.secure.cert_dir} --dest-tls-verify=false --format json "
                    f"docker://{self.secure.host}/{self.repo}:v1 docker://{self.plain.host}/{destination}:v1")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("Login succeeded", result.stdout)
                self.assertIn(f'"digest":"{self.digest}"', result.stdout)
                self.assertIn('"source_credentials":"keyring', result.stdout)
                self.assertEqual(manifest_digest(self.plain, destination, "v1"), self.digest)
                self.assertNotIn(self.password, result.stdout + result.stderr)

    def test_logout_removes_credentials(self):
        result = in_session(f"{self.login_script(self.password, 'native')} && "
                            f"\"$FERRY\" logout {self.secure.host} && \"$FERRY\" logout {self.secure.host} && "
                            f"\"$FERRY\" creds which --creds-from keyring {self.secure.host}/x/y:1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"Removed the credentials for {self.secure.host}", result.stdout)
        self.assertIn(f"Not logged in to {self.secure.host}", result.stdout)
        self.assertIn(f"{self.secure.host}: anonymous", result.stdout)

    def test_password_needs_stdin_without_terminal(self):
        result = in_session(f"\"$FERRY\" login --username someone {self.secure.host} </dev/null")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--password-stdin", result.stderr)

    def test_invalid_registry_rejected(self):
        result = in_session("printf x | \"$FERRY\" login --username a --password-stdin alpine")
        self.assertEqual(result.returncode, 2)
        self.assertIn('"alpine" is not a registry host', result.stderr)


if __name__ == "__main__":
    unittest.main()
