"""Tests of fault_proxy against a real docker-registry, skopeo and curl, all on 127.0.0.1.

Needs docker-registry, skopeo and curl. The skopeo copy test also needs the
test images, which build-test-images.sh builds (the first run downloads
busybox-static from the Debian mirrors). Set FERRY_TEST_WORK to keep images
and the package cache between runs.

Run from tests/support: python3 -m unittest test_fault_proxy -v
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from types import SimpleNamespace

SUPPORT_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SUPPORT_DIR))

from fault_proxy import Bandwidth, FaultProxy, Reset, Respond, Stall, rules_from_json  # noqa: E402
from registry import Registry, count_requests, find_free_port, manifest_digest, seed, skopeo_copy  # noqa: E402
from registry import wait_for_request_count  # noqa: E402

FAULT_PROXY = SUPPORT_DIR / "fault_proxy.py"
BUILD_TEST_IMAGES = SUPPORT_DIR / "images" / "build-test-images.sh"
REQUIRED_TOOLS = ("docker-registry", "skopeo", "curl")
BLOB_REPO = "fault/blob"
BLOB_SIZE = 2 << 20
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CURL_TIMEOUT_SECONDS = 30

# Set by setUpModule.
RUN_DIR: Path
WORK_DIR: Path
REGISTRY: Registry
BLOB: bytes
BLOB_DIGEST: str
BLOB_FILE: Path


def setUpModule() -> None:
    global RUN_DIR, WORK_DIR, REGISTRY, BLOB, BLOB_DIGEST, BLOB_FILE
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise unittest.SkipTest(f"missing tools: {', '.join(missing)}")

    if os.environ.get("FERRY_TEST_WORK"):
        WORK_DIR = Path(os.environ["FERRY_TEST_WORK"]).resolve()
        WORK_DIR.mkdir(parents=True, exist_ok=True)
    else:
        WORK_DIR = Path(tempfile.mkdtemp(prefix="ferry-fault-proxy-"))
        unittest.addModuleCleanup(shutil.rmtree, WORK_DIR, ignore_errors=True)
    RUN_DIR = Path(tempfile.mkdtemp(prefix="fault-proxy-", dir=WORK_DIR))
    unittest.addModuleCleanup(shutil.rmtree, RUN_DIR, ignore_errors=True)

    REGISTRY = Registry(RUN_DIR).start()
    unittest.addModuleCleanup(REGISTRY.stop)
    BLOB = os.urandom(BLOB_SIZE)
    BLOB_DIGEST = push_blob(REGISTRY, BLOB_REPO, BLOB)
    BLOB_FILE = RUN_DIR / "blob"
    BLOB_FILE.write_bytes(BLOB)


# --- Helpers --------------------------------------------------------------------


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def registry_request(registry, method: str, path: str, body: bytes | None = None,
                     headers: dict | None = None) -> http.client.HTTPResponse:
    """Send one request straight to the registry, bypassing any proxy, and read the whole response."""
    connection = http.client.HTTPConnection(registry.host, timeout=CURL_TIMEOUT_SECONDS)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def start_upload(registry, repo: str) -> str:
    """Open a blob upload session on the registry and return its absolute upload URL."""
    response = registry_request(registry, "POST", f"/v2/{repo}/blobs/uploads/")
    assert response.status == 202, f"POST upload returned {response.status}: {response.body!r}"
    return response.getheader("Location")


def push_blob(registry, repo: str, data: bytes) -> str:
    """Push data as a blob with a monolithic upload straight to the registry and return its digest."""
    digest = sha256_digest(data)
    location = start_upload(registry, repo)
    response = registry_request(registry, "PUT", f"{location}&digest={digest}", body=data,
                                headers={"Content-Type": "application/octet-stream"})
    assert response.status == 201, f"blob PUT returned {response.status}: {response.body!r}"
    return digest


def via_proxy(url: str, proxy: FaultProxy) -> str:
    """Return url, an absolute URL at the registry, pointed at the proxy instead."""
    return url.replace(REGISTRY.url, proxy.url, 1)


def blob_url(base_url: str, digest: str = "", repo: str = BLOB_REPO) -> str:
    return f"{base_url}/v2/{repo}/blobs/{digest or BLOB_DIGEST}"


def curl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run curl without any proxy from the environment. Output is bytes."""
    command = ["curl", "--silent", "--show-error", "--noproxy", "*", *args]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=CURL_TIMEOUT_SECONDS, check=False)


