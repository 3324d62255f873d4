#!/usr/bin/env bash
# Promotion figures (make bench-rollout): a phased rollout of a small
# package to TARGETS (1,000) SSH targets on real sshd instances on loopback,
# max_parallel 50, by a real `shakedown serve`, against the ideal (the sum
# of the same commands' times ÷ 50, by a bare Go SSH client) and against
# Ansible (the Debian package, forks=50, the same serial) in the same run.
# Prints a table and go test's benchmark line. Needs root (sshd, and a test
# account that exists only in sshd's private mount namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
if ! command -v ansible-playbook >/dev/null; then
  echo "installing ansible (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q ansible >/dev/null
fi
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server >/dev/null
export SHAKEDOWN_BENCH_TARGETS=${TARGETS:-1000}
export SHAKEDOWN_BENCH_INSTALL_SECONDS=${INSTALL_SECONDS:-1}
exec go test -run '^$' -bench BenchmarkRolloutSSH -benchtime 1x -timeout 60m ./backend/server
