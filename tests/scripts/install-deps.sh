#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing ferry need, skipping the ones
# already installed. Uses sudo when not run as root.
#
#   install-deps.sh build   compiler, CMake and the libraries (enough to build ferry)
#   install-deps.sh test    build packages plus the real components the tests start
set -euo pipefail

build_packages=(
    g++ cmake ninja-build pkg-config
    libboost-dev libboost-filesystem-dev libcli11-dev nlohmann-json3-dev
    libcurl4-openssl-dev libssl-dev libsecret-1-dev libgtest-dev libgmock-dev
)
test_packages=(
    docker-registry skopeo apache2-utils openssl curl jq python3 python3-yaml ca-certificates debootstrap time
    dbus dbus-daemon libglib2.0-bin gnome-keyring libsecret-tools golang-docker-credential-helpers
    clang libclang-rt-14-dev
)

packages=("${build_packages[@]}")
if [[ "${1:-build}" == "test" ]]; then
    packages+=("${test_packages[@]}")
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi
echo "Installing: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
