"""End-to-end tests of the native copy backend: `ferry copy --backend native` against real
docker-registry 2.8.2 servers on 127.0.0.1, with real OCI images.

Besides digests, the tests check the requests that the backend sends, as the registries' access
logs record them. A copy within one registry mounts instead of uploading, an up-to-date
destination gets no writes, and a failed copy leaves no tag. A redirect target on another origin
never receives an Authorization header.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import signal
import socket
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ferrytest import (IMAGES, WORK, clean_env, docker_ref, plain_registry, poll_until, run_ferry, secure_registry,
                       start_ferry, unique_repo)
from registry import Registry, count_requests, get_manifest, manifest_digest, seed, wait_for_request_count
from support_token_issuer import TokenIssuer


def native_backend_available() -> bool:
    listing = run_ferry("plugins", "--format", "json")
    if listing.returncode != 0:
        return False
    return any(p["name"] == "native" and not p["error"] for p in listing.json())


def layout_digest(layout: Path, ref: str = "v1") -> str:
    index = json.loads((layout / "index.json").read_text())
    for descriptor in index["manifests"]:
        if descriptor.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
            return descriptor["digest"]
    raise AssertionError(f"no {ref} in {layout}")


def native_copy(source: str, destination: str, *extra: str, env: dict | None = None):
    return run_ferry("copy", "--backend", "native", "--creds-from", "input", "--format", "json", *extra,
                     source, destination, env=env)


def blob_data_file(registry, digest: str) -> Path:
    hex_digest = digest.split(":", 1)[1]
    return Path(registry.storage_dir) / "docker/registry/v2/blobs/sha256" / hex_digest[:2] / hex_digest / "data"


def requests_before_marker(registry: Registry, name: str, timeout: float = 10) -> int:
    """Sends a marker request and returns the number of access-log lines before its line.

    The registry logs a request after answering it, so a marker sent after a client exited is
    logged after every request of that client."""
    marker = f"/v2/ferry-test-marker-{name}-{time.monotonic_ns()}/tags/list"
    try:
        urllib.request.urlopen(registry.url + marker, timeout=timeout).close()
    except urllib.error.HTTPError:
        pass  # 404 for the unknown repository; the line is logged all the same
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(registry.access_log, encoding="utf-8", errors="replace") as log:
            for number, line in enumerate(log):
                if marker in line:
                    return number
        time.sleep(0.05)
    raise AssertionError(f"marker request {marker} never reached {registry.access_log}")


class HeaderRecorder:
    """A plain-HTTP server on 127.0.0.1 that serves files from a directory and records the
    headers of every request: the redirect target of a registry's storage middleware."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                recorder.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                path = (recorder.root / self.path.split("?", 1)[0].lstrip("/")).resolve()
                if recorder.root not in path.parents or not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_HEAD = do_GET

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FlakyProxy:
    """A plain-HTTP reverse proxy on 127.0.0.1 in front of a registry that breaks the first
    response for one path: after `cut_after` body bytes it closes the connection ("cut") or
    stops sending until closed ("stall"). Later requests pass through unchanged."""

    def __init__(self, upstream_port: int, path_fragment: str, cut_after: int, mode: str) -> None:
        self.broken: list[str] = []
        self.range_headers: list[str] = []
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def relay(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                if self.headers.get("Range"):
                    proxy.range_headers.append(self.headers["Range"])
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                upstream.close()

                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "date", "server"):
                        self.send_header(name, value)
                self.end_headers()
                breaking = (self.command == "GET" and path_fragment in self.path and response.status == 200
                            and not proxy.broken)
                if not breaking:
                    self.wfile.write(data)
                    return
                proxy.broken.append(self.path)
                self.wfile.write(data[:cut_after])
                self.wfile.flush()
                if mode == "stall":
                    proxy.release.wait(60)
                self.close_connection = True
                self.connection.shutdown(2)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = relay

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class RecordingForwardProxy:
    """A plain-HTTP forward proxy on 127.0.0.1 that records the absolute URLs it relays. It
    refuses CONNECT, so an HTTPS attempt through it fails and the client falls back to HTTP."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_CONNECT(self) -> None:  # noqa: N802 (http.server naming)
                proxy.urls.append(f"CONNECT {self.path}")
                self.send_error(502)

            def relay(self) -> None:
                proxy.urls.append(self.path)
                target = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "proxy-connection")}
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                path = target.path + (f"?{target.query}" if target.query else "")
                upstream.request(self.command, path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                upstream.close()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "date", "server", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = relay

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StallingRelay:
    """A TCP relay on 127.0.0.1 in front of an HTTPS registry. It copies bytes both ways without
    reading them, so TLS passes through unchanged. The first connection stops sending to the
    client after `stall_after` bytes from the server and stays open until the client closes it.
    Later connections relay everything."""

    def __init__(self, upstream_port: int, stall_after: int) -> None:
        self.upstream_port = upstream_port
        self.stall_after = stall_after
        self.connections = 0
        self.stalled = threading.Event()
        self.closing = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self.accept_loop, daemon=True).start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.listener.getsockname()[1]}"

    def accept_loop(self) -> None:
        while not self.closing.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            limit = self.stall_after if self.connections == 1 else None
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self.pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, limit), daemon=True).start()

    def pump(self, source: socket.socket, target: socket.socket, limit: int | None) -> None:
        relayed = 0
        try:
            while True:
                data = source.recv(64 * 1024)
                if not data:
                    break
                if limit is not None and relayed + len(data) > limit:
                    target.sendall(data[:limit - relayed])
                    self.stalled.set()
                    # Neither forward nor close: the client sees a connection that went silent.
                    self.closing.wait()
                    break
                target.sendall(data)
                relayed += len(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()

    def close(self) -> None:
        self.closing.set()
        self.listener.close()


@unittest.skipUnless(native_backend_available(), "the native backend is not built")
class NativeCopyImages(unittest.TestCase):
    """Each image kind from the shared HTTPS+htpasswd registry to the shared plain-HTTP one."""

    @classmethod
    def setUpClass(cls):
        cls.secure = secure_registry()
        cls.plain = plain_registry()

    def source_env(self) -> dict:
        return clean_env(FERRY_SRC_USERNAME=self.secure.username, FERRY_SRC_PASSWORD=self.secure.password)

    def copy_from_secure(self, layout: str, *extra: str):
        source_repo = unique_repo(f"native/{layout}")
        source_digest = seed(IMAGES / layout, "v1", self.secure, f"{source_repo}:v1")
        destination_repo = unique_repo(f"native/{layout}-mirror")
        result = native_copy(docker_ref(self.secure, f"{source_repo}:v1"), docker_ref(self.plain, f"{destination_repo}:v1"),
                             "--src-cert-dir", str(self.secure.cert_dir), "--dest-tls-verify=false", *extra,
                             env=self.source_env())
        return source_repo, source_digest, destination_repo, result

    def assert_same_manifest(self, source_repo: str, destination_repo: str, reference: str = "v1"):
        source = get_manifest(self.secure, source_repo, reference)
        copied = get_manifest(self.plain, destination_repo, reference)
        self.assertEqual(copied.body, source.body)
        self.assertEqual(copied.media_type, source.media_type)
        return source

    def test_multiarch_oci_index(self):
        source_repo, digest, destination_repo, result = self.copy_from_secure("multiarch")

        self.assertEqual(result.returncode, 0, result.stderr)
        report = result.json()
        self.assertEqual(report["backend"], "native")
        self.assertEqual(report["digest"], digest)
        self.assertEqual(report["source_digest"], digest)
        self.assertEqual(report["platforms"], ["linux/amd64", "linux/arm64/v8"])
        self.assertFalse(report["up_to_date"])
        source = self.assert_same_manifest(source_repo, destination_repo)
        for child in json.loads(source.body)["manifests"]:
            self.assertEqual(manifest_digest(self.plain, destination_repo, child["digest"]), child["digest"])

    def test_docker_manifest_list(self):
        source_repo, digest, destination_repo, result = self.copy_from_secure("docker-list")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], digest)
        source = self.assert_same_manifest(source_repo, destination_repo)
        self.assertEqual(source.media_type, "application/vnd.docker.distribution.manifest.list.v2+json")

    def test_single_image_reports_its_platform(self):
        source_repo, digest, destination_repo, result = self.copy_from_secure("single")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], digest)
        self.assertEqual(result.json()["platforms"], ["linux/amd64"])
        self.assert_same_manifest(source_repo, destination_repo)

    def test_oci_artifact_keeps_artifact_type(self):
        source_repo, digest, destination_repo, result = self.copy_from_secure("artifact")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], digest)
        copied = json.loads(self.assert_same_manifest(source_repo, destination_repo).body)
        self.assertEqual(copied["artifactType"], "application/vnd.ferry.test.report.v1+json")

    def test_platform_on_artifact_warns_and_copies_whole(self):
        source_repo, digest, destination_repo, result = self.copy_from_secure("artifact", "--platform", "linux/arm64")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], digest)
        self.assertIn("--platform linux/arm64 selects nothing", result.stderr)

    def test_platform_copies_one_child(self):
        source_repo, _, destination_repo, result = self.copy_from_secure("multiarch", "--platform", "linux/arm64")

        self.assertEqual(result.returncode, 0, result.stderr)
        index = json.loads(get_manifest(self.secure, source_repo, "v1").body)
        arm = next(c for c in index["manifests"] if c["platform"]["architecture"] == "arm64")
        self.assertEqual(result.json()["digest"], arm["digest"])
        self.assertEqual(result.json()["platforms"], ["linux/arm64/v8"])
        self.assertEqual(manifest_digest(self.plain, destination_repo, "v1"), arm["digest"])

    def test_missing_platform_lists_available(self):
        _, _, destination_repo, result = self.copy_from_secure("multiarch", "--platform", "linux/s390x")

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("linux/s390x", result.stderr)
        self.assertIn("linux/amd64, linux/arm64/v8", result.stderr)
        with self.assertRaises(urllib.error.HTTPError):
            manifest_digest(self.plain, destination_repo, "v1")

    def test_platform_mismatch_on_single_image_fails(self):
        _, _, destination_repo, result = self.copy_from_secure("single", "--platform", "linux/arm64")

        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("is a single linux/amd64 image, not linux/arm64", result.stderr)
        with self.assertRaises(urllib.error.HTTPError):
            manifest_digest(self.plain, destination_repo, "v1")
        self.assertEqual(count_requests(self.plain.access_log, method="POST",
                                        path_regex=rf"^/v2/{destination_repo}/blobs/uploads/"), 0)

    def test_platform_match_on_single_image_copies(self):
        source_repo, digest, destination_repo, result = self.copy_from_secure("single", "--platform", "linux/amd64")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], digest)
        self.assert_same_manifest(source_repo, destination_repo)

    def test_invalid_platform_is_input_error(self):
        _, _, _, result = self.copy_from_secure("single", "--platform", "linux")

        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn('invalid platform "linux"', result.stderr)

    def test_stalled_https_download_reconnects(self):
        source_repo = unique_repo("native/tls-stall")
        digest = seed(IMAGES / "single", "v1", self.secure, f"{source_repo}:v1")
        # Past the handshake, the manifest and the config, inside the 1 MiB layer.
        relay = StallingRelay(self.secure.port, stall_after=300 * 1024)
        self.addCleanup(relay.close)
        destination_repo = unique_repo("native/tls-stall-mirror")

        result = native_copy(f"docker://{relay.host}/{source_repo}:v1", docker_ref(self.plain, f"{destination_repo}:v1"),
                             "--src-cert-dir", str(self.secure.cert_dir), "--dest-tls-verify=false", "--jobs", "1",
                             "--stall-timeout", "3", env=self.source_env())

        self.assertTrue(relay.stalled.is_set(), result.stderr)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("stall-timeout", result.stderr)
        self.assertGreaterEqual(relay.connections, 2, "the retry reused the stalled connection")
        self.assertEqual(manifest_digest(self.plain, destination_repo, "v1"), digest)

    def test_wrong_password_fails_without_leaking_it(self):
        source_repo = unique_repo("native/denied")
        seed(IMAGES / "single", "v1", self.secure, f"{source_repo}:v1")
        password = "wrong-password-7f3a"
        result = native_copy(docker_ref(self.secure, f"{source_repo}:v1"), docker_ref(self.plain, "native/denied:v1"),
                             "--src-cert-dir", str(self.secure.cert_dir), "--dest-tls-verify=false",
                             env=clean_env(FERRY_SRC_USERNAME=self.secure.username, FERRY_SRC_PASSWORD=password))

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("401", result.stderr)
        self.assertIn(self.secure.host, result.stderr)
        self.assertNotIn(password, result.stderr + result.stdout)

    def test_untrusted_certificate_is_rejected(self):
        source_repo = unique_repo("native/untrusted")
        seed(IMAGES / "single", "v1", self.secure, f"{source_repo}:v1")
        result = native_copy(docker_ref(self.secure, f"{source_repo}:v1"), docker_ref(self.plain, "native/untrusted:v1"),
                             "--dest-tls-verify=false", "--retry-times", "0", env=self.source_env())

        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("certificate", result.stderr.lower())
        self.assertIn("--src-cert-dir", result.stderr)

    def test_https_to_plain_registry_not_retried(self):
        source_repo = unique_repo("native/plain-as-https")
        seed(IMAGES / "single", "v1", self.plain, f"{source_repo}:v1")
        result = native_copy(docker_ref(self.plain, f"{source_repo}:v1"), docker_ref(self.plain, f"{source_repo}-copy:v1"),
                             "--dest-tls-verify=false", "--retry-times", "3")

        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("speaks plain HTTP", result.stderr)
        self.assertIn("--src-tls-verify=false", result.stderr)
        self.assertNotIn("retry 1 of", result.stderr)


@unittest.skipUnless(native_backend_available(), "the native backend is not built")
class NativeCopyRequests(unittest.TestCase):
    """What the backend sends, counted in the plain registry's access log."""

    @classmethod
    def setUpClass(cls):
        cls.plain = plain_registry()

    def copy_plain(self, source_repo: str, destination_repo: str, *extra: str):
        return native_copy(docker_ref(self.plain, f"{source_repo}:v1"), docker_ref(self.plain, f"{destination_repo}:v1"),
                           "--src-tls-verify=false", "--dest-tls-verify=false", *extra)

    def test_same_registry_mounts_instead_of_uploading(self):
        source_repo = unique_repo("native/mount-src")
        seed(IMAGES / "multiarch", "v1", self.plain, f"{source_repo}:v1")
        destination_repo = unique_repo("native/mount-dst")

        result = self.copy_plain(source_repo, destination_repo)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["bytes"], 0)
        wait_for_request_count(self.plain.access_log, 1, method="PUT", path_regex=rf"^/v2/{destination_repo}/manifests/v1$")
        mounts = count_requests(self.plain.access_log, method="POST", path_regex=rf"^/v2/{destination_repo}/blobs/uploads/\?mount=",
                                status=201)
        # Two platforms, each with a config and a layer.
        self.assertEqual(mounts, 4)
        self.assertEqual(count_requests(self.plain.access_log, method="PUT", path_regex=rf"^/v2/{destination_repo}/blobs/"), 0)
        self.assertEqual(count_requests(self.plain.access_log, method="PATCH", path_regex=rf"^/v2/{destination_repo}/"), 0)

    def test_up_to_date_copy_sends_no_writes(self):
        # A registry of its own: other tests write to the shared ones while this one counts
        # every request after the first copy.
        work = Path(tempfile.mkdtemp(prefix="native-uptodate-", dir=WORK))
        self.addCleanup(shutil.rmtree, work, True)
        shutil.copytree(IMAGES / "multiarch", work / "image")
        source = f"oci:{work / 'image'}:v1"
        with Registry(work / "registries", name="uptodate") as registry:
            destination = docker_ref(registry, "native/again:v1")
            first = native_copy(source, destination, "--dest-tls-verify=false")
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertFalse(first.json()["up_to_date"])
            before = requests_before_marker(registry, "first")

            result = native_copy(source, destination, "--dest-tls-verify=false")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertTrue(result.json()["up_to_date"])
            self.assertEqual(result.json()["bytes"], 0)
            after = requests_before_marker(registry, "second")
            with open(registry.access_log, encoding="utf-8", errors="replace") as log:
                lines = log.readlines()
            # The source is a layout, so every line between the markers is a request of the second copy.
            new_lines = [line for line in lines[before + 1:after] if "ferry-test-marker-" not in line]
        self.assertGreaterEqual(len(new_lines), 1, lines[before:])
        self.assertLessEqual(len(new_lines), 3, new_lines)
        for line in new_lines:
            self.assertRegex(line, r'"(GET|HEAD) ', line)

    def test_source_tag_checked_against_digest(self):
        source_repo = unique_repo("native/resolve")
        digest = seed(IMAGES / "single", "v1", self.plain, f"{source_repo}:v1")

        def copy_pinned(pinned: str):
            return native_copy(docker_ref(self.plain, f"{source_repo}:v1@{pinned}"),
                               docker_ref(self.plain, f"{unique_repo('native/resolved')}:v1"),
                               "--src-tls-verify=false", "--dest-tls-verify=false")

        matching = copy_pinned(digest)
        self.assertEqual(matching.returncode, 0, matching.stderr)
        self.assertEqual(matching.json()["digest"], digest)

        other = "sha256:" + "0" * 64
        mismatch = copy_pinned(other)
        self.assertNotEqual(mismatch.returncode, 0)
        self.assertIn(digest, mismatch.stderr)
        self.assertIn(other, mismatch.stderr)

    def test_destination_digest_mismatch_is_copy_failure(self):
        source_repo = unique_repo("native/dest-digest")
        digest = seed(IMAGES / "single", "v1", self.plain, f"{source_repo}:v1")
        other = "sha256:" + "0" * 64
        destination = unique_repo("native/dest-digest-mirror")

        result = native_copy(docker_ref(self.plain, f"{source_repo}:v1"), f"docker://{self.plain.host}/{destination}@{other}",
                             "--src-tls-verify=false", "--dest-tls-verify=false")

        # The mismatch shows only after the source was read, so it is exit 1, not 2 (invalid input).
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(digest, result.stderr)
        self.assertIn(other, result.stderr)
        self.assertEqual(count_requests(self.plain.access_log, method="PUT", path_regex=rf"^/v2/{destination}/"), 0)

    def test_corrupt_source_blob_tags_nothing(self):
        workdir = Path(tempfile.mkdtemp(prefix="native-corrupt-", dir=WORK))
        self.addCleanup(shutil.rmtree, workdir, True)
        with Registry(workdir, name="corrupt-src") as source:
            digest = seed(IMAGES / "single", "v1", source, "native/corrupt:v1")
            manifest = json.loads(get_manifest(source, "native/corrupt", digest).body)
            layer = manifest["layers"][0]["digest"]
            data_file = blob_data_file(source, layer)
            content = bytearray(data_file.read_bytes())
            content[len(content) // 2] ^= 0xFF  # same size, different bytes
            data_file.write_bytes(bytes(content))
            destination = unique_repo("native/corrupt-dst")

            result = native_copy(docker_ref(source, "native/corrupt:v1"), docker_ref(self.plain, f"{destination}:v1"),
                                 "--src-tls-verify=false", "--dest-tls-verify=false")

        self.assertNotEqual(result.returncode, 0)
        self.assertIn(layer, result.stderr)
        self.assertIn("corrupt", result.stderr)
        with self.assertRaises(urllib.error.HTTPError) as missing:
            manifest_digest(self.plain, destination, "v1")
        self.assertEqual(missing.exception.code, 404)
        self.assertEqual(count_requests(self.plain.access_log, method="PUT", path_regex=rf"^/v2/{destination}/manifests/"), 0)
        self.assertEqual(count_requests(self.plain.access_log, method="PUT", path_regex=rf"^/v2/{destination}/blobs/.*{layer}",
                                        status=201), 0)


@unittest.skipUnless(native_backend_available(), "the native backend is not built")
class NativeCopyResume(unittest.TestCase):
    """A blob download that breaks mid-way resumes with a Range request instead of starting over."""

    @classmethod
    def setUpClass(cls):
        cls.plain = plain_registry()
        cls.repo = unique_repo("native/resume-src")
        cls.digest = seed(IMAGES / "single", "v1", cls.plain, f"{cls.repo}:v1")
        manifest = json.loads(get_manifest(cls.plain, cls.repo, cls.digest).body)
        cls.layer = max(manifest["layers"], key=lambda layer: layer["size"])

    def copy_through(self, mode: str, *extra: str):
        proxy = FlakyProxy(self.plain.port, self.layer["digest"], self.layer["size"] // 3, mode)
        self.addCleanup(proxy.close)
        destination = unique_repo(f"native/resume-{mode}")
        result = native_copy(f"docker://{proxy.host}/{self.repo}:v1", docker_ref(self.plain, f"{destination}:v1"),
                             "--src-tls-verify=false", "--dest-tls-verify=false", *extra)
        return proxy, destination, result

    def assert_resumed(self, proxy: FlakyProxy, destination: str, result) -> None:
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], self.digest)
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), self.digest)
        self.assertEqual(len(proxy.broken), 1)
        self.assertEqual(len(proxy.range_headers), 1, proxy.range_headers)
        self.assertRegex(proxy.range_headers[0], r"^bytes=[1-9][0-9]*-$")
        self.assertIn("resuming at byte", result.stderr)
        # The upload went on while the download resumed: one PUT of the layer, no second attempt.
        self.assertEqual(count_requests(self.plain.access_log, method="PUT",
                                        path_regex=rf"^/v2/{destination}/blobs/uploads/.*digest={self.layer['digest']}"), 1)
        self.assertEqual(count_requests(self.plain.access_log, method="POST",
                                        path_regex=rf"^/v2/{destination}/blobs/uploads/"), 2)

    def test_cut_connection_resumes_with_range(self):
        proxy, destination, result = self.copy_through("cut")
        self.assert_resumed(proxy, destination, result)

    def test_sigint_during_transfer_stops_promptly(self):
        proxy = FlakyProxy(self.plain.port, self.layer["digest"], self.layer["size"] // 3, "stall")
        self.addCleanup(proxy.close)
        destination = unique_repo("native/interrupted")
        process = start_ferry("copy", "--backend", "native", "--creds-from", "input", "--src-tls-verify=false",
                              "--dest-tls-verify=false", "--stall-timeout", "600",
                              f"docker://{proxy.host}/{self.repo}:v1", docker_ref(self.plain, f"{destination}:v1"))
        self.addCleanup(process.stderr.close)
        self.addCleanup(process.stdout.close)
        self.addCleanup(process.kill)
        poll_until(lambda: proxy.broken, timeout=30, message="the stalled blob download")

        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        stderr = process.stderr.read()

        self.assertLess(time.monotonic() - started, 5, stderr)
        self.assertEqual(process.returncode, 130, stderr)
        with self.assertRaises(urllib.error.HTTPError):
            manifest_digest(self.plain, destination, "v1")

    def test_stalled_download_resumes_after_stall_timeout(self):
        proxy, destination, result = self.copy_through("stall", "--stall-timeout", "2")
        self.assert_resumed(proxy, destination, result)
        self.assertIn("stall-timeout", result.stderr)


@unittest.skipUnless(native_backend_available(), "the native backend is not built")
class NativeCopyProxy(unittest.TestCase):
    """HTTP_PROXY applies to registries, loopback ones included, unless NO_PROXY names them."""

    @classmethod
    def setUpClass(cls):
        cls.plain = plain_registry()

    def copy_with(self, **proxy_env: str):
        proxy = RecordingForwardProxy()
        self.addCleanup(proxy.close)
        env = clean_env()
        for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            env.pop(name, None)
            env.pop(name.upper(), None)
        env.update({key: value.replace("PROXY_URL", proxy.url) for key, value in proxy_env.items()})
        destination = unique_repo("native/proxied")
        result = native_copy(f"oci:{IMAGES / 'single'}:v1", docker_ref(self.plain, f"{destination}:v1"),
                             "--dest-tls-verify=false", env=env)
        return proxy, destination, result

    def test_proxy_used_for_registry(self):
        proxy, destination, result = self.copy_with(http_proxy="PROXY_URL", HTTPS_PROXY="PROXY_URL")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"CONNECT {self.plain.host}", proxy.urls)
        self.assertIn(f"http://{self.plain.host}/v2/", proxy.urls)
        self.assertIn(f"http://{self.plain.host}/v2/{destination}/manifests/v1", proxy.urls)

    def test_no_proxy_bypasses_proxy(self):
        proxy, destination, result = self.copy_with(http_proxy="PROXY_URL", HTTPS_PROXY="PROXY_URL",
                                                    NO_PROXY="127.0.0.1")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(proxy.urls, [])
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), layout_digest(IMAGES / "single"))


