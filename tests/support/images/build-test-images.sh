#!/usr/bin/env bash
# Build the OCI image layouts that ferry's tests copy between registries.
#
# Usage: build-test-images.sh OUTDIR
#
# The script writes four OCI image layouts to OUTDIR. The index.json of each
# tags its manifest v1 with an org.opencontainers.image.ref.name annotation.
#   multiarch    OCI index of linux/amd64 and linux/arm64/v8 image manifests
#   docker-list  the same images with Docker schema 2 media types. skopeo
#                1.9.3 finds tags only on OCI descriptors, so name this
#                layout oci:OUTDIR/docker-list without the tag.
#   single       the linux/amd64 OCI image manifest alone (the same bytes as
#                the amd64 child of multiarch, so the digests are equal)
#   artifact     OCI artifact manifest with the empty config and one JSON layer
#
# The layers contain the real busybox binaries of Debian's busybox-static package.
# The script downloads the package for amd64 and arm64 with private apt state
# under the cache directory (env FERRY_TEST_CACHE, default OUTDIR/.cache), so
# the machine's apt configuration and lists stay untouched. Later runs reuse the
# cached .deb files and need no network.
#
# Output is deterministic: fixed mtimes and owners, sorted tar entries and
# `gzip -n` give identical digests for identical .deb files and the same tar,
# gzip and jq versions. A run whose OUTDIR already contains a complete result from
# this version of the script only verifies the checksums and exits.
set -euo pipefail

readonly CREATED='2024-01-01T00:00:00Z'
readonly CREATED_EPOCH=1704067200
readonly PACKAGE=busybox-static
readonly ARCHITECTURES=(amd64 arm64)
readonly REF=v1
readonly ARTIFACT_TYPE='application/vnd.ferry.test.report.v1+json'
readonly EMPTY_CONFIG_DIGEST='sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'

readonly MT_OCI_INDEX='application/vnd.oci.image.index.v1+json'
readonly MT_OCI_MANIFEST='application/vnd.oci.image.manifest.v1+json'
readonly MT_OCI_CONFIG='application/vnd.oci.image.config.v1+json'
readonly MT_OCI_LAYER='application/vnd.oci.image.layer.v1.tar+gzip'
readonly MT_OCI_EMPTY='application/vnd.oci.empty.v1+json'
readonly MT_DOCKER_LIST='application/vnd.docker.distribution.manifest.list.v2+json'
readonly MT_DOCKER_MANIFEST='application/vnd.docker.distribution.manifest.v2+json'
readonly MT_DOCKER_CONFIG='application/vnd.docker.container.image.v1+json'
readonly MT_DOCKER_LAYER='application/vnd.docker.image.rootfs.diff.tar.gzip'

fail() {
  echo "build-test-images: error: $*" >&2
  exit 1
}

require_tools() {
  local tool
  for tool in apt-get dpkg-deb tar gzip sha256sum jq stat realpath; do
    command -v "$tool" >/dev/null || fail "required tool '$tool' is not installed"
  done
}

# The recipe id changes whenever this script changes, which invalidates old output.
recipe_id() {
  sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
}

# True when OUTDIR contains the output of this recipe and every file still matches
# the checksum recorded when it was built.
output_is_complete() {
  local outdir=$1
  [[ -f "$outdir/.complete" && -f "$outdir/.checksums" ]] || return 1
  [[ "$(cat "$outdir/.complete")" == "$(recipe_id)" ]] || return 1
  (cd "$outdir" && sha256sum --status --strict -c .checksums)
}

# --- Fetching busybox-static ------------------------------------------------

# Run apt-get for one foreign or native architecture with lists and caches kept
# under STATE, so nothing in /var/lib/apt or /var/cache/apt changes. The
# post-update hooks are cleared because they refresh machine-wide caches.
# Paths must be absolute: apt resolves a relative Dir::State::Lists against
# /var/lib/apt, not against the working directory.
private_apt_get() {
  local arch=$1 state=$2
  shift 2
  apt-get -q \
    -o "APT::Architecture=$arch" \
    -o "APT::Architectures::=$arch" \
    -o "Dir::State::Lists=$state/lists" \
    -o "Dir::Cache=$state/cache" \
    -o "APT::Update::Post-Invoke-Success::=" \
    "$@"
}

