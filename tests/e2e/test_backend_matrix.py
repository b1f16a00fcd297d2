"""The same copies with every backend: each image kind from the TLS registry with a password to
the plain one, to and from OCI layouts, and into a registry that already has the layers in
another repository. Every backend must produce the source's digest, so all of them agree."""

from __future__ import annotations

import json
import shutil
import tempfile
import unittest
from pathlib import Path

from ferrytest import IMAGES, WORK, clean_env, docker_ref, plain_registry, run_ferry, secure_registry, unique_repo
from registry import get_manifest, manifest_digest, seed

BACKENDS = ("native", "skopeo")
IMAGE_KINDS = ("multiarch", "docker-list", "single", "artifact")


def children(registry, repository: str, reference: str) -> list[str]:
    body = json.loads(get_manifest(registry, repository, reference).body)
    return [child["digest"] for child in body.get("manifests", [])]


def layout_digest(layout: Path, ref: str) -> str:
    index = json.loads((layout / "index.json").read_text())
    for descriptor in index["manifests"]:
        if descriptor.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
            return descriptor["digest"]
    raise AssertionError(f"{layout} has no ref {ref}: {index}")


class BackendMatrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.secure = secure_registry()
        cls.plain = plain_registry()
        cls.env = clean_env(FERRY_SRC_USERNAME=cls.secure.username, FERRY_SRC_PASSWORD=cls.secure.password)
        cls.sources = {}
        for kind in IMAGE_KINDS:
            repository = unique_repo(f"matrix/{kind}")
            cls.sources[kind] = (repository, seed(IMAGES / kind, "v1", cls.secure, f"{repository}:v1"))

    def setUp(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="matrix-", dir=WORK))
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def copy(self, backend: str, source: str, destination: str, *extra: str):
        result = run_ferry("copy", "--backend", backend, "--format", "json", "--src-cert-dir",
                           str(self.secure.cert_dir), "--dest-tls-verify=false", *extra, source, destination,
                           env=self.env)
        self.assertEqual(result.returncode, 0, f"{backend}: {result.stderr}")
        self.assertNotIn(self.secure.password, result.stdout + result.stderr)
        return result.json()

    def test_registry_to_registry_every_kind(self):
        for kind in IMAGE_KINDS:
            repository, digest = self.sources[kind]
            source_children = children(self.secure, repository, "v1")
            for backend in BACKENDS:
                with self.subTest(kind=kind, backend=backend):
                    destination = unique_repo(f"matrix/{kind}-{backend}")
                    report = self.copy(backend, docker_ref(self.secure, f"{repository}:v1"),
                                       docker_ref(self.plain, f"{destination}:v1"))
                    self.assertEqual(report["digest"], digest)
                    self.assertEqual(manifest_digest(self.plain, destination, "v1"), digest)
                    self.assertEqual(children(self.plain, destination, "v1"), source_children)
                    for child in source_children:
                        self.assertEqual(manifest_digest(self.plain, destination, child), child)

    def test_registry_to_layout_and_back(self):
        repository, digest = self.sources["multiarch"]
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                layout = self.scratch / f"layout-{backend}"
                report = self.copy(backend, docker_ref(self.secure, f"{repository}:v1"), f"oci:{layout}:v1")
                self.assertEqual(report["digest"], digest)
                self.assertEqual(layout_digest(layout, "v1"), digest)

                destination = unique_repo(f"matrix/from-layout-{backend}")
                report = self.copy(backend, f"oci:{layout}:v1", docker_ref(self.plain, f"{destination}:v1"))
                self.assertEqual(report["digest"], digest)
                self.assertEqual(manifest_digest(self.plain, destination, "v1"), digest)

    def test_force_repairs_layout_that_lost_a_blob(self):
        repository, digest = self.sources["multiarch"]
        source = docker_ref(self.secure, f"{repository}:v1")
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                layout = self.scratch / f"repair-{backend}"
                self.copy(backend, source, f"oci:{layout}:v1")
                child = json.loads(get_manifest(self.secure, repository, children(self.secure, repository, "v1")[0]).body)
                lost = layout / "blobs" / "sha256" / child["layers"][0]["digest"].split(":", 1)[1]
                lost.unlink()

                again = self.copy(backend, source, f"oci:{layout}:v1")
                self.assertTrue(again["up_to_date"])
                self.assertFalse(lost.exists())

                forced = self.copy(backend, source, f"oci:{layout}:v1", "--force")
                self.assertFalse(forced["up_to_date"])
                self.assertEqual(forced["digest"], digest)
                self.assertTrue(lost.exists(), f"{backend} did not restore {lost.name}")
                self.assertEqual(layout_digest(layout, "v1"), digest)

    def test_layers_already_in_another_repository(self):
        repository, digest = self.sources["multiarch"]
        first = unique_repo("matrix/mount-first")
        self.copy("native", docker_ref(self.secure, f"{repository}:v1"), docker_ref(self.plain, f"{first}:v1"))
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                destination = unique_repo(f"matrix/mount-{backend}")
                report = self.copy(backend, docker_ref(self.plain, f"{first}:v1"),
                                   docker_ref(self.plain, f"{destination}:v1"), "--src-tls-verify=false")
                self.assertEqual(report["digest"], digest)
                self.assertEqual(manifest_digest(self.plain, destination, "v1"), digest)

    def test_single_platform_of_index(self):
        repository, _ = self.sources["multiarch"]
        arm64 = children(self.secure, repository, "v1")[1]
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                destination = unique_repo(f"matrix/arm64-{backend}")
                report = self.copy(backend, docker_ref(self.secure, f"{repository}:v1"),
                                   docker_ref(self.plain, f"{destination}:v1"), "--platform", "linux/arm64")
                self.assertEqual(report["digest"], arm64)
                self.assertEqual(manifest_digest(self.plain, destination, "v1"), arm64)


if __name__ == "__main__":
    unittest.main()
