#!/usr/bin/env bash
# Build a single-platform OCI image of random data for copy benchmarks.
#
# Usage: build-random-image.sh OUTDIR SIZE_MIB LAYERS
#
# OUTDIR becomes an OCI image layout with one linux/amd64 image manifest,
# tagged v1. The image has LAYERS layers whose file contents total SIZE_MIB MiB
# of /dev/urandom data; the last layer takes the remainder of the division.
# Each layer is an uncompressed tar (application/vnd.oci.image.layer.v1.tar)
# holding one file, random-N.bin. Random data does not compress, so gzip would
# cost CPU time and save nothing. Tar headers and padding add about 1.5 KiB
# per layer on top of SIZE_MIB.
#
# Each layer is written in one streaming pass: tee stores the tar while
# sha256sum hashes it, and the layer digest is also the diff_id. A run with the
# same arguments on a complete OUTDIR reuses it. Remove OUTDIR for new data.
set -euo pipefail

readonly CREATED='2024-01-01T00:00:00Z'
readonly CREATED_EPOCH=1704067200
readonly REF=v1
readonly MT_MANIFEST='application/vnd.oci.image.manifest.v1+json'
readonly MT_CONFIG='application/vnd.oci.image.config.v1+json'
readonly MT_LAYER='application/vnd.oci.image.layer.v1.tar'
readonly MIB=1048576
readonly TAR_BLOCK=512

fail() {
  echo "build-random-image: error: $*" >&2
  exit 1
}

# Print the 512-byte tar header of a regular file NAME with SIZE bytes. Only the
# header goes through Python, never the data.
tar_header() {
  python3 - "$1" "$2" "$CREATED_EPOCH" <<'PYTHON'
import sys, tarfile
name, size, mtime = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
info = tarfile.TarInfo(name)
info.size, info.mtime, info.mode = size, mtime, 0o644
header = info.tobuf(format=tarfile.GNU_FORMAT)
assert len(header) == 512, f"expected one 512-byte header block for {name}, got {len(header)} bytes"
sys.stdout.buffer.write(header)
PYTHON
}

# Write a layer tar with SIZE random bytes to FILE. Prints the sha256 hex digest.
write_random_layer() {
  local file=$1 member=$2 size=$3
  local padding=$(((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK))
  {
    tar_header "$member" "$size"
    head -c "$size" /dev/urandom
    head -c "$padding" /dev/zero
    # Two zero blocks end a tar archive.
    head -c $((2 * TAR_BLOCK)) /dev/zero
  } | tee "$file" | sha256sum | cut -d' ' -f1
}

# Move FILE into the blob store under its digest HEX.
store_blob() {
  local outdir=$1 file=$2 hex=$3
  mv "$file" "$outdir/blobs/sha256/$hex"
}

descriptor() {
  jq -cn --arg mt "$1" --arg d "sha256:$2" --argjson s "$3" '{mediaType: $mt, digest: $d, size: $s}'
}

# True when OUTDIR contains an image built with the same arguments and every
# recorded blob exists with its recorded size. Hashing gigabytes again would
# take longer than the check is worth.
output_is_complete() {
  local outdir=$1 parameters=$2
  [[ -f "$outdir/.complete" && "$(head -n 1 "$outdir/.complete")" == "$parameters" ]] || return 1
  local hex size
  while read -r hex size; do
    [[ "$(stat -c %s "$outdir/blobs/sha256/$hex" 2>/dev/null)" == "$size" ]] || return 1
  done < <(tail -n +2 "$outdir/.complete")
}

build_image() {
  local outdir=$1 size_mib=$2 layer_count=$3
  rm -rf "$outdir/blobs" "$outdir/index.json" "$outdir/oci-layout" "$outdir/.complete"
  mkdir -p "$outdir/blobs/sha256"
  local scratch="$outdir/.scratch"
  mkdir -p "$scratch"

  local total=$((size_mib * MIB)) per_layer=$((size_mib * MIB / layer_count))
  local layers=() diff_ids=() blob_list=() index hex size
  for ((index = 1; index <= layer_count; index++)); do
    size=$per_layer
    if ((index == layer_count)); then
      size=$((total - per_layer * (layer_count - 1)))
    fi
    hex=$(write_random_layer "$scratch/layer.tar" "random-$index.bin" "$size")
    size=$(stat -c %s "$scratch/layer.tar")
    store_blob "$outdir" "$scratch/layer.tar" "$hex"
    layers+=("$(descriptor "$MT_LAYER" "$hex" "$size")")
    diff_ids+=("sha256:$hex")
    blob_list+=("$hex $size")
  done

  printf '%s\n' "${diff_ids[@]}" | jq -Rcjs --arg created "$CREATED" \
    '{created: $created, architecture: "amd64", os: "linux", config: {},
      rootfs: {type: "layers", diff_ids: (split("\n") | map(select(length > 0)))}}' >"$scratch/config.json"
  hex=$(sha256sum "$scratch/config.json" | cut -d' ' -f1)
  size=$(stat -c %s "$scratch/config.json")
  store_blob "$outdir" "$scratch/config.json" "$hex"
  local config
  config=$(descriptor "$MT_CONFIG" "$hex" "$size")
  blob_list+=("$hex $size")

  printf '%s\n' "${layers[@]}" | jq -cjs --arg mt "$MT_MANIFEST" --argjson config "$config" \
    '{schemaVersion: 2, mediaType: $mt, config: $config, layers: .}' >"$scratch/manifest.json"
  hex=$(sha256sum "$scratch/manifest.json" | cut -d' ' -f1)
  size=$(stat -c %s "$scratch/manifest.json")
  store_blob "$outdir" "$scratch/manifest.json" "$hex"
  blob_list+=("$hex $size")

  printf '{"imageLayoutVersion":"1.0.0"}' >"$outdir/oci-layout"
  jq -cjn --arg ref "$REF" --argjson manifest "$(descriptor "$MT_MANIFEST" "$hex" "$size")" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [$manifest + {annotations: {"org.opencontainers.image.ref.name": $ref}}]}' >"$outdir/index.json"
  rmdir "$scratch"
  printf '%s\n' "$size_mib $layer_count" "${blob_list[@]}" >"$outdir/.complete"
}

main() {
  [[ $# -eq 3 ]] || fail "usage: build-random-image.sh OUTDIR SIZE_MIB LAYERS"
  local outdir=$1 size_mib=$2 layer_count=$3
  [[ "$size_mib" =~ ^[1-9][0-9]*$ ]] || fail "SIZE_MIB must be a positive integer, got '$size_mib'"
  [[ "$layer_count" =~ ^[1-9][0-9]*$ ]] || fail "LAYERS must be a positive integer, got '$layer_count'"
  ((layer_count <= size_mib * MIB)) || fail "LAYERS ($layer_count) exceeds the byte count of $size_mib MiB"
  local tool
  for tool in python3 jq sha256sum tee head stat; do
    command -v "$tool" >/dev/null || fail "required tool '$tool' is not installed"
  done

  mkdir -p "$outdir"
  if output_is_complete "$outdir" "$size_mib $layer_count"; then
    echo "build-random-image: $outdir is up to date"
    return
  fi
  build_image "$outdir" "$size_mib" "$layer_count"
  echo "build-random-image: wrote $layer_count layers, $size_mib MiB of random data, to $outdir"
}

main "$@"
