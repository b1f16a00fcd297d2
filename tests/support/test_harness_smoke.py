"""Smoke tests of the test-image builders and the registry harness against real tools.

Needs docker-registry, skopeo, htpasswd, openssl, jq and the Debian mirrors on
the first run (the busybox-static packages are cached afterwards). Set
FERRY_TEST_WORK to a directory in the build tree to keep images and the
package cache between runs. Without it, everything goes to a temporary
directory that is removed at the end.

Run: python3 -m unittest discover -s tests/support -p 'test_*.py' -v
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
import urllib.error
from pathlib import Path
from types import SimpleNamespace

SUPPORT_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SUPPORT_DIR))

from registry import (  # noqa: E402
    Endpoint,
    Registry,
    count_requests,
    get_manifest,
    manifest_digest,
    seed,
    skopeo_copy,
    wait_for_request_count,
)

BUILD_TEST_IMAGES = SUPPORT_DIR / "images" / "build-test-images.sh"
BUILD_RANDOM_IMAGE = SUPPORT_DIR / "images" / "build-random-image.sh"
REQUIRED_TOOLS = ("docker-registry", "skopeo", "htpasswd", "openssl", "jq", "apt-get", "dpkg-deb")

# Set by setUpModule. RUN_DIR contains registries and scratch files of this run only.
WORK_DIR: Path
IMAGES_DIR: Path
RUN_DIR: Path


def setUpModule() -> None:
    global WORK_DIR, IMAGES_DIR, RUN_DIR
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise unittest.SkipTest(f"missing tools: {', '.join(missing)}")

    if os.environ.get("FERRY_TEST_WORK"):
        WORK_DIR = Path(os.environ["FERRY_TEST_WORK"]).resolve()
        WORK_DIR.mkdir(parents=True, exist_ok=True)
    else:
        WORK_DIR = Path(tempfile.mkdtemp(prefix="ferry-harness-"))
        unittest.addModuleCleanup(shutil.rmtree, WORK_DIR, ignore_errors=True)

    RUN_DIR = Path(tempfile.mkdtemp(prefix="run-", dir=WORK_DIR))
    unittest.addModuleCleanup(shutil.rmtree, RUN_DIR, ignore_errors=True)
    IMAGES_DIR = WORK_DIR / "images"
    build_images(IMAGES_DIR)


def build_images(images_dir: Path) -> subprocess.CompletedProcess:
    environment = os.environ | {"FERRY_TEST_CACHE": str(WORK_DIR / "cache")}
    return subprocess.run(
        [str(BUILD_TEST_IMAGES), str(images_dir)], env=environment, capture_output=True, text=True, check=True
    )


def layout_digest(layout: str) -> str:
    """Return the digest that index.json of the layout tags v1."""
    index = json.loads((IMAGES_DIR / layout / "index.json").read_text())
    return index["manifests"][0]["digest"]


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def process_is_running(pid: int) -> bool:
    """True if pid exists and is not a zombie waiting for its parent to reap it."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat_line.rsplit(")", 1)[1].split()[0] != "Z"


class ImageBuildersTest(unittest.TestCase):
    def test_build_second_run_is_up_to_date(self):
        result = build_images(IMAGES_DIR)

        self.assertIn("is up to date", result.stdout)

    def test_build_is_deterministic(self):
        second = RUN_DIR / "images-second-build"

        build_images(second)

        self.assertEqual((IMAGES_DIR / ".checksums").read_text(), (second / ".checksums").read_text())

    def test_multiarch_index_lists_both_platforms(self):
        index_blob = IMAGES_DIR / "multiarch" / "blobs" / "sha256" / layout_digest("multiarch").removeprefix("sha256:")
        platforms = [m["platform"] for m in json.loads(index_blob.read_bytes())["manifests"]]

        self.assertEqual(
            platforms,
            [{"architecture": "amd64", "os": "linux"}, {"architecture": "arm64", "os": "linux", "variant": "v8"}],
        )

    def test_random_image_layers_match_digests(self):
        layout = RUN_DIR / "random"

        subprocess.run([str(BUILD_RANDOM_IMAGE), str(layout), "3", "2"], capture_output=True, check=True)

        manifest = json.loads(_blob(layout, json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]))
        self.assertEqual(len(manifest["layers"]), 2)
        payload = 0
        for layer in manifest["layers"]:
            data = _blob(layout, layer["digest"])
            self.assertEqual(sha256_digest(data), layer["digest"])
            self.assertEqual(len(data), layer["size"])
            # Each 1.5 MiB file needs no padding, so the tar adds one header block and two end blocks.
            payload += len(data) - 3 * 512
        self.assertEqual(payload, 3 * 1024 * 1024)


def _blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


