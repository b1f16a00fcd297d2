"""Tests of run_action.py and actions_expressions.py with small throwaway actions."""

from __future__ import annotations

import tempfile
import textwrap
import unittest
from pathlib import Path

from actions_expressions import JobStatus, evaluate, evaluate_condition, substitute
from run_action import HarnessError, parse_file_commands, run_action


def write_action(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "action.yml").write_text(textwrap.dedent(text))
    return directory


class ExpressionTest(unittest.TestCase):
    contexts = {"inputs": {"name": "Value", "empty": ""},
                "steps": {"a": {"outputs": {"hit": "true"}}}}

    def test_string_equality_ignores_case(self):
        self.assertIs(evaluate("inputs.name == 'value'", self.contexts), True)

    def test_and_or_return_operands(self):
        self.assertEqual(evaluate("inputs.empty || 'fallback'", self.contexts), "fallback")
        self.assertEqual(evaluate("inputs.name && 'second'", self.contexts), "second")

    def test_missing_output_is_null(self):
        self.assertIsNone(evaluate("steps.b.outputs.hit", self.contexts))
        self.assertIs(evaluate("steps.b.outputs.hit != 'true'", self.contexts), True)

    def test_substitute_inside_text(self):
        self.assertEqual(substitute("x-${{ inputs.name }}-y", self.contexts), "x-Value-y")

    def test_quote_escape_in_literal(self):
        self.assertEqual(evaluate("'it''s'", self.contexts), "it's")

    def test_condition_adds_success(self):
        self.assertFalse(evaluate_condition("steps.a.outputs.hit == 'true'", self.contexts, JobStatus(failed=True)))
        self.assertTrue(evaluate_condition("always()", self.contexts, JobStatus(failed=True)))

    def test_unknown_function_rejected(self):
        with self.assertRaises(ValueError):
            evaluate("hashFiles('x')", self.contexts)


class FileCommandTest(unittest.TestCase):
    def test_delimiter_form_and_plain_lines(self):
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "out"
            path.write_text("a=1=2\nlist<<EOF_X\nline one\nb=not an output\nEOF_X\n")

            values = parse_file_commands(path)

        self.assertEqual(values, {"a": "1=2", "list": "line one\nb=not an output"})

    def test_unclosed_delimiter_rejected(self):
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "out"
            path.write_text("list<<EOF_X\nline\n")
            with self.assertRaises(HarnessError):
                parse_file_commands(path)


class RunActionTest(unittest.TestCase):
    def setUp(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="harness-"))
        self.addCleanup(lambda: __import__("shutil").rmtree(self.scratch, ignore_errors=True))

    def test_expression_in_run_rejected(self):
        action = write_action(self.scratch / "a", """
            name: t
            runs:
              using: composite
              steps:
                - shell: bash
                  run: echo "${{ inputs.x }}"
            """)
        with self.assertRaises(HarnessError):
            run_action(action, {}, workdir=self.scratch / "w")

    def test_inputs_reach_env_with_defaults(self):
        action = write_action(self.scratch / "a", """
            name: t
            inputs:
              given: {default: ''}
              defaulted: {default: fallback}
            outputs:
              both: {value: '${{ steps.s.outputs.both }}'}
            runs:
              using: composite
              steps:
                - id: s
                  shell: bash
                  env:
                    GIVEN: ${{ inputs.given }}
                    DEFAULTED: ${{ inputs.defaulted }}
                  run: echo "both=$GIVEN/$DEFAULTED" >>"$GITHUB_OUTPUT"
            """)

        result = run_action(action, {"given": "$(id) `x`"}, workdir=self.scratch / "w")

        self.assertTrue(result.success, result.text)
        self.assertEqual(result.outputs["both"], "$(id) `x`/fallback")

    def test_masks_apply_only_after_registration(self):
        action = write_action(self.scratch / "a", """
            name: t
            runs:
              using: composite
              steps:
                - shell: bash
                  env: {SECRET: 'hunter2%'}
                  run: |
                    echo "early $SECRET"
                    echo "::add-mask::hunter2%25"
                    echo "late $SECRET"
            """)

        result = run_action(action, {}, workdir=self.scratch / "w")

        self.assertIn("early hunter2%", result.log)
        self.assertIn("late ***", result.log)
        self.assertIn("late hunter2%", result.raw_log)
        self.assertEqual(result.masks, ["hunter2%"])

    def test_failed_step_skips_rest_and_records_error(self):
        action = write_action(self.scratch / "a", """
            name: t
            runs:
              using: composite
              steps:
                - id: fails
                  shell: bash
                  run: |
                    echo "::error title=x::broken%0Ahere"
                    false
                    echo unreachable
                - id: skipped
                  shell: bash
                  run: echo never
                - id: cleanup
                  if: always()
                  shell: bash
                  run: echo cleanup
            """)

        result = run_action(action, {}, workdir=self.scratch / "w")

        self.assertFalse(result.success)
        self.assertEqual(result.errors(), ["broken\nhere"])
        self.assertEqual([step.outcome for step in result.steps], ["failure", "skipped", "success"])
        self.assertNotIn("unreachable", result.log)
        self.assertNotIn("never", result.log)

    def test_cache_saved_then_restored(self):
        action = write_action(self.scratch / "a", """
            name: t
            outputs:
              hit: {value: '${{ steps.cache.outputs.cache-hit }}'}
            runs:
              using: composite
              steps:
                - id: cache
                  uses: actions/cache@v4
                  with:
                    path: ${{ runner.temp }}/cached
                    key: key-1
                - if: steps.cache.outputs.cache-hit != 'true'
                  shell: bash
                  run: mkdir -p "$RUNNER_TEMP/cached" && echo built >"$RUNNER_TEMP/cached/file"
                - shell: bash
                  run: cat "$RUNNER_TEMP/cached/file"
            """)
        cache = self.scratch / "cache"

        # The same workdir keeps RUNNER_TEMP, and so the cached path, the same, as on one runner.
        first = run_action(action, {}, workdir=self.scratch / "w", cache_dir=cache)
        second = run_action(action, {}, workdir=self.scratch / "w", cache_dir=cache)
        other_path = run_action(action, {}, workdir=self.scratch / "elsewhere", cache_dir=cache)

        self.assertEqual(first.cache_events, ["restore-miss key-1", "save key-1"])
        self.assertEqual(first.outputs["hit"], "false")
        self.assertEqual(second.cache_events, ["restore-hit key-1"])
        self.assertEqual(second.outputs["hit"], "true")
        self.assertIn("built", second.log)
        self.assertEqual(other_path.cache_events, ["restore-miss key-1", "save key-1"])

    def test_stop_commands_suspend_processing(self):
        action = write_action(self.scratch / "a", """
            name: t
            runs:
              using: composite
              steps:
                - shell: bash
                  run: |
                    echo "::stop-commands::tok"
                    echo "::error::ignored"
                    echo "::tok::"
                    echo "::warning::counted"
            """)

        result = run_action(action, {}, workdir=self.scratch / "w")

        self.assertEqual(result.errors(), [])
        self.assertEqual([a.message for a in result.annotations], ["counted"])


if __name__ == "__main__":
    unittest.main()