# Print the path of the cached .deb for ARCH, downloading it on the first run.
fetch_package() {
  local arch=$1 cache=$2
  local debs="$cache/debs"
  local cached
  cached=$(find "$debs" -maxdepth 1 -name "${PACKAGE}_*_${arch}.deb" 2>/dev/null | sort -V | tail -n 1)
  if [[ -n "$cached" ]] && dpkg-deb --info "$cached" >/dev/null 2>&1; then
    echo "$cached"
    return
  fi

  local state="$cache/apt-$arch"
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$debs"
  private_apt_get "$arch" "$state" update >&2 \
    || fail "apt-get update for $arch failed; check the network access to the Debian mirrors"

  # apt downloads into the working directory. A temporary directory keeps a
  # broken download out of the cache. Sandbox::User=root avoids the warning
  # that the _apt user cannot write to that directory. apt still checks the
  # file against the hash in the signed package lists.
  local download
  download=$(mktemp -d "$debs/.download.XXXXXX")
  (cd "$download" && private_apt_get "$arch" "$state" -o APT::Sandbox::User=root download "$PACKAGE" >&2) \
    || fail "apt-get download $PACKAGE for $arch failed"
  local deb
  deb=$(find "$download" -maxdepth 1 -name "${PACKAGE}_*_${arch}.deb" | head -n 1)
  [[ -n "$deb" ]] || fail "apt-get download left no $PACKAGE .deb for $arch in $download"
  mv "$deb" "$debs/"
  rmdir "$download"
  echo "$debs/$(basename "$deb")"
}

# --- Blobs and descriptors --------------------------------------------------

# Copy FILE into the blob store of LAYOUT. Sets BLOB_DIGEST and BLOB_SIZE.
add_blob() {
  local layout=$1 file=$2
  local hex
  hex=$(sha256sum "$file" | cut -d' ' -f1)
  mkdir -p "$layout/blobs/sha256"
  cp "$file" "$layout/blobs/sha256/$hex"
  BLOB_DIGEST="sha256:$hex"
  BLOB_SIZE=$(stat -c %s "$file")
}

# Print a compact JSON descriptor. EXTRA is a JSON object merged into it.
descriptor() {
  local media_type=$1 digest=$2 size=$3 extra=${4:-'{}'}
  jq -cn --arg mt "$media_type" --arg d "$digest" --argjson s "$size" --argjson extra "$extra" \
    '{mediaType: $mt, digest: $d, size: $s} + $extra'
}

platform_json() {
  local arch=$1
  if [[ "$arch" == arm64 ]]; then
    jq -cn '{architecture: "arm64", os: "linux", variant: "v8"}'
  else
    jq -cn --arg a "$arch" '{architecture: $a, os: "linux"}'
  fi
}

# Write the oci-layout marker and an index.json that tags DESCRIPTOR as v1.
write_layout_index() {
  local layout=$1 descriptor_json=$2
  printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  jq -cjn --arg mt "$MT_OCI_INDEX" --arg ref "$REF" --argjson d "$descriptor_json" \
    '{schemaVersion: 2, mediaType: $mt,
      manifests: [$d + {annotations: {"org.opencontainers.image.ref.name": $ref}}]}' \
    >"$layout/index.json"
}

# --- Root filesystem layers -------------------------------------------------

