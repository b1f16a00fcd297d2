#!/usr/bin/env bash
# Builds ferry's .deb with CPack and installs it into a clean Debian 12 (bookworm) root file
# system made by debootstrap, then checks that `ferry --version` runs and `ferry plugins` lists
# every plugin without a load error.
#
#   tests/package/test-deb.sh BUILD_DIR
#
# Needs root (debootstrap, chroot, mount) and the Debian mirror in /etc/apt/sources.list.d.
# The first run creates the base system (a few minutes, mostly downloads) and keeps it as
# BUILD_DIR/package-test/bookworm-minbase.tar; later runs unpack that copy.
# FERRY_DEB_MIRROR overrides the mirror URL.
set -euo pipefail

build_dir=$(realpath "${1:?usage: test-deb.sh BUILD_DIR}")
work_dir=$build_dir/package-test
base_tar=$work_dir/bookworm-minbase.tar
root=$work_dir/root
expected_plugins=(skopeo native input docker-config keyring vault)

if [[ $(id -u) -ne 0 ]]; then
    echo "test-deb.sh: needs root for debootstrap and chroot; run it with sudo" >&2
    exit 2
fi

# The mirror this machine already uses, so that the test reaches no other host.
mirror=${FERRY_DEB_MIRROR:-}
if [[ -z $mirror ]]; then
    mirror=$(grep -h -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{ print $2 }' | head -n1)
fi
mirror=${mirror:-http://deb.debian.org/debian}

proc_mounted=false
cleanup() {
    if $proc_mounted; then
        umount "$root/proc" || umount -l "$root/proc"
    fi
    rm -rf "$root"
}
trap cleanup EXIT

echo "== Building the package in $build_dir"
cmake --build "$build_dir" -j 2
rm -rf "$work_dir/out"
mkdir -p "$work_dir/out"
(cd "$build_dir" && cpack -G "DEB;TGZ" -B "$work_dir/out" >/dev/null)
deb=$(find "$work_dir/out" -maxdepth 1 -name 'ferry_*.deb' | head -n1)
tarball=$(find "$work_dir/out" -maxdepth 1 -name 'ferry-*.tar.gz' | head -n1)
if [[ -z $tarball ]]; then
    echo "test-deb.sh: cpack produced no ferry-*.tar.gz in $work_dir/out" >&2
    exit 1
fi
listing=$(tar -tzf "$tarball")
for member in bin/ferry lib/ferry/plugins/ferry-input.so include/ferry/plugin.h; do
    if ! grep -q "/$member\$" <<<"$listing"; then
        echo "test-deb.sh: $tarball lacks $member" >&2
        exit 1
    fi
done
echo "Archive: $tarball"
if [[ -z $deb ]]; then
    echo "test-deb.sh: cpack produced no ferry_*.deb in $work_dir/out" >&2
    exit 1
fi
echo "Package: $deb"
dpkg-deb --field "$deb" Package Version Depends Suggests

if [[ ! -f $base_tar ]]; then
    echo "== Creating a bookworm base system from $mirror (cached as $base_tar)"
    rm -rf "$root"
    started=$(date +%s)
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work_dir/debootstrap.log" 2>&1 || {
        tail -n 20 "$work_dir/debootstrap.log" >&2
        exit 1
    }
    tar -C "$root" -cf "$base_tar.partial" . && mv "$base_tar.partial" "$base_tar"
    echo "debootstrap took $(( $(date +%s) - started )) s"
    rm -rf "$root"
fi

echo "== Installing the package into a fresh copy of the base system"
mkdir -p "$root"
tar -C "$root" -xf "$base_tar"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
mount -t proc proc "$root/proc"
proc_mounted=true

chroot "$root" apt-get update -qq
chroot "$root" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >"$work_dir/apt-install.log" 2>&1 || {
    tail -n 30 "$work_dir/apt-install.log" >&2
    exit 1
}

echo "== Checking the installed ferry"
version=$(chroot "$root" ferry --version)
echo "$version"
if [[ $version != "ferry "* ]]; then
    echo "test-deb.sh: unexpected ferry --version output: $version" >&2
    exit 1
fi

plugins=$(chroot "$root" ferry plugins --format json)
failures=0
for name in "${expected_plugins[@]}"; do
    file=/usr/lib/ferry/plugins/ferry-$name.so
    entry=$(jq -c --arg file "$file" '.[] | select(.file == $file)' <<<"$plugins")
    if [[ -z $entry ]]; then
        echo "FAIL: ferry plugins does not list $file" >&2
        failures=$((failures + 1))
    elif [[ $(jq -r '.error' <<<"$entry") != "" ]]; then
        echo "FAIL: plugin $name did not load: $(jq -r '.error' <<<"$entry")" >&2
        failures=$((failures + 1))
    else
        echo "ok: $name ($(jq -r '.kind' <<<"$entry"))"
    fi
done

for header in ferry/plugin.h ferry/sdk.hpp; do
    if [[ ! -f $root/usr/include/$header ]]; then
        echo "FAIL: /usr/include/$header is not installed" >&2
        failures=$((failures + 1))
    fi
done

# A real copy with the installed ferry: the multi-arch test image between two OCI layouts,
# which needs no registry inside the chroot. The index digest must survive.
images=${FERRY_TEST_IMAGES:-$build_dir/test-work/images}
if [[ -d $images/multiarch ]]; then
    cp -r "$images/multiarch" "$root/tmp/multiarch"
    expected=$(jq -r '.manifests[0].digest' "$images/multiarch/index.json")
    if copied=$(chroot "$root" ferry copy --backend native --format json oci:/tmp/multiarch:v1 oci:/tmp/copy:v1); then
        digest=$(jq -r '.digest' <<<"$copied")
        if [[ $digest == "$expected" ]]; then
            echo "ok: the installed ferry copied the multi-arch image ($digest)"
        else
            echo "FAIL: the installed ferry copied $digest, expected $expected" >&2
            failures=$((failures + 1))
        fi
    else
        echo "FAIL: the installed ferry could not copy oci:/tmp/multiarch:v1" >&2
        failures=$((failures + 1))
    fi
else
    echo "FAIL: no test images in $images; run tests/support/images/build-test-images.sh first" >&2
    failures=$((failures + 1))
fi

if [[ $failures -gt 0 ]]; then
    echo "test-deb.sh: $failures check(s) failed" >&2
    exit 1
fi
echo "test-deb.sh: the .deb installs on a clean bookworm and loads all ${#expected_plugins[@]} plugins"