def timed_curl(*args: str, stdin: bytes | None = None) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = curl(*args, stdin=stdin)
    return result, time.monotonic() - started


def upload_data_file(registry: Registry, repo: str, upload_url: str) -> Path:
    """Return the file in which the registry's filesystem driver keeps the bytes of an open upload."""
    upload_id = upload_url.split("/blobs/uploads/", 1)[1].split("?", 1)[0]
    return registry.storage_dir / "docker/registry/v2/repositories" / repo / "_uploads" / upload_id / "data"


def wait_for_file_size(path: Path, expected: int, timeout: float = 5.0) -> int:
    """Poll the size of path until it equals expected or timeout seconds pass; return the last size, -1 if absent."""
    deadline = time.monotonic() + timeout
    while True:
        size = path.stat().st_size if path.exists() else -1
        if size == expected or time.monotonic() > deadline:
            return size
        time.sleep(0.02)  # polling interval, bounded by the deadline


def proxy_endpoint(proxy: FaultProxy) -> SimpleNamespace:
    """Describe the proxy as an anonymous plain-HTTP registry for the skopeo helpers."""
    return SimpleNamespace(host=proxy.host, url=proxy.url, ca_file=None, cert_dir=None, username=None, password=None)


def poll_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)  # polling interval, bounded by the deadline
    return True


# --- Pass-through ------------------------------------------------------------------


