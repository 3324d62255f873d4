#!/usr/bin/env bash
# Builds the tiny guest that Shakedown's VM labs boot (as root, Debian 12):
#
#   $GUEST_DIR/vmlinux            uncompressed Debian 6.1 kernel (QEMU boots it via PVH)
#   $GUEST_DIR/initramfs.cpio.gz  stage 1: busybox + virtio/ext4 modules + /init
#   $GUEST_DIR/base.qcow2         1 GiB (virtual) ext4 root disk: busybox, qemu-ga,
#                                 /sbin/init (stage 2), /srv/www, /etc/hostname
#   $GUEST_DIR/guest.json         paths, kernel release, default cmdline, channel name
#
# GUEST_DIR defaults to <repo>/build/guest. Nothing is installed on the host
# but the tools it needs; the kernel, busybox-static and qemu-guest-agent
# packages are downloaded (apt-get download) and unpacked, never installed.
# Each output has a stamp of its inputs (package versions, a hash of this
# script and scripts/guest/): a step runs only when its output is missing or
# its stamp changed. --force rebuilds everything.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/scripts/guest
SELF=$ROOT/scripts/build-guest.sh
GUEST_DIR=${GUEST_DIR:-$ROOT/build/guest}
CACHE=$GUEST_DIR/cache
DISK_SIZE=1G
CMDLINE_DEFAULT="console=ttyS0 quiet panic=-1 mitigations=off"
# Modules stage 1 loads (their dependencies are added, in order).
MODULES=(virtio_pci virtio_blk virtio_net virtio_console crc32c_generic ext4 button evdev)

FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

