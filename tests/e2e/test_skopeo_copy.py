"""End-to-end tests of the skopeo copy backend: real images, real docker-registry servers on
127.0.0.1 and the real skopeo, driven through `ferry copy --backend skopeo`.

Besides digests, the tests check what must not happen: a password on any process's command
line or in ferry's output, an auth file or private directory left in TMPDIR after success,
failure or SIGTERM, a password in any file after SIGKILL, a skopeo that outlives a killed ferry,
and tags lost by parallel copies into one OCI layout. Fake skopeo wrappers (shell scripts passed as skopeo.skopeo-path) slow
skopeo down where a test needs it running, or pose as skopeo 1.4.1.
"""

from __future__ import annotations

import base64
import json
import re
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ferrytest import (IMAGES, WORK, clean_env, cmdlines_containing, docker_ref, plain_registry,
                       poll_until, run_ferry, secure_registry, start_ferry, unique_repo)
from fault_proxy import Bandwidth, FaultProxy
from registry import Registry, count_requests, get_manifest, manifest_digest, seed

SKOPEO = shutil.which("skopeo")

# Has every character that breaks naive quoting or a user:password split.
WEIRD_PASSWORD = "p:a$s w'\"\\ `x` ;$(id)"
WEIRD_USER = "mirror-bot"


def skopeo_backend_available() -> bool:
    if SKOPEO is None:
        return False
    listing = run_ferry("plugins", "--format", "json")
    if listing.returncode != 0:
        return False
    return any(p["name"] == "skopeo" and not p["error"] for p in listing.json())


def write_wrapper(directory: Path, body: str) -> Path:
    """Writes an executable shell script named skopeo whose body ends by running the real one."""
    path = directory / "skopeo"
    path.write_text("#!/bin/sh\n" + body + f'exec {SKOPEO} "$@"\n')
    path.chmod(0o755)
    return path


def index_children(registry, repo: str, ref: str) -> list[str]:
    manifest = json.loads(get_manifest(registry, repo, ref).body)
    return [child["digest"] for child in manifest["manifests"]]


class TemporaryDirectories:
    """A fresh TMPDIR per test, checked for leftovers at the end."""

    def make_tmpdir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="tmpdir-", dir=self.scratch))

    def assert_empty(self, directory: Path) -> None:
        leftovers = sorted(p.name for p in directory.iterdir())
        self.assertEqual(leftovers, [], f"left behind in {directory}")


