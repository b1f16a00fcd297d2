"""The action on a runner without ferry: it builds ferry from its own source, then reuses the cache.

One build per test run (several minutes on 2 cores): the first run builds and saves the
install tree in the simulated cache, the second run restores it and builds nothing. Both runs
share RUNNER_TEMP's path, as jobs on one runner do, because actions/cache keys an entry by
its path as well as its key.
"""

from __future__ import annotations

import tempfile
import unittest
import uuid
from pathlib import Path

from actiontest import WORK, copy_action_tree, ensure_images, runner_env
from registry import Registry, manifest_digest, seed
from run_action import run_action

BUILD_TIMEOUT_SECONDS = 3600


class ActionBuildTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        images = ensure_images()
        cls.scratch = Path(tempfile.mkdtemp(prefix="action-build-", dir=WORK))
        cls.action_dir = copy_action_tree(cls.scratch / "action")
        cls.registry = Registry(cls.scratch / "registries", name="plain").start()
        cls.addClassCleanup(cls.registry.stop)
        cls.source_digest = seed(images / "multiarch", "v1", cls.registry, "mirror/busybox:v1")
        cls.env = runner_env(cls.scratch / "home", ferry_on_path=False)
        cls.cache_dir = cls.scratch / "cache"
        cls.workdir = cls.scratch / "runner"

        cls.first = cls.run_copy("first")
        cls.second = cls.run_copy("second")

    @classmethod
    def run_copy(cls, name: str):
        inputs = {"src-image": f"docker://{cls.registry.host}/mirror/busybox:v1",
                  "dst-image": f"docker://{cls.registry.host}/{name}/{uuid.uuid4().hex[:8]}:v1",
                  "src-tls-verify": "false", "dst-tls-verify": "false"}
        return run_action(cls.action_dir, inputs, workdir=cls.workdir, cache_dir=cls.cache_dir, env=cls.env,
                          step_timeout=BUILD_TIMEOUT_SECONDS)

    def test_first_run_builds_from_source(self):
        self.assertTrue(self.first.success, self.first.text[-5000:])
        self.assertEqual(self.first.step("build").outcome, "success")
        self.assertRegex(self.first.text, r"ferry: built from source in [0-9]+ s, obtained in [0-9]+ s")
        self.assertEqual(self.first.outputs["digest"], self.source_digest)

    def test_first_run_saves_cache(self):
        key = self.first.step("locate").outputs["cache-key"]
        self.assertEqual(self.first.cache_events, [f"restore-miss {key}", f"save {key}"])
        self.assertRegex(key, r"^ferry-build-v1-[a-z]+-[0-9.]+-(X64|ARM64)-gcc-[0-9.]+-[0-9a-f]{32}$")

    def test_second_run_uses_cache(self):
        self.assertTrue(self.second.success, self.second.text[-5000:])
        key = self.first.step("locate").outputs["cache-key"]
        self.assertEqual(self.second.cache_events, [f"restore-hit {key}"])
        self.assertEqual(self.second.step("build").outcome, "skipped")
        self.assertIn("ferry: using the build restored from the cache", self.second.text)
        repo, tag = self.second.summary.split("| Destination | `")[1].split("`")[0].split("/", 3)[3].split(":")
        self.assertEqual(manifest_digest(self.registry, repo, tag), self.source_digest)

    def test_build_folded_in_groups(self):
        self.assertIn("Install build dependencies", self.first.groups)
        self.assertIn("Build ferry", self.first.groups)


if __name__ == "__main__":
    unittest.main()