class PassThroughTest(unittest.TestCase):
    def test_skopeo_copy_keeps_digest(self):
        images = WORK_DIR / "images"
        build = subprocess.run(
            ["bash", str(BUILD_TEST_IMAGES), str(images)], capture_output=True, text=True, check=False,
            env=os.environ | {"FERRY_TEST_CACHE": str(WORK_DIR / "cache")},
        )
        if build.returncode != 0:
            self.skipTest(f"test images could not be built: {build.stderr.strip()[-500:]}")
        source_digest = seed(images / "multiarch", "v1", REGISTRY, "fault/multiarch:v1")

        with FaultProxy(REGISTRY.url) as proxy:
            endpoint = proxy_endpoint(proxy)
            copied_digest = skopeo_copy(f"docker://{proxy.host}/fault/multiarch:v1",
                                        f"docker://{proxy.host}/fault/multiarch-copy:v1",
                                        src_registry=endpoint, dest_registry=endpoint)
            manifest_puts = [r for r in proxy.requests if r.method == "PUT" and "/manifests/" in r.path]

        self.assertEqual(copied_digest, source_digest)
        self.assertEqual(manifest_digest(REGISTRY, "fault/multiarch-copy", "v1"), source_digest)
        self.assertEqual(len(manifest_puts), 3)  # the index and its two image manifests
        self.assertTrue(all(r.status == 201 for r in manifest_puts), manifest_puts)

    def test_download_counts_match_blob_size(self):
        output = RUN_DIR / "download-counts"

        with FaultProxy(REGISTRY.url) as proxy:
            result = curl("-o", str(output), blob_url(proxy.url))
            record, = proxy.wait_for_requests(1)

            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(sha256_digest(output.read_bytes()), BLOB_DIGEST)
            self.assertEqual(record.status, 200)
            self.assertEqual(record.bytes_down, proxy.bytes_down)
            self.assertGreater(proxy.bytes_down, BLOB_SIZE)
            self.assertLess(proxy.bytes_down, BLOB_SIZE + 1024)  # the response head
            self.assertLess(proxy.bytes_up, 1024)  # the request head

    def test_upload_counts_match_blob_size(self):
        data = os.urandom(700_000)
        source = RUN_DIR / "upload-counts"
        source.write_bytes(data)
        location = start_upload(REGISTRY, BLOB_REPO)

        with FaultProxy(REGISTRY.url) as proxy:
            result = curl("-T", str(source), "-H", "Content-Type: application/octet-stream", "-w", "%{http_code}",
                          "-o", "/dev/null", via_proxy(f"{location}&digest={sha256_digest(data)}", proxy))
            record, = proxy.wait_for_requests(1)

            self.assertEqual(result.stdout, b"201", result.stderr)
            self.assertEqual(record.bytes_up, proxy.bytes_up)
            self.assertGreater(proxy.bytes_up, len(data))
            self.assertLess(proxy.bytes_up, len(data) + 2048)  # the request head with its long upload URL
            self.assertLess(proxy.bytes_down, 1024)

    def test_keep_alive_reuses_connection(self):
        with FaultProxy(REGISTRY.url) as proxy:
            result = curl("-o", "/dev/null", "-o", "/dev/null", f"{proxy.url}/v2/", blob_url(proxy.url))
            records = proxy.wait_for_requests(2)

            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual([r.status for r in records], [200, 200])
            self.assertEqual(proxy.connections, 1)

    def test_parallel_downloads_complete(self):
        count = 8
        outputs = [RUN_DIR / f"parallel-{i}" for i in range(count)]
        arguments = []
        for output in outputs:
            arguments += ["-o", str(output)]

        with FaultProxy(REGISTRY.url) as proxy:
            result = curl("--parallel", "--parallel-immediate", "--parallel-max", str(count), *arguments,
                          *[blob_url(proxy.url)] * count)
            records = proxy.wait_for_requests(count)

            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(len(records), count)
            self.assertGreater(proxy.connections, 1)
        for output in outputs:
            self.assertEqual(sha256_digest(output.read_bytes()), BLOB_DIGEST, output)

    def test_location_at_upstream_rewritten(self):
        headers = RUN_DIR / "location-headers"

        with FaultProxy(REGISTRY.url) as proxy:
            # The registry builds Location from the Host header, so this Host makes it point at the upstream.
            result = curl("-X", "POST", "-H", f"Host: {REGISTRY.host}", "-D", str(headers), "-o", "/dev/null",
                          f"{proxy.url}/v2/{BLOB_REPO}/blobs/uploads/")

        self.assertEqual(result.returncode, 0, result.stderr)
        location = [line for line in headers.read_text().splitlines() if line.lower().startswith("location:")]
        self.assertEqual(len(location), 1)
        self.assertTrue(location[0].split(":", 1)[1].strip().startswith(f"{proxy.url}/v2/{BLOB_REPO}/blobs/uploads/"),
                        location[0])

    def test_relative_location_unchanged(self):
        with Registry(RUN_DIR, relative_urls=True) as relative, FaultProxy(relative.url) as proxy:
            result = curl("-X", "POST", "-D", "-", "-o", "/dev/null", f"{proxy.url}/v2/{BLOB_REPO}/blobs/uploads/")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"\r\nLocation: /v2/{BLOB_REPO}/blobs/uploads/".encode(), result.stdout)

    def test_bearer_realm_rewritten(self):
        token_origin = f"http://127.0.0.1:{find_free_port()}"
        token_proxy_origin = f"http://127.0.0.1:{find_free_port()}"
        challenge = f'Bearer realm="{token_origin}/token",service="registry"'
        upstream = ChallengeServer(challenge)
        self.addCleanup(upstream.stop)

        with FaultProxy(upstream.url, rewrite_origins={token_origin: token_proxy_origin}) as proxy:
            result = curl("-D", "-", "-o", "/dev/null", f"{proxy.url}/v2/")

        self.assertIn(f'\r\nWWW-Authenticate: Bearer realm="{token_proxy_origin}/token",service="registry"\r\n'
                      .encode(), result.stdout)