@unittest.skipUnless(skopeo_backend_available(), "skopeo or the skopeo backend is not available")
class SkopeoCopyBetweenRegistries(unittest.TestCase, TemporaryDirectories):
    """Copies from the shared HTTPS+htpasswd registry to the shared plain-HTTP one."""

    @classmethod
    def setUpClass(cls):
        cls.secure = secure_registry()
        cls.plain = plain_registry()
        cls.scratch = Path(tempfile.mkdtemp(prefix="skopeo-e2e-", dir=WORK))
        cls.repo = unique_repo("skopeo/multiarch")
        cls.index_digest = seed(IMAGES / "multiarch", "v1", cls.secure, f"{cls.repo}:v1")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def copy(self, destination_repo: str, *extra: str, env: dict | None = None, global_args=()):
        tmpdir = self.make_tmpdir()
        environment = env or clean_env(FERRY_SRC_USERNAME=self.secure.username,
                                       FERRY_SRC_PASSWORD=self.secure.password)
        environment["TMPDIR"] = str(tmpdir)
        result = run_ferry(*global_args, "copy", "--backend", "skopeo", "--creds-from", "input",
                           "--src-cert-dir", str(self.secure.cert_dir), "--dest-tls-verify=false",
                           "--format", "json", *extra,
                           docker_ref(self.secure, f"{self.repo}:v1"),
                           docker_ref(self.plain, f"{destination_repo}:v1"), env=environment)
        self.assert_empty(tmpdir)
        return result

    def test_multiarch_keeps_index_and_child_digests(self):
        destination = unique_repo("skopeo/mirror")

        result = self.copy(destination)

        self.assertEqual(result.returncode, 0, result.stderr)
        report = result.json()
        self.assertEqual(report["backend"], "skopeo")
        self.assertEqual(report["digest"], self.index_digest)
        self.assertEqual(report["source_digest"], self.index_digest)
        self.assertEqual(report["platforms"], ["linux/amd64", "linux/arm64/v8"])
        self.assertFalse(report["up_to_date"])
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), self.index_digest)
        source_children = index_children(self.secure, self.repo, "v1")
        self.assertEqual(index_children(self.plain, destination, "v1"), source_children)
        for child in source_children:
            self.assertEqual(manifest_digest(self.plain, destination, child), child)

    def test_second_copy_is_up_to_date(self):
        destination = unique_repo("skopeo/again")
        self.assertEqual(self.copy(destination).returncode, 0)
        puts_before = count_manifest_puts(self.plain, destination)

        result = self.copy(destination)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.json()["up_to_date"])
        self.assertEqual(result.json()["digest"], self.index_digest)
        self.assertEqual(count_manifest_puts(self.plain, destination), puts_before)

    def test_native_only_options_warned_about(self):
        result = self.copy(unique_repo("skopeo/options"), "--upload-chunk-size", "16MiB", "--jobs", "2")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("--upload-chunk-size applies to the native backend only", result.stderr)
        self.assertIn("--jobs applies to the native backend only", result.stderr)
        self.assertNotIn("--force-http1 applies", result.stderr)

    def test_platform_copies_one_child(self):
        destination = unique_repo("skopeo/arm64")
        arm64 = index_children(self.secure, self.repo, "v1")[1]

        result = self.copy(destination, "--platform", "linux/arm64")

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], arm64)
        self.assertEqual(result.json()["platforms"], ["linux/arm64/v8"])
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), arm64)

    def test_wrong_password_fails_without_leaking_it(self):
        wrong = "wrong-" + WEIRD_PASSWORD
        env = clean_env(FERRY_SRC_USERNAME=self.secure.username, FERRY_SRC_PASSWORD=wrong)

        result = self.copy(unique_repo("skopeo/denied"), env=env)

        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("inspecting source", result.stderr)
        self.assertRegex(result.stderr, "unauthorized|authentication required")
        self.assertNotIn(wrong, result.stderr + result.stdout)
        auth = base64.b64encode(f"{self.secure.username}:{wrong}".encode()).decode()
        self.assertNotIn(auth, result.stderr + result.stdout)

    def test_skopeo_141_copies_every_platform(self):
        wrappers = Path(tempfile.mkdtemp(prefix="skopeo141-", dir=self.scratch))
        calls = wrappers / "calls.log"
        wrapper = write_wrapper(wrappers, f"""\
echo "$*" >> '{calls}'
for arg in "$@"; do
  case "$arg" in
    --version) echo "skopeo version 1.4.1"; exit 0 ;;
    --multi-arch|--multi-arch=*|--preserve-digests|--src-username*|--dest-username*|\\
    --src-password*|--dest-password*|--src-registry-token*|--dest-registry-token*)
      echo "time=\\"2024-01-01T00:00:00Z\\" level=fatal msg=\\"unknown flag: ${{arg%%=*}}\\"" >&2
      exit 1 ;;
  esac
done
""")
        destination = unique_repo("skopeo/old")

        result = self.copy(destination, global_args=("--plugin-option", f"skopeo.skopeo-path={wrapper}"))

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], self.index_digest)
        self.assertEqual(result.json()["platforms"], ["linux/amd64", "linux/arm64/v8"])
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), self.index_digest)
        self.assertEqual(index_children(self.plain, destination, "v1"),
                         index_children(self.secure, self.repo, "v1"))
        copy_calls = [line for line in calls.read_text().splitlines() if " copy " in f" {line} "]
        self.assertEqual(len(copy_calls), 1)
        self.assertIn("--all", copy_calls[0].split())


def count_manifest_puts(registry, repository: str) -> int:
    """Manifest PUTs into one repository; other tests share the registry and push at the same time."""
    return count_requests(registry.access_log, method="PUT", path_regex=rf"^/v2/{re.escape(repository)}/manifests/")