# Build the layer of ARCH in WORK: bin/busybox plus applet symlinks. Writes
# layer-ARCH.tar, layer-ARCH.tar.gz and config-ARCH.json.
build_layer_and_config() {
  local arch=$1 deb=$2 work=$3
  local extracted="$work/deb-$arch" rootfs="$work/rootfs-$arch"
  dpkg-deb -x "$deb" "$extracted"
  mkdir -p "$rootfs/bin"
  cp "$extracted/bin/busybox" "$rootfs/bin/busybox"
  ln -s busybox "$rootfs/bin/sh"
  ln -s busybox "$rootfs/bin/ls"
  chmod 0755 "$rootfs/bin" "$rootfs/bin/busybox"

  tar --create --file="$work/layer-$arch.tar" --directory="$rootfs" \
    --format=gnu --sort=name --numeric-owner --owner=0 --group=0 \
    --mtime="@$CREATED_EPOCH" bin
  gzip -n -9 -c "$work/layer-$arch.tar" >"$work/layer-$arch.tar.gz"

  local diff_id version
  diff_id="sha256:$(sha256sum "$work/layer-$arch.tar" | cut -d' ' -f1)"
  version=$(dpkg-deb -f "$deb" Version)
  jq -cjn --arg created "$CREATED" --argjson platform "$(platform_json "$arch")" \
    --arg diff_id "$diff_id" --arg by "$PACKAGE $version ($arch) from Debian 12, bin/busybox with sh and ls links" \
    '{created: $created} + $platform + {
       config: {Env: ["PATH=/bin"], Cmd: ["/bin/busybox", "uname", "-m"]},
       rootfs: {type: "layers", diff_ids: [$diff_id]},
       history: [{created: $created, created_by: $by}]}' \
    >"$work/config-$arch.json"
}

# Write an image manifest for ARCH into LAYOUT and print its descriptor with
# the platform. STYLE is oci or docker.
add_image_manifest() {
  local layout=$1 work=$2 arch=$3 style=$4
  local mt_manifest=$MT_OCI_MANIFEST mt_config=$MT_OCI_CONFIG mt_layer=$MT_OCI_LAYER
  if [[ "$style" == docker ]]; then
    mt_manifest=$MT_DOCKER_MANIFEST mt_config=$MT_DOCKER_CONFIG mt_layer=$MT_DOCKER_LAYER
  fi

  add_blob "$layout" "$work/config-$arch.json"
  local config
  config=$(descriptor "$mt_config" "$BLOB_DIGEST" "$BLOB_SIZE")
  add_blob "$layout" "$work/layer-$arch.tar.gz"
  local layer
  layer=$(descriptor "$mt_layer" "$BLOB_DIGEST" "$BLOB_SIZE")

  local manifest="$work/manifest-$style-$arch.json"
  jq -cjn --arg mt "$mt_manifest" --argjson config "$config" --argjson layer "$layer" \
    '{schemaVersion: 2, mediaType: $mt, config: $config, layers: [$layer]}' >"$manifest"
  add_blob "$layout" "$manifest"
  descriptor "$mt_manifest" "$BLOB_DIGEST" "$BLOB_SIZE" "{\"platform\":$(platform_json "$arch")}"
}

# Write a multi-platform layout: an index (STYLE oci) or a manifest list
# (STYLE docker) of one image manifest per architecture.
build_multi_platform_layout() {
  local layout=$1 work=$2 style=$3
  local mt_list=$MT_OCI_INDEX
  if [[ "$style" == docker ]]; then
    mt_list=$MT_DOCKER_LIST
  fi

  local children=() arch
  for arch in "${ARCHITECTURES[@]}"; do
    children+=("$(add_image_manifest "$layout" "$work" "$arch" "$style")")
  done

  local list="$work/list-$style.json"
  printf '%s\n' "${children[@]}" | jq -cjs --arg mt "$mt_list" \
    '{schemaVersion: 2, mediaType: $mt, manifests: .}' >"$list"
  add_blob "$layout" "$list"
  write_layout_index "$layout" "$(descriptor "$mt_list" "$BLOB_DIGEST" "$BLOB_SIZE")"
}

build_single_layout() {
  local layout=$1 work=$2
  write_layout_index "$layout" "$(add_image_manifest "$layout" "$work" amd64 oci)"
}

# --- Artifact ----------------------------------------------------------------

