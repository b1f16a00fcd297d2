#!/usr/bin/env bash
# Builds every libFuzzer target with clang into BUILD_DIR and runs each for SECONDS seconds.
# Exits non-zero when a target crashes, leaks or trips a sanitizer.
#
#   run-fuzzers.sh BUILD_DIR [SECONDS]
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$1
seconds=${2:-30}

CC=clang CXX=clang++ cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFERRY_BUILD_FUZZERS=ON >/dev/null
targets=$(cmake --build "$build_dir" --target help | sed -n 's/^\(fuzz_[A-Za-z0-9_]*\):.*/\1/p' | sort -u)
if [[ -z "$targets" ]]; then
    echo "no fuzz targets found" >&2
    exit 1
fi
cmake --build "$build_dir" -j "$(nproc)" --target $targets

failed=0
for target in $targets; do
    corpus="$build_dir/fuzz-corpus/$target"
    mkdir -p "$corpus"
    echo "fuzzing $target for $seconds s"
    if ! "$build_dir/bin/$target" -max_total_time="$seconds" -print_final_stats=0 \
            -artifact_prefix="$build_dir/fuzz-crash-$target-" "$corpus" 2>"$build_dir/$target.log"; then
        echo "$target failed; see $build_dir/$target.log" >&2
        tail -n 30 "$build_dir/$target.log" >&2
        failed=1
    fi
done
exit $failed