class RegistryCopyTest(unittest.TestCase):
    """Seeds a TLS registry with Basic auth, then copies to a plain HTTP registry."""

    @classmethod
    def setUpClass(cls):
        registries_dir = RUN_DIR / "registries"
        cls.plain = Registry(registries_dir).start()
        cls.addClassCleanup(cls.plain.stop)
        cls.secure = Registry(registries_dir, tls=True, users={"ferry": "correct horse battery"}).start()
        cls.addClassCleanup(cls.secure.stop)

    def assert_same_manifest_tree(self, repo: str, expected_digest: str):
        """Check that the index and every child manifest have expected digests in both registries."""
        for registry in (self.secure, self.plain):
            self.assertEqual(manifest_digest(registry, repo, "v1"), expected_digest, registry.url)

        index = get_manifest(self.secure, repo, "v1")
        self.assertEqual(sha256_digest(index.body), expected_digest)
        children = [child["digest"] for child in json.loads(index.body)["manifests"]]
        self.assertEqual(len(children), 2)
        for child in children:
            with self.subTest(child=child):
                source = get_manifest(self.secure, repo, child)
                copy = get_manifest(self.plain, repo, child)
                self.assertEqual(source.digest, child)
                self.assertEqual(copy.digest, child)
                self.assertEqual(sha256_digest(copy.body), child)
                self.assertEqual(copy.media_type, source.media_type)

    def copy_secure_to_plain(self, repo: str) -> str:
        return skopeo_copy(
            f"docker://{self.secure.host}/{repo}:v1",
            f"docker://{self.plain.host}/{repo}:v1",
            src_registry=self.secure,
            dest_registry=self.plain,
        )

    def test_multiarch_copy_keeps_all_digests(self):
        expected = layout_digest("multiarch")

        self.assertEqual(seed(IMAGES_DIR / "multiarch", "v1", self.secure, "smoke/multiarch:v1"), expected)
        self.assertEqual(self.copy_secure_to_plain("smoke/multiarch"), expected)

        self.assert_same_manifest_tree("smoke/multiarch", expected)
        index = get_manifest(self.plain, "smoke/multiarch", "v1")
        self.assertEqual(index.media_type, "application/vnd.oci.image.index.v1+json")

    def test_docker_list_copy_keeps_all_digests(self):
        expected = layout_digest("docker-list")

        self.assertEqual(seed(IMAGES_DIR / "docker-list", "v1", self.secure, "smoke/docker-list:v1"), expected)
        self.assertEqual(self.copy_secure_to_plain("smoke/docker-list"), expected)

        self.assert_same_manifest_tree("smoke/docker-list", expected)
        index = get_manifest(self.plain, "smoke/docker-list", "v1")
        self.assertEqual(index.media_type, "application/vnd.docker.distribution.manifest.list.v2+json")

    def test_single_and_artifact_seed_keep_digest(self):
        for layout in ("single", "artifact"):
            with self.subTest(layout=layout):
                pushed = seed(IMAGES_DIR / layout, "v1", self.plain, f"smoke/{layout}:v1")

                self.assertEqual(pushed, layout_digest(layout))
                self.assertEqual(manifest_digest(self.plain, f"smoke/{layout}", "v1"), layout_digest(layout))

    def test_secure_registry_rejects_anonymous_request(self):
        anonymous = SimpleNamespace(url=self.secure.url, ca_file=self.secure.ca_file, username=None, password=None)

        with self.assertRaises(urllib.error.HTTPError) as raised:
            manifest_digest(anonymous, "smoke/any", "v1")

        self.assertEqual(raised.exception.code, 401)

    def test_access_log_counts_manifest_puts(self):
        seed(IMAGES_DIR / "multiarch", "v1", self.plain, "smoke/counted:v1")

        puts = wait_for_request_count(
            self.plain.access_log, 3, method="PUT", path_regex=r"^/v2/smoke/counted/manifests/"
        )

        self.assertEqual(puts, 3)


class RegistryCliTest(unittest.TestCase):
    """Runs registry.py start and stop as a ctest fixture would."""

    def setUp(self):
        self.state_dir = Path(tempfile.mkdtemp(prefix="cli-", dir=RUN_DIR))

    def run_cli(self, *args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, str(SUPPORT_DIR / "registry.py"), *args, "--state", str(self.state_dir)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    def test_cli_start_writes_state_and_stop_twice(self):
        started = self.run_cli("start", "--name", "fixture", "--tls", "--htpasswd", "ci")
        self.assertEqual(started.returncode, 0, started.stderr)
        self.addCleanup(self.run_cli, "stop")

        endpoint = Endpoint.load(self.state_dir / "fixture.json")
        self.assertEqual(endpoint.username, "ci")
        self.assertEqual(stat.S_IMODE(endpoint.password_file.stat().st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(endpoint.authfile.stat().st_mode), 0o600)
        self.assertNotIn(endpoint.password.encode(), Path(f"/proc/{endpoint.pid}/cmdline").read_bytes())
        self.assertTrue(endpoint.url.startswith("https://127.0.0.1:"), endpoint.url)
        with self.assertRaises(urllib.error.HTTPError) as raised:
            manifest_digest(endpoint, "missing/repo", "v1")
        self.assertEqual(raised.exception.code, 404)

        first = self.run_cli("stop", "--name", "fixture")
        second = self.run_cli("stop", "--name", "fixture")

        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertFalse((self.state_dir / "fixture.json").exists())
        self.assertFalse(endpoint.password_file.exists())
        self.assertFalse(process_is_running(endpoint.pid))

    def test_cli_start_rejects_existing_name(self):
        first = self.run_cli("start", "--name", "twice")
        self.addCleanup(self.run_cli, "stop")
        second = self.run_cli("start", "--name", "twice")

        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(second.returncode, 1)
        self.assertIn("twice.json exists", second.stderr)


if __name__ == "__main__":
    unittest.main()
