"""End-to-end tests of ferry's command line: validation before any network traffic, exit
codes, result output and credential reporting, against the shared real registries."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

from ferrytest import WORK, IMAGES, clean_env, docker_ref, plain_registry, run_ferry, unique_repo
from registry import Registry, count_requests, manifest_digest, seed


def available_backends() -> list[str]:
    listing = run_ferry("plugins", "--format", "json").json()
    return [p["name"] for p in listing if p["kind"] == "backend" and not p["error"]]


class CliBasics(unittest.TestCase):
    def test_version_names_abi(self):
        result = run_ferry("--version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^ferry \d+\.\d+\.\d+ \(plugin ABI 1\)")

    def test_copy_help_warns_about_argv_passwords(self):
        result = run_ferry("copy", "--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("FERRY_SRC_PASSWORD", result.stdout)
        self.assertIn("visible to other local users", result.stdout)
        self.assertIn("Examples:", result.stdout)

    def test_plugins_lists_shipped_plugins(self):
        listing = run_ferry("plugins", "--format", "json").json()
        names = {p["name"]: p for p in listing if not p["error"]}
        self.assertIn("input", names)
        self.assertEqual(names["input"]["kind"], "credential-source")
        self.assertEqual(names["input"]["abi"], 1)
        self.assertTrue(names["input"]["file"].endswith("/lib/ferry/plugins/ferry-input.so"))

    def test_unexpected_argument_not_echoed(self):
        result = run_ferry("copy", "alpine", "mirror.example.com/alpine", "s3cr3t-misplaced-password")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unexpected arguments", result.stderr)
        self.assertNotIn("s3cr3t-misplaced-password", result.stderr + result.stdout)

    def test_missing_arguments_exit_usage(self):
        self.assertEqual(run_ferry("copy", "only-one").returncode, 2)

    def test_parse_error_with_json_format_prints_json(self):
        result = run_ferry("copy", "--format", "json", "--retry-times", "500", "a", "b")
        self.assertEqual(result.returncode, 2)
        report = json.loads(result.stdout)
        self.assertEqual(report["exit_code"], 2)
        self.assertIn("--retry-times", report["error"])

    def test_tls_verify_with_space_hints_equals(self):
        result = run_ferry("copy", "--src-tls-verify", "false", "a", "b")
        self.assertEqual(result.returncode, 2)
        self.assertIn("write --src-tls-verify=false, with '='", result.stderr)

    def test_parse_error_in_actions_escapes_line_break(self):
        # A value with a line break must not start a workflow command of its own.
        result = run_ferry("copy", "--src-cert-dir", "/missing\n::warning::injected", "a", "b",
                           env=clean_env(GITHUB_ACTIONS="true"))
        self.assertEqual(result.returncode, 2)
        self.assertTrue(result.stderr.startswith("::error"), result.stderr)
        self.assertIn("%0A::warning::injected", result.stderr)
        self.assertNotIn("\n::warning::", result.stderr)

    def test_seconds_out_of_range_names_bounds(self):
        for option, value, expected in [("--timeout", "-1", 'expected seconds from 0 to 86400, got "-1"'),
                                        ("--stall-timeout", "soon", 'expected seconds from 1 to 86400, got "soon"')]:
            with self.subTest(option=option):
                result = run_ferry("copy", option, value, "a", "b")
                self.assertEqual(result.returncode, 2)
                self.assertIn(f"{option}: {expected}", result.stderr)

    def test_upload_chunk_size_below_minimum_rejected(self):
        result = run_ferry("copy", "--upload-chunk-size", "64KiB", "a", "b")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--upload-chunk-size 64KiB: use 0 (one request per blob) or at least 1MiB", result.stderr)
        result = run_ferry("copy", "--upload-chunk-size", "32QB", "a", "b")
        self.assertEqual(result.returncode, 2)
        self.assertIn('--upload-chunk-size "32QB"', result.stderr)


class ValidationBeforeNetwork(unittest.TestCase):
    """Bad input fails with exit code 2 and sends nothing to the registry.

    The tests use a registry of their own, because other tests send requests to the shared ones
    at the same time."""

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory(dir=WORK)
        cls.registry = Registry(Path(cls.directory.name), name="quiet").start()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        cls.directory.cleanup()

    def assert_rejected_without_traffic(self, args: list[str], expected: str, env=None):
        registry = self.registry
        before = count_requests(registry.access_log)
        result = run_ferry(*args, env=env)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(expected, result.stderr)
        self.assertEqual(count_requests(registry.access_log), before)
        return result

    def test_uppercase_repository_names_component(self):
        registry = self.registry
        self.assert_rejected_without_traffic(
            ["copy", "--dest-tls-verify=false", docker_ref(registry, "mirror/Busybox:v1"),
             docker_ref(registry, "mirror/ok:v1")], '"Busybox"')

    def test_invalid_digest_rejected(self):
        registry = self.registry
        self.assert_rejected_without_traffic(
            ["copy", docker_ref(registry, "a/b@sha256:abc"), docker_ref(registry, "c/d:v1")], "sha256 needs 64")

    def test_credentials_in_reference_rejected_unshown(self):
        registry = self.registry
        result = self.assert_rejected_without_traffic(
            ["copy", f"docker://alice:pa55word@{registry.host}/a/b:v1", docker_ref(registry, "c/d:v1")],
            "cannot carry credentials")
        self.assertNotIn("pa55word", result.stderr + result.stdout)

    def test_digestfile_directory_rejected(self):
        registry = self.registry
        self.assert_rejected_without_traffic(
            ["copy", "--dest-tls-verify=false", "--digestfile", str(WORK), docker_ref(registry, "a/b:v1"),
             docker_ref(registry, "c/d:v1")], "is a directory")

    def test_digestfile_in_missing_directory_rejected(self):
        registry = self.registry
        self.assert_rejected_without_traffic(
            ["copy", "--dest-tls-verify=false", "--digestfile", str(WORK / "no-such-dir" / "digest"),
             docker_ref(registry, "a/b:v1"), docker_ref(registry, "c/d:v1")], "cannot be created (No such file")
        self.assertFalse((WORK / "no-such-dir").exists())

    def test_platform_in_uname_spelling_accepted(self):
        # Normalised to linux/amd64 before any traffic: the copy then fails only on the missing image.
        registry = self.registry
        result = run_ferry("copy", "--platform", "Linux/X86_64", "--src-tls-verify=false", "--dest-tls-verify=false",
                           docker_ref(registry, "missing/image:v1"), docker_ref(registry, "c/d:v1"))
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertNotIn("invalid platform", result.stderr)

    def test_unsupported_transport_rejected(self):
        self.assert_rejected_without_traffic(["copy", "docker-archive:/tmp/x.tar", "oci:/tmp/y"],
                                             '"docker-archive"')

    def test_creds_without_colon_hides_value(self):
        registry = self.registry
        result = self.assert_rejected_without_traffic(
            ["copy", "--dest-tls-verify=false", docker_ref(registry, "a/b:v1"), docker_ref(registry, "c/d:v1")],
            "FERRY_SRC_CREDS has no ':'", env=clean_env(FERRY_SRC_CREDS="justauser-secretvalue"))
        self.assertNotIn("justauser-secretvalue", result.stderr)

    def test_username_without_password_rejected(self):
        registry = self.registry
        self.assert_rejected_without_traffic(
            ["copy", "--src-username", "bob", docker_ref(registry, "a/b:v1"), docker_ref(registry, "c/d:v1")],
            "without a password")

    def test_unknown_backend_lists_available(self):
        registry = self.registry
        result = self.assert_rejected_without_traffic(
            ["copy", "--backend", "teleport", docker_ref(registry, "a/b:v1"), docker_ref(registry, "c/d:v1")],
            'unknown backend "teleport"')
        self.assertIn("available:", result.stderr)

    def test_unknown_credential_source_rejected(self):
        registry = self.registry
        self.assert_rejected_without_traffic(
            ["copy", "--creds-from", "input,carrier-pigeon", docker_ref(registry, "a/b:v1"),
             docker_ref(registry, "c/d:v1")], 'unknown credential source "carrier-pigeon"')

    def test_invalid_platform_rejected(self):
        registry = self.registry
        self.assert_rejected_without_traffic(
            ["copy", "--platform", "linux", docker_ref(registry, "a/b:v1"), docker_ref(registry, "c/d:v1")],
            'invalid platform "linux"')

    def test_both_password_stdin_rejected(self):
        registry = self.registry
        self.assert_rejected_without_traffic(
            ["copy", "--src-username", "a", "--src-password-stdin", "--dest-username", "b",
             "--dest-password-stdin", docker_ref(registry, "a/b:v1"), docker_ref(registry, "c/d:v1")],
            "cannot both read standard input")

    def test_destination_tag_and_digest_rejected(self):
        registry = self.registry
        digest = "sha256:" + "0" * 64
        self.assert_rejected_without_traffic(
            ["copy", docker_ref(registry, "a/b:v1"), docker_ref(registry, f"c/d:v1@{digest}")],
            "has both a tag and a digest")


class CredsWhich(unittest.TestCase):
    def test_input_source_reports_user_not_password(self):
        env = clean_env(FERRY_SRC_CREDS="puller:pa:ss w0rd$")
        result = run_ferry("creds", "which", "--creds-from", "input", "registry.example.com/team/app:1", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('registry.example.com: input (FERRY_SRC_CREDS), user "puller", password', result.stdout)
        self.assertNotIn("pa:ss", result.stdout + result.stderr)

    def test_destination_side_uses_dest_options(self):
        env = clean_env(FERRY_SRC_CREDS="puller:one", FERRY_DEST_USERNAME="pusher", FERRY_DEST_PASSWORD="two2")
        result = run_ferry("creds", "which", "--side", "destination", "--creds-from", "input",
                           "registry.example.com/team/app:1", env=env)
        self.assertIn('user "pusher"', result.stdout)

    def test_no_credentials_means_anonymous(self):
        result = run_ferry("creds", "which", "--creds-from", "input", "alpine")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("docker.io: anonymous", result.stdout)


class CopyResultOutput(unittest.TestCase):
    """Result reporting, with every backend that is built."""

    @classmethod
    def setUpClass(cls):
        cls.backends = available_backends()
        if not cls.backends:
            raise unittest.SkipTest("no copy backend is built")
        cls.registry = plain_registry()
        cls.repo = unique_repo("cli/source")
        cls.digest = seed(IMAGES / "multiarch", "v1", cls.registry, f"{cls.repo}:v1")

    def test_json_and_digestfile_match_registry(self):
        for backend in self.backends:
            with self.subTest(backend=backend), tempfile.TemporaryDirectory() as tmp:
                destination = unique_repo(f"cli/{backend}")
                digestfile = Path(tmp) / "digest"
                result = run_ferry("copy", "--backend", backend, "--format", "json", "--digestfile",
                                   str(digestfile), "--src-tls-verify=false", "--dest-tls-verify=false",
                                   docker_ref(self.registry, f"{self.repo}:v1"),
                                   docker_ref(self.registry, f"{destination}:V1-Upper"))
                self.assertEqual(result.returncode, 0, result.stderr)
                report = result.json()
                self.assertEqual(report["digest"], self.digest)
                self.assertEqual(report["backend"], backend)
                self.assertEqual(sorted(report["platforms"]), ["linux/amd64", "linux/arm64/v8"])
                self.assertEqual(digestfile.read_text(), self.digest)
                self.assertEqual(manifest_digest(self.registry, destination, "V1-Upper"), self.digest)

    def test_tag_and_matching_digest_copies_by_digest(self):
        for backend in self.backends:
            with self.subTest(backend=backend):
                destination = unique_repo(f"cli/{backend}")
                result = run_ferry("copy", "--backend", backend, "--format", "json", "--src-tls-verify=false",
                                   "--dest-tls-verify=false",
                                   docker_ref(self.registry, f"{self.repo}:v1@{self.digest}"),
                                   docker_ref(self.registry, f"{destination}:v1"))
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.json()["digest"], self.digest)
                self.assertEqual(result.json()["source"],
                                 docker_ref(self.registry, f"{self.repo}@{self.digest}"))

    def test_tag_and_other_digest_refused_before_transfer(self):
        wrong = "sha256:" + "1" * 64
        for backend in self.backends:
            with self.subTest(backend=backend):
                destination = unique_repo(f"cli/{backend}")
                source_blobs = rf"^/v2/{self.repo}/blobs/"
                blob_reads = count_requests(self.registry.access_log, method="GET", path_regex=source_blobs)
                result = run_ferry("copy", "--backend", backend, "--src-tls-verify=false", "--dest-tls-verify=false",
                                   docker_ref(self.registry, f"{self.repo}:v1@{wrong}"),
                                   docker_ref(self.registry, f"{destination}:v1"))
                self.assertEqual(result.returncode, 1)
                self.assertIn(f"resolves to {self.digest}, not {wrong}", result.stderr)
                self.assertEqual(count_requests(self.registry.access_log, method="GET", path_regex=source_blobs),
                                 blob_reads)
                self.assertEqual(count_requests(self.registry.access_log, method="PUT",
                                                path_regex=rf"/v2/{destination}/"), 0)


if __name__ == "__main__":
    unittest.main()
