#!/usr/bin/env bash
# Proves the VM lab groundwork with real guests (TCG, no mocks), as root:
#   1. installs/starts libvirt (scripts/libvirt.sh) and builds the guest
#      (scripts/build-guest.sh, cached);
#   2. guest A boots (user-mode network, DHCP) from a linked clone (qcow2
#      overlay) of base.qcow2: agent ping, guest-exec "cat /srv/www/version",
#      the demo app over HTTP inside the guest, guest-file-write, writes files
#      (a marker, /etc/hostname, /etc/shakedown/net) through guest-exec, then
#      shuts down through the agent;
#   3. on a transient isolated network, guest A boots again from the same
#      overlay (its writes must be there: hostname and static IP from its
#      disk) while guest B boots from its own overlay with sd.hostname= and
#      sd.ip= on the kernel command line (it must not see A's writes); they
#      ping each other and B fetches A's app; A is shut down through ACPI, B
#      through the agent;
#   4. removes every domain, network and overlay it made (also on failure).
# Prints boot-to-agent times and "guest-smoke: N passed, N failed". At most 2
# guests run at once. Objects are named sdtest-<pid>-* (SDTEST_PREFIX changes
# "sdtest-"). libvirt is left running.
#
#   scripts/guest-smoke.sh [--keep]     --keep leaves the work dir (XML, console logs)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GUEST_DIR=${GUEST_DIR:-$ROOT/build/guest}
URI=qemu:///system
# go test ./labs/ sweeps every sdtest-* object when it starts and ends: to run
# this beside it, give another prefix (SDTEST_PREFIX=sdsmoke-).
RUN=${SDTEST_PREFIX:-sdtest-}$$
KEEP=0
[ "${1:-}" != --keep ] || KEEP=1
AGENT_TIMEOUT=${SDTEST_AGENT_TIMEOUT:-120}   # s; 16 guests at once took 85 s here
STOP_TIMEOUT=${SDTEST_STOP_TIMEOUT:-60}

virsh() { command virsh -q -c "$URI" "$@"; }
log() { printf '\033[1m[smoke]\033[0m %s\n' "$*" >&2; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); log "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); log "FAIL: $*"; }
# check DESCRIPTION EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1 ($3)"; else fail "$1: want '$2', got '$3'"; fi; }

[ "$(id -u)" = 0 ] || { log "run as root"; exit 1; }
"$ROOT/scripts/libvirt.sh" install
# libvirt stays running afterwards: other users (the Go labs tests) may share
# the daemon. Stop it with scripts/libvirt.sh stop.
"$ROOT/scripts/libvirt.sh" start
"$ROOT/scripts/build-guest.sh"

stale=$(virsh list --all --name | grep "^${SDTEST_PREFIX:-sdtest-}" || true)
[ -z "$stale" ] || log "note: domains with our prefix from other runs exist: $(echo $stale)"

