#!/usr/bin/env bash
# The ferry demo: installs what is missing, builds ferry, starts two local registries (a TLS
# registry with a password as the source, a plain one as the mirror), seeds a real multi-arch
# image (busybox from Debian's amd64 and arm64 packages) and copies it with ferry.
# Everything listens on 127.0.0.1 and is stopped when the demo ends.
#
#   bash tests/demo.sh            (BUILD_DIR may be set)
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$source_dir/build}
support="$source_dir/tests/support"
work=$(mktemp -d /tmp/ferry-demo.XXXXXX)

cleanup() {
    python3 "$support/registry.py" stop --state "$work/registries" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== installing packages and building ferry"
bash "$source_dir/tests/scripts/install-deps.sh" test
bash "$source_dir/tests/scripts/build.sh" "$build_dir"
ferry="$build_dir/bin/ferry"

echo "== building the multi-arch test image from Debian's busybox-static (amd64, arm64)"
bash "$support/images/build-test-images.sh" "$build_dir/test-work/images" >/dev/null

echo "== starting a TLS registry with a password (source) and a plain registry (mirror)"
python3 "$support/registry.py" start --state "$work/registries" --name source --tls --htpasswd demo >/dev/null
python3 "$support/registry.py" start --state "$work/registries" --name mirror >/dev/null
state() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/registries/$1.json" "$2"; }
source_port=$(state source port)
mirror_port=$(state mirror port)

PYTHONPATH="$support" python3 - "$build_dir/test-work/images/multiarch" "$work/registries/source.json" <<'PY'
import sys
from pathlib import Path
from registry import Endpoint, seed
digest = seed(Path(sys.argv[1]), "v1", Endpoint.load(Path(sys.argv[2])), "demo/busybox:v1")
print(f"seeded 127.0.0.1 source registry with demo/busybox:v1 {digest}")
PY

echo "== copying with ferry"
echo "+ ferry copy --src-cert-dir CA_DIR --dest-tls-verify=false \\"
echo "      docker://127.0.0.1:$source_port/demo/busybox:v1 docker://127.0.0.1:$mirror_port/mirror/busybox:v1"
# The password reaches ferry through the environment, never through the command line.
FERRY_SRC_USERNAME=demo FERRY_SRC_PASSWORD=$(cat "$(state source password_file)") \
    "$ferry" copy --src-cert-dir "$(state source cert_dir)" --dest-tls-verify=false \
    "docker://127.0.0.1:$source_port/demo/busybox:v1" "docker://127.0.0.1:$mirror_port/mirror/busybox:v1"

echo "== checking the mirror"
PYTHONPATH="$support" python3 - "$work/registries" <<'PY'
import json, sys
from pathlib import Path
from registry import Endpoint, get_manifest, manifest_digest
state = Path(sys.argv[1])
source, mirror = Endpoint.load(state / "source.json"), Endpoint.load(state / "mirror.json")
source_digest = manifest_digest(source, "demo/busybox", "v1")
mirror_digest = manifest_digest(mirror, "mirror/busybox", "v1")
index = json.loads(get_manifest(mirror, "mirror/busybox", "v1").body)
print(f"source index digest {source_digest}")
print(f"mirror index digest {mirror_digest}")
for child in index["manifests"]:
    platform = child["platform"]
    name = "/".join(filter(None, [platform["os"], platform["architecture"], platform.get("variant")]))
    same = manifest_digest(mirror, "mirror/busybox", child["digest"]) == child["digest"]
    print(f"  {name:<16} {child['digest']} {'present' if same else 'MISSING'}")
    if not same:
        sys.exit(f"platform {name} is missing at the mirror")
if source_digest != mirror_digest:
    sys.exit("the mirror's digest differs from the source's")
PY
echo "demo finished: the mirror has every platform of the image under the same digest"
