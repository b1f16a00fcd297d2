#!/usr/bin/env python3
"""Run a composite action.yml the way the GitHub Actions runner does, for tests.

    result = run_action(ACTION_DIR, {"src-image": ..., "dst-image": ...}, workdir=tmp)
    result.outputs["digest"], result.log (masked), result.raw_log, result.annotations

What the runner does and the harness reproduces:
- Inputs are the values given, else the `default:` of action.yml. They reach steps only
  through expressions in `env:`, `with:` and `if:` (composite actions get no INPUT_*
  variables). A `${{` inside `run:` text fails the run with HarnessError, because the
  runner would paste the value into the script.
- Each `run:` step executes as `bash --noprofile --norc -eo pipefail FILE` with
  GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY, GITHUB_ACTION_PATH,
  RUNNER_TEMP, RUNNER_OS, RUNNER_ARCH and GITHUB_ACTIONS=true, and stdout and stderr merged.
- Output lines are scanned for workflow commands (::add-mask::, ::error::, ::warning::,
  ::notice::, ::debug::, ::group::, ::endgroup::, ::stop-commands::). Every registered mask
  is applied to the lines printed after it, as in the runner, so `log` shows what the job
  log would show and `raw_log` keeps the unmasked lines.
- `uses: actions/cache@...` is simulated: the restore happens at the step, against
  cache_dir, and the save happens after the last step when the job succeeded and the key
  missed. Any other `uses:` fails with HarnessError.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from actions_expressions import JobStatus, evaluate_condition, substitute, to_string  # noqa: E402

BASH_COMMAND = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
COMMAND_LINE = re.compile(r"^::(?P<command>[A-Za-z-]+)(?:\s+(?P<properties>[^:]*))?::(?P<data>.*)$")
MASK_TEXT = "***"
RUNNER_ARCH = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}
ANNOTATION_COMMANDS = ("error", "warning", "notice")


class HarnessError(RuntimeError):
    """The action uses something the runner would reject or the harness cannot reproduce."""


@dataclass
class Annotation:
    level: str           # error, warning or notice
    message: str         # unescaped, masked
    properties: dict[str, str]


@dataclass
class StepRecord:
    name: str
    step_id: str | None
    outcome: str         # success, failure or skipped
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class ActionResult:
    success: bool
    outputs: dict[str, str]
    log: list[str]               # as the job log shows it, masks applied
    raw_log: list[str]           # the same lines before masking
    masks: list[str]
    annotations: list[Annotation]
    groups: list[str]            # titles of ::group:: blocks, in order
    debug: list[str]
    summary: str
    steps: list[StepRecord]
    cache_events: list[str]      # "restore-hit KEY", "restore-miss KEY", "save KEY"

    @property
    def text(self) -> str:
        return "\n".join(self.log)

    @property
    def raw_text(self) -> str:
        return "\n".join(self.raw_log)

    def errors(self) -> list[str]:
        return [annotation.message for annotation in self.annotations if annotation.level == "error"]

    def step(self, step_id: str) -> StepRecord:
        return next(record for record in self.steps if record.step_id == step_id)


def unescape_data(text: str) -> str:
    """Decode workflow command data as the runner does."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text).replace("%3A", ":").replace("%2C", ",")


