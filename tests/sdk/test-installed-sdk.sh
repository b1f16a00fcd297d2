#!/usr/bin/env bash
# Installs ferry into a fresh prefix, builds the example plugin out of tree against the
# installed SDK with find_package(ferry-sdk), and checks that the installed ferry loads it
# and uses it.
#
#   test-installed-sdk.sh BUILD_DIR WORK_DIR
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$1
work=$2
prefix="$work/prefix"

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build_dir" --prefix "$prefix" >/dev/null

cmake -S "$source_dir/sdk/examples/env-credentials" -B "$work/example" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/example" >/dev/null
plugin="$work/example/ferry-example-env.so"
test -f "$plugin"

fail() { echo "FAIL: $*" >&2; exit 1; }

# The installed ferry finds its own plugins relative to its location, with no environment help.
listing=$(env -u FERRY_PLUGIN_PATH "$prefix/bin/ferry" plugins)
for name in input; do
    grep -q "^$name	" <<<"$listing" || fail "installed ferry does not list its plugin $name: $listing"
done

listing=$("$prefix/bin/ferry" --plugin-dir "$work/example" plugins)
grep -q "^example-env	credential-source	1.0.0	ABI 1	$plugin" <<<"$listing" \
    || fail "example plugin not listed as loaded: $listing"

answer=$(EXAMPLE_REGISTRY_USER=alice EXAMPLE_REGISTRY_PASSWORD=example-secret \
    "$prefix/bin/ferry" --plugin-dir "$work/example" creds which --creds-from example-env \
    registry.example.com/team/app:1)
grep -q 'example-env, user "alice"' <<<"$answer" || fail "example plugin did not supply credentials: $answer"
grep -q example-secret <<<"$answer" && fail "the secret was printed: $answer"

echo "installed SDK builds a working plugin: $answer"
