#!/usr/bin/env bash
# Installs what Shakedown needs to build, run and test on Debian 12, as
# root, and skips whatever is already there. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[deps]\033[0m %s\n' "$*"; }

export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null; then
  log "Go is missing: Shakedown needs Go 1.26 at /usr/local/go (see README)."; exit 1
fi

# Debian packages: build (cgo for SQLite), run, and test (Chromium, wrk;
# sshd, sudo and openssl for the SSH target tests).
want=(ca-certificates git make gcc libc6-dev pkg-config sqlite3 chromium wrk procps openssh-server openssh-client sudo openssl e2fsprogs)
# The notification tests' real SMTP server.
want+=(python3 python3-aiosmtpd)
# The desktop app (Wails: GTK 3 and WebKitGTK 4.0) and its smoke test under Xvfb.
want+=(build-essential libgtk-3-dev libwebkit2gtk-4.0-dev xvfb xauth x11-utils imagemagick dbus-x11)
command -v node >/dev/null || want+=(nodejs)
command -v npm >/dev/null || want+=(npm)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "missing packages ${missing[*]}: run as root or install them"; exit 1; fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale on a fresh machine.
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libvirt + QEMU for the VM labs (no systemd; see scripts/libvirt.sh).
scripts/libvirt.sh install

# Go modules.
go mod download

# Frontend packages, when the lockfile changed since the last install.
if [ ! -f frontend/node_modules/.package-lock.json ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
  log "installing frontend packages (npm ci)"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi
log "ready"
