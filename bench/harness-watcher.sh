#!/bin/bash
# bench/harness-watcher.sh — run the trainwatch daemon as a watcher under test of the
# shared measurement harness (latency.py, idle.py): a private daemon that follows LOG…
# and notifies on every line that matches PATTERN
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: harness-watcher.sh [--trainwatch PROGRAM] [--level LEVEL] [--rules yes|no]
#                           PATTERN LOG…
#
# It makes a private temporary HOME, XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_DATA_HOME,
# XDG_CACHE_HOME and XDG_RUNTIME_DIR, writes a config file there with one user rule
# ([rule:harness], pattern = PATTERN, level = LEVEL; no message, so the notification
# text is the matched line), starts `trainwatch --daemon` on the session bus it is
# given (DBUS_SESSION_BUS_ADDRESS, the harness's private bus), waits until the daemon
# owns its bus name, and asks it to follow each LOG (a path, or a quoted glob) with
# `trainwatch watch`. It then waits for the daemon: the harness stops the whole process
# group with SIGTERM, and the script removes its temporary folder on the way out.
#
# PROGRAM is --trainwatch, else $TRAINWATCH, else `trainwatch` on PATH. LEVEL defaults
# to error. --rules no writes no rule (the daemon's own detectors only).
# Exit status: the daemon's, or 1 when it did not come up within 10 s.

set -u

trainwatch=${TRAINWATCH:-trainwatch}
level=error
rules=yes

while [ $# -gt 0 ]; do
  case $1 in
    --trainwatch) trainwatch=$2; shift 2 ;;
    --trainwatch=*) trainwatch=${1#*=}; shift ;;
    --level) level=$2; shift 2 ;;
    --level=*) level=${1#*=}; shift ;;
    --rules) rules=$2; shift 2 ;;
    --rules=*) rules=${1#*=}; shift ;;
    --) shift; break ;;
    -*) echo "harness-watcher.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done

if [ $# -lt 2 ]; then
  echo "usage: harness-watcher.sh [--trainwatch PROGRAM] [--level LEVEL] [--rules yes|no] PATTERN LOG…" >&2
  exit 2
fi
pattern=$1
shift

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  echo "harness-watcher.sh: no DBUS_SESSION_BUS_ADDRESS; run it under the harness" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tw-harness-XXXXXX") || exit 1
daemon=

cleanup ()
{
  if [ -n "$daemon" ]; then
    kill -TERM "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT

export HOME=$tmp/home
export XDG_CONFIG_HOME=$tmp/config
export XDG_STATE_HOME=$tmp/state
export XDG_DATA_HOME=$tmp/data
export XDG_CACHE_HOME=$tmp/cache
export XDG_RUNTIME_DIR=$tmp/runtime
export GSETTINGS_BACKEND=memory
export GIO_USE_VFS=local
unset DISPLAY WAYLAND_DISPLAY G_MESSAGES_DEBUG G_DEBUG
mkdir -p "$HOME" "$XDG_CONFIG_HOME/trainwatch" "$XDG_STATE_HOME" "$XDG_DATA_HOME" \
  "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

if [ "$rules" = yes ]; then
  # Values are taken as written (no escapes), so the regex goes in unchanged.
  printf '[rule:harness]\npattern = %s\nlevel = %s\n' "$pattern" "$level" \
    > "$XDG_CONFIG_HOME/trainwatch/trainwatch.conf"
fi

"$trainwatch" --daemon &
daemon=$!

# The daemon owns its bus name once `trainwatch status` gets an answer.
up=no
for _ in $(seq 200); do
  if ! kill -0 "$daemon" 2>/dev/null; then
    break
  fi
  if "$trainwatch" status > /dev/null 2>&1; then
    up=yes
    break
  fi
  sleep 0.05
done
if [ $up != yes ]; then
  echo "harness-watcher.sh: the daemon did not come up" >&2
  cleanup
  exit 1
fi

for log in "$@"; do
  "$trainwatch" watch "$log" > /dev/null || echo "harness-watcher.sh: cannot watch $log" >&2
done

wait "$daemon"
status=$?
daemon=
cleanup
exit $status