class ChallengeServer:
    """A stand-in upstream that returns 401 with a fixed WWW-Authenticate header to every GET."""

    def __init__(self, challenge: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(401)
                self.send_header("WWW-Authenticate", challenge)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


# --- Reset -------------------------------------------------------------------------


class ResetTest(unittest.TestCase):
    def test_download_reset_after_bytes(self):
        output = RUN_DIR / "reset-download"
        rule = Reset(after_bytes=300_000, direction="down", method="GET", path=r"/blobs/sha256:", times=1)

        with FaultProxy(REGISTRY.url, rules=[rule]) as proxy:
            broken = curl("-o", str(output), blob_url(proxy.url))
            broken_size = output.stat().st_size
            retried = curl("-o", str(output), blob_url(proxy.url))
            records = proxy.wait_for_requests(2)

        self.assertEqual(broken.returncode, 56, broken.stderr)
        self.assertIn(b"Connection reset by peer", broken.stderr)
        self.assertEqual(broken_size, 300_000)
        self.assertEqual(retried.returncode, 0, retried.stderr)
        self.assertEqual(sha256_digest(output.read_bytes()), BLOB_DIGEST)
        self.assertEqual(rule.fired, 1)
        self.assertEqual([r.outcome for r in records], ["reset", "forwarded"])
        self.assertEqual(records[0].faults, ("reset",))

    def test_download_reset_every_bytes_per_connection(self):
        output = RUN_DIR / "reset-every"

        with FaultProxy(REGISTRY.url, rules=[Reset(every_bytes=100_000, direction="down")]) as proxy:
            # Two requests on one connection: the counter spans both, so the reset comes 40000 bytes into the second.
            first = curl("-o", "/dev/null", "-o", str(output), "-r", "0-59999", blob_url(proxy.url),
                         blob_url(proxy.url))
            first_size = output.stat().st_size
            # A new connection starts from zero again.
            second = curl("-o", str(output), blob_url(proxy.url))
            second_size = output.stat().st_size

        self.assertEqual(first.returncode, 56, first.stderr)
        self.assertEqual(first_size, 40_000)
        self.assertEqual(second.returncode, 56, second.stderr)
        self.assertEqual(second_size, 100_000)

    def test_upload_reset_after_bytes(self):
        location = start_upload(REGISTRY, BLOB_REPO)
        rule = Reset(after_bytes=300_000, direction="up", method="PATCH|PUT", path=r"/blobs/uploads/", times=1)

        with FaultProxy(REGISTRY.url, rules=[rule]) as proxy:
            result = curl("-X", "PATCH", "-T", str(BLOB_FILE), "-H", "Content-Type: application/octet-stream",
                          via_proxy(location, proxy))
            record, = proxy.wait_for_requests(1)

        # 55 if curl was still sending, 56 if it was waiting for the response.
        self.assertIn(result.returncode, (55, 56), result.stderr)
        self.assertEqual(record.outcome, "reset")
        self.assertIsNone(record.status)
        self.assertEqual(wait_for_file_size(upload_data_file(REGISTRY, BLOB_REPO, location), 300_000), 300_000)

    def test_chunked_upload_reset_counts_payload(self):
        location = start_upload(REGISTRY, BLOB_REPO)
        rule = Reset(after_bytes=250_000, direction="up", method="PATCH", times=1)

        with FaultProxy(REGISTRY.url, rules=[rule]) as proxy:
            # With stdin as a pipe, curl does not know the size and sends Transfer-Encoding: chunked.
            result = curl("-X", "PATCH", "-T", "-", "-H", "Content-Type: application/octet-stream",
                          via_proxy(location, proxy), stdin=BLOB)

        self.assertIn(result.returncode, (55, 56), result.stderr)
        self.assertEqual(rule.fired, 1)
        self.assertEqual(wait_for_file_size(upload_data_file(REGISTRY, BLOB_REPO, location), 250_000), 250_000)


# --- Respond -----------------------------------------------------------------------


class RespondTest(unittest.TestCase):
    def test_502_not_forwarded(self):
        rule = Respond(status=502, method="GET", path=r"^/v2/$", times=1)
        before = count_requests(REGISTRY.access_log, method="GET", path_regex=r"^/v2/$")

        with FaultProxy(REGISTRY.url, rules=[rule]) as proxy:
            answered = curl("-o", "/dev/null", "-w", "%{http_code}", f"{proxy.url}/v2/")
            forwarded = curl("-o", "/dev/null", "-w", "%{http_code}", f"{proxy.url}/v2/")
            records = proxy.wait_for_requests(2)

        self.assertEqual(answered.stdout, b"502")
        self.assertEqual(forwarded.stdout, b"200")
        self.assertEqual(wait_for_request_count(REGISTRY.access_log, before + 1, method="GET", path_regex=r"^/v2/$"),
                         before + 1)
        self.assertEqual([r.outcome for r in records], ["responded", "forwarded"])

    def test_429_with_retry_after_then_forwarded(self):
        manifest = RUN_DIR / "manifest.json"
        manifest.write_text(json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": push_blob(REGISTRY, BLOB_REPO, b"{}"), "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": BLOB_DIGEST,
                        "size": BLOB_SIZE}],
        }))
        rule = Respond(status=429, headers={"Retry-After": "2"}, method="PUT", path=r"/manifests/", times=2)
        manifest_puts = {"method": "PUT", "path_regex": r"/manifests/"}
        before = count_requests(REGISTRY.access_log, **manifest_puts)

        with FaultProxy(REGISTRY.url, rules=[rule]) as proxy:
            results = [
                curl("-X", "PUT", "-H", f"Content-Type: {OCI_MANIFEST}", "--data-binary", f"@{manifest}",
                     "-D", "-", "-o", "/dev/null", f"{proxy.url}/v2/{BLOB_REPO}/manifests/limited")
                for _ in range(3)
            ]

        statuses = [result.stdout.split(b" ", 2)[1] for result in results]
        self.assertEqual(statuses, [b"429", b"429", b"201"])
        self.assertIn(b"\r\nRetry-After: 2\r\n", results[0].stdout)
        self.assertEqual(wait_for_request_count(REGISTRY.access_log, before + 1, **manifest_puts), before + 1)

    def test_respond_before_continue_skips_body(self):
        rule = Respond(status=413, method="PUT", path=r"/blobs/uploads/")
        location = start_upload(REGISTRY, BLOB_REPO)

        with FaultProxy(REGISTRY.url, rules=[rule]) as proxy:
            result, seconds = timed_curl("-T", str(BLOB_FILE), "-H", "Expect: 100-continue", "-D", "-",
                                         "-o", "/dev/null", via_proxy(f"{location}&digest={BLOB_DIGEST}", proxy))
            record, = proxy.wait_for_requests(1)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith(b"HTTP/1.1 413 "), result.stdout)
        self.assertIn(b"\r\nConnection: close\r\n", result.stdout)
        self.assertLess(record.bytes_up, 2048)
        # curl sends the body anyway after waiting 1 s for 100 Continue, so a faster response came before the body.
        self.assertLess(seconds, 0.9)