@unittest.skipUnless(skopeo_backend_available(), "skopeo or the skopeo backend is not available")
class SkopeoDockerManifestList(unittest.TestCase, TemporaryDirectories):
    def setUp(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="skopeo-e2e-", dir=WORK))
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def test_manifest_list_digest_and_media_type_kept(self):
        plain = plain_registry()
        source = unique_repo("skopeo/dlist-src")
        destination = unique_repo("skopeo/dlist-dst")
        digest = seed(IMAGES / "docker-list", "v1", plain, f"{source}:v1")
        tmpdir = self.make_tmpdir()

        result = run_ferry("copy", "--backend", "skopeo", "--creds-from", "input",
                           "--src-tls-verify=false", "--dest-tls-verify=false", "--format", "json",
                           docker_ref(plain, f"{source}:v1"), docker_ref(plain, f"{destination}:v1"),
                           env=clean_env(TMPDIR=str(tmpdir)))

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json()["digest"], digest)
        copied = get_manifest(plain, destination, "v1")
        self.assertEqual(copied.digest, digest)
        self.assertEqual(copied.media_type, "application/vnd.docker.distribution.manifest.list.v2+json")
        self.assert_empty(tmpdir)


@unittest.skipUnless(skopeo_backend_available(), "skopeo or the skopeo backend is not available")
class SkopeoPasswordSecrecy(unittest.TestCase, TemporaryDirectories):
    """A registry whose only user has a password full of shell and split characters."""

    @classmethod
    def setUpClass(cls):
        cls.scratch = Path(tempfile.mkdtemp(prefix="skopeo-secret-", dir=WORK))
        cls.registry = Registry(cls.scratch / "registry", tls=True, users={WEIRD_USER: WEIRD_PASSWORD})
        cls.registry.start()
        cls.plain = plain_registry()
        cls.repo = unique_repo("skopeo/secret")
        cls.digest = seed(IMAGES / "multiarch", "v1", cls.registry, f"{cls.repo}:v1")
        cls.basic_auth = base64.b64encode(f"{WEIRD_USER}:{WEIRD_PASSWORD}".encode()).decode()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def copy_args(self, destination: str, *extra: str) -> list[str]:
        return ["--debug", *extra, "copy", "--backend", "skopeo", "--creds-from", "input",
                "--src-cert-dir", str(self.registry.cert_dir), "--dest-tls-verify=false",
                "--src-username", WEIRD_USER, "--format", "json",
                docker_ref(self.registry, f"{self.repo}:v1"), docker_ref(self.plain, f"{destination}:v1")]

    def assert_secret_absent(self, text: str) -> None:
        self.assertNotIn(WEIRD_PASSWORD, text)
        self.assertNotIn(self.basic_auth, text)

    def test_password_from_stdin_never_on_any_command_line(self):
        # The wrapper keeps every skopeo call alive for a while, so the scan below observes each one.
        wrappers = Path(tempfile.mkdtemp(prefix="slow-", dir=self.scratch))
        wrapper = write_wrapper(wrappers, "sleep 0.3\n")
        tmpdir = self.make_tmpdir()
        destination = unique_repo("skopeo/secret-copy")

        args = self.copy_args(destination, "--plugin-option", f"skopeo.skopeo-path={wrapper}")
        process = start_ferry(*args, "--src-password-stdin", env=clean_env(TMPDIR=str(tmpdir)),
                              stdin=WEIRD_PASSWORD)
        leaks: list[str] = []
        skopeo_seen: set[str] = set()
        while process.poll() is None:
            leaks += cmdlines_containing(WEIRD_PASSWORD) + cmdlines_containing(self.basic_auth)
            skopeo_seen.update(line for line in cmdlines_containing(str(wrapper)) if " copy " in line)
            time.sleep(0.01)
        stdout, stderr = finish(process, timeout=60)

        self.assertEqual(process.returncode, 0, stderr)
        self.assertEqual(leaks, [])
        self.assertTrue(skopeo_seen, "the scan never saw skopeo copy running")
        self.assert_secret_absent(stdout + stderr)
        self.assertIn("username and password", stderr)
        self.assertEqual(json.loads(stdout)["digest"], self.digest)
        self.assertEqual(manifest_digest(self.plain, destination, "v1"), self.digest)
        self.assert_empty(tmpdir)

    def test_password_from_environment(self):
        tmpdir = self.make_tmpdir()
        destination = unique_repo("skopeo/secret-env")

        result = run_ferry(*self.copy_args(destination),
                           env=clean_env(TMPDIR=str(tmpdir), FERRY_SRC_PASSWORD=WEIRD_PASSWORD))

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_secret_absent(result.stdout + result.stderr)
        self.assertEqual(result.json()["digest"], self.digest)
        self.assert_empty(tmpdir)


