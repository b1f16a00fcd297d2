#!/usr/bin/env python3
"""Copy benchmark: ferry's backends against skopeo and a raw curl stream, side by side.

Builds a random-data image, starts two docker-registry instances on 127.0.0.1 with storage on
tmpfs (/dev/shm), pushes the image to the source once, then for each round copies it to a
fresh destination repository with each tool in turn and records wall time, CPU time
(user+sys of the child and its children) and peak RSS (GNU time's maximum resident set size:
the largest peak among the tool's processes). skopeo's blob-info cache is cleared before each
skopeo run so that it uploads instead of mounting. The raw tool streams every blob
with `curl GET | curl PUT` in parallel: no digest check, no manifest logic, the physical limit
of this machine for the same bytes.

Prints medians and the ratios against skopeo and the raw stream, plus the requests an
up-to-date re-copy sends to the destination and ferry's start-up time.

    python3 tests/bench/bench_copy.py --ferry build/bin/ferry [--size-mib 1024] [--layers 4] [--rounds 5]
        [--tools raw,skopeo,native,native-unchunked]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))

from registry import Registry, count_requests, seed  # noqa: E402

SKOPEO_CACHE = Path("/var/lib/containers/cache/blob-info-cache-v1.boltdb")


def measure(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Runs command and returns wall seconds, CPU seconds and the peak RSS in MiB of its largest process.

    The peak RSS comes from GNU time, which starts the command from its own small process.
    Linux carries the peak RSS of the image a process replaced across execve, so a command
    started straight from this Python process would never report less than Python's own RSS."""
    with tempfile.NamedTemporaryFile(prefix="ferry-bench-rss-", dir="/dev/shm") as rss_file:
        started = time.monotonic()
        process = subprocess.Popen(["/usr/bin/time", "--format", "%M", "--output", rss_file.name, *command],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        stderr = process.stderr.read().decode(errors="replace")
        process.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{command[0]} failed: {stderr[-2000:]}")
        peak_kib = int(Path(rss_file.name).read_text().split()[-1])
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": peak_kib / 1024}


def image_blobs(layout: Path) -> list[tuple[str, int]]:
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs" / "sha256" / manifest_digest.split(":")[1]).read_text())
    return [(d["digest"], d["size"]) for d in [manifest["config"], *manifest["layers"]]]


def raw_stream_script(source: Registry, destination: Registry, source_repo: str, repo: str,
                     blobs: list[tuple[str, int]]) -> str:
    """A shell script that streams every blob GET -> PUT with curl, all blobs in parallel."""
    lines = ["set -euo pipefail"]
    for digest, _ in blobs:
        lines.append(
            "( location=$(curl -sSf -X POST -D - -o /dev/null "
            f"'{destination.url}/v2/{repo}/blobs/uploads/' | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p'); "
            f"curl -sSf '{source.url}/v2/{source_repo}/blobs/{digest}' | "
            "curl -sSf -X PUT -H 'Content-Type: application/octet-stream' -T - "
            f"\"$location&digest={digest}\" -o /dev/null ) &")
    lines.append("wait")
    return "\n".join(lines)


def clear_skopeo_cache() -> None:
    SKOPEO_CACHE.unlink(missing_ok=True)


# Tools that run ferry: the backend name, and options beyond the defaults. native-unchunked
# sends each blob in one PATCH, which shows what the default 32 MiB upload chunks cost.
FERRY_TOOLS = {"native": ("native", []), "skopeo-backend": ("skopeo", []),
               "native-unchunked": ("native", ["--upload-chunk-size", "0"])}


def ferry_command(tool: str, args, source_ref: str, destination_ref: str) -> list[str]:
    backend, extra = FERRY_TOOLS.get(tool, (tool, []))
    return [args.ferry, "copy", "--backend", backend, "--src-tls-verify=false", "--dest-tls-verify=false", *extra,
            source_ref, destination_ref]


def run_round(tools: list[str], args, source: Registry, destination: Registry, source_repo: str,
              blobs, round_number: int, env: dict[str, str]) -> dict[str, dict]:
    results = {}
    for tool in tools:
        repo = f"bench/{tool}-{round_number}"
        source_ref = f"docker://{source.host}/{source_repo}:v1"
        destination_ref = f"docker://{destination.host}/{repo}:v1"
        if tool == "raw":
            script = raw_stream_script(source, destination, source_repo, repo, blobs)
            results[tool] = measure(["bash", "-c", script], env)
        elif tool == "skopeo":
            clear_skopeo_cache()
            results[tool] = measure(["skopeo", "copy", "--all", "--preserve-digests", "--src-tls-verify=false",
                                     "--dest-tls-verify=false", source_ref, destination_ref], env)
        else:
            results[tool] = measure(ferry_command(tool, args, source_ref, destination_ref), env)
    return results


def up_to_date_requests(tool: str, args, source: Registry, destination: Registry, source_repo: str,
                        env: dict[str, str]) -> int:
    """Requests that a second copy of an image already at the destination sends there."""
    repo = f"bench/uptodate-{tool}"
    source_ref = f"docker://{source.host}/{source_repo}:v1"
    destination_ref = f"docker://{destination.host}/{repo}:v1"
    if tool == "skopeo":
        command = ["skopeo", "copy", "--all", "--preserve-digests", "--src-tls-verify=false",
                   "--dest-tls-verify=false", source_ref, destination_ref]
    else:
        command = ferry_command(tool, args, source_ref, destination_ref)
    measure(command, env)
    before = mark_access_log(destination, "before")
    measure(command, env)
    after = mark_access_log(destination, "after")
    # Lines between the two markers, without the "after" marker itself.
    return after - before - 1


def mark_access_log(registry: Registry, name: str, timeout: float = 10) -> int:
    """Sends a marker request and waits for its access-log line; returns the line count then.

    The registry writes a request's line after answering it, so the marker, sent after the
    client finished, lands after every line of that client's requests."""
    marker = f"/v2/ferry-bench-marker-{name}-{time.monotonic_ns()}/tags/list"
    try:
        urllib.request.urlopen(registry.url + marker, timeout=timeout)
    except urllib.error.HTTPError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = registry.access_log.read_text(errors="replace")
        if marker in text:
            return count_requests(registry.access_log)
        time.sleep(0.05)
    raise RuntimeError(f"marker request {marker} never reached {registry.access_log}")


def startup_ms(ferry: str, runs: int = 20) -> float:
    samples = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([ferry, "--version"], stdout=subprocess.DEVNULL, check=True)
        samples.append((time.monotonic() - started) * 1000)
    return statistics.median(samples)


def print_report(rounds: list[dict[str, dict]], tools: list[str], requests: dict[str, int], startup: float,
                 args) -> None:
    print(f"image: {args.size_mib} MiB in {args.layers} random layers, {args.rounds} rounds, medians")
    print(f"{'tool':<16} {'wall s':>8} {'cpu s':>8} {'rss MiB':>8} {'wall/raw':>9} {'wall/skopeo':>12} "
          f"{'cpu/skopeo':>11} {'rss/skopeo':>11}")
    median = {tool: {key: statistics.median(r[tool][key] for r in rounds) for key in ("wall", "cpu", "rss_mib")}
              for tool in tools}
    for tool in tools:
        m = median[tool]
        raw = median.get("raw", m)
        sk = median.get("skopeo", m)
        print(f"{tool:<16} {m['wall']:8.2f} {m['cpu']:8.2f} {m['rss_mib']:8.1f} {m['wall'] / raw['wall']:9.3f} "
              f"{m['wall'] / sk['wall']:12.3f} {m['cpu'] / sk['cpu']:11.3f} {m['rss_mib'] / sk['rss_mib']:11.3f}")
    for tool, count in requests.items():
        print(f"up-to-date re-copy with {tool}: {count} requests to the destination")
    print(f"ferry --version start-up: {startup:.1f} ms (median of 20)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ferry", required=True, help="path to the built ferry")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tools", default="raw,skopeo,native", help="comma-separated: raw, skopeo, native, native-unchunked, skopeo-backend")
    args = parser.parse_args()
    tools = args.tools.split(",")

    work = Path(tempfile.mkdtemp(prefix="ferry-bench-", dir="/dev/shm"))
    env = {**os.environ, "HOME": str(work / "home")}
    try:
        layout = work / "image"
        subprocess.run(["bash", str(SOURCE_DIR / "tests/support/images/build-random-image.sh"), str(layout),
                        str(args.size_mib), str(args.layers)], check=True, stdout=subprocess.DEVNULL)
        with Registry(work / "registries", name="source", storage_dir=work / "source-storage") as source, \
                Registry(work / "registries", name="destination", storage_dir=work / "dest-storage") as destination:
            seed(layout, "v1", source, "bench/source:v1")
            blobs = image_blobs(layout)
            rounds = [run_round(tools, args, source, destination, "bench/source", blobs, n, env)
                      for n in range(args.rounds)]
            requests = {tool: up_to_date_requests(tool, args, source, destination, "bench/source", env)
                        for tool in tools if tool != "raw"}
            print_report(rounds, tools, requests, startup_ms(args.ferry), args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