mkdir -p "$ROOT/build"
WORK=$(mktemp -d "$ROOT/build/$RUN.XXXX")
printf '*\n' > "$WORK/.gitignore"
DOMS=() NETS=()
cleanup() {
  local rc=$? d
  for d in "${DOMS[@]}"; do
    if virsh domstate "$d" >/dev/null 2>&1; then
      log "cleanup: destroying $d"
      virsh destroy "$d" >/dev/null 2>&1 || true
      virsh undefine "$d" >/dev/null 2>&1 || true   # only if it became persistent
    fi
  done
  for d in "${NETS[@]}"; do
    virsh net-destroy "$d" >/dev/null 2>&1 || true
  done
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_overlay NAME: a linked clone of base.qcow2 (a copy-on-write overlay).
new_overlay() {
  local t; t=$(now_ms)
  qemu-img create -q -f qcow2 -F qcow2 -b "$GUEST_DIR/base.qcow2" "$WORK/$1.qcow2"
  log "overlay $1.qcow2 in $(secs $(( $(now_ms) - t ))) s, $(du -k "$WORK/$1.qcow2" | cut -f1) KiB"
}

# net_xml NAME: an isolated network (no <forward>, no <ip>: no host address,
# no DHCP); guests on it reach each other and nothing else.
net_xml() {
  cat <<EOF
<network>
  <name>$1</name>
  <bridge stp='off' delay='0'/>
</network>
EOF
}

# domain_xml NAME OVERLAY EXTRA_CMDLINE NETWORK ("user" = user-mode networking)
domain_xml() {
  local nic="<interface type='user'><model type='virtio'/></interface>"
  [ "$4" = user ] || nic="<interface type='network'><source network='$4'/><model type='virtio'/></interface>"
  cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST_DIR/vmlinux</kernel>
    <initrd>$GUEST_DIR/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 mitigations=off $3</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$WORK/$2.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    $nic
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <serial type='file'>
      <source path='$WORK/$1.console.log'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$WORK/$1.console.log'/>
      <target type='serial' port='0'/>
    </console>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

declare -A STARTED=()
# boot NAME OVERLAY NETWORK [CMDLINE]: a transient domain (virsh create).
boot() {
  domain_xml "$1" "$2" "${4:-}" "$3" > "$WORK/$1.xml"
  DOMS+=("$1")
  STARTED[$1]=$(now_ms)
  virsh create "$WORK/$1.xml" >/dev/null
  log "started $1 (overlay $2.qcow2, network $3${4:+, cmdline $4})"
}

agent() { virsh qemu-agent-command "$1" "$2"; }

# gone NAME: true (and says why) if the domain no longer runs.
gone() {
  local st
  st=$(virsh domstate "$1" 2>/dev/null) && [ "$st" = running ] && return 1
  log "$1 is not running any more (${st:-undefined}); libvirt's log says: $(grep -o 'reason=[a-z]*\|terminating on signal.*' "/var/log/libvirt/qemu/$1.log" 2>/dev/null | tail -1)"
  log "(a domain destroyed from outside: is 'go test ./labs/' sweeping sdtest-* objects at the same time? use SDTEST_PREFIX)"
  tail -15 "$WORK/$1.console.log" >&2 2>/dev/null || true
  return 0
}

# wait_agent NAME: guest-ping until it answers; prints boot-to-agent seconds.
wait_agent() {
  local deadline=$(( $(now_ms) + AGENT_TIMEOUT * 1000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if agent "$1" '{"execute":"guest-ping"}' >/dev/null 2>&1; then
      secs $(( $(now_ms) - STARTED[$1] ))
      return 0
    fi
    gone "$1" && return 1
    sleep 0.2
  done
  log "$1: no agent after ${AGENT_TIMEOUT}s; console:"
  tail -30 "$WORK/$1.console.log" >&2 || true
  return 1
}

json_field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"; }

# gexec NAME SHELL_COMMAND: runs it through guest-exec + guest-exec-status,
# prints its stdout, returns its exit code.
gexec() {
  local dom=$1 cmd=$2 req resp pid i exited
  cmd=${cmd//\\/\\\\}; cmd=${cmd//\"/\\\"}
  req="{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"$cmd\"],\"capture-output\":true}}"
  resp=$(agent "$dom" "$req") || { gone "$dom"; return 1; }
  pid=$(echo "$resp" | json_field pid)
  for ((i = 0; i < 300; i++)); do
    resp=$(agent "$dom" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") || { gone "$dom"; return 1; }
    exited=$(echo "$resp" | json_field exited)
    [ "$exited" != true ] || break
    sleep 0.1
  done
  [ "$exited" = true ] || { log "$dom: guest-exec pid $pid did not finish"; return 1; }
  echo "$resp" | json_field out-data | base64 -d
  local err; err=$(echo "$resp" | json_field err-data | base64 -d)
  [ -z "$err" ] || log "$dom stderr: $err"
  local code sig
  code=$(echo "$resp" | json_field exitcode)
  sig=$(echo "$resp" | json_field signal)
  if [ -n "$sig" ]; then log "$dom: '$2' killed by signal $sig"; return $((128 + sig)); fi
  return "${code:-1}"
}

# wait_stopped NAME: until the transient domain is gone (or shut off).
wait_stopped() {
  local t0=$1 deadline=$(( $(now_ms) + STOP_TIMEOUT * 1000 )) st
  while [ "$(now_ms)" -lt "$deadline" ]; do
    st=$(virsh domstate "$2" 2>/dev/null || echo gone)
    case "$st" in
      gone|"shut off") secs $(( $(now_ms) - t0 )); return 0 ;;
    esac
    sleep 0.2
  done
  return 1
}

# shutdown_guest NAME MODE: agent or acpi, and check that it stopped.
shutdown_guest() {
  local t; t=$(now_ms)
  virsh shutdown --mode "$2" "$1" >/dev/null
  local s
  if s=$(wait_stopped "$t" "$1"); then
    ok "$1 stopped after $2 shutdown in $s s"
    [ "$2" != agent ] || T_SHUTDOWN+=("$s")
  else
    fail "$1 still $(virsh domstate "$1" 2>&1) ${STOP_TIMEOUT}s after $2 shutdown"
  fi
}

T_BOOT=() T_SHUTDOWN=()
base_sum=$(sha256sum < "$GUEST_DIR/base.qcow2")

# --- guest A, first boot ------------------------------------------------------
A=$RUN-a B=$RUN-b
new_overlay a
boot "$A" a user
s=$(wait_agent "$A") || { fail "$A: agent never answered"; exit 1; }
T_BOOT+=("$s"); ok "$A agent ready ${s} s after virsh create"

check "$A guest-exec cat /srv/www/version" 1.0.0 "$(gexec "$A" 'cat /srv/www/version')"
check "$A hostname from the disk" shakedown-guest "$(gexec "$A" hostname)"
check "$A demo app over HTTP (busybox wget in the guest)" 1.0.0 "$(gexec "$A" 'wget -qO- http://127.0.0.1/version')"
check "$A eth0 by DHCP (user-mode network)" "dhcp 10.0.2.15/24" "$(gexec "$A" 'for i in 1 2 3 4 5 6 7 8 9 10; do grep -q / /run/shakedown/net && break; sleep 0.5; done; cat /run/shakedown/net')"
check "$A busybox tools for release commands" ok "$(gexec "$A" 'for t in sh wget ping cat sha256sum tar; do command -v $t >/dev/null || { echo missing $t; exit 1; }; done; echo ok')"
check "$A guest-exec exit code" 3 "$(gexec "$A" 'exit 3' >/dev/null; echo $?)"
# guest-file-open/write/close (what Go code can use to push a file).
fh=$(agent "$A" '{"execute":"guest-file-open","arguments":{"path":"/tmp/pushed.txt","mode":"w"}}' | json_field return)
agent "$A" "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":$fh,\"buf-b64\":\"$(printf 'pushed by guest-file-write' | base64)\"}}" >/dev/null
agent "$A" "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$fh}}" >/dev/null
check "$A guest-file-write" "pushed by guest-file-write" "$(gexec "$A" 'cat /tmp/pushed.txt')"
# Writes that a linked clone must keep: a marker, a new hostname and static IP.
marker="written-by-$RUN"
check "$A write files via guest-exec" done "$(gexec "$A" "echo $marker > /srv/www/smoke.txt && echo sdtest-disk-a > /etc/hostname && printf 'IP=10.0.2.77/24\nGW=10.0.2.2\n' > /etc/shakedown/net && sha256sum /srv/www/smoke.txt > /root/smoke.sum && sync && echo done")"
check "$A read it back" "$marker" "$(gexec "$A" 'cat /srv/www/smoke.txt')"
shutdown_guest "$A" agent

# --- guest A again (same overlay) + guest B (own overlay), 2 at once -----------
new_overlay b
NET=$RUN-net
net_xml "$NET" > "$WORK/net.xml"
NETS+=("$NET")
t=$(now_ms); virsh net-create "$WORK/net.xml" >/dev/null
log "isolated network $NET up in $(secs $(( $(now_ms) - t ))) s"
boot "$A" a "$NET"
boot "$B" b "$NET" "sd.hostname=$RUN-b sd.ip=10.0.2.50/24 sd.gw=10.0.2.2"
sa=$(wait_agent "$A") || { fail "$A (second boot): agent never answered"; exit 1; }
sb=$(wait_agent "$B") || { fail "$B: agent never answered"; exit 1; }
T_BOOT+=("$sa" "$sb"); ok "2 guests at once: agent ready after $sa s ($A) and $sb s ($B)"

check "$A kept its file across reboot" "$marker" "$(gexec "$A" 'cat /srv/www/smoke.txt')"
check "$A checksum of it (sha256sum -c)" "/srv/www/smoke.txt: OK" "$(gexec "$A" 'sha256sum -c /root/smoke.sum')"
check "$A hostname from /etc/hostname on its disk" sdtest-disk-a "$(gexec "$A" hostname)"
check "$A static IP from /etc/shakedown/net" "static 10.0.2.77/24" "$(gexec "$A" 'cat /run/shakedown/net')"
check "$A eth0 has it" "10.0.2.77/24" "$(gexec "$A" "ip -4 -o addr show dev eth0 | awk '{print \$4}'")"
check "$B hostname from the kernel command line" "$RUN-b" "$(gexec "$B" hostname)"
check "$B static IP from the kernel command line" "10.0.2.50/24" "$(gexec "$B" "ip -4 -o addr show dev eth0 | awk '{print \$4}'")"
check "$B does not see A's writes (separate linked clones)" absent "$(gexec "$B" '[ -e /srv/www/smoke.txt ] && echo present || echo absent')"
check "$A pings $B on the isolated network" ok "$(gexec "$A" 'ping -c 2 -W 5 10.0.2.50 >/dev/null && echo ok')"
check "$B fetches $A's app over the isolated network" 1.0.0 "$(gexec "$B" 'timeout 10 wget -qO- http://10.0.2.77/version')"
check "$B tar round trip" 1.0.0 "$(gexec "$B" 'cd /tmp && tar -cf v.tar -C /srv/www version && mkdir -p x && tar -xf v.tar -C x && cat x/version')"
shutdown_guest "$A" acpi
shutdown_guest "$B" agent

check "base.qcow2 untouched by the clones" "$base_sum" "$(sha256sum < "$GUEST_DIR/base.qcow2")"
ls_overlays=$(ls "$WORK"/*.qcow2 | wc -l)
log "boot-to-agent (s): ${T_BOOT[*]} (first: 1 guest alone; then 2 at once)"
log "agent shutdown to domain gone (s): ${T_SHUTDOWN[*]}"
echo "guest-smoke: boot-to-agent ${T_BOOT[0]} s (1 guest), ${T_BOOT[1]} s / ${T_BOOT[2]} s (2 at once); $ls_overlays overlays removed"
echo "guest-smoke: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
