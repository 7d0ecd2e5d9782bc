#!/usr/bin/env bash
# Pack Pullprint's initramfs: initramfs/init, busybox, veritysetup with the
# libraries it needs, and (for a kernel with storage as modules) the storage
# and dm-verity modules in load order.
#
#   mkinitramfs.sh OUT.cpio.gz BINROOT [MODROOT KVER]
#
# BINROOT is the root the two programs and their libraries are taken from:
# Buildroot's target folder, or / for the Debian test build on a Debian 12
# host. MODROOT/lib/modules/KVER holds the kernel's modules (depmod run).
set -euo pipefail

out=$1
binroot=${2%/}
modroot=${3:-}
kver=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,sbin,lib,lib64,proc,sys,dev,run,tmp,sysroot,lib/modules}
install -m 0755 "$here/initramfs/init" "$work/init"

# Find a library by its soname in BINROOT's library folders.
find_lib() {
  local d
  for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 usr/lib64 lib usr/lib; do
    if [ -e "$binroot/$d/$1" ]; then
      echo "$binroot/$d/$1"
      return 0
    fi
  done
  echo "mkinitramfs: library $1 not found under $binroot" >&2
  return 1
}

# Copy an ELF file and, recursively, every library it needs, into lib/.
declare -A copied=()
copy_elf() {
  local file=$1 dest=$2 lib path interp
  cp -L "$file" "$dest"
  interp=$(readelf -l "$file" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  if [ -n "$interp" ] && [ -z "${copied[$interp]:-}" ]; then
    copied[$interp]=1
    mkdir -p "$work$(dirname "$interp")"
    cp -L "$binroot$interp" "$work$interp"
  fi
  for lib in $(readelf -d "$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    [ -z "${copied[$lib]:-}" ] || continue
    copied[$lib]=1
    path=$(find_lib "$lib")
    copy_elf "$path" "$work/lib/$lib"
  done
}

copy_elf "$binroot/bin/busybox" "$work/bin/busybox"
for applet in sh mount umount mkdir sleep cat grep sed tr dd head insmod switch_root; do
  ln -s busybox "$work/bin/$applet"
done
veritysetup=$binroot/sbin/veritysetup
[ -e "$veritysetup" ] || veritysetup=$binroot/usr/sbin/veritysetup
copy_elf "$veritysetup" "$work/sbin/veritysetup"
# Debian's libraries are found through lib/x86_64-linux-gnu; point it at lib/.
ln -s . "$work/lib/x86_64-linux-gnu"

# Storage drivers and dm-verity, each after what it depends on. A module
# this kernel lacks, or has built in, is simply not listed.
if [ -n "$modroot" ]; then
  : > "$work/lib/modules/load-order"
  for m in virtio_pci virtio_blk virtio_scsi sd_mod vmw_pvscsi hv_storvsc xen_blkfront nvme dm_verity squashfs; do
    { modprobe -d "$modroot" -S "$kver" --show-depends "$m" 2>/dev/null || true; } | while read -r verb path _; do
      [ "$verb" = insmod ] || continue
      name=$(basename "$path")
      if ! grep -qx "$name" "$work/lib/modules/load-order"; then
        cp "$path" "$work/lib/modules/$name"
        echo "$name" >> "$work/lib/modules/load-order"
      fi
    done
  done
fi

(cd "$work" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -9 > "$out"
