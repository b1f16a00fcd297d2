"""The action's copy step with a stand-in `ferry` script on PATH, for cases a real copy cannot
produce on demand: a ferry that fails without an error line, and what ferry receives."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import textwrap
import unittest
from pathlib import Path

import yaml

from actiontest import SOURCE_DIR, path_without_ferry
from run_action import run_action

# The network inputs that ferry receives as an option with a value: input, value, option.
NETWORK_INPUTS = [
    ("jobs", "8", "--jobs"),
    ("timeout", "600", "--timeout"),
    ("stall-timeout", "30", "--stall-timeout"),
    ("retry-delay", "2.5", "--retry-delay"),
    ("deadline", "3600", "--deadline"),
    ("upload-chunk-size", "16MiB", "--upload-chunk-size"),
]
NETWORK_OPTIONS = [option for _, _, option in NETWORK_INPUTS] + ["--force-http1"]

# Records its arguments, its FERRY_* environment and the Vault files it was given, then
# exits. With FAKE_FERRY_MODE=fail it prints one plain line to stderr and exits 1. With
# FAKE_FERRY_MODE=usage it prints FAKE_FERRY_ERROR in the form of ferry's usage errors and exits 2.
# With FAKE_FERRY_MODE=silent it prints nothing and exits 1, as ferry does with --log-level quiet.
FAKE_FERRY = textwrap.dedent("""\
    #!/usr/bin/env python3
    import json, os, stat, sys
    if sys.argv[1:] == ["--version"]:
        print("ferry 0.0.0-fake")
        sys.exit(0)
    record = {"argv": sys.argv[1:], "env": {k: v for k, v in os.environ.items() if k.startswith("FERRY_")},
              "files": {}}
    for option in ("--vault-token-file", "--vault-secret-id-file"):
        if option in sys.argv:
            path = sys.argv[sys.argv.index(option) + 1]
            record["files"][option] = {"path": path, "mode": stat.S_IMODE(os.stat(path).st_mode),
                                       "content": open(path).read()}
    with open(os.environ["FAKE_FERRY_RECORD"], "w") as out:
        json.dump(record, out)
    if os.environ.get("FAKE_FERRY_MODE") == "fail":
        print("segmentation fault (core dumped)", file=sys.stderr)
        sys.exit(1)
    if os.environ.get("FAKE_FERRY_MODE") == "usage":
        print("ferry: error: " + os.environ["FAKE_FERRY_ERROR"], file=sys.stderr)
        sys.exit(2)
    if os.environ.get("FAKE_FERRY_MODE") == "silent":
        sys.exit(1)
    print(json.dumps({"source": "s", "destination": "d", "digest": "sha256:" + "a" * 64,
                      "source_digest": "sha256:" + "b" * 64, "backend": "native",
                      "platforms": ["linux/amd64", "linux/arm64"], "bytes": 1234, "seconds": 1.25,
                      "up_to_date": False, "source_credentials": "vault", "destination_credentials": ""}))
    """)


class FakeFerryTest(unittest.TestCase):
    def setUp(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="action-fake-"))
        self.addCleanup(shutil.rmtree, self.scratch, ignore_errors=True)
        bin_dir = self.scratch / "bin"
        bin_dir.mkdir()
        fake = bin_dir / "ferry"
        fake.write_text(FAKE_FERRY)
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        self.record_file = self.scratch / "record.json"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("FERRY_", "GITHUB_"))}
        self.env["PATH"] = os.pathsep.join([str(bin_dir), path_without_ferry(os.environ["PATH"])])
        self.env["FAKE_FERRY_RECORD"] = str(self.record_file)

    def run_action(self, **inputs: str):
        inputs = {"src-image": "docker://127.0.0.1:9/a:1", "dst-image": "docker://127.0.0.1:9/b:1", **inputs}
        return run_action(SOURCE_DIR, inputs, workdir=self.scratch / "run", env=self.env)

    def record(self) -> dict:
        return json.loads(self.record_file.read_text())

    def test_failure_without_error_line(self):
        self.env["FAKE_FERRY_MODE"] = "fail"

        result = self.run_action()

        self.assertFalse(result.success)
        self.assertEqual(result.errors(), [
            "Copying docker://127.0.0.1:9/a:1 to docker://127.0.0.1:9/b:1 failed (exit code 1): "
            "segmentation fault (core dumped)"])

    def test_failure_with_quiet_log_says_why_reason_missing(self):
        self.env["FAKE_FERRY_MODE"] = "silent"

        result = self.run_action(**{"log-level": "quiet"})

        self.assertFalse(result.success)
        self.assertEqual(result.errors(), [
            "Copying docker://127.0.0.1:9/a:1 to docker://127.0.0.1:9/b:1 failed (exit code 1): "
            "ferry printed no error message because log-level is quiet; set log-level to error to see the reason"])

    def test_vault_secrets_passed_in_private_files(self):
        token, secret_id = "hvs.token-$(id)", "secret\nid"

        result = self.run_action(**{"vault-token": token, "vault-secret-id": secret_id,
                                    "vault-addr": "https://127.0.0.1:8200", "vault-role": "ci",
                                    "creds-from": "vault"})

        self.assertTrue(result.success, result.text)
        record = self.record()
        files = record["files"]
        self.assertEqual(files["--vault-token-file"]["content"], token)
        self.assertEqual(files["--vault-secret-id-file"]["content"], secret_id)
        self.assertEqual(files["--vault-token-file"]["mode"], 0o600)
        self.assertFalse(Path(files["--vault-token-file"]["path"]).exists())
        self.assertFalse(Path(files["--vault-secret-id-file"]["path"]).exists())
        self.assertNotIn(token, record["argv"])
        self.assertIn("secret", result.masks)
        self.assertIn("id", result.masks)
        argv = record["argv"]
        self.assertEqual(argv[argv.index("--vault-addr") + 1], "https://127.0.0.1:8200")
        self.assertEqual(argv[argv.index("--vault-jwt-role") + 1], "ci")
        self.assertEqual(argv[argv.index("--creds-from") + 1], "vault")

    def test_secrets_only_in_environment(self):
        result = self.run_action(**{"src-creds": "u:p1", "dst-username": "v", "dst-password": "p2"})

        self.assertTrue(result.success, result.text)
        record = self.record()
        self.assertEqual(record["env"]["FERRY_SRC_CREDS"], "u:p1")
        self.assertEqual(record["env"]["FERRY_DEST_USERNAME"], "v")
        self.assertEqual(record["env"]["FERRY_DEST_PASSWORD"], "p2")
        self.assertFalse(any("p1" in argument or "p2" in argument for argument in record["argv"]))

    def test_defaults_on_command_line(self):
        result = self.run_action()

        self.assertTrue(result.success, result.text)
        argv = self.record()["argv"]
        self.assertEqual(argv[:2], ["--log-level", "info"])
        self.assertEqual(argv[argv.index("--retry-times") + 1], "3")
        self.assertNotIn("--platform", argv)
        self.assertNotIn("--backend", argv)
        self.assertEqual(argv[-3:], ["--", "docker://127.0.0.1:9/a:1", "docker://127.0.0.1:9/b:1"])

    def test_network_inputs_empty_by_default(self):
        result = self.run_action()

        self.assertTrue(result.success, result.text)
        argv = self.record()["argv"]
        for option in NETWORK_OPTIONS:
            self.assertNotIn(option, argv)

    def test_network_inputs_passed_as_option_pairs(self):
        inputs = {name: value for name, value, _ in NETWORK_INPUTS}

        result = self.run_action(**inputs)

        self.assertTrue(result.success, result.text)
        argv = self.record()["argv"]
        for name, value, option in NETWORK_INPUTS:
            with self.subTest(input=name):
                self.assertEqual(argv.count(option), 1)
                self.assertEqual(argv[argv.index(option) + 1], value)
        self.assertNotIn("--force-http1", argv)

    def test_network_input_alone(self):
        for name, value, option in NETWORK_INPUTS:
            with self.subTest(input=name):
                result = self.run_action(**{name: value})

                self.assertTrue(result.success, result.text)
                argv = self.record()["argv"]
                self.assertEqual(argv[argv.index(option) + 1], value)
                self.assertEqual([o for o in NETWORK_OPTIONS if o in argv], [option])

    def test_network_value_starting_with_dashes(self):
        result = self.run_action(**{"upload-chunk-size": "--force-http1", "jobs": "-1"})

        self.assertTrue(result.success, result.text)
        argv = self.record()["argv"]
        self.assertEqual(argv[argv.index("--upload-chunk-size") + 1], "--force-http1")
        self.assertEqual(argv[argv.index("--jobs") + 1], "-1")
        self.assertEqual(argv.count("--force-http1"), 1)

    def test_force_http1_true_adds_flag(self):
        result = self.run_action(**{"force-http1": "true"})

        self.assertTrue(result.success, result.text)
        argv = self.record()["argv"]
        self.assertEqual(argv.count("--force-http1"), 1)
        self.assertLess(argv.index("--force-http1"), argv.index("--"))

    def test_force_http1_false_adds_nothing(self):
        result = self.run_action(**{"force-http1": "false"})

        self.assertTrue(result.success, result.text)
        self.assertNotIn("--force-http1", self.record()["argv"])

    def test_credentials_in_image_rejected_unechoed(self):
        for key in ("src-image", "dst-image"):
            with self.subTest(input=key):
                result = self.run_action(**{key: "docker://bob:Hunter2x@127.0.0.1:9/a:1"})

                self.assertFalse(result.success)
                self.assertIn(f"the {key} input contains credentials", result.errors()[0])
                self.assertNotIn("Hunter2x", result.text)
                self.assertFalse(self.record_file.exists(), "ferry ran despite the credentials in the reference")

    def test_digest_reference_not_taken_for_credentials(self):
        result = self.run_action(**{"src-image": "docker://127.0.0.1:9/a:1@sha256:" + "0" * 64})

        self.assertTrue(result.success, result.text)

    def test_force_true_adds_flag(self):
        result = self.run_action(force="true")

        self.assertTrue(result.success, result.text)
        argv = self.record()["argv"]
        self.assertEqual(argv.count("--force"), 1)
        self.assertLess(argv.index("--force"), argv.index("--"))

    def test_force_default_adds_nothing(self):
        result = self.run_action()

        self.assertTrue(result.success, result.text)
        self.assertNotIn("--force", self.record()["argv"])

    def test_force_invalid_rejected(self):
        result = self.run_action(force="yes")

        self.assertFalse(result.success)
        self.assertEqual(result.errors(), ['invalid force input "yes": use true or false'])
        self.assertFalse(self.record_file.exists(), "ferry ran despite the invalid input")

    def test_force_http1_invalid_rejected(self):
        result = self.run_action(**{"force-http1": "yes"})

        self.assertFalse(result.success)
        self.assertEqual(result.errors(), ['invalid force-http1 input "yes": use true or false, or leave it empty'])
        self.assertFalse(self.record_file.exists(), "ferry ran despite the invalid input")

    def test_line_break_in_network_input_rejected(self):
        result = self.run_action(**{"stall-timeout": "30\n::warning::injected"})

        self.assertFalse(result.success)
        self.assertEqual([a.message for a in result.annotations if a.level == "warning"], [])
        self.assertEqual(result.errors(), ["the stall-timeout input contains a line break: give a value on one line"])
        self.assertFalse(self.record_file.exists(), "ferry ran despite the invalid input")

    def test_line_break_in_cert_dir_rejected(self):
        result = self.run_action(**{"dst-cert-dir": "/etc/ssl\r::warning::injected"})

        self.assertFalse(result.success)
        self.assertEqual(result.errors(), ["the dst-cert-dir input contains a line break: give a value on one line"])
        self.assertFalse(self.record_file.exists(), "ferry ran despite the invalid input")

    def test_usage_error_names_input(self):
        self.env["FAKE_FERRY_MODE"] = "usage"
        self.env["FAKE_FERRY_ERROR"] = ("--jobs: Value 0 not in range 1 to 64; "
                                        "run `ferry --help` or `ferry COMMAND --help`")

        result = self.run_action(jobs="0")

        self.assertFalse(result.success)
        self.assertEqual(result.step("copy").outcome, "failure")
        self.assertEqual(result.errors(), ['invalid jobs input "0": --jobs: Value 0 not in range 1 to 64'])

    def test_usage_error_names_renamed_input(self):
        self.env["FAKE_FERRY_MODE"] = "usage"
        self.env["FAKE_FERRY_ERROR"] = "--dest-creds-from: unknown credential source \"nope\""

        result = self.run_action(**{"dst-creds-from": "nope"})

        self.assertFalse(result.success)
        self.assertEqual(result.errors(),
                         ['invalid dst-creds-from input "nope": --dest-creds-from: unknown credential source "nope"'])

    def test_usage_error_without_input_option(self):
        self.env["FAKE_FERRY_MODE"] = "usage"
        self.env["FAKE_FERRY_ERROR"] = "--jobs: Value 0 not in range 1 to 64"

        result = self.run_action()

        self.assertFalse(result.success)
        self.assertEqual(result.errors(), [
            "Copying docker://127.0.0.1:9/a:1 to docker://127.0.0.1:9/b:1 failed (exit code 2): "
            "--jobs: Value 0 not in range 1 to 64"])

    def test_outputs_and_multiline_safety(self):
        result = self.run_action(platform="linux/arm64")

        self.assertTrue(result.success, result.text)
        self.assertEqual(result.outputs["digest"], "sha256:" + "a" * 64)
        self.assertEqual(result.outputs["src-digest"], "sha256:" + "b" * 64)
        self.assertEqual(result.outputs["up-to-date"], "false")
        self.assertEqual(result.outputs["backend"], "native")
        self.assertEqual(result.outputs["platforms"], "linux/amd64, linux/arm64")
        self.assertIn("| Destination credentials | anonymous |", result.summary)
        self.assertIn("| Time | 1.2 s |", result.summary)
        argv = self.record()["argv"]
        self.assertEqual(argv[argv.index("--platform") + 1], "linux/arm64")


class ActionFileTest(unittest.TestCase):
    """Static rules of action.yml that keep inputs from running as code or leaking."""

    @classmethod
    def setUpClass(cls):
        cls.steps = yaml.safe_load((SOURCE_DIR / "action.yml").read_text())["runs"]["steps"]

    def test_no_expression_in_run(self):
        for step in self.steps:
            self.assertNotIn("${{", step.get("run", ""), step.get("name"))

    def test_no_shell_tracing(self):
        for step in self.steps:
            self.assertNotRegex(step.get("run", ""), r"set\s+-[a-z]*x|set\s+-o\s+xtrace|bash\s+-x", step.get("name"))

    def test_masking_step_first(self):
        self.assertEqual(self.steps[0]["name"], "Mask credentials")
        self.assertIn("::add-mask::", self.steps[0]["run"])

    def test_secrets_only_in_mask_and_copy_steps(self):
        secret_inputs = ("src-creds", "dst-creds", "src-password", "dst-password", "vault-token", "vault-secret-id")
        for step in self.steps[1:]:
            if step.get("id") == "copy":
                continue
            text = yaml.safe_dump(step)
            for name in secret_inputs:
                self.assertNotIn(f"inputs.{name}", text, step.get("name"))


if __name__ == "__main__":
    unittest.main()
