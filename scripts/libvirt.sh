#!/usr/bin/env bash
# Installs, starts and stops libvirt + QEMU for Shakedown's VM labs on a
# machine without systemd (Debian 12, as root). Idempotent.
#
#   scripts/libvirt.sh install   Debian packages, libvirt-qemu user/group, qemu.conf
#   scripts/libvirt.sh start     start virtlogd + libvirtd unless libvirt already answers
#   scripts/libvirt.sh stop      stop only the daemons this script started
#   scripts/libvirt.sh status    what runs, who started it
#
# State (pid files, logs, the "we started it" marker) lives in
# ${SHAKEDOWN_LIBVIRT_STATE:-<repo>/build/libvirt-run}.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${SHAKEDOWN_LIBVIRT_STATE:-$ROOT/build/libvirt-run}
URI=qemu:///system
SOCK=/run/libvirt/libvirt-sock
QEMU_CONF=/etc/libvirt/qemu.conf
START_TIMEOUT=${SHAKEDOWN_LIBVIRT_START_TIMEOUT:-30}
# iptables must be installed before libvirtd first starts, or networks fail
# until libvirtd is restarted: it is in the same install, done before start.
PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
      qemu-utils dnsmasq-base iptables)

log() { printf '\033[1m[libvirt]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "run as root"; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# Sets KEY = "VALUE" in qemu.conf unless an uncommented KEY line already exists.
conf_set() {
  local key=$1 value=$2
  if grep -Eq "^[[:space:]]*${key}[[:space:]]*=" "$QEMU_CONF"; then
    return 0
  fi
  printf '\n# added by shakedown scripts/libvirt.sh\n%s = "%s"\n' "$key" "$value" >> "$QEMU_CONF"
  log "set $key = \"$value\" in $QEMU_CONF"
}

cmd_install() {
  need_root
  local missing=() p
  for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # libvirtd exits at start unless this user and group exist, even when
  # qemu.conf says user = "root" (libvirt-daemon-system would make them).
  getent group libvirt-qemu >/dev/null || { groupadd --system libvirt-qemu; log "created group libvirt-qemu"; }
  getent passwd libvirt-qemu >/dev/null || {
    useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
    log "created user libvirt-qemu"; }
  # libvirt-daemon-system (not installed: it pulls in systemd) ships
  # qemu.conf; without it libvirt uses Debian's built-in libvirt-qemu user.
  if [ ! -f "$QEMU_CONF" ]; then
    mkdir -p "$(dirname "$QEMU_CONF")"
    printf '# QEMU driver settings for Shakedown labs (see scripts/libvirt.sh)\n' > "$QEMU_CONF"
    log "created $QEMU_CONF"
  fi
  conf_set user root
  conf_set group root
  log "installed: libvirt $(dpkg-query -W -f='${Version}' libvirt-daemon), qemu $(dpkg-query -W -f='${Version}' qemu-system-x86)"
}

answers() { timeout 10 virsh -c "$URI" version >/dev/null 2>&1; }

pid_alive() { local f=$1; [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

cmd_start() {
  need_root
  command -v libvirtd >/dev/null || die "libvirt is not installed: run scripts/libvirt.sh install"
  if [ -S "$SOCK" ] && answers; then
    if [ -f "$STATE/started-by-shakedown" ]; then
      log "already running (started by this script, pid $(cat "$STATE/libvirtd.pid" 2>/dev/null))"
    else
      log "already running (not started by this script): nothing to do"
    fi
    return 0
  fi
  local t0; t0=$(date +%s%N)
  mkdir -p "$STATE"
  printf '*\n' > "$STATE/.gitignore"
  # Two starts at once must not launch two daemons: the second waits, then
  # finds libvirt answering.
  exec 9>"$STATE/.lock"
  flock 9
  if [ -S "$SOCK" ] && answers; then
    log "started meanwhile by another caller: nothing to do"
    return 0
  fi
  # libvirt-daemon-system would make these; virtlogd dies without its log dir.
  mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/lib/libvirt/images /var/cache/libvirt /run/libvirt
  # virtlogd must be up before any domain starts (it writes the domain logs).
  if pid_alive "$STATE/virtlogd.pid"; then
    log "virtlogd already running (pid $(cat "$STATE/virtlogd.pid"))"
  elif pgrep -x virtlogd >/dev/null; then
    log "a virtlogd not started by this script is running: using it"
  else
    rm -f "$STATE/virtlogd.pid"
    virtlogd -d --pid-file "$STATE/virtlogd.pid"
    touch "$STATE/virtlogd.ours"
  fi
  if pid_alive "$STATE/libvirtd.pid"; then
    log "libvirtd pid $(cat "$STATE/libvirtd.pid") is alive but does not answer yet"
  else
    rm -f "$STATE/libvirtd.pid"
    libvirtd -d --pid-file "$STATE/libvirtd.pid" 2>>"$STATE/libvirtd.log"
    touch "$STATE/libvirtd.ours"
  fi
  local i
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    if [ -S "$SOCK" ] && answers; then
      touch "$STATE/started-by-shakedown"
      log "libvirt answers on $SOCK (libvirtd pid $(cat "$STATE/libvirtd.pid" 2>/dev/null)) after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
      return 0
    fi
    if [ -f "$STATE/libvirtd.ours" ] && [ "$i" -gt 20 ] && ! pid_alive "$STATE/libvirtd.pid"; then
      tail -20 "$STATE/libvirtd.log" >&2 || true
      die "libvirtd exited at start (see $STATE/libvirtd.log; did you run 'scripts/libvirt.sh install'?)"
    fi
    sleep 0.1
  done
  die "libvirt did not answer on $SOCK within ${START_TIMEOUT}s"
}

# Stops the daemon whose pid file is $1 if this script started it ($2 marker).
stop_one() {
  local name=$1 pidf="$STATE/$1.pid" ours="$STATE/$1.ours" pid i
  if [ ! -f "$ours" ]; then
    return 0
  fi
  if ! pid_alive "$pidf"; then
    rm -f "$ours" "$pidf"; return 0
  fi
  pid=$(cat "$pidf")
  # Only signal the pid if it is still the program we started.
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$name" ]; then
    log "pid $pid in $pidf is not $name any more: leaving it"
    rm -f "$ours" "$pidf"; return 0
  fi
  kill -TERM "$pid"
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not exit in 15 s: sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$ours" "$pidf"
  log "stopped $name (pid $pid)"
}

cmd_stop() {
  need_root
  if [ ! -f "$STATE/libvirtd.ours" ] && [ ! -f "$STATE/virtlogd.ours" ]; then
    log "nothing started by this script: nothing to stop"
    rm -f "$STATE/started-by-shakedown"
    return 0
  fi
  # Running guests are QEMU children of libvirtd's supervision but separate
  # processes: libvirtd leaves them running when it stops. Say so.
  if answers; then
    local running
    running=$(virsh -c "$URI" list --name 2>/dev/null | sed '/^$/d' || true)
    [ -z "$running" ] || log "note: domains still running (they keep running): $(echo $running)"
  fi
  stop_one libvirtd
  stop_one virtlogd
  rm -f "$STATE/started-by-shakedown"
}

cmd_status() {
  local rc=0
  if [ -S "$SOCK" ] && answers; then
    echo "libvirt: answers on $SOCK"
    virsh -c "$URI" version 2>/dev/null | sed 's/^/  /'
    echo "  running domains: $(virsh -c "$URI" list --name 2>/dev/null | sed '/^$/d' | wc -l)"
  else
    echo "libvirt: not answering on $SOCK"; rc=3
  fi
  local d
  for d in virtlogd libvirtd; do
    if pid_alive "$STATE/$d.pid"; then
      if [ -f "$STATE/$d.ours" ]; then
        echo "$d: pid $(cat "$STATE/$d.pid"), started by scripts/libvirt.sh"
      else
        echo "$d: pid $(cat "$STATE/$d.pid")"
      fi
    elif pgrep -x "$d" >/dev/null; then
      echo "$d: running (pid $(pgrep -x "$d" | paste -sd' ')), not started by scripts/libvirt.sh"
    else
      echo "$d: not running"
    fi
  done
  echo "state dir: $STATE"
  return $rc
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