def parse_file_commands(path: Path) -> dict[str, str]:
    """Parse GITHUB_OUTPUT / GITHUB_ENV: NAME=VALUE lines and NAME<<DELIMITER blocks."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    lines = path.read_text().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.strip() == "":
            continue
        heredoc = re.match(r"^([^=<]+)<<(.+)$", line)
        if heredoc and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = heredoc.group(1), heredoc.group(2)
            body = []
            while True:
                if index >= len(lines):
                    raise HarnessError(f"{path.name}: delimiter {delimiter!r} of {name!r} is never closed")
                if lines[index] == delimiter:
                    index += 1
                    break
                body.append(lines[index])
                index += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise HarnessError(f"{path.name}: invalid line {line!r}: expected NAME=VALUE or NAME<<DELIMITER")
    return values


class LogProcessor:
    """Applies workflow commands and masks to output lines in the order they arrive."""

    def __init__(self, echo: bool):
        self.echo = echo
        self.masks: list[str] = []
        self.log: list[str] = []
        self.raw_log: list[str] = []
        self.annotations: list[Annotation] = []
        self.groups: list[str] = []
        self.debug: list[str] = []
        self.stop_token: str | None = None

    def mask(self, text: str) -> str:
        # Longer secrets first, so a secret that contains a shorter one is hidden whole.
        for secret in sorted(self.masks, key=len, reverse=True):
            text = text.replace(secret, MASK_TEXT)
        return text

    def _emit(self, raw: str, shown: str) -> None:
        self.raw_log.append(raw)
        self.log.append(shown)
        if self.echo:
            print(shown, flush=True)

    def line(self, raw: str) -> None:
        match = COMMAND_LINE.match(raw)
        if self.stop_token is not None:
            if raw == f"::{self.stop_token}::":
                self.stop_token = None
            self._emit(raw, self.mask(raw))
            return
        if not match:
            self._emit(raw, self.mask(raw))
            return

        command, data = match.group("command"), unescape_data(match.group("data"))
        properties = {}
        for item in filter(None, (match.group("properties") or "").split(",")):
            key, _, value = item.partition("=")
            properties[key.strip()] = unescape_property(value)

        if command == "add-mask":
            if data.strip():
                self.masks.append(data)
            self._emit(raw, "::add-mask::" + MASK_TEXT)
            return
        if command == "stop-commands":
            self.stop_token = data
        elif command in ANNOTATION_COMMANDS:
            self.annotations.append(Annotation(command, self.mask(data), properties))
        elif command == "group":
            self.groups.append(self.mask(data))
        elif command == "debug":
            self.debug.append(self.mask(data))
        self._emit(raw, self.mask(raw))


class CacheSimulator:
    """actions/cache with a local directory as the cache service: one tar per key."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir
        self.pending: list[tuple[str, list[Path]]] = []
        self.events: list[str] = []

    def _archive(self, key: str, paths: list[Path]) -> Path:
        # actions/cache versions an entry by its paths too: the same key with other paths misses.
        version = hashlib.sha256("\n".join(map(str, paths)).encode()).hexdigest()[:16]
        return self.cache_dir / (re.sub(r"[^A-Za-z0-9._-]", "_", key) + f"-{version}.tar")

    def restore(self, inputs: Mapping[str, Any], log: LogProcessor) -> dict[str, str]:
        key = to_string(inputs.get("key"))
        paths = [Path(line.strip()) for line in to_string(inputs.get("path")).splitlines() if line.strip()]
        if not key or not paths:
            raise HarnessError("actions/cache needs both `key` and `path`")
        for path in paths:
            if not path.is_absolute():
                raise HarnessError(f"actions/cache path {path} is relative; the harness supports absolute paths only")

        archive = self._archive(key, paths)
        if archive.exists():
            with tarfile.open(archive) as tar:
                tar.extractall("/", filter="tar")
            self.events.append(f"restore-hit {key}")
            log.line(f"Cache restored from key: {key}")
            return {"cache-hit": "true", "cache-primary-key": key, "cache-matched-key": key}

        self.events.append(f"restore-miss {key}")
        log.line(f"Cache not found for input keys: {key}")
        self.pending.append((key, paths))
        return {"cache-hit": "false", "cache-primary-key": key}

    def save_pending(self, log: LogProcessor) -> None:
        """The post step of actions/cache: save every key that missed, if its paths exist."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        for key, paths in self.pending:
            existing = [path for path in paths if path.exists()]
            if not existing:
                log.line(f"Warning: Path Validation Error: no path of cache key {key} exists; not saved")
                continue
            with tarfile.open(self._archive(key, paths), "w") as tar:
                for path in existing:
                    tar.add(path, arcname=str(path).lstrip("/"))
            self.events.append(f"save {key}")
            log.line(f"Cache saved with key: {key}")
        self.pending.clear()


def runner_arch() -> str:
    return RUNNER_ARCH.get(platform.machine().lower(), platform.machine().upper())


def load_action(action_dir: Path) -> dict:
    for name in ("action.yml", "action.yaml"):
        path = action_dir / name
        if path.exists():
            return yaml.safe_load(path.read_text())
    raise HarnessError(f"no action.yml in {action_dir}")


def resolve_inputs(action: dict, given: Mapping[str, str], log: LogProcessor) -> dict[str, str]:
    declared = action.get("inputs") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        # The runner only warns; a test that passes an unknown input has a typo.
        raise HarnessError(f"inputs not declared in action.yml: {', '.join(unknown)}")

    values = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in given:
            values[name] = to_string(given[name])
        else:
            values[name] = to_string(spec.get("default", ""))
        if spec.get("required") and values[name] == "":
            log.line(f"##[warning]Input required and not supplied: {name}")
    return values


def check_run_text(step: dict) -> None:
    run = step.get("run")
    if run is not None and "${{" in run:
        raise HarnessError(f"step {step.get('name') or step.get('id')!r} has an expression inside run:, "
                           "which would paste an input into the script; pass it through env: instead")


class ActionRunner:
    def __init__(self, action_dir: Path, workdir: Path, cache_dir: Path, base_env: Mapping[str, str],
                 echo: bool, step_timeout: float):
        self.action_dir = action_dir.resolve()
        self.workdir = workdir
        self.cache = CacheSimulator(cache_dir)
        self.base_env = dict(base_env)
        self.log = LogProcessor(echo)
        self.step_timeout = step_timeout
        self.status = JobStatus()
        self.steps_context: dict[str, dict[str, Any]] = {}
        self.records: list[StepRecord] = []
        self.summary_parts: list[str] = []
        self.job_env: dict[str, str] = {}
        self.extra_path: list[str] = []

        self.temp = workdir / "runner-temp"
        self.workspace = workdir / "workspace"
        self.files = workdir / "file-commands"
        # The runner empties RUNNER_TEMP for every job, and so does every run here.
        shutil.rmtree(self.temp, ignore_errors=True)
        for directory in (self.temp, self.workspace, self.files):
            directory.mkdir(parents=True, exist_ok=True)

    def contexts(self, inputs: Mapping[str, str]) -> dict[str, Any]:
        return {
            "inputs": dict(inputs),
            "steps": self.steps_context,
            "runner": {"temp": str(self.temp), "os": "Linux", "arch": runner_arch(), "tool_cache": str(self.temp / "tool-cache")},
            "github": {"action_path": str(self.action_dir), "workspace": str(self.workspace), "action": "__ferry"},
            "env": {**self.job_env},
        }

    def step_env(self, step_env: Mapping[str, str], index: int) -> tuple[dict[str, str], dict[str, Path]]:
        files = {name: self.files / f"{name.lower()}_{index}" for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
        for path in files.values():
            path.write_text("")
        env = dict(self.base_env)
        env.update(self.job_env)
        if self.extra_path:
            env["PATH"] = os.pathsep.join([*reversed(self.extra_path), env.get("PATH", "")])
        env.update({
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_ACTION_PATH": str(self.action_dir),
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": runner_arch(),
            **{name: str(path) for name, path in files.items()},
        })
        env.update(step_env)
        return env, files

    def run_script(self, script: str, env: dict[str, str], index: int) -> int:
        script_file = self.temp / f"step-{index}.sh"
        script_file.write_text(script)
        process = subprocess.Popen([*BASH_COMMAND, str(script_file)], cwd=self.workspace, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.step_timeout
        assert process.stdout is not None
        with process.stdout:
            for raw in iter(process.stdout.readline, b""):
                self.log.line(raw.decode(errors="replace").rstrip("\n").rstrip("\r"))
                if time.monotonic() > deadline:
                    process.kill()
                    raise HarnessError(f"step {index} ran longer than {self.step_timeout} s")
        try:
            return process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            raise HarnessError(f"step {index} ran longer than {self.step_timeout} s") from None
        finally:
            script_file.unlink(missing_ok=True)

    def run_step(self, index: int, step: dict, inputs: Mapping[str, str]) -> None:
        name = step.get("name") or step.get("id") or f"step {index}"
        record = StepRecord(name=name, step_id=step.get("id"), outcome="skipped")
        self.records.append(record)
        contexts = self.contexts(inputs)

        if not evaluate_condition(step.get("if"), contexts, self.status):
            self._publish(record)
            return

        self.log.line(f"##[group]Run {name}")
        self.log.line("##[endgroup]")
        started = time.monotonic()
        step_env = {key: to_string(substitute(value, contexts)) for key, value in (step.get("env") or {}).items()}
        uses = step.get("uses")
        if uses:
            record.outputs = self._run_uses(uses, step, contexts)
            record.outcome = "success"
        else:
            if step.get("shell") != "bash":
                raise HarnessError(f"step {name!r}: composite run steps need `shell: bash` (found {step.get('shell')!r})")
            env, files = self.step_env(step_env, index)
            returncode = self.run_script(step["run"], env, index)
            record.outputs = parse_file_commands(files["GITHUB_OUTPUT"])
            self.job_env.update(parse_file_commands(files["GITHUB_ENV"]))
            self.extra_path.extend(line for line in files["GITHUB_PATH"].read_text().splitlines() if line)
            self.summary_parts.append(files["GITHUB_STEP_SUMMARY"].read_text())
            if returncode != 0:
                self.log.line(f"##[error]Process completed with exit code {returncode}.")
                record.outcome = "failure"
                if not step.get("continue-on-error"):
                    self.status.failed = True
            else:
                record.outcome = "success"
        record.seconds = time.monotonic() - started
        self._publish(record)

    def _publish(self, record: StepRecord) -> None:
        if record.step_id:
            self.steps_context[record.step_id] = {"outputs": dict(record.outputs), "outcome": record.outcome,
                                                  "conclusion": record.outcome}

    def _run_uses(self, uses: str, step: dict, contexts: Mapping[str, Any]) -> dict[str, str]:
        with_values = {key: substitute(value, contexts) for key, value in (step.get("with") or {}).items()}
        if re.fullmatch(r"actions/cache@v\d+(\.\d+)*", uses) or uses.startswith("actions/cache@"):
            return self.cache.restore(with_values, self.log)
        raise HarnessError(f"uses: {uses} is not simulated by the harness")

    def run(self, inputs_given: Mapping[str, str]) -> ActionResult:
        action = load_action(self.action_dir)
        runs = action.get("runs") or {}
        if runs.get("using") != "composite":
            raise HarnessError(f"the harness runs composite actions only, not {runs.get('using')!r}")
        steps = runs.get("steps") or []
        for step in steps:
            check_run_text(step)

        inputs = resolve_inputs(action, inputs_given, self.log)
        for index, step in enumerate(steps):
            self.run_step(index, step, inputs)

        if not self.status.failed:
            self.cache.save_pending(self.log)

        contexts = self.contexts(inputs)
        outputs = {name: to_string(substitute((spec or {}).get("value", ""), contexts))
                   for name, spec in (action.get("outputs") or {}).items()}
        return ActionResult(
            success=not self.status.failed, outputs=outputs, log=self.log.log, raw_log=self.log.raw_log,
            masks=list(self.log.masks), annotations=self.log.annotations, groups=self.log.groups,
            debug=self.log.debug, summary="".join(self.summary_parts), steps=self.records,
            cache_events=self.cache.events,
        )


def run_action(action_dir: Path, inputs: Mapping[str, str], *, workdir: Path, cache_dir: Path | None = None,
               env: Mapping[str, str] | None = None, echo: bool = False, step_timeout: float = 3600) -> ActionResult:
    """Run the composite action in action_dir with inputs; see the module documentation.

    workdir receives RUNNER_TEMP, the workspace and the file-command files. cache_dir is the
    simulated cache service (default workdir/cache); share it between runs to get cache hits.
    env is the runner's environment (default os.environ).
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    runner = ActionRunner(Path(action_dir), workdir, Path(cache_dir) if cache_dir else workdir / "cache",
                          env if env is not None else os.environ, echo, step_timeout)
    return runner.run(inputs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--action-dir", type=Path, default=Path(__file__).resolve().parents[2],
                        help="directory that contains action.yml (default: the source tree)")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE",
                        help="an input of the action; repeat for more")
    parser.add_argument("--workdir", type=Path, help="RUNNER_TEMP and workspace parent (default: a temporary directory)")
    parser.add_argument("--cache-dir", type=Path, help="simulated cache service directory")
    args = parser.parse_args(argv)

    inputs = {}
    for item in args.input:
        name, separator, value = item.partition("=")
        if not separator:
            parser.error(f"invalid --input {item!r}: write NAME=VALUE")
        inputs[name] = value

    with tempfile.TemporaryDirectory(prefix="ferry-action-") as scratch:
        workdir = args.workdir or Path(scratch)
        result = run_action(args.action_dir, inputs, workdir=workdir, cache_dir=args.cache_dir, echo=True)
    print(json.dumps({"success": result.success, "outputs": result.outputs,
                      "errors": result.errors(), "cache": result.cache_events}, indent=2))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