T0=$(date +%s.%N)
log() { printf '\033[1m[guest]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

mkdir -p "$GUEST_DIR"
# One build at a time per GUEST_DIR (the smoke test and make test may overlap).
exec 9>"$GUEST_DIR/.lock"
flock 9
printf '*\n' > "$GUEST_DIR/.gitignore"

# --- inputs -----------------------------------------------------------------

# Candidate version of a Debian package ("" if unknown).
pkg_version() { apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -1; }

kernel_pkg() {
  if [ -n "${GUEST_KERNEL_PKG:-}" ]; then echo "$GUEST_KERNEL_PKG"; return; fi
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# A key for the state of apt's package lists: the candidate versions only
# change when the lists do. apt-cache takes ~1 s a call here (Debian's docker
# images disable apt's binary cache), so resolved versions are kept in
# $GUEST_DIR/.inputs under this key.
lists_key() {
  { stat -c '%n %Y %s' /var/lib/apt/lists/*Packages* 2>/dev/null || true
    echo "${GUEST_KERNEL_PKG:-}"; } | sha256sum | cut -c1-16
}

# src_hash PATH...: hash of those files under scripts/guest (names, modes,
# contents) and of this script.
src_hash() {
  (cd "$SRC" && find "$@" -type f -o -type l | LC_ALL=C sort | while read -r f; do
      printf '%s %s ' "$f" "$(stat -c %a "$f")"; sha256sum < "$f"; done
    sha256sum < "$SELF") | sha256sum | cut -c1-16
}

resolve_inputs() {
  local key; key=$(lists_key)
  KPKG= KVER= BVER= GVER=
  if [ "$FORCE" = 0 ] && [ -f "$GUEST_DIR/.inputs" ] && [ "$(sed -n 1p "$GUEST_DIR/.inputs")" = "$key" ]; then
    read -r KPKG KVER BVER GVER < <(sed -n 2p "$GUEST_DIR/.inputs")
  fi
  if [ -z "$GVER" ]; then
    KPKG=$(kernel_pkg)
    if [ -z "$KPKG" ] || [ -z "$(pkg_version busybox-static)" ]; then
      log "package lists are empty or stale: apt-get update"
      apt-get update -qq
      key=$(lists_key)
      KPKG=$(kernel_pkg)
    fi
    [ -n "$KPKG" ] || die "cannot find the kernel package (apt-cache depends linux-image-amd64)"
    KVER=$(pkg_version "$KPKG")
    BVER=$(pkg_version busybox-static)
    GVER=$(pkg_version qemu-guest-agent)
    [ -n "$KVER" ] && [ -n "$BVER" ] && [ -n "$GVER" ] || die "cannot resolve package versions"
    printf '%s\n%s %s %s %s\n' "$key" "$KPKG" "$KVER" "$BVER" "$GVER" > "$GUEST_DIR/.inputs"
  fi
  KREL=${KPKG#linux-image-}   # e.g. 6.1.0-56-amd64
  # Hash of everything in scripts/guest (names, modes, contents) and of this script.
  STAMP_VMLINUX="vmlinux-v1 $KPKG=$KVER"
  STAMP_INITRD="initrd $KPKG=$KVER busybox-static=$BVER src=$(src_hash init)"
  STAMP_BASE="base busybox-static=$BVER qemu-guest-agent=$GVER src=$(src_hash rootfs) size=$DISK_SIZE"
}

# up_to_date OUTPUT STAMP
up_to_date() {
  [ "$FORCE" = 0 ] && [ -s "$GUEST_DIR/$1" ] && [ -f "$GUEST_DIR/.$1.stamp" ] &&
    [ "$(cat "$GUEST_DIR/.$1.stamp")" = "$2" ]
}
write_stamp() { printf '%s' "$2" > "$GUEST_DIR/.$1.stamp"; }

# --- host tools -------------------------------------------------------------

host_tools() {
  # mkfs.ext4 -d (e2fsprogs), qemu-img (qemu-utils), xz/gzip for the kernel,
  # and the libraries qemu-ga links against (ldd resolves them on the host).
  local want=(e2fsprogs qemu-utils xz-utils gzip libglib2.0-0 libnuma1 libudev1 liburing2)
  local missing=() p
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages ${missing[*]}: run as root"
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# fetch PKG VERSION -> path of the .deb in $CACHE (downloaded once).
fetch() {
  local pkg=$1 ver=$2 deb
  mkdir -p "$CACHE"
  deb=$(ls "$CACHE/${pkg}_"*.deb 2>/dev/null | while read -r f; do
      [ "$(dpkg-deb -f "$f" Version)" = "$ver" ] && echo "$f"; done | head -1)
  if [ -z "$deb" ]; then
    rm -f "$CACHE/${pkg}_"*.deb
    log "downloading $pkg $ver"
    (cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null)
    deb=$(ls "$CACHE/${pkg}_"*.deb | head -1)
  fi
  echo "$deb"
}

# --- steps ------------------------------------------------------------------

WORK=
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }
trap cleanup EXIT

work() {
  if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "$GUEST_DIR/.work.XXXXXX")
  fi
}

unpack_busybox() {
  [ -x "$WORK/busybox/bin/busybox" ] && return 0
  dpkg-deb -x "$(fetch busybox-static "$BVER")" "$WORK/busybox"
  BUSYBOX=$WORK/busybox/bin/busybox
}

unpack_kernel() {
  [ -d "$WORK/kernel/lib/modules/$KREL" ] && return 0
  local t; t=$(date +%s.%N)
  mkdir -p "$WORK/kernel"
  dpkg-deb --fsys-tarfile "$(fetch "$KPKG" "$KVER")" |
    tar -x -C "$WORK/kernel" --wildcards './boot/vmlinuz-*' './lib/modules/*'
  log "unpacked $KPKG in $(elapsed "$t") s"
}

# The bzImage holds the kernel compressed (xz for Debian's): find the
# compressed stream, decompress it, keep the first candidate that is an ELF.
build_vmlinux() {
  local vmlinuz="$WORK/kernel/boot/vmlinuz-$KREL" out="$GUEST_DIR/vmlinux.tmp" off
  local -a formats=('xz:\xfd7zXZ\x00:xz -dc --single-stream' 'zstd:\x28\xb5\x2f\xfd:zstd -dcq' 'gzip:\x1f\x8b\x08:gzip -dcq')
  local spec name magic cmd
  for spec in "${formats[@]}"; do
    name=${spec%%:*}; magic=${spec#*:}; magic=${magic%%:*}; cmd=${spec##*:}
    command -v "${cmd%% *}" >/dev/null || continue
    for off in $(LC_ALL=C grep -obaUP "$magic" "$vmlinuz" | cut -d: -f1); do
      tail -c +$((off + 1)) "$vmlinuz" | $cmd > "$out" 2>/dev/null || true
      if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        mv "$out" "$GUEST_DIR/vmlinux"
        log "vmlinux: $name stream at offset $off, $(du -h "$GUEST_DIR/vmlinux" | cut -f1)"
        return 0
      fi
    done
  done
  rm -f "$out"
  die "no ELF kernel found inside $vmlinuz"
}

# Prints the modules to load, dependencies first, as paths relative to
# lib/modules/$KREL. Debian's package has no modules.dep (depmod makes it at
# install time): the dependencies come from each module's own modinfo.
module_order() {
  local mdir="$WORK/kernel/lib/modules/$KREL"
  declare -A path=() done=()
  local f n
  while read -r f; do
    n=${f##*/}; n=${n%.ko}; n=${n//-/_}
    path[$n]=${f#"$mdir"/}
  done < <(find "$mdir/kernel" -name '*.ko')
  visit() {
    local m=${1//-/_} d deps
    [ -z "${done[$m]:-}" ] || return 0
    done[$m]=1
    [ -n "${path[$m]:-}" ] || die "module $m not found in $KPKG"
    deps=$(tr '\0' '\n' < "$mdir/${path[$m]}" | sed -n 's/^depends=//p' | head -1)
    for d in ${deps//,/ }; do visit "$d"; done
    echo "${path[$m]}"
  }
  for n in "${MODULES[@]}"; do visit "$n"; done
}

# busybox_links DIR: a symlink to /bin/busybox for every applet (bin/sh, sbin/init, ...).
busybox_links() {
  local a
  "$BUSYBOX" --list-full | while read -r a; do
    [ -e "$1/$a" ] || [ -L "$1/$a" ] || ln -s /bin/busybox "$1/$a"
  done
}

build_initramfs() {
  local st="$WORK/initramfs" mdir="$WORK/kernel/lib/modules/$KREL" a ko
  mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,newroot,run,tmp} "$st/lib/modules/$KREL"
  cp "$BUSYBOX" "$st/bin/busybox"
  busybox_links "$st"
  install -m 755 "$SRC/init" "$st/init"
  module_order > "$st/etc/modules.load"
  : > "$st/lib/modules/$KREL/modules.dep"
  while read -r ko; do
    mkdir -p "$st/lib/modules/$KREL/$(dirname "$ko")"
    cp "$mdir/$ko" "$st/lib/modules/$KREL/$ko"
  done < "$st/etc/modules.load"
  # The kernel opens /dev/console before /init runs (devtmpfs is not mounted yet).
  mknod -m 600 "$st/dev/console" c 5 1
  (cd "$st" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) |
    gzip -6 > "$GUEST_DIR/initramfs.cpio.gz.tmp"
  mv "$GUEST_DIR/initramfs.cpio.gz.tmp" "$GUEST_DIR/initramfs.cpio.gz"
  log "initramfs: $(wc -l < "$st/etc/modules.load") modules ($(tr '\n' ' ' < "$st/etc/modules.load" | sed 's#kernel/[^ ]*/##g')), $(du -h "$GUEST_DIR/initramfs.cpio.gz" | cut -f1)"
}

build_base() {
  local st="$WORK/rootfs" ga="$WORK/qemu-ga" a lib
  mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,lib64,dev,proc,sys,run,tmp,root,home,mnt,var/log,var/lib,var/tmp,srv/www,etc/shakedown}
  chmod 1777 "$st/tmp" "$st/var/tmp"
  chmod 700 "$st/root"
  ln -s /run "$st/var/run"
  cp "$BUSYBOX" "$st/bin/busybox"
  busybox_links "$st"
  # Debian's real qemu-guest-agent and the libraries it links against.
  dpkg-deb -x "$(fetch qemu-guest-agent "$GVER")" "$ga"
  install -m 755 "$ga/usr/sbin/qemu-ga" "$st/usr/sbin/qemu-ga"
  if ldd "$ga/usr/sbin/qemu-ga" | grep -q 'not found'; then
    ldd "$ga/usr/sbin/qemu-ga" >&2
    die "qemu-ga needs libraries the host does not have"
  fi
  for lib in $(ldd "$ga/usr/sbin/qemu-ga" | grep -o '/[^ ]*'); do
    case "$lib" in
      /lib64/*) cp -L "$lib" "$st/lib64/" ;;
      *) cp -L "$lib" "$st/lib/x86_64-linux-gnu/" ;;
    esac
  done
  # The Shakedown files: init scripts, agent wrapper, demo app, hostname.
  cp -a "$SRC/rootfs/." "$st/"
  chown -R 0:0 "$st"
  local raw="$WORK/base.raw"
  truncate -s "$DISK_SIZE" "$raw"
  mkfs.ext4 -q -F -L shakedown-root -E root_owner=0:0 -d "$st" "$raw"
  qemu-img convert -f raw -O qcow2 "$raw" "$GUEST_DIR/base.qcow2.tmp"
  mv "$GUEST_DIR/base.qcow2.tmp" "$GUEST_DIR/base.qcow2"
  log "base.qcow2: $DISK_SIZE virtual, $(du -h "$GUEST_DIR/base.qcow2" | cut -f1) on disk, qemu-ga $GVER + $(ls "$st/lib/x86_64-linux-gnu" | wc -l) libraries"
}

write_manifest() {
  local out="$GUEST_DIR/guest.json"
  cat > "$out.tmp" <<EOF
{
  "vmlinux": "$GUEST_DIR/vmlinux",
  "initrd": "$GUEST_DIR/initramfs.cpio.gz",
  "base_disk": "$GUEST_DIR/base.qcow2",
  "base_disk_format": "qcow2",
  "kernel_release": "$KREL",
  "kernel_package": "$KPKG=$KVER",
  "busybox": "busybox-static=$BVER",
  "guest_agent": "qemu-guest-agent=$GVER",
  "cmdline": "$CMDLINE_DEFAULT",
  "agent_channel": "org.qemu.guest_agent.0",
  "root_device": "/dev/vda"
}
EOF
  if cmp -s "$out.tmp" "$out"; then rm -f "$out.tmp"; else mv "$out.tmp" "$out"; fi
}

# --- main -------------------------------------------------------------------

resolve_inputs
built=()
need_k=0 need_i=0 need_b=0
up_to_date vmlinux "$STAMP_VMLINUX" || need_k=1
up_to_date initramfs.cpio.gz "$STAMP_INITRD" || need_i=1
up_to_date base.qcow2 "$STAMP_BASE" || need_b=1

if [ $((need_k + need_i + need_b)) -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "run as root (mknod, file ownership, package installs)"
  host_tools
  work
  unpack_busybox
  BUSYBOX=$WORK/busybox/bin/busybox
  if [ $((need_k + need_i)) -gt 0 ]; then unpack_kernel; fi
  if [ $need_k = 1 ]; then build_vmlinux; write_stamp vmlinux "$STAMP_VMLINUX"; built+=(vmlinux); fi
  if [ $need_i = 1 ]; then build_initramfs; write_stamp initramfs.cpio.gz "$STAMP_INITRD"; built+=(initramfs); fi
  if [ $need_b = 1 ]; then
    [ ! -f "$GUEST_DIR/base.qcow2" ] || log "note: base.qcow2 changes; overlays made from the old one are now invalid"
    build_base; write_stamp base.qcow2 "$STAMP_BASE"; built+=(base.qcow2)
  fi
fi
write_manifest
if [ ${#built[@]} -gt 0 ]; then
  log "built ${built[*]} in $(elapsed "$T0") s -> $GUEST_DIR"
else
  log "up to date ($(elapsed "$T0") s): $GUEST_DIR"
fi