# --- Stall and bandwidth -----------------------------------------------------------


class StallTest(unittest.TestCase):
    def test_stall_delays_request(self):
        rule = Stall(seconds=2, method="GET", path=r"^/v2/$", times=1)

        with FaultProxy(REGISTRY.url, rules=[rule]) as proxy:
            stalled, stalled_seconds = timed_curl("-o", "/dev/null", "-w", "%{http_code}", f"{proxy.url}/v2/")
            fast, fast_seconds = timed_curl("-o", "/dev/null", "-w", "%{http_code}", f"{proxy.url}/v2/")

        self.assertEqual(stalled.stdout, b"200")
        self.assertGreaterEqual(stalled_seconds, 1.9)
        self.assertLess(stalled_seconds, 3.5)
        self.assertEqual(fast.stdout, b"200")
        self.assertLess(fast_seconds, 1.0)

    def test_stall_inside_download(self):
        output = RUN_DIR / "stall-download"
        rule = Stall(seconds=2, after_bytes=500_000, direction="down", path=r"/blobs/", times=1)

        with FaultProxy(REGISTRY.url, rules=[rule]) as proxy:
            result, seconds = timed_curl("-o", str(output), blob_url(proxy.url))
            record, = proxy.wait_for_requests(1)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sha256_digest(output.read_bytes()), BLOB_DIGEST)
        self.assertGreaterEqual(seconds, 1.9)
        self.assertEqual(record.faults, ("stall",))


