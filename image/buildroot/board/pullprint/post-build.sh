#!/usr/bin/env bash
# Finish the appliance's root filesystem: the service account, a locked root,
# the links a read-only root needs, and the units to start. Buildroot runs it
# as BR2_ROOTFS_POST_BUILD_SCRIPT; the Debian test build (image/debian/build)
# runs the very same script on its tree. It only writes files, so it needs
# neither root nor a systemd on the build host.
#
#   post-build.sh TARGET_DIR
set -euo pipefail

t=${1:?usage: post-build.sh TARGET_DIR}
[ -d "$t/etc" ] || { echo "post-build: $t has no etc/" >&2; exit 1; }

# 1. The service account, with the fixed id of usr/lib/sysusers.d/pullprint.conf.
line=$(grep '^u ' "$t/usr/lib/sysusers.d/pullprint.conf")
user=$(awk '{print $2}' <<< "$line")
ids=$(awk '{print $3}' <<< "$line")
comment=${line#*\"}
comment=${comment%%\"*}
home=$(awk '{print $(NF-1)}' <<< "$line")
shell=$(awk '{print $NF}' <<< "$line")
uid=${ids%%:*}
gid=${ids##*:}
grep -q "^$user:" "$t/etc/group" || echo "$user:x:$gid:" >> "$t/etc/group"
grep -q "^$user:" "$t/etc/passwd" || echo "$user:x:$uid:$gid:$comment:$home:$shell" >> "$t/etc/passwd"
if [ -f "$t/etc/shadow" ]; then
  grep -q "^$user:" "$t/etc/shadow" || echo "$user:!*:1::::::" >> "$t/etc/shadow"
fi

# 2. Nobody logs in: root is locked (no password works) and has no shell;
#    no remote-login server is installed.
if [ -f "$t/etc/shadow" ]; then
  sed -i 's/^root:[^:]*:/root:!*:/' "$t/etc/shadow"
fi
sed -i 's#^\(root:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:\).*#\1/usr/sbin/nologin#' "$t/etc/passwd"
for f in usr/sbin/sshd usr/sbin/dropbear usr/sbin/telnetd; do
  if [ -e "$t/$f" ]; then
    echo "post-build: $f is in the image; the appliance allows no login over the network" >&2
    exit 1
  fi
done

# 3. A read-only root: what must change lives on /var or /run.
ln -sfn ../var/lib/machine-id "$t/etc/machine-id"
mkdir -p "$t/var/lib/dbus"
ln -sfn /etc/machine-id "$t/var/lib/dbus/machine-id"
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$t/etc/resolv.conf"
rm -rf "$t/etc/systemd/network"
ln -sfn /var/lib/pullprint-network "$t/etc/systemd/network"
echo pullprint > "$t/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tpullprint\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$t/etc/hosts"
ln -sfn ../usr/share/zoneinfo/Etc/UTC "$t/etc/localtime"

# 4. Units: what starts, and what an appliance does without.
units=$t/usr/lib/systemd/system
wants() { # TARGET UNIT
  [ -e "$units/$2" ] || { echo "post-build: no unit $2" >&2; exit 1; }
  mkdir -p "$t/etc/systemd/system/$1.wants"
  ln -sfn "/usr/lib/systemd/system/$2" "$t/etc/systemd/system/$1.wants/$2"
}
wants multi-user.target pullprint.service
wants multi-user.target pullprint-selftest.service
wants multi-user.target systemd-networkd.service
wants sockets.target systemd-networkd.socket
wants network-online.target systemd-networkd-wait-online.service
wants sysinit.target systemd-resolved.service
wants sysinit.target systemd-timesyncd.service
ln -sfn /usr/lib/systemd/system/systemd-resolved.service "$t/etc/systemd/system/dbus-org.freedesktop.resolve1.service"
ln -sfn /usr/lib/systemd/system/systemd-networkd.service "$t/etc/systemd/system/dbus-org.freedesktop.network1.service"
# Package managers' timers, scrubbing and remote file systems have no place
# on a read-only appliance.
for w in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service remote-fs.target; do
  rm -f "$t"/etc/systemd/system/*.wants/"$w"
done
