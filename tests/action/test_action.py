"""The composite action (action.yml) run through run_action.py against real registries.

Two HTTPS registries with htpasswd auth run on 127.0.0.1: the source contains the real
multi-arch busybox image, and one case adds an image with a 40 MiB layer of random data. The
built ferry is on PATH, so these cases test the copy step and the masking;
test_action_build.py covers building ferry from source.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import tempfile
import unittest
import uuid
from pathlib import Path

from actiontest import SOURCE_DIR, WORK, ensure_images, runner_env
from registry import Registry, manifest_digest, seed, wait_for_request_count
from run_action import run_action

# Characters a shell would interpret, inside passwords the registries really check.
SOURCE_USER = "puller"
DESTINATION_USER = "pusher"

# Size of the one layer in the chunked upload case. It takes 3 PATCH requests in 16 MiB chunks
# and 2 in ferry's default 32 MiB chunks, so the request count shows which size ferry used.
LARGE_LAYER_MIB = 40


def hostile_password(marker: Path) -> str:
    """A password of shell syntax, under bcrypt's 72-byte limit (htpasswd -B)."""
    return f"""p:a$ss w'o"r`d`$HOME $(touch {marker}) ;|&<>\\ %0A"""


class ActionCopyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        images = ensure_images()
        cls.scratch = Path(tempfile.mkdtemp(prefix="action-", dir=WORK))
        # Registered first, so it runs after the registries have stopped.
        cls.addClassCleanup(shutil.rmtree, cls.scratch, ignore_errors=True)
        cls.marker = Path(tempfile.gettempdir()) / f"pwned-{uuid.uuid4().hex[:8]}"
        cls.source_password = hostile_password(cls.marker)
        cls.destination_password = f"d:`id` $(touch {cls.marker}) 'x\" %25:"

        registries = cls.scratch / "registries"
        cls.source = Registry(registries, name="source", tls=True, users={SOURCE_USER: cls.source_password}).start()
        cls.addClassCleanup(cls.source.stop)
        cls.destination = Registry(registries, name="destination", tls=True,
                                   users={DESTINATION_USER: cls.destination_password}).start()
        cls.addClassCleanup(cls.destination.stop)
        cls.source_digest = seed(images / "multiarch", "v1", cls.source, "mirror/busybox:v1")
        cls.env = runner_env(cls.scratch / "home")

    def run_copy(self, **inputs: str):
        """Run the action with inputs; the source and destination CA come in as cert-dir inputs."""
        workdir = Path(tempfile.mkdtemp(prefix="run-", dir=self.scratch))
        defaults = {
            "src-image": f"docker://{self.source.host}/mirror/busybox:v1",
            "src-cert-dir": str(self.source.cert_dir),
            "dst-cert-dir": str(self.destination.cert_dir),
        }
        return run_action(SOURCE_DIR, {**defaults, **inputs}, workdir=workdir, env=self.env)

    def destination_image(self, name: str) -> str:
        return f"docker://{self.destination.host}/{name}/{uuid.uuid4().hex[:8]}:v1"

    def creds_inputs(self) -> dict[str, str]:
        return {"src-creds": f"{SOURCE_USER}:{self.source_password}",
                "dst-creds": f"{DESTINATION_USER}:{self.destination_password}"}

    def assert_no_secret_shown(self, result) -> None:
        for secret in (self.source_password, self.destination_password):
            self.assertNotIn(secret, result.text)
        basic = base64.b64encode(f"{SOURCE_USER}:{self.source_password}".encode()).decode().rstrip("=")
        self.assertIn(basic, result.masks)

    def test_original_inputs_copy_every_platform(self):
        destination = self.destination_image("original")

        result = self.run_copy(**self.creds_inputs(), **{"dst-image": destination})

        self.assertTrue(result.success, result.text)
        self.assertEqual(result.outputs["digest"], self.source_digest)
        self.assertEqual(result.outputs["src-digest"], self.source_digest)
        repo, tag = destination.removeprefix(f"docker://{self.destination.host}/").split(":")
        self.assertEqual(manifest_digest(self.destination, repo, tag), self.source_digest)
        self.assertEqual(result.outputs["up-to-date"], "false")
        self.assertIn("linux/amd64", result.outputs["platforms"])
        self.assertIn("linux/arm64", result.outputs["platforms"])
        self.assertIn(result.outputs["backend"], ("skopeo", "native"))
        self.assertIn(f"ferry: using {self.env['PATH'].split(':')[0]}/ferry from PATH", result.text)

    def test_hostile_creds_copied_literally(self):
        result = self.run_copy(**self.creds_inputs(), **{"dst-image": self.destination_image("hostile")})

        self.assertTrue(result.success, result.text)
        self.assertEqual(result.outputs["digest"], self.source_digest)
        self.assertFalse(self.marker.exists(), f"{self.marker} was created: a credential ran as code")
        self.assert_no_secret_shown(result)

    def test_username_password_inputs(self):
        inputs = {"src-username": SOURCE_USER, "src-password": self.source_password,
                  "dst-username": DESTINATION_USER, "dst-password": self.destination_password,
                  "dst-image": self.destination_image("split")}

        result = self.run_copy(**inputs)

        self.assertTrue(result.success, result.text)
        self.assertEqual(result.outputs["digest"], self.source_digest)
        self.assertFalse(self.marker.exists())
        self.assert_no_secret_shown(result)

    def test_password_masked_before_anything_printed(self):
        result = self.run_copy(**self.creds_inputs(), **{"dst-image": self.destination_image("mask")})

        self.assertTrue(result.success, result.text)
        self.assertEqual(result.steps[0].name, "Mask credentials")
        # The password alone, not only the whole USER:PASSWORD, is a mask.
        self.assertIn(self.source_password, result.masks)
        self.assertIn(self.destination_password, result.masks)
        # Every mask is registered before the first line that a step prints for itself
        # ("##[" lines are the runner's own step headers).
        mask_lines = [index for index, line in enumerate(result.raw_log) if line.startswith("::add-mask::")]
        printed = [index for index, line in enumerate(result.raw_log)
                   if not line.startswith(("::add-mask::", "##["))]
        self.assertGreaterEqual(len(mask_lines), 6)
        self.assertLess(max(mask_lines), min(printed), result.raw_text)
        self.assert_no_secret_shown(result)

    def test_wrong_password_masked_in_failure(self):
        wrong = f"wrong:{uuid.uuid4().hex} $(touch {self.marker})"

        result = self.run_copy(**{"src-creds": f"{SOURCE_USER}:{wrong}", "dst-image": self.destination_image("denied"),
                                  "dst-creds": f"{DESTINATION_USER}:{self.destination_password}",
                                  "retry-times": "0"})

        self.assertFalse(result.success)
        self.assertNotIn(wrong, result.text)
        self.assertNotIn(wrong.split(":", 1)[1], result.text)
        self.assertFalse(self.marker.exists())

    def test_second_run_up_to_date(self):
        destination = self.destination_image("again")
        first = self.run_copy(**self.creds_inputs(), **{"dst-image": destination})
        self.assertTrue(first.success, first.text)

        second = self.run_copy(**self.creds_inputs(), **{"dst-image": destination})

        self.assertTrue(second.success, second.text)
        self.assertEqual(first.outputs["up-to-date"], "false")
        self.assertEqual(second.outputs["up-to-date"], "true")
        self.assertEqual(second.outputs["digest"], self.source_digest)

    def test_summary_table(self):
        destination = self.destination_image("summary")

        result = self.run_copy(**self.creds_inputs(), **{"dst-image": destination})

        self.assertTrue(result.success, result.text)
        summary = result.summary
        self.assertIn(f"| Source | `docker://{self.source.host}/mirror/busybox:v1` |", summary)
        self.assertIn(f"| Destination | `{destination}` |", summary)
        self.assertIn(f"| Digest | `{self.source_digest}` |", summary)
        self.assertRegex(summary, r"\| Platforms \| [^|]*linux/amd64[^|]*linux/arm64")
        # NOTE: the skopeo backend reports 0 bytes because skopeo prints no byte count.
        minimum_bytes = r"[1-9][0-9]*" if result.outputs["backend"] == "native" else r"[0-9]+"
        self.assertRegex(summary, rf"\| Bytes \| {minimum_bytes} \|")
        self.assertRegex(summary, r"\| Time \| [0-9]+\.[0-9] s \|")
        self.assertIn(f"| Backend | {result.outputs['backend']} |", summary)
        self.assertRegex(summary, r"\| Source credentials \| input\b")
        self.assertRegex(summary, r"\| Destination credentials \| input\b")
        self.assertNotIn(self.source_password, summary)

    def test_single_platform_input(self):
        result = self.run_copy(**self.creds_inputs(), **{"dst-image": self.destination_image("arm"),
                                                           "platform": "linux/arm64"})

        self.assertTrue(result.success, result.text)
        self.assertNotEqual(result.outputs["digest"], self.source_digest)
        self.assertEqual(result.outputs["platforms"], "linux/arm64/v8")

    def test_missing_image_reported_as_error(self):
        source = f"docker://{self.source.host}/mirror/absent:v1"

        result = self.run_copy(**self.creds_inputs(), **{"src-image": source,
                                                           "dst-image": self.destination_image("absent"),
                                                           "retry-times": "0"})

        self.assertFalse(result.success)
        errors = [message for message in result.errors() if message.startswith("Copying ")]
        self.assertEqual(len(errors), 1, result.text)
        self.assertIn(source, errors[0])
        self.assertRegex(errors[0], r"failed \(exit code 1\): \S")
        self.assertEqual(result.step("copy").outcome, "failure")
        self.assertIn(f"ferry copy {source} ", "\n".join(result.groups))

    def test_network_inputs_copy_in_chunks(self):
        layout = WORK / f"random-{LARGE_LAYER_MIB}mib"
        subprocess.run(["bash", str(SOURCE_DIR / "tests" / "support" / "images" / "build-random-image.sh"),
                        str(layout), str(LARGE_LAYER_MIB), "1"], check=True, capture_output=True, text=True)
        source_digest = seed(layout, "v1", self.source, "mirror/random:v1")
        destination = self.destination_image("chunked")
        repo = destination.removeprefix(f"docker://{self.destination.host}/").split(":")[0]

        result = self.run_copy(**self.creds_inputs(), **{
            "src-image": f"docker://{self.source.host}/mirror/random:v1", "dst-image": destination,
            "backend": "native", "upload-chunk-size": "16MiB", "stall-timeout": "30"})

        self.assertTrue(result.success, result.text)
        self.assertEqual(result.outputs["digest"], source_digest)
        self.assertEqual(manifest_digest(self.destination, repo, "v1"), source_digest)
        # 16 + 16 + 8 MiB; ferry's default chunk size would have sent 32 + 8 MiB.
        patches = wait_for_request_count(self.destination.access_log, 3, method="PATCH",
                                         path_regex=rf"^/v2/{re.escape(repo)}/blobs/uploads/")
        self.assertEqual(patches, 3)

    def test_invalid_network_input_named(self):
        cases = [
            ("jobs", "0", 'invalid jobs input "0": --jobs: Value 0 not in range 1 to 64'),
            ("upload-chunk-size", "12q", 'invalid upload-chunk-size input "12q": --upload-chunk-size "12q": '
                                         "expected a size such as 32MiB, 512KiB or a number of bytes"),
        ]
        for name, value, expected in cases:
            with self.subTest(input=name):
                result = self.run_copy(**{"dst-image": self.destination_image("bad"), name: value})

                self.assertFalse(result.success)
                self.assertEqual(result.step("copy").outcome, "failure")
                self.assertEqual(result.errors()[-1], expected)
                self.assertFalse(any(error.startswith("Copying ") for error in result.errors()), result.text)

    def test_invalid_input_reported_as_error(self):
        result = self.run_copy(**{"dst-image": self.destination_image("bad"), "src-tls-verify": "yes"})

        self.assertFalse(result.success)
        self.assertEqual(result.errors(), ['invalid src-tls-verify input "yes": use true or false'])

    def test_image_with_line_break_rejected(self):
        result = self.run_copy(**{"dst-image": self.destination_image("x") + "\n::warning::injected"})

        self.assertFalse(result.success)
        self.assertEqual([a.message for a in result.annotations if a.level == "warning"], [])
        self.assertEqual(result.errors(), ["the dst-image input contains a line break: give one image reference"])


if __name__ == "__main__":
    unittest.main()
