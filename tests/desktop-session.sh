#!/bin/bash
# tests/desktop-session.sh — runs a command in a private desktop: temporary home, session bus, X server, panel, dunst
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tests/desktop-session.sh [--panel] [--dunst RCFILE] [--] CMD [ARG...]
#
# CMD runs with, and the script exits with CMD's status:
#   * HOME, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME, XDG_STATE_HOME and
#     XDG_RUNTIME_DIR in a new temporary folder, removed afterwards. They are set
#     before the bus starts, so that what the bus starts on demand (xfconfd,
#     dconf-service, at-spi) uses them too and never the real home;
#   * a session bus of its own (dbus-run-session, with the system's service files);
#   * an X server (Xvfb; it picks a free display itself through -displayfd), with
#     DISPLAY in the bus's activation environment;
#   * --panel: xfce4-panel, whose systray plugin owns org.kde.StatusNotifierWatcher
#     (a real StatusNotifierItem host); CMD starts once that name is owned, and
#     TW_DESKTOP_PANEL_PID is the panel's process id;
#   * --dunst RCFILE: dunst with that config as the notification server; CMD starts
#     once org.freedesktop.Notifications is owned.
# The desktop's own programs (and what the bus starts) run without the test
# environment's debugging variables (G_DEBUG=fatal-warnings would abort the
# panel on its first harmless warning); CMD gets them back.
# When a program this needs is not installed, CMD runs without the desktop and
# TW_DESKTOP_SKIP says what is missing: tests skip with that reason.
set -u

# Variables for the code under test only.
test_only=(G_DEBUG G_SLICE G_ENABLE_DIAGNOSTIC MALLOC_CHECK_ MALLOC_PERTURB_)

panel=0
dunst_rc=
inner=0
while [ $# -gt 0 ]; do
  case "$1" in
    --panel) panel=1; shift;;
    --dunst) dunst_rc=$2; shift 2;;
    --inner) inner=1; shift;;
    --) shift; break;;
    -*) echo "desktop-session.sh: unknown option $1" >&2; exit 2;;
    *) break;;
  esac
done
if [ $# -eq 0 ]; then
  echo "usage: desktop-session.sh [--panel] [--dunst RCFILE] [--] CMD [ARG...]" >&2
  exit 2
fi

if [ "$inner" = 0 ]; then
  needed=(Xvfb dbus-run-session dbus-update-activation-environment gdbus)
  [ "$panel" = 1 ] && needed+=(xfce4-panel)
  [ -n "$dunst_rc" ] && needed+=(dunst)
  for program in "${needed[@]}"; do
    if ! command -v "$program" >/dev/null; then
      TW_DESKTOP_SKIP="$program is not installed" exec "$@"
    fi
  done

  top=$(mktemp -d "${TMPDIR:-/tmp}/tw-desktop-XXXXXX") || exit 1
  export HOME="$top/home" XDG_CONFIG_HOME="$top/config" XDG_DATA_HOME="$top/data" \
         XDG_CACHE_HOME="$top/cache" XDG_STATE_HOME="$top/state" XDG_RUNTIME_DIR="$top/runtime"
  mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  for v in "${test_only[@]}"; do
    if [ -n "${!v+set}" ]; then
      export "TW_DESKTOP_SAVED_$v=${!v}"
      unset "$v"
    fi
  done
  options=()
  [ "$panel" = 1 ] && options+=(--panel)
  [ -n "$dunst_rc" ] && options+=(--dunst "$dunst_rc")
  # "Failed to set fd limit" from dbus-run-session is harmless (TESTING.md §0).
  # The bus and what it starts (at-spi prints a greeting) write to standard error;
  # only CMD gets the real standard output (fd 4), which may be TAP.
  exec 4>&1
  dbus-run-session -- "$0" --inner "${options[@]}" -- "$@" >&2
  status=$?
  rm -rf "$top"
  exit $status
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT

wait_name() {
  for _ in $(seq 400); do
    gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus \
      -m org.freedesktop.DBus.NameHasOwner "$1" 2>/dev/null | grep -q true && return 0
    sleep 0.05
  done
  echo "desktop-session.sh: timed out waiting for $1 on the bus" >&2
  return 1
}

dfile="$XDG_RUNTIME_DIR/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$dfile" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 400); do [ -s "$dfile" ] && break; sleep 0.05; done
if [ ! -s "$dfile" ]; then
  echo "desktop-session.sh: Xvfb did not start" >&2
  exit 1
fi
export DISPLAY=":$(cat "$dfile")"
dbus-update-activation-environment DISPLAY

if [ -n "$dunst_rc" ]; then
  dunst -config "$dunst_rc" >/dev/null 2>&1 &
  pids+=($!)
  wait_name org.freedesktop.Notifications || exit 1
fi
if [ "$panel" = 1 ]; then
  xfce4-panel --disable-wm-check >/dev/null 2>&1 &
  pids+=($!)
  export TW_DESKTOP_PANEL_PID=$!
  wait_name org.kde.StatusNotifierWatcher || exit 1
fi

for v in "${test_only[@]}"; do
  saved="TW_DESKTOP_SAVED_$v"
  if [ -n "${!saved+set}" ]; then
    export "$v=${!saved}"
    unset "$saved"
  fi
done
# standard output as given to the script (see above)
"$@" >&4 4>&-
