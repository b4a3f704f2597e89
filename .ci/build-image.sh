#!/usr/bin/env bash
# Build the systemd test-host image with debootstrap + docker import (no registry pulls exist here).
# The rootfs tarball is cached under CACHE_DIR keyed by a hash of the package list and this recipe;
# nothing relies on that cache: a fresh machine rebuilds it (1-2.5 min).
set -euo pipefail
IMAGE=${IMAGE:-local/debian-systemd:bookworm}
SUITE=${SUITE:-bookworm}
CACHE_DIR=${CACHE_DIR:-/var/cache/ci-images}
PKGS=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,python3,python3-apt,sudo,acl,procps,iproute2,ca-certificates,curl
KEY=$(printf '%s\n' "$SUITE" "$PKGS" "$(sed -n '/^prep_rootfs()/,/^}/p' "$0")" | sha256sum | cut -c1-16)

prep_rootfs() {
  local R=$1
  rm -f  "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin
  rm -rf "$R"/var/lib/apt/lists/*
  : > "$R/etc/machine-id"                 # empty -> systemd generates one at boot
  ln -sf /etc/machine-id "$R/var/lib/dbus/machine-id"
  echo debian > "$R/etc/hostname"
  : > "$R/etc/resolv.conf"
  # useless or racy in a test container (apt timers grab the dpkg lock mid-converge)
  for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
           e2scrub_reap.service fstrim.timer systemd-pstore.service getty@tty1.service \
           systemd-firstboot.service; do
    ln -sf /dev/null "$R/etc/systemd/system/$u"
  done
  rm -f "$R/etc/systemd/system/getty.target.wants/getty@tty1.service"
}

have=$(docker image inspect -f '{{index .Config.Labels "ci.build-key"}}' "$IMAGE" 2>/dev/null || true)
if [ "$have" = "$KEY" ]; then echo "image $IMAGE up to date ($KEY)"; exit 0; fi
import() {
  docker import -c 'CMD ["/sbin/init"]' -c 'ENV container=docker' \
    -c "LABEL ci.build-key=$KEY" - "$IMAGE" >/dev/null
  echo "imported $IMAGE ($KEY)"
}
TARBALL=$CACHE_DIR/debian-systemd-$SUITE-$KEY.tar.gz
if [ -s "$TARBALL" ]; then echo "importing cached rootfs $TARBALL"; import < "$TARBALL"; exit 0; fi
mkdir -p "$CACHE_DIR"
WORK=$(mktemp -d /var/tmp/rootfs.XXXXXX); trap 'rm -rf "$WORK"' EXIT
echo "debootstrap $SUITE -> $WORK (about 2 min)"
debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$WORK/rootfs" > "$WORK/debootstrap.log" 2>&1 \
  || { tail -30 "$WORK/debootstrap.log"; exit 1; }
prep_rootfs "$WORK/rootfs"
tar -C "$WORK/rootfs" -czf "$WORK/rootfs.tar.gz" .
mv "$WORK/rootfs.tar.gz" "$TARBALL.tmp" && mv "$TARBALL.tmp" "$TARBALL"
find "$CACHE_DIR" -name "debian-systemd-$SUITE-*.tar.gz" ! -name "$(basename "$TARBALL")" -delete
import < "$TARBALL"