class BandwidthTest(unittest.TestCase):
    def test_download_cap(self):
        rate = 1 << 20

        with FaultProxy(REGISTRY.url, rules=[Bandwidth(bytes_per_second=rate, direction="down")]) as proxy:
            result, seconds = timed_curl("-o", "/dev/null", blob_url(proxy.url))

        self.assertEqual(result.returncode, 0, result.stderr)
        expected = BLOB_SIZE / rate
        self.assertGreater(seconds, expected * 0.7)
        self.assertLess(seconds, expected * 1.3)

    def test_upload_cap_leaves_download_alone(self):
        rate = 1 << 20
        data = os.urandom(1 << 20)
        source = RUN_DIR / "bandwidth-upload"
        source.write_bytes(data)
        location = start_upload(REGISTRY, BLOB_REPO)

        with FaultProxy(REGISTRY.url, rules=[Bandwidth(bytes_per_second=rate, direction="up")]) as proxy:
            upload, upload_seconds = timed_curl(
                "-T", str(source), "-H", "Content-Type: application/octet-stream", "-w", "%{http_code}",
                "-o", "/dev/null", via_proxy(f"{location}&digest={sha256_digest(data)}", proxy))
            download, download_seconds = timed_curl("-o", "/dev/null", blob_url(proxy.url))

        self.assertEqual(upload.stdout, b"201", upload.stderr)
        expected = len(data) / rate
        self.assertGreater(upload_seconds, expected * 0.7)
        self.assertLess(upload_seconds, expected * 1.3)
        self.assertEqual(download.returncode, 0, download.stderr)
        self.assertLess(download_seconds, 0.5)


# --- Chunked bodies ----------------------------------------------------------------


class ChunkedUploadTest(unittest.TestCase):
    def test_chunked_put_passes_through(self):
        data = os.urandom(1_500_000)
        digest = sha256_digest(data)
        location = start_upload(REGISTRY, BLOB_REPO)

        with FaultProxy(REGISTRY.url) as proxy:
            result = curl("-T", "-", "-H", "Content-Type: application/octet-stream", "-w", "%{http_code}",
                          "-o", "/dev/null", via_proxy(f"{location}&digest={digest}", proxy), stdin=data)
            record, = proxy.wait_for_requests(1)

        self.assertEqual(result.stdout, b"201", result.stderr)
        # Chunk size lines and CRLFs make the wire body longer than the payload.
        self.assertGreater(record.bytes_up, len(data) + 2 * 8)
        stored = registry_request(REGISTRY, "GET", f"/v2/{BLOB_REPO}/blobs/{digest}")
        self.assertEqual(stored.status, 200)
        self.assertEqual(sha256_digest(stored.body), digest)


# --- Lifecycle, validation and the CLI ---------------------------------------------


