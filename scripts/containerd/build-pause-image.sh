#!/usr/bin/env bash
# Builds the sandbox ("pause") image without any registry: a static pause binary in a hand-built OCI image
# layout, packed as a tarball that `ctr images import` accepts.
#   usage: build-pause-image.sh OUT.tar IMAGE_NAME
set -euo pipefail
out=${1:?usage: build-pause-image.sh OUT.tar IMAGE_NAME}
name=${2:?usage: build-pause-image.sh OUT.tar IMAGE_NAME}
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs" "$work/oci/blobs/sha256"

gcc -static -O2 -s -Wall -Wextra -o "$work/rootfs/pause" "$here/pause.c"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# Layer: one file, fixed owner and mtime so the same source gives the same digest.
tar --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$work/rootfs" -cf "$work/layer.tar" pause
diff_id=$(sha "$work/layer.tar")
gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(sha "$work/layer.tar.gz"); layer_size=$(size "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$work/oci/blobs/sha256/$layer"

printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$diff_id" > "$work/config.json"
config=$(sha "$work/config.json"); config_size=$(size "$work/config.json")
mv "$work/config.json" "$work/oci/blobs/sha256/$config"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" > "$work/manifest.json"
manifest=$(sha "$work/manifest.json"); manifest_size=$(size "$work/manifest.json")
mv "$work/manifest.json" "$work/oci/blobs/sha256/$manifest"

printf '{"imageLayoutVersion":"1.0.0"}' > "$work/oci/oci-layout"
# io.containerd.image.name gives ctr the full image name; ref.name is the OCI way to tag it.
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$manifest_size" "$name" "${name##*:}" > "$work/oci/index.json"

tar --numeric-owner --owner=0 --group=0 -C "$work/oci" -cf "$out" oci-layout index.json blobs
