#!/usr/bin/env python3
"""Bad-network benchmark: ferry native and skopeo copy through a proxy that cuts every connection.

Builds a random-data image and starts two docker-registry instances on 127.0.0.1 with storage on
tmpfs (/dev/shm). It pushes the image to the source once, then copies it with each tool through
tests/support/fault_proxy.py, which resets every connection after a fixed number of body bytes.
The proxy sits in front of the source (cuts downloads, direction down) in one scenario and in
front of the destination (cuts uploads, direction up) in the other. Both tools get
--retry-times 5. skopeo's blob-info cache is cleared before each skopeo run.

Prints, per scenario and tool: the bytes that crossed the proxy divided by the image size,
the wall time, and whether the copy finished with the right digest at the destination.

    python3 tests/bench/bench_bad_network.py --ferry build/bin/ferry [--size-mib 1024] [--layers 4] [--cut-mib 64]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))

from fault_proxy import FaultProxy, Reset  # noqa: E402
from registry import Registry, manifest_digest, seed  # noqa: E402

SKOPEO_CACHE = Path("/var/lib/containers/cache/blob-info-cache-v1.boltdb")
MIB = 1024 * 1024
RETRY_TIMES = 5


def image_size(layout: Path) -> int:
    """Sum of the sizes of the config and layers of the single image in layout."""
    index = json.loads((layout / "index.json").read_text())
    manifest_digest_value = index["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs" / "sha256" / manifest_digest_value.split(":")[1]).read_text())
    return sum(descriptor["size"] for descriptor in [manifest["config"], *manifest["layers"]])


def copy_command(tool: str, ferry: str, source_ref: str, destination_ref: str) -> list[str]:
    if tool == "skopeo":
        return ["skopeo", "copy", "--retry-times", str(RETRY_TIMES), "--preserve-digests", "--src-tls-verify=false",
                "--dest-tls-verify=false", source_ref, destination_ref]
    return [ferry, "copy", "--backend", tool, "--retry-times", str(RETRY_TIMES), "--src-tls-verify=false",
            "--dest-tls-verify=false", source_ref, destination_ref]


def run_copy(command: list[str], env: dict[str, str], timeout: float) -> tuple[bool, float, str]:
    """Runs command; returns whether it exited 0, its wall seconds and the tail of its stderr."""
    started = time.monotonic()
    try:
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        stderr = (expired.stderr or b"").decode(errors="replace")
        return False, time.monotonic() - started, f"timed out after {timeout:.0f} s; {stderr[-500:]}"
    return result.returncode == 0, time.monotonic() - started, result.stderr.decode(errors="replace")[-500:]


def stored_digest(registry: Registry, repository: str) -> str | None:
    """The digest that tag v1 of repository names in registry; None when it is absent."""
    try:
        return manifest_digest(registry, repository, "v1")
    except urllib.error.HTTPError:
        return None


def run_scenario(side: str, tool: str, args, source: Registry, destination: Registry, expected_digest: str,
                 size: int, env: dict[str, str]) -> dict:
    """Copies the image with tool while the proxy on `side` cuts every connection."""
    direction = "down" if side == "source" else "up"
    upstream = source if side == "source" else destination
    rule = Reset(every_bytes=args.cut_mib * MIB, direction=direction)
    repository = f"badnet/{side}-{tool}-{time.monotonic_ns()}"
    if tool == "skopeo":
        SKOPEO_CACHE.unlink(missing_ok=True)

    with FaultProxy(upstream.url, rules=[rule]) as proxy:
        source_host = proxy.host if side == "source" else source.host
        destination_host = proxy.host if side == "destination" else destination.host
        command = copy_command(tool, args.ferry, f"docker://{source_host}/bench/source:v1",
                               f"docker://{destination_host}/{repository}:v1")
        exited_ok, wall, stderr = run_copy(command, env, args.timeout)
        crossed = proxy.bytes_down if direction == "down" else proxy.bytes_up

    finished = exited_ok and stored_digest(destination, repository) == expected_digest
    return {"side": side, "tool": tool, "ratio": crossed / size, "wall": wall, "finished": finished,
            "resets": rule.fired, "stderr": "" if finished else stderr}


def print_report(results: list[dict], args, size: int) -> None:
    print(f"image: {args.size_mib} MiB in {args.layers} random layers ({size} bytes of blobs); every connection "
          f"through the proxy is reset after {args.cut_mib} MiB; --retry-times {RETRY_TIMES} for both tools")
    print(f"{'proxy before':<13} {'tool':<7} {'bytes/image':>12} {'wall s':>8} {'resets':>7} {'finished':>9}")
    for r in results:
        print(f"{r['side']:<13} {r['tool']:<7} {r['ratio']:12.3f} {r['wall']:8.1f} {r['resets']:7d} "
              f"{'yes' if r['finished'] else 'no':>9}")
    for r in results:
        if not r["finished"]:
            last_line = r["stderr"].strip().splitlines()[-1:] or ["(no output)"]
            print(f"{r['side']}/{r['tool']} failed: {last_line[0]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ferry", required=True, help="path to the built ferry")
    parser.add_argument("--size-mib", type=int, default=1024, help="image size in MiB")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--cut-mib", type=int, default=64, help="reset every connection after this many MiB")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a copy is stopped")
    parser.add_argument("--tools", default="native,skopeo", help="comma-separated: native, skopeo")
    parser.add_argument("--sides", default="source,destination",
                        help="comma-separated: where the proxy sits, source and/or destination")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ferry-badnet-", dir="/dev/shm"))
    env = {**os.environ, "HOME": str(work / "home")}
    try:
        layout = work / "image"
        subprocess.run(["bash", str(SOURCE_DIR / "tests/support/images/build-random-image.sh"), str(layout),
                        str(args.size_mib), str(args.layers)], check=True, stdout=subprocess.DEVNULL)
        size = image_size(layout)
        with Registry(work / "registries", name="source", storage_dir=work / "source-storage") as source, \
                Registry(work / "registries", name="destination", storage_dir=work / "dest-storage") as destination:
            digest = seed(layout, "v1", source, "bench/source:v1")
            results = [run_scenario(side, tool, args, source, destination, digest, size, env)
                       for side in args.sides.split(",") for tool in args.tools.split(",")]
            print_report(results, args, size)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
