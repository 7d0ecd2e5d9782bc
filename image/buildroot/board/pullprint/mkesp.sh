#!/usr/bin/env bash
# Make the EFI system partition: systemd-boot as the removable-media loader,
# the kernel and initramfs, and one boot entry whose command line carries the
# root hash of slot a. Buildroot's post-image.sh and the Debian test build
# both call it.
#
#   mkesp.sh OUT.vfat BOOTX64.EFI KERNEL INITRD ROOTHASH
set -euo pipefail

out=$1
loader=$2
kernel=$3
initrd=$4
roothash=$5
here=$(cd "$(dirname "$0")" && pwd)
cmdline="$(cat "$here/cmdline") pullprint.verity=$roothash pullprint.slot=a"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/EFI/BOOT" "$dir/loader/entries" "$dir/pullprint"
cp "$loader" "$dir/EFI/BOOT/BOOTX64.EFI"
cp "$kernel" "$dir/pullprint/vmlinuz-a"
cp "$initrd" "$dir/pullprint/initrd-a.gz"
printf 'default pullprint-a.conf\ntimeout 0\nconsole-mode keep\neditor no\n' > "$dir/loader/loader.conf"
cat > "$dir/loader/entries/pullprint-a.conf" <<ENTRY
title   Pullprint (slot a)
linux   /pullprint/vmlinuz-a
initrd  /pullprint/initrd-a.gz
options $cmdline
ENTRY

# 64 MiB: room for slot b's kernel and initramfs next to slot a's.
rm -f "$out"
mkfs.vfat -C -n PP-ESP "$out" 65536 >/dev/null
mcopy -s -i "$out" "$dir"/* ::/