@unittest.skipUnless(native_backend_available(), "the native backend is not built")
class NativeCopyLayouts(unittest.TestCase):
    """OCI image layout directories as source and destination."""

    @classmethod
    def setUpClass(cls):
        cls.plain = plain_registry()

    def setUp(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="native-layout-", dir=WORK))
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def test_layout_to_registry_and_back(self):
        digest = layout_digest(IMAGES / "multiarch")
        repo = unique_repo("native/layout")

        pushed = native_copy(f"oci:{IMAGES / 'multiarch'}:v1", docker_ref(self.plain, f"{repo}:v1"), "--dest-tls-verify=false")
        self.assertEqual(pushed.returncode, 0, pushed.stderr)
        self.assertEqual(manifest_digest(self.plain, repo, "v1"), digest)

        target = self.scratch / "copy"
        pulled = native_copy(docker_ref(self.plain, f"{repo}:v1"), f"oci:{target}:mirrored", "--src-tls-verify=false")
        self.assertEqual(pulled.returncode, 0, pulled.stderr)
        self.assertEqual(pulled.json()["digest"], digest)
        self.assertEqual(layout_digest(target, "mirrored"), digest)
        self.assertEqual(json.loads((target / "oci-layout").read_text())["imageLayoutVersion"], "1.0.0")
        for blob in (target / "blobs" / "sha256").iterdir():
            self.assertEqual(hashlib.sha256(blob.read_bytes()).hexdigest(), blob.name)
        leftovers = [p.name for p in (target / "blobs" / "sha256").iterdir() if ".tmp-" in p.name]
        self.assertEqual(leftovers, [])

    def test_layout_ref_replaced_and_others_kept(self):
        target = self.scratch / "refs"
        self.assertEqual(native_copy(f"oci:{IMAGES / 'single'}:v1", f"oci:{target}:keep").returncode, 0)
        self.assertEqual(native_copy(f"oci:{IMAGES / 'artifact'}:v1", f"oci:{target}:moving").returncode, 0)
        result = native_copy(f"oci:{IMAGES / 'multiarch'}:v1", f"oci:{target}:moving")

        self.assertEqual(result.returncode, 0, result.stderr)
        index = json.loads((target / "index.json").read_text())
        refs = {d["annotations"]["org.opencontainers.image.ref.name"]: d["digest"] for d in index["manifests"]}
        self.assertEqual(refs, {"keep": layout_digest(IMAGES / "single"), "moving": layout_digest(IMAGES / "multiarch")})

    def test_parallel_copies_into_one_layout_keep_every_tag(self):
        target = self.scratch / "parallel"
        tags = [f"t{number}" for number in range(1, 9)]
        processes = [start_ferry("copy", "--backend", "native", "--creds-from", "input",
                                 f"oci:{IMAGES / 'single'}:v1", f"oci:{target}:{tag}") for tag in tags]
        for process in processes:
            self.addCleanup(process.stdout.close)
            self.addCleanup(process.stderr.close)
        outcomes = [(process.wait(timeout=120), process.stderr.read()) for process in processes]

        for returncode, stderr in outcomes:
            self.assertEqual(returncode, 0, stderr)
        index = json.loads((target / "index.json").read_text())
        refs = sorted(d["annotations"]["org.opencontainers.image.ref.name"] for d in index["manifests"])
        self.assertEqual(refs, tags)
        for tag in tags:
            self.assertEqual(layout_digest(target, tag), layout_digest(IMAGES / "single"))

    def test_failed_copy_leaves_valid_empty_layout(self):
        source = self.scratch / "broken"
        shutil.copytree(IMAGES / "single", source)
        manifest = json.loads((source / "blobs" / "sha256" / layout_digest(source).split(":", 1)[1]).read_text())
        layer = manifest["layers"][0]["digest"]
        (source / "blobs" / "sha256" / layer.split(":", 1)[1]).unlink()
        target = self.scratch / "new-layout"

        result = native_copy(f"oci:{source}:v1", f"oci:{target}:v1", "--retry-times", "0")

        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(layer, result.stderr)
        self.assertEqual(json.loads((target / "oci-layout").read_text()), {"imageLayoutVersion": "1.0.0"})
        self.assertEqual(json.loads((target / "index.json").read_text()), {"schemaVersion": 2, "manifests": []})

    def test_foreign_layer_refused_with_explanation(self):
        layout = self.scratch / "foreign"
        blobs = layout / "blobs" / "sha256"
        blobs.mkdir(parents=True)

        def add_blob(data: bytes) -> str:
            digest = hashlib.sha256(data).hexdigest()
            (blobs / digest).write_bytes(data)
            return f"sha256:{digest}"

        config = b'{"architecture":"amd64","os":"windows","rootfs":{"type":"layers","diff_ids":[]}}'
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": add_blob(config),
                       "size": len(config)},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                        "digest": "sha256:" + "ab" * 32, "size": 1024,
                        "urls": ["https://foreign.invalid/layer.tar.gz"]}],
        }).encode()
        manifest_digest_value = add_blob(manifest)
        (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": manifest_digest_value,
            "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
        repo = unique_repo("native/foreign")

        result = native_copy(f"oci:{layout}:v1", docker_ref(self.plain, f"{repo}:v1"), "--dest-tls-verify=false",
                             "--retry-times", "0")

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("foreign", result.stderr)
        self.assertIn("500", result.stderr)
        # The foreign layer was neither checked nor uploaded; the config was uploaded.
        self.assertEqual(count_requests(self.plain.access_log, path_regex=rf"^/v2/{repo}/blobs/.*{'ab' * 32}"), 0)
        self.assertEqual(count_requests(self.plain.access_log, method="PUT", path_regex=rf"^/v2/{repo}/blobs/uploads/",
                                        status=201), 1)


@unittest.skipUnless(native_backend_available(), "the native backend is not built")
class NativeCopyAuthAndRedirects(unittest.TestCase):
    """Registries of the test's own: Bearer token auth, and blob GETs redirected elsewhere."""

    def setUp(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="native-auth-", dir=WORK))
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.plain = plain_registry()

    def test_bearer_token_auth_push_and_pull(self):
        password = "token-pass-9d1c"
        with TokenIssuer(self.workdir / "issuer", users={"mirror": password}) as issuer, \
                Registry(self.workdir, name="token", token_auth=issuer.token_auth) as registry:
            env = clean_env(FERRY_DEST_USERNAME="mirror", FERRY_DEST_PASSWORD=password)
            pushed = native_copy(f"oci:{IMAGES / 'multiarch'}:v1", docker_ref(registry, "team/app:v1"),
                                 "--dest-tls-verify=false", env=env)
            self.assertEqual(pushed.returncode, 0, pushed.stderr)
            self.assertNotIn(password, pushed.stderr + pushed.stdout)

            grants = [r for r in issuer.recorded() if r.granted]
            # One token for the destination scope serves the HEAD, every blob and every manifest.
            self.assertEqual(len(grants), 1, grants)
            self.assertEqual(grants[0].scopes, ["repository:team/app:pull,push"])
            self.assertEqual(grants[0].client, "basic:mirror")

            env = clean_env(FERRY_SRC_USERNAME="mirror", FERRY_SRC_PASSWORD=password)
            destination = unique_repo("native/from-token")
            pulled = native_copy(docker_ref(registry, "team/app:v1"), docker_ref(self.plain, f"{destination}:v1"),
                                 "--src-tls-verify=false", "--dest-tls-verify=false", env=env)
            self.assertEqual(pulled.returncode, 0, pulled.stderr)
            self.assertEqual(pulled.json()["digest"], layout_digest(IMAGES / "multiarch"))
            self.assertEqual(issuer.recorded()[-1].scopes, ["repository:team/app:pull"])

    def test_bearer_without_credentials_explains(self):
        with TokenIssuer(self.workdir / "issuer", users={"mirror": "x"}) as issuer, \
                Registry(self.workdir, name="token-anon", token_auth=issuer.token_auth) as registry:
            result = native_copy(f"oci:{IMAGES / 'single'}:v1", docker_ref(registry, "team/app:v1"),
                                 "--dest-tls-verify=false")

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("401", result.stderr)
        self.assertIn("credentials", result.stderr)

    def test_redirected_blob_get_gets_no_authorization(self):
        users = {"reader": "redirect-pass-5e2b"}
        storage = (self.workdir / "redirect-storage").resolve()
        storage.mkdir()
        recorder = HeaderRecorder(storage)
        self.addCleanup(recorder.close)
        with Registry(self.workdir, name="redirect-src", users=users, redirect_baseurl=recorder.url,
                      storage_dir=storage) as source:
            seed(IMAGES / "multiarch", "v1", source, "native/redirect:v1")
            recorder.requests.clear()
            destination = unique_repo("native/redirected")

            result = native_copy(docker_ref(source, "native/redirect:v1"), docker_ref(self.plain, f"{destination}:v1"),
                                 "--src-tls-verify=false", "--dest-tls-verify=false",
                                 env=clean_env(FERRY_SRC_USERNAME="reader", FERRY_SRC_PASSWORD=users["reader"]))

            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.json()["digest"], layout_digest(IMAGES / "multiarch"))
            blob_gets = [r for r in recorder.requests if "/blobs/" in r["path"]]
            self.assertEqual(len(blob_gets), 4, recorder.requests)
            for request in recorder.requests:
                self.assertNotIn("authorization", request, request["path"])
            # The registry itself did get credentials: the redirect came from an authorized GET.
            self.assertGreater(count_requests(source.access_log, method="GET", path_regex=r"/blobs/sha256:", status=307), 0)


if __name__ == "__main__":
    unittest.main()