@unittest.skipUnless(skopeo_backend_available(), "skopeo or the skopeo backend is not available")
class SkopeoCancellation(unittest.TestCase, TemporaryDirectories):
    def setUp(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="skopeo-cancel-", dir=WORK))
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def test_sigterm_stops_skopeo_and_removes_private_directory(self):
        plain = plain_registry()
        source = unique_repo("skopeo/cancel-src")
        seed(IMAGES / "single", "v1", plain, f"{source}:v1")
        started = self.scratch / "copy-started"
        child_pid = self.scratch / "sleep.pid"
        # `copy` hangs in a child process, like skopeo on a stalled connection.
        wrapper = write_wrapper(self.scratch, f"""\
for arg in "$@"; do
  if [ "$arg" = copy ]; then
    sleep 600 &
    echo $! > '{child_pid}'
    touch '{started}'
    wait
    exit 1
  fi
done
""")
        tmpdir = self.make_tmpdir()

        process = start_ferry("--plugin-option", f"skopeo.skopeo-path={wrapper}", "copy", "--backend", "skopeo",
                              "--creds-from", "input", "--src-tls-verify=false", "--dest-tls-verify=false",
                              docker_ref(plain, f"{source}:v1"),
                              docker_ref(plain, unique_repo("skopeo/cancel-dst") + ":v1"),
                              env=clean_env(TMPDIR=str(tmpdir)))
        try:
            poll_until(started.exists, timeout=60, message="the wrapper's copy to start")
            self.assertEqual(len(list(tmpdir.iterdir())), 1, "the private directory exists while copying")
            process.send_signal(signal.SIGTERM)
            _, stderr = finish(process, timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

        self.assertEqual(process.returncode, 130, stderr)
        self.assertIn("cancelled; skopeo was stopped", stderr)
        self.assert_empty(tmpdir)
        sleeper = int(child_pid.read_text())
        poll_until(lambda: process_gone(sleeper), timeout=10, message=f"skopeo's child {sleeper} to exit")


@unittest.skipUnless(skopeo_backend_available(), "skopeo or the skopeo backend is not available")
class SkopeoKilledFerry(unittest.TestCase):
    """SIGKILL to ferry mid-copy, which no handler can catch and no cleanup code follows."""

    PASSWORD = "pa:ss word"
    # 2 MB of multiarch layers at 32 KiB/s take about a minute, so the copy is still pushing when
    # ferry is killed a few seconds in, and a skopeo that survived could not finish in the poll.
    UPLOAD_BYTES_PER_SECOND = 32 * 1024

    @classmethod
    def setUpClass(cls):
        cls.scratch = Path(tempfile.mkdtemp(prefix="skopeo-kill-", dir=WORK))
        cls.registry = Registry(cls.scratch / "registry", users={"alice": cls.PASSWORD})
        cls.registry.start()
        cls.basic_auth = base64.b64encode(f"alice:{cls.PASSWORD}".encode()).decode()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def test_sigkill_leaves_no_skopeo_and_no_password(self):
        tmpdir = Path(tempfile.mkdtemp(prefix="tmpdir-", dir=self.scratch))
        destination = unique_repo("skopeo/killed")
        with FaultProxy(self.registry.url,
                        rules=[Bandwidth(bytes_per_second=self.UPLOAD_BYTES_PER_SECOND, direction="up")]) as proxy:
            process = start_ferry("copy", "--backend", "skopeo", "--creds-from", "input", "--dest-tls-verify=false",
                                  f"oci:{IMAGES / 'multiarch'}:v1", f"docker://{proxy.host}/{destination}:v1",
                                  env=clean_env(TMPDIR=str(tmpdir), FERRY_DEST_CREDS=f"alice:{self.PASSWORD}"))
            try:
                # The copy has begun once skopeo copy runs and the proxy has seen a blob upload start.
                copies = poll_until(lambda: skopeo_copies_of(destination), timeout=60,
                                    message="skopeo copy to start")
                poll_until(lambda: proxy.bytes_up > 0, timeout=60, message="the upload to start")
                command_lines = [command_line for _, command_line in copies]
                files_while_copying = files_containing(tmpdir, [self.PASSWORD, self.basic_auth])
                os.kill(process.pid, signal.SIGKILL)
                finish(process, timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            skopeo_pids = [pid for pid, _ in copies]
            poll_until(lambda: all(process_gone(pid) for pid in skopeo_pids) and not skopeo_copies_of(destination),
                       timeout=10, message=f"skopeo {skopeo_pids} to exit after ferry was killed")

        self.assertEqual(process.returncode, -signal.SIGKILL)
        self.assertEqual(files_while_copying, [])
        self.assertEqual(files_containing(tmpdir, [self.PASSWORD, self.basic_auth]), [])
        for command_line in command_lines:
            self.assertNotIn(self.PASSWORD, command_line)
            self.assertNotIn(self.basic_auth, command_line)
            self.assertRegex(command_line, r"--dest-authfile /dev/fd/\d+ ")
        with self.assertRaises(urllib.error.HTTPError) as missing:
            get_manifest(self.registry, destination, "v1")
        self.assertEqual(missing.exception.code, 404, "the killed copy must not have pushed its manifest")


@unittest.skipUnless(skopeo_backend_available(), "skopeo or the skopeo backend is not available")
class SkopeoParallelLayoutCopies(unittest.TestCase):
    """Copies that run at the same time into one OCI layout, each adding its own tag."""

    COPIES = 6

    @classmethod
    def setUpClass(cls):
        cls.scratch = Path(tempfile.mkdtemp(prefix="skopeo-layout-", dir=WORK))
        cls.plain = plain_registry()
        cls.prefix = unique_repo("skopeo/parallel")
        cls.digest = None
        for number in range(cls.COPIES):
            cls.digest = seed(IMAGES / "single", "v1", cls.plain, f"{cls.prefix}/r{number}:v1")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def copy_all(self, layout: Path, backends: list[str]) -> list:
        def copy(number: int):
            return run_ferry("copy", "--backend", backends[number], "--creds-from", "input",
                             "--src-tls-verify=false", "--format", "json",
                             docker_ref(self.plain, f"{self.prefix}/r{number}:v1"), f"oci:{layout}:r{number}",
                             env=clean_env(TMPDIR=str(self.scratch)))

        with ThreadPoolExecutor(max_workers=self.COPIES) as pool:
            return list(pool.map(copy, range(self.COPIES)))

    def assert_all_tags(self, layout: Path, results: list) -> None:
        for number, result in enumerate(results):
            self.assertEqual(result.returncode, 0, f"copy r{number}: {result.stderr}")
            self.assertEqual(result.json()["digest"], self.digest)
        index = json.loads((layout / "index.json").read_text())
        tags = sorted(entry.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
                      for entry in index["manifests"])
        self.assertEqual(tags, [f"r{number}" for number in range(self.COPIES)])
        for entry in index["manifests"]:
            self.assertEqual(entry["digest"], self.digest)

    def test_six_skopeo_copies_keep_every_tag(self):
        layout = self.scratch / "skopeo-only" / "layout"  # missing, so the first copy creates it

        results = self.copy_all(layout, ["skopeo"] * self.COPIES)

        self.assert_all_tags(layout, results)

    def test_skopeo_and_native_copies_keep_every_tag(self):
        layout = self.scratch / "mixed"

        results = self.copy_all(layout, ["skopeo", "native"] * (self.COPIES // 2))

        self.assert_all_tags(layout, results)


def skopeo_copies_of(destination: str) -> list[tuple[int, str]]:
    """The running `skopeo copy` processes whose arguments name destination, as (pid, command line)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [word.decode(errors="replace") for word in argv]
        is_skopeo = bool(words) and words[0].endswith("skopeo")
        if is_skopeo and "copy" in words and any(destination in word for word in words) \
                and not process_gone(int(proc.name)):
            found.append((int(proc.name), " ".join(words)))
    return found


def files_containing(directory: Path, needles: list[str]) -> list[str]:
    """Paths of the files under directory whose bytes contain any of needles."""
    found = []
    for path in sorted(directory.rglob("*")):
        try:
            content = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        except OSError:
            continue
        if any(needle.encode() in content for needle in needles):
            found.append(str(path))
    return found


def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Waits for a process from start_ferry and returns its stdout and stderr."""
    process.stdin = None  # start_ferry has already closed it; communicate must not flush it
    return process.communicate(timeout=timeout)


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True  # exited between kill() and the read
    return stat[stat.rindex(")") + 2] == "Z"


if __name__ == "__main__":
    unittest.main()
