"""Copies over a bad network: a fault-injection proxy in front of a real docker-registry.

Each scenario puts tests/support/fault_proxy.py in front of the source or the destination
registry and runs ferry with the native and the skopeo backend. The native backend resumes
downloads with Range, times out stalled attempts and retries by the core's retry policy. The
skopeo backend cannot resume or time out; ferry reruns skopeo after a transient failure, and
--deadline stops it.

The 64 MiB image comes from tests/support/images/build-random-image.sh (one layer of random
data), built into $FERRY_TEST_WORK/images/random-64 on first use.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from fault_proxy import Bandwidth, FaultProxy, Reset, Respond, Stall
from ferrytest import IMAGES, SOURCE_DIR, WORK, clean_env, run_ferry, unique_repo
from registry import Registry, manifest_digest, seed

MIB = 1 << 20
LAYER_MIB = 64
BACKENDS = ("native", "skopeo")
NAME_UNKNOWN_BODY = json.dumps({"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known",
                                            "detail": {"name": "mirror"}}]})


def build_random_image() -> Path:
    layout = IMAGES / f"random-{LAYER_MIB}"
    if not (layout / "index.json").exists():
        subprocess.run(["bash", str(SOURCE_DIR / "tests/support/images/build-random-image.sh"), str(layout),
                        str(LAYER_MIB), "1"], check=True, capture_output=True, timeout=600)
    return layout


def layer_size(layout: Path) -> int:
    index = json.loads((layout / "index.json").read_text())
    manifest_digest_text = index["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs" / "sha256" / manifest_digest_text.split(":", 1)[1]).read_text())
    return sum(layer["size"] for layer in manifest["layers"])


class BadNetworkTest(unittest.TestCase):
    """Two private registries on tmpfs: `source` serves the images, `destination` receives them."""

    @classmethod
    def setUpClass(cls):
        if shutil.which("skopeo") is None or shutil.which("docker-registry") is None:
            raise unittest.SkipTest("skopeo and docker-registry are needed")
        cls.work = Path(tempfile.mkdtemp(prefix="ferry-badnet-", dir="/dev/shm"))
        cls.source = Registry(cls.work / "source", storage_dir=cls.work / "source-storage").start()
        cls.destination = Registry(cls.work / "destination", storage_dir=cls.work / "destination-storage").start()
        cls.large = build_random_image()
        cls.large_layer = layer_size(cls.large)
        cls.large_digest = seed(cls.large, "v1", cls.source, "bad/large:v1")
        cls.small_digest = seed(IMAGES / "single", "v1", cls.source, "bad/small:v1")

    @classmethod
    def tearDownClass(cls):
        cls.source.stop()
        cls.destination.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------

    def copy(self, backend: str, source_host: str, destination_host: str, image: str, *extra: str,
             timeout: float = 600):
        """Copy bad/IMAGE:v1 to a new repository and return (result, repository, seconds)."""
        repository = unique_repo(f"mirror-{backend}")
        started = time.monotonic()
        result = run_ferry("copy", "--backend", backend, "--creds-from", "input", "--format", "json",
                           "--src-tls-verify=false", "--dest-tls-verify=false", *extra,
                           f"docker://{source_host}/bad/{image}:v1", f"docker://{destination_host}/{repository}:v1",
                           env=clean_env(), timeout=timeout)
        return result, repository, time.monotonic() - started

    def assert_copied(self, result, repository: str, digest: str):
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], digest)
        self.assertEqual(manifest_digest(self.destination, repository, "v1"), digest)

    def assert_not_tagged(self, repository: str):
        self.assertIsNone(self.tag_digest(repository))

    def tag_digest(self, repository: str):
        try:
            return manifest_digest(self.destination, repository, "v1")
        except Exception:  # noqa: BLE001 (any failure to read the tag means it is not there)
            return None

    # --- the HTTPS probe ----------------------------------------------------------------------

    def test_tls_client_hello_answered_with_400(self):
        with FaultProxy(self.source.url) as proxy:
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as probe:
                # The start of a TLS record: handshake (0x16), version 3.1, a length.
                probe.sendall(b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03")
                reply = b""
                while chunk := probe.recv(4096):
                    reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), reply)

    def test_native_https_probe_falls_back_at_once(self):
        with FaultProxy(self.source.url) as proxy:
            # The default stall-timeout (60 s) would end a probe that the proxy leaves unanswered.
            result, repository, seconds = self.copy("native", proxy.host, self.destination.host, "small")
        self.assert_copied(result, repository, self.small_digest)
        self.assertLess(seconds, 20)

    # --- connection resets ------------------------------------------------------------------

    def test_download_reset_native_resumes_with_range(self):
        rule = Reset(after_bytes=10 * MIB, direction="down", method="GET", path=r"/blobs/sha256:", times=1)
        with FaultProxy(self.source.url, rules=[rule]) as proxy:
            result, repository, _ = self.copy("native", proxy.host, self.destination.host, "large")
        self.assert_copied(result, repository, self.large_digest)
        self.assertEqual(rule.fired, 1)
        self.assertIn("resuming at byte", result.stderr)
        self.assertIn("(resume 1 of 3)", result.stderr)
        self.assertLess(proxy.bytes_down, 1.3 * self.large_layer)

    def test_download_reset_skopeo_completes(self):
        rule = Reset(after_bytes=10 * MIB, direction="down", method="GET", path=r"/blobs/sha256:", times=1)
        with FaultProxy(self.source.url, rules=[rule]) as proxy:
            result, repository, _ = self.copy("skopeo", proxy.host, self.destination.host, "large")
        self.assert_copied(result, repository, self.large_digest)
        self.assertEqual(rule.fired, 1)
        # skopeo 1.9.3 has no Range resume: the broken layer is read again from its first byte.
        self.assertGreater(proxy.bytes_down, self.large_layer + 10 * MIB - MIB)

    def test_upload_reset_native_restarts_blob(self):
        rule = Reset(after_bytes=10 * MIB, direction="up", method="PATCH|PUT", path=r"/blobs/uploads/", times=1)
        with FaultProxy(self.destination.url, rules=[rule]) as proxy:
            result, repository, _ = self.copy("native", self.source.host, proxy.host, "large")
        self.assert_copied(result, repository, self.large_digest)
        self.assertEqual(rule.fired, 1)
        self.assertLess(proxy.bytes_up, 1.3 * self.large_layer)

    def test_upload_cut_per_connection_native_no_resets(self):
        # Chunks of 16 MiB, each on a connection of its own, stay below a 24 MiB cut.
        rule = Reset(every_bytes=24 * MIB, direction="up")
        with FaultProxy(self.destination.url, rules=[rule]) as proxy:
            result, repository, _ = self.copy("native", self.source.host, proxy.host, "large",
                                              "--upload-chunk-size", "16MiB")
        self.assert_copied(result, repository, self.large_digest)
        self.assertEqual(rule.fired, 0, result.stderr)
        self.assertLess(proxy.bytes_up, self.large_layer + MIB)
        self.assertGreaterEqual(proxy.connections, self.large_layer // (16 * MIB))

    def test_upload_cut_below_chunk_native_halves(self):
        rule = Reset(every_bytes=12 * MIB, direction="up")
        with FaultProxy(self.destination.url, rules=[rule]) as proxy:
            result, repository, _ = self.copy("native", self.source.host, proxy.host, "large", "--retry-times", "1")
        self.assert_copied(result, repository, self.large_digest)
        self.assertIn("uploading in chunks of 16777216 bytes", result.stderr)
        self.assertIn("uploading in chunks of 8388608 bytes", result.stderr)
        # The two broken chunks cost at most their own size each; the rest crosses once.
        self.assertLess(proxy.bytes_up, self.large_layer + 2 * 12 * MIB + 2 * MIB)

    def test_upload_cut_below_floor_native_hints(self):
        rule = Reset(every_bytes=3 * MIB, direction="up")
        with FaultProxy(self.destination.url, rules=[rule]) as proxy:
            result, repository, _ = self.copy("native", self.source.host, proxy.host, "large", "--retry-times", "1",
                                              "--upload-chunk-size", "8MiB")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("set a smaller --upload-chunk-size (such as 1MiB)", result.stderr)
        self.assert_not_tagged(repository)

    def test_upload_slower_than_timeout_native_names_timeout(self):
        rule = Bandwidth(bytes_per_second=4 * MIB, direction="up")
        with FaultProxy(self.destination.url, rules=[rule]) as proxy:
            result, repository, _ = self.copy("native", self.source.host, proxy.host, "large", "--retry-times", "0",
                                              "--timeout", "2")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("one request may take at most --timeout 2 s", result.stderr)
        self.assert_not_tagged(repository)

    def test_upload_reset_skopeo_completes(self):
        rule = Reset(after_bytes=10 * MIB, direction="up", method="PATCH|PUT", path=r"/blobs/uploads/", times=1)
        with FaultProxy(self.destination.url, rules=[rule]) as proxy:
            result, repository, _ = self.copy("skopeo", self.source.host, proxy.host, "large")
        self.assert_copied(result, repository, self.large_digest)
        self.assertEqual(rule.fired, 1)

    # --- error responses --------------------------------------------------------------------

    def test_bad_gateway_on_first_ping_retried(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                rule = Respond(status=502, method="GET", path=r"^/v2/$", times=1)
                with FaultProxy(self.destination.url, rules=[rule]) as proxy:
                    result, repository, _ = self.copy(backend, self.source.host, proxy.host, "small")
                self.assert_copied(result, repository, self.small_digest)
                self.assertEqual(rule.fired, 1)
                if backend == "native":
                    self.assertIn("HTTP 502", result.stderr)
                    self.assertIn("retry 1 of 3", result.stderr)

    def test_server_error_on_first_manifest_put_retried(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                rule = Respond(status=500, method="PUT", path=r"/manifests/", times=1)
                with FaultProxy(self.destination.url, rules=[rule]) as proxy:
                    result, repository, _ = self.copy(backend, self.source.host, proxy.host, "small")
                self.assert_copied(result, repository, self.small_digest)
                self.assertEqual(rule.fired, 1)
                self.assertIn("500", result.stderr)

    def test_server_error_on_blob_upload_native_retried(self):
        # The closing PUT of the large layer and a PATCH of it each fail once with 500.
        rules = [Respond(status=500, method="PUT", path=r"/blobs/uploads/.*digest=", times=1),
                 Respond(status=500, method="PATCH", path=r"/blobs/uploads/", times=1)]
        with FaultProxy(self.destination.url, rules=rules) as proxy:
            result, repository, _ = self.copy("native", self.source.host, proxy.host, "large")
        self.assert_copied(result, repository, self.large_digest)
        self.assertEqual([rule.fired for rule in rules], [1, 1])
        self.assertLess(proxy.bytes_up, self.large_layer + 40 * MIB)

    def test_three_unavailable_in_a_row_retried(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                rule = Respond(status=503, times=3)
                with FaultProxy(self.source.url, rules=[rule]) as proxy:
                    result, repository, _ = self.copy(backend, proxy.host, self.destination.host, "small",
                                                      "--retry-times", "3", "--retry-delay", "0.2")
                self.assert_copied(result, repository, self.small_digest)
                self.assertEqual(rule.fired, 3)

    def test_rate_limit_on_manifest_put_honours_retry_after(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                rule = Respond(status=429, headers={"Retry-After": "2"}, method="PUT", path=r"/manifests/", times=2)
                with FaultProxy(self.destination.url, rules=[rule]) as proxy:
                    result, repository, seconds = self.copy(backend, self.source.host, proxy.host, "small",
                                                            "--retry-delay", "0.1")
                self.assert_copied(result, repository, self.small_digest)
                self.assertEqual(rule.fired, 2)
                self.assertIn("rate limited", result.stderr)
                if backend == "native":
                    # Two waits of at least the 2 s the registry asked for.
                    self.assertGreaterEqual(seconds, 4.0)

    # --- stalls -------------------------------------------------------------------------------

    def test_stalled_blob_put_native_times_out_and_recovers(self):
        rule = Stall(seconds=120, method="PUT", path=r"/blobs/uploads/", times=1)
        with FaultProxy(self.destination.url, rules=[rule]) as proxy:
            result, repository, seconds = self.copy("native", self.source.host, proxy.host, "large",
                                                    "--stall-timeout", "3", timeout=300)
        self.assert_copied(result, repository, self.large_digest)
        self.assertEqual(rule.fired, 1)
        self.assertIn("stall-timeout", result.stderr)
        self.assertLess(seconds, 60)

    def test_stalled_blob_put_skopeo_stopped_by_deadline(self):
        rule = Stall(seconds=120, method="PUT", path=r"/blobs/uploads/", times=1)
        with FaultProxy(self.destination.url, rules=[rule]) as proxy:
            result, repository, seconds = self.copy("skopeo", self.source.host, proxy.host, "small",
                                                    "--deadline", "8", timeout=300)
        # skopeo 1.9.3 has no per-request timeout, so only the deadline ends the wait.
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("deadline", result.stderr)
        self.assertLess(seconds, 40)
        self.assert_not_tagged(repository)

    # --- permanent failures -------------------------------------------------------------------

    def test_payload_too_large_fails_at_once(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                rule = Respond(status=413, method="PATCH", path=r"/blobs/uploads/")
                with FaultProxy(self.destination.url, rules=[rule]) as proxy:
                    result, repository, seconds = self.copy(backend, self.source.host, proxy.host, "large")
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("413", result.stderr)
                self.assertLess(seconds, 30)
                self.assertNotRegex(result.stderr, r"(retry|resume) 1 of")
                self.assert_not_tagged(repository)
                if backend == "native":
                    self.assertIn("larger than the registry", result.stderr)

    def test_name_unknown_fails_before_layers(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                rule = Respond(status=404, body=NAME_UNKNOWN_BODY, headers={"Content-Type": "application/json"},
                               method="POST", path=r"/blobs/uploads/")
                with FaultProxy(self.destination.url, rules=[rule]) as proxy:
                    result, repository, seconds = self.copy(backend, self.source.host, proxy.host, "large")
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("NAME_UNKNOWN" if backend == "native" else "name unknown", result.stderr)
                # skopeo 1.9.3 spends its own --retry-times backoff before it gives up.
                self.assertLess(seconds, 15 if backend == "native" else 60)
                self.assertLess(proxy.bytes_up, MIB)
                self.assert_not_tagged(repository)

    def test_registry_that_keeps_failing_bounded_by_retries(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                rule = Respond(status=503)
                with FaultProxy(self.destination.url, rules=[rule]) as proxy:
                    result, repository, seconds = self.copy(backend, self.source.host, proxy.host, "small",
                                                            "--retry-times", "2", "--retry-delay", "0.1")
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("gave up after 3", result.stderr)
                self.assertIn("--retry-times", result.stderr)
                # Each skopeo run also spends skopeo's own --retry-times backoff.
                self.assertLess(seconds, 30 if backend == "native" else 180)

    def test_registry_that_keeps_failing_bounded_by_deadline(self):
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                rule = Respond(status=503)
                with FaultProxy(self.destination.url, rules=[rule]) as proxy:
                    result, repository, seconds = self.copy(backend, self.source.host, proxy.host, "small",
                                                            "--retry-times", "100", "--retry-delay", "1",
                                                            "--deadline", "4")
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("deadline", result.stderr)
                self.assertLess(seconds, 20)


class TokenEndpointRateLimit(unittest.TestCase):
    """A 429 with Retry-After from the token service, not the registry, on the first token request."""

    def test_token_429_retried_and_reported_as_rate_limit(self):
        from registry_config import TokenAuth
        from support_token_issuer import ISSUER, SERVICE, TokenIssuer

        workdir = Path(tempfile.mkdtemp(prefix="badnet-token-", dir=WORK))
        self.addCleanup(shutil.rmtree, workdir, True)
        password = "token-429-pass"
        with TokenIssuer(workdir / "issuer", users={"mirror": password}) as issuer, \
                FaultProxy(issuer.realm.rsplit("/", 1)[0],
                           rules=[Respond(status=429, headers={"Retry-After": "2"}, method="GET",
                                          path=r"^/token", times=1)]) as proxy:
            token_auth = TokenAuth(realm=f"{proxy.url}/token", service=SERVICE, issuer=ISSUER,
                                   rootcertbundle=issuer.cert_file)
            with Registry(workdir, name="token-429", token_auth=token_auth) as registry:
                started = time.monotonic()
                result = run_ferry("copy", "--backend", "native", "--creds-from", "input", "--format", "json",
                                   "--dest-tls-verify=false", f"oci:{IMAGES / 'single'}:v1",
                                   f"docker://{registry.host}/team/app:v1",
                                   env=clean_env(FERRY_DEST_USERNAME="mirror", FERRY_DEST_PASSWORD=password))
                elapsed = time.monotonic() - started

                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("rate limit", result.stderr)
                self.assertGreaterEqual(elapsed, 1.9)
                self.assertEqual(len([r for r in issuer.recorded() if r.granted]), 1)
                index = json.loads((IMAGES / "single" / "index.json").read_text())
                self.assertEqual(result.json()["digest"], index["manifests"][0]["digest"])


if __name__ == "__main__":
    unittest.main()
