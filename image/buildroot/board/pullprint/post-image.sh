#!/usr/bin/env bash
# Buildroot's BR2_ROOTFS_POST_IMAGE_SCRIPT: from rootfs.squashfs, var.ext4,
# the kernel and systemd-boot in BINARIES_DIR, make the verity hash tree, the
# initramfs (busybox and veritysetup from the target), the EFI partition
# with its boot entry, and the GPT disk, pullprint.img (genimage.cfg), plus
# pullprint.img.zst to ship. The Debian test build does the same steps with
# the same scripts (image/debian/build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${BINARIES_DIR:?run by Buildroot, which sets BINARIES_DIR}
target=${TARGET_DIR:?run by Buildroot, which sets TARGET_DIR}

veritysetup format "$out/rootfs.squashfs" "$out/rootfs.verity" > "$out/verity.txt"
roothash=$(sed -n 's/^Root hash:[[:space:]]*\([0-9a-f]*\)$/\1/p' "$out/verity.txt")
[ ${#roothash} -eq 64 ] || { cat "$out/verity.txt" >&2; exit 1; }
echo "$roothash" > "$out/roothash"

# The kernel has storage, dm-verity and squashfs built in: no modules.
"$here/mkinitramfs.sh" "$out/initrd.gz" "$target"
"$here/mkesp.sh" "$out/esp.vfat" "$out/efi-part/EFI/BOOT/bootx64.efi" "$out/bzImage" "$out/initrd.gz" "$roothash"

rm -rf "$out/genimage.tmp"
genimage --config "$here/genimage.cfg" --inputpath "$out" --outputpath "$out" \
  --rootpath "$(mktemp -d)" --tmppath "$out/genimage.tmp"
zstd -q -f -T0 -19 "$out/pullprint.img" -o "$out/pullprint.img.zst"
echo "pullprint: $out/pullprint.img (root hash $roothash)"