# Write report.json, a small JSON document with the packages and layer digests
# of this build, as the payload of the artifact.
write_report() {
  local work=$1 report=$2
  local entries=() arch
  for arch in "${ARCHITECTURES[@]}"; do
    entries+=("$(jq -cn --arg arch "$arch" \
      --arg busybox "sha256:$(sha256sum "$work/rootfs-$arch/bin/busybox" | cut -d' ' -f1)" \
      --arg diff_id "$(jq -r '.rootfs.diff_ids[0]' "$work/config-$arch.json")" \
      --arg source "$(jq -r '.history[0].created_by' "$work/config-$arch.json")" \
      '{architecture: $arch, busybox: $busybox, diff_id: $diff_id, source: $source}')")
  done
  printf '%s\n' "${entries[@]}" | jq -s --arg created "$CREATED" \
    '{report: "ferry test images", created: $created, images: .}' >"$report"
}

build_artifact_layout() {
  local layout=$1 work=$2
  printf '{}' >"$work/empty.json"
  add_blob "$layout" "$work/empty.json"
  [[ "$BLOB_DIGEST" == "$EMPTY_CONFIG_DIGEST" ]] || fail "empty config digest is $BLOB_DIGEST, expected $EMPTY_CONFIG_DIGEST"
  local config
  config=$(descriptor "$MT_OCI_EMPTY" "$BLOB_DIGEST" "$BLOB_SIZE")

  write_report "$work" "$work/report.json"
  add_blob "$layout" "$work/report.json"
  local layer
  layer=$(descriptor "$ARTIFACT_TYPE" "$BLOB_DIGEST" "$BLOB_SIZE" \
    '{"annotations":{"org.opencontainers.image.title":"report.json"}}')

  local manifest="$work/manifest-artifact.json"
  jq -cjn --arg mt "$MT_OCI_MANIFEST" --arg type "$ARTIFACT_TYPE" --arg created "$CREATED" \
    --argjson config "$config" --argjson layer "$layer" \
    '{schemaVersion: 2, mediaType: $mt, artifactType: $type, config: $config, layers: [$layer],
      annotations: {"org.opencontainers.image.created": $created,
                    "org.opencontainers.image.description": "ferry test artifact"}}' >"$manifest"
  add_blob "$layout" "$manifest"
  write_layout_index "$layout" "$(descriptor "$MT_OCI_MANIFEST" "$BLOB_DIGEST" "$BLOB_SIZE" \
    "{\"artifactType\":\"$ARTIFACT_TYPE\"}")"
}

# --- Main --------------------------------------------------------------------

readonly LAYOUTS=(multiarch docker-list single artifact)

build_all() {
  local outdir=$1 cache=$2
  local staging
  staging=$(mktemp -d "$outdir/.staging.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the path is fixed for this run.
  trap "rm -rf '$staging'" EXIT

  local work="$staging/work" arch
  mkdir -p "$work"
  for arch in "${ARCHITECTURES[@]}"; do
    build_layer_and_config "$arch" "$(fetch_package "$arch" "$cache")" "$work"
  done

  build_multi_platform_layout "$staging/multiarch" "$work" oci
  build_multi_platform_layout "$staging/docker-list" "$work" docker
  build_single_layout "$staging/single" "$work"
  build_artifact_layout "$staging/artifact" "$work"

  # Replace old layouts only after every new one is complete. The stamp is
  # written last, so an interrupted run is rebuilt next time.
  rm -f "$outdir/.complete"
  local layout
  for layout in "${LAYOUTS[@]}"; do
    rm -rf "${outdir:?}/$layout"
    mv "$staging/$layout" "$outdir/$layout"
  done
  (cd "$outdir" && find "${LAYOUTS[@]}" -type f -print0 | sort -z | xargs -0 sha256sum) >"$outdir/.checksums"
  recipe_id >"$outdir/.complete"
}

main() {
  [[ $# -eq 1 ]] || fail "usage: build-test-images.sh OUTDIR"
  require_tools

  mkdir -p "$1"
  local outdir cache
  outdir=$(realpath "$1")
  cache=$(realpath -m "${FERRY_TEST_CACHE:-$outdir/.cache}")
  mkdir -p "$cache"

  if output_is_complete "$outdir"; then
    echo "build-test-images: $outdir is up to date"
    return
  fi

  build_all "$outdir" "$cache"
  echo "build-test-images: wrote ${LAYOUTS[*]} to $outdir"
}

main "$@"
