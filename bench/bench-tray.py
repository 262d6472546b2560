#!/usr/bin/python3
# bench/bench-tray.py — what the tray costs: trainwatch-tray's memory, and how often the
# menu is refreshed while a followed log writes progress lines as fast as it can
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Run it inside a private desktop with a panel (a StatusNotifierWatcher):
#   tests/desktop-session.sh --panel /usr/bin/python3 bench/bench-tray.py \
#     --trainwatch build/app/trainwatch --tray build/ui/tray/trainwatch-tray
# It prints figures and a last JSON line; it never passes or fails on them.
import argparse
import json
import os
import subprocess
import sys
import shutil
import tempfile
import threading
import time

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

DAEMON = "io.github.trainwatch.Trainwatch.Daemon"
MENU_PATH = "/io/github/trainwatch/Trainwatch/Daemon/menu"
WATCHER = "org.kde.StatusNotifierWatcher"
ITEM_SUFFIX = "/org/ayatana/NotificationItem/io_github_trainwatch_Trainwatch"


def proc_status(pid):
    """VmRSS and VmHWM in MiB, from /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class Bench:
    def __init__(self, args):
        self.args = args
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        self.top = tempfile.mkdtemp(prefix="tw-bench-tray-")
        self.env = dict(os.environ)
        for name in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
            path = os.path.join(self.top, name.lower())
            os.makedirs(path)
            self.env[name] = path
        for name in ("G_DEBUG", "G_MESSAGES_DEBUG", "G_SLICE", "MALLOC_CHECK_", "MALLOC_PERTURB_"):
            self.env.pop(name, None)
        self.env["TRAINWATCH_TRAY"] = args.tray
        self.env["GSETTINGS_BACKEND"] = "memory"
        self.counts = {"menus_changed": 0, "menus_changes": 0, "layout_updated": 0, "properties_updated": 0}
        self.stop = threading.Event()
        self.lines_written = 0

    def trainwatch(self, *argv):
        return subprocess.run([self.args.trainwatch, *argv], env=self.env, check=True,
                              capture_output=True, text=True).stdout

    def call(self, name, path, iface, method, params, reply):
        return self.bus.call_sync(name, path, iface, method, params, GLib.VariantType(reply),
                                  Gio.DBusCallFlags.NO_AUTO_START, 5000, None).unpack()

    def wait(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = cond()
            if value:
                return value
            time.sleep(0.05)
        sys.exit(f"bench-tray: timed out waiting for {what}")

    def registered_item(self):
        try:
            (items,) = self.call(WATCHER, "/StatusNotifierWatcher", "org.freedesktop.DBus.Properties", "Get",
                                 GLib.Variant("(ss)", (WATCHER, "RegisteredStatusNotifierItems")), "(v)")
        except GLib.Error:
            return None
        return next((item for item in items if item.endswith(ITEM_SUFFIX)), None)

    def on_signal(self, conn, sender, path, iface, member, params, key):
        self.counts[key] += 1
        if key == "menus_changed":
            self.counts["menus_changes"] += len(params.unpack()[0])

    def writer(self, path):
        """tqdm redraws ('\\r') of one bar of --total steps, --rate a second, in batches every 10 ms.
        With the defaults its percentage moves 10 times a second: more often than the menu may
        change, so every rebuild the throttle allows has something new to show."""
        total = self.args.total
        per_batch = max(1, self.args.rate // 100)
        n = 0
        with open(path, "a", buffering=1 << 16) as f:
            start = time.monotonic()
            batches = 0
            while not self.stop.is_set():
                parts = []
                for _ in range(per_batch):
                    n = n % total + 1
                    left = (total - n) / self.args.rate
                    parts.append(f"\rEpoch 1: {n * 100 // total:3d}%|#####     | {n}/{total} "
                                 f"[00:10<{int(left) // 60:02d}:{int(left) % 60:02d}, {self.args.rate}it/s]")
                f.write("".join(parts))
                f.flush()
                self.lines_written += per_batch
                batches += 1
                delay = start + batches * 0.01 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    def count_for(self, seconds):
        before = dict(self.counts)
        lines = self.lines_written
        loop = GLib.MainLoop()
        GLib.timeout_add(int(seconds * 1000), loop.quit)
        t0 = time.monotonic()
        loop.run()
        dt = time.monotonic() - t0
        rates = {k: (self.counts[k] - before[k]) / dt for k in self.counts}
        rates["lines"] = (self.lines_written - lines) / dt
        return rates

    def run(self):
        a = self.args
        self.trainwatch()
        status = json.loads(self.trainwatch("status", "--json"))
        daemon_pid = status["pid"]
        item = self.wait(self.registered_item, 30, "the tray to register")
        tray_name = item.split("/", 1)[0]
        tray_pid = self.wait(lambda: json.loads(self.trainwatch("status", "--json"))["tray"]["pid"], 30,
                             "the tray's process id")
        (daemon_name,) = self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "GetNameOwner", GLib.Variant("(s)", (DAEMON,)), "(s)")

        time.sleep(a.settle)
        fresh = proc_status(tray_pid)
        print(f"tray fresh: RSS {fresh['VmRSS']:.1f} MB (peak {fresh['VmHWM']:.1f} MB)")

        self.bus.signal_subscribe(daemon_name, "org.gtk.Menus", "Changed", MENU_PATH, None,
                                  Gio.DBusSignalFlags.NONE, self.on_signal, "menus_changed")
        self.bus.signal_subscribe(tray_name, "com.canonical.dbusmenu", "LayoutUpdated", None, None,
                                  Gio.DBusSignalFlags.NONE, self.on_signal, "layout_updated")
        self.bus.signal_subscribe(tray_name, "com.canonical.dbusmenu", "ItemsPropertiesUpdated", None, None,
                                  Gio.DBusSignalFlags.NONE, self.on_signal, "properties_updated")

        log = os.path.join(self.env["HOME"], "resnet50.log")
        open(log, "w").close()
        self.trainwatch("watch", log)
        thread = threading.Thread(target=self.writer, args=(log,), daemon=True)
        thread.start()

        ticks0 = (cpu_ticks(daemon_pid), cpu_ticks(tray_pid))
        t0 = time.monotonic()
        rates = self.count_for(a.window)
        print(f"while {rates['lines']:.0f} lines/s are written ({a.window} s):")
        print(f"  org.gtk.Menus Changed (daemon):          {rates['menus_changed']:.2f}/s "
              f"({rates['menus_changes']:.2f} changes/s)")
        print(f"  dbusmenu LayoutUpdated (tray):           {rates['layout_updated']:.2f}/s")
        print(f"  dbusmenu ItemsPropertiesUpdated (tray):  {rates['properties_updated']:.2f}/s")

        remaining = a.minutes * 60 - (time.monotonic() - t0)
        if remaining > 0:
            time.sleep(remaining)
        hz = os.sysconf("SC_CLK_TCK")
        elapsed = time.monotonic() - t0
        cpu = [(cpu_ticks(p) - t) / hz / elapsed * 100 for p, t in zip((daemon_pid, tray_pid), ticks0)]
        later = proc_status(tray_pid)
        job = json.loads(self.trainwatch("status", "--json"))["jobs"][0]
        print(f"the run at the end: {job['state']}, progress {job['progress']}, ETA {job['eta_seconds']} s")
        self.stop.set()
        thread.join()
        print(f"tray after {elapsed / 60:.1f} min of updates: RSS {later['VmRSS']:.1f} MB "
              f"(peak {later['VmHWM']:.1f} MB)")
        print(f"CPU while writing: daemon {cpu[0]:.1f} %, tray {cpu[1]:.1f} %")
        self.trainwatch("quit")
        shutil.rmtree(self.top, ignore_errors=True)

        print(json.dumps({
            "tray_rss_mb": {"fresh": round(fresh["VmRSS"], 3), "after_updates": round(later["VmRSS"], 3),
                            "peak": round(later["VmHWM"], 3), "minutes": round(elapsed / 60, 2)},
            "lines_per_s": round(rates["lines"]),
            "menus_changed_per_s": round(rates["menus_changed"], 3),
            "menus_changes_per_s": round(rates["menus_changes"], 3),
            "dbusmenu_layout_updated_per_s": round(rates["layout_updated"], 3),
            "dbusmenu_properties_updated_per_s": round(rates["properties_updated"], 3),
            "cpu_percent": {"daemon": round(cpu[0], 2), "tray": round(cpu[1], 2)},
        }))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trainwatch", default="build/app/trainwatch")
    parser.add_argument("--tray", default="build/ui/tray/trainwatch-tray")
    parser.add_argument("--rate", type=int, default=10000, help="progress lines a second (10000)")
    parser.add_argument("--total", type=int, default=100000, help="steps of the bar (100000)")
    parser.add_argument("--window", type=float, default=20, help="seconds the refreshes are counted (20)")
    parser.add_argument("--minutes", type=float, default=3, help="minutes of updates before RSS again (3)")
    parser.add_argument("--settle", type=float, default=2, help="seconds after start before RSS (2)")
    args = parser.parse_args()
    args.trainwatch = os.path.abspath(args.trainwatch)
    args.tray = os.path.abspath(args.tray)
    if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        sys.exit("bench-tray: run it through tests/desktop-session.sh --panel")
    Bench(args).run()


if __name__ == "__main__":
    main()
