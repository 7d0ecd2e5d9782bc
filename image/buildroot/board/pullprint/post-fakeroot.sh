#!/usr/bin/env bash
# Move /var out of the root filesystem into its own ext4 image, var.ext4:
# the root is read-only, and /var is the appliance's only writable storage.
# Buildroot runs it as BR2_ROOTFS_POST_FAKEROOT_SCRIPT (on its private copy
# of the target, under fakeroot, so that the files keep their owners); the
# Debian test build runs it as root on its tree.
#
#   BINARIES_DIR=DIR post-fakeroot.sh TARGET_DIR
set -euo pipefail

t=${1:?usage: BINARIES_DIR=DIR post-fakeroot.sh TARGET_DIR}
out=${BINARIES_DIR:?BINARIES_DIR must name the folder for var.ext4}
# The partition as shipped; the appliance's state grows into it.
size=${PULLPRINT_VAR_SIZE:-1G}

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -a "$t/var/." "$staging/"
mkdir -p "$staging/lib" "$staging/log" "$staging/tmp"
chmod 1777 "$staging/tmp"
rm -f "$out/var.ext4"
mkfs.ext4 -q -L pp-var -E root_owner=0:0 -d "$staging" "$out/var.ext4" "$size"
# The root keeps an empty mount point.
find "$t/var" -mindepth 1 -delete
chmod 0755 "$t/var"
