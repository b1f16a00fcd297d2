#!/usr/bin/env bash
# The full test suite: installs what is missing, builds ferry, runs every unit and end-to-end
# test with ctest, then runs each fuzz target for a bounded time.
#
#   bash tests/run-all.sh            (BUILD_DIR, FUZZ_SECONDS and CTEST_JOBS may be set)
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$source_dir/build}
fuzz_seconds=${FUZZ_SECONDS:-30}

bash "$source_dir/tests/scripts/install-deps.sh" test
# As root (CI), also test the .deb in a fresh debootstrap root.
package_test=OFF
if [[ $(id -u) -eq 0 ]]; then
    package_test=ON
fi
bash "$source_dir/tests/scripts/build.sh" "$build_dir" -DFERRY_TEST_PACKAGE=$package_test

ctest --test-dir "$build_dir" --output-on-failure -j "${CTEST_JOBS:-2}"

bash "$source_dir/tests/fuzz/run-fuzzers.sh" "$build_dir-fuzz" "$fuzz_seconds"

echo "run-all: every ctest test passed and the fuzzers found nothing in ${fuzz_seconds} s each"