class LifecycleTest(unittest.TestCase):
    def test_non_loopback_upstreams_rejected(self):
        for upstream in ("http://192.0.2.1:5000", "http://localhost:5000", "https://127.0.0.1:5000",
                         "http://127.0.0.1", "http://127.0.0.1:5000/v2/"):
            with self.subTest(upstream=upstream), self.assertRaises(ValueError):
                FaultProxy(upstream)

    def test_invalid_rules_rejected(self):
        cases = {
            "neither offset": lambda: Reset(direction="down"),
            "both offsets": lambda: Reset(after_bytes=1, every_bytes=1),
            "bad direction": lambda: Stall(seconds=1, direction="sideways"),
            "zero times": lambda: Respond(status=500, times=0),
            "interim status": lambda: Respond(status=100),
            "header injection": lambda: Respond(status=500, headers={"X": "a\r\nB: c"}),
            "bandwidth times": lambda: Bandwidth(bytes_per_second=10, times=1),
            "unknown type": lambda: rules_from_json([{"type": "drop"}]),
            "unknown field": lambda: rules_from_json([{"type": "stall", "seconds": 1, "colour": "red"}]),
        }
        for name, build in cases.items():
            with self.subTest(name), self.assertRaises(ValueError):
                build()

    def test_set_rules_and_reset_counters(self):
        with FaultProxy(REGISTRY.url) as proxy:
            before = curl("-o", "/dev/null", "-w", "%{http_code}", f"{proxy.url}/v2/")
            proxy.wait_for_requests(1)
            proxy.set_rules([Respond(status=503, path=r"^/v2/$")])
            proxy.reset_counters()
            after = curl("-o", "/dev/null", "-w", "%{http_code}", f"{proxy.url}/v2/")
            records = proxy.wait_for_requests(1)

            self.assertEqual(before.stdout, b"200")
            self.assertEqual(after.stdout, b"503")
            self.assertEqual([r.status for r in records], [503])
            self.assertEqual(proxy.bytes_down, records[0].bytes_down)
            self.assertEqual(proxy.rules[0].counters()["matched"], 1)

    def test_stop_ends_stalled_connection(self):
        rule = Stall(seconds=60, path=r"^/v2/$")
        proxy = FaultProxy(REGISTRY.url, rules=[rule]).start()
        self.addCleanup(proxy.stop)
        client = subprocess.Popen(["curl", "--silent", "--noproxy", "*", f"{proxy.url}/v2/"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(client.kill)
        self.assertTrue(poll_until(lambda: rule.fired == 1), "the stall never started")

        started = time.monotonic()
        proxy.stop()
        stop_seconds = time.monotonic() - started
        exit_code = client.wait(timeout=10)

        self.assertLess(stop_seconds, 3.0)
        self.assertEqual(exit_code, 52)  # curl: empty reply from server

    def test_cli_writes_state_and_reloads_rules(self):
        rules_file = RUN_DIR / "cli-rules.json"
        rules_file.write_text(json.dumps([{"type": "respond", "status": 503, "path": "^/v2/$"}]))
        state_file = RUN_DIR / "cli-state.json"
        request_log = RUN_DIR / "cli-requests.jsonl"
        proxy = subprocess.Popen([sys.executable, str(FAULT_PROXY), "--upstream", REGISTRY.url, "--rules",
                                  str(rules_file), "--state", str(state_file), "--request-log", str(request_log)])
        self.addCleanup(stop_process, proxy)
        self.assertTrue(poll_until(state_file.exists), "no state file")
        url = json.loads(state_file.read_text())["url"]

        unavailable = curl("-o", "/dev/null", "-w", "%{http_code}", f"{url}/v2/")
        rules_file.write_text("[]")
        proxy.send_signal(signal.SIGHUP)
        reloaded = poll_until(lambda: curl("-o", "/dev/null", "-w", "%{http_code}", f"{url}/v2/").stdout == b"200")
        proxy.send_signal(signal.SIGTERM)
        exit_code = proxy.wait(timeout=10)
        state = json.loads(state_file.read_text())
        logged = [json.loads(line) for line in request_log.read_text().splitlines()]

        self.assertEqual(unavailable.stdout, b"503")
        self.assertTrue(reloaded, "SIGHUP did not replace the rules")
        self.assertEqual(exit_code, 0)
        self.assertFalse(state["running"])
        self.assertEqual(state["requests"], len(logged))
        self.assertEqual(logged[0]["status"], 503)
        self.assertEqual(logged[-1]["status"], 200)
        self.assertEqual(state["bytes_down"], sum(entry["bytes_down"] for entry in logged))

    def test_cli_exits_when_parent_dies(self):
        parent = subprocess.Popen(["sleep", "60"])
        self.addCleanup(stop_process, parent)
        state_file = RUN_DIR / "orphan-state.json"
        proxy = subprocess.Popen([sys.executable, str(FAULT_PROXY), "--upstream", REGISTRY.url,
                                  "--state", str(state_file), "--parent-pid", str(parent.pid)])
        self.addCleanup(stop_process, proxy)
        self.assertTrue(poll_until(state_file.exists), "no state file")

        parent.kill()
        parent.wait()
        exit_code = proxy.wait(timeout=10)

        self.assertEqual(exit_code, 0)
        self.assertFalse(json.loads(state_file.read_text())["running"])


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    unittest.main()
