"""Shared setup of the action tests: paths, test images, registries and the runner environment.

Environment (set by tests/action/CMakeLists.txt): FERRY_BIN is the built ferry, whose
directory goes on PATH; FERRY_SOURCE_DIR the source tree with action.yml; FERRY_TEST_WORK
the work directory whose images/ contains the built test images (built here when missing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_DIR = Path(os.environ.get("FERRY_SOURCE_DIR", HERE.parents[1])).resolve()
sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))

WORK = Path(os.environ.get("FERRY_TEST_WORK", "/tmp/ferry-test-work")).resolve()
IMAGES = WORK / "images"
FERRY_BIN = Path(os.environ["FERRY_BIN"]).resolve() if os.environ.get("FERRY_BIN") else None


def ensure_images() -> Path:
    """Build the test images into WORK/images unless a complete set is there (a rerun is fast)."""
    script = SOURCE_DIR / "tests" / "support" / "images" / "build-test-images.sh"
    subprocess.run(["bash", str(script), str(IMAGES)], check=True, capture_output=True, text=True)
    return IMAGES


def path_without_ferry(path: str) -> str:
    """PATH with every directory that contains a `ferry` executable removed."""
    kept = [entry for entry in path.split(os.pathsep)
            if entry and not os.access(os.path.join(entry, "ferry"), os.X_OK)]
    return os.pathsep.join(kept)


def runner_env(home: Path, ferry_on_path: bool = True) -> dict[str, str]:
    """The environment of a simulated runner: no ambient credentials, HOME under the work dir.

    With ferry_on_path the built ferry's directory comes first on PATH; without it, no
    directory on PATH has a ferry, as on a fresh runner.
    """
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FERRY_", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "VAULT_", "GITHUB_", "RUNNER_"))}
    env.update({"HOME": str(home), "XDG_RUNTIME_DIR": str(home / "run"), "XDG_CONFIG_HOME": str(home / "config")})
    path = path_without_ferry(env.get("PATH", "/usr/bin:/bin"))
    if ferry_on_path:
        if FERRY_BIN is None:
            raise RuntimeError("FERRY_BIN is not set: point it at the built ferry binary")
        path = os.pathsep.join([str(FERRY_BIN.parent), path])
    env["PATH"] = path
    return env


def copy_action_tree(destination: Path) -> Path:
    """Copy the files that make up the action (as a runner's checkout of it) to destination.

    Build directories and test work directories in the source tree are left out, so the copy
    contains what `uses: ferry-mirror/ferry@REF` would download.
    """
    def ignore(directory: str, names: list[str]) -> set[str]:
        if Path(directory).resolve() == SOURCE_DIR:
            return {name for name in names if name.startswith("build") or name in (".git", ".cache")}
        return {name for name in names if name == "__pycache__"}

    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(SOURCE_DIR, destination, ignore=ignore, symlinks=True)
    return destination
