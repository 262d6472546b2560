#!/usr/bin/python3
# bench/harness.py — the four comparisons (extractor throughput, write→Notify
# latency, idle cost, memory with 100 jobs), each against its baseline in the same run,
# driven through the shared measurement harness
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run trainwatch against its baselines with the shared measurement harness.

The harness is not part of this project: it lives beside it, and is found at
--harness DIR, else $TRAINWATCH_HARNESS, else ../shared/harness relative to the
repository root. It prints figures; nothing here passes or fails on them.

Parts (--only, comma-separated; all by default):
  throughput  `trainwatch inspect --json FILE` against
              `LC_ALL=C grep -c -E 'Traceback|Error|nan'` over a ~1 GB log that
              mkbiglog.py assembles from the real-run fixtures (kept in --workdir
              and reused while its size matches --size-mb)
  latency     write→Notify latency (latency.py) of bench/harness-watcher.sh against
              the harness's tail -F | grep | notify-send pipeline and, for error
              lines, against the floor (--floor: bench/notify-floor, one inotify
              descriptor and a synchronous libnotify call per line), on a private bus
              with the recording notification server, in these configurations:
              error and progress mode, events spaced --gap-min..--gap-max apart and
              in a burst (--burst-events back to back), and the first event after
              --flood-mb MB of non-matching real-run lines appended at once
  idle        idle.py: CPU, wake-ups, memory and inotify instances of watching
              --files logs for --idle-window seconds, against the same pipeline
  rss         memory of the daemon following --files logs that are being written
              (each gets most of a real-run fixture, in 64 KiB writes spread over
              a few seconds), against the same pipeline on the same writes
At the end it prints one summary table: medians over the runs, and where one
makes sense the "advantage": the baseline's figure over trainwatch's (for MB/s,
trainwatch's over the baseline's), so that above 1 trainwatch is better.
"""
import argparse
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

GREP_CMD = "LC_ALL=C grep -c -E 'Traceback|Error|nan' {file}"
PIPELINE = ('tail -n0 -F {files} | grep --line-buffered -E {pattern} '
            '| while IFS= read -r l; do notify-send Training "$l"; done')
# Lines of the real runs that neither pattern nor any of the daemon's own detectors
# (failure, out of memory, NaN, completion, progress, epochs, checkpoints) react to:
# the flood must not end the run or notify.
FLOOD_SKIP = re.compile(rb'\r|%|Traceback|Error|Exception|nan|inf\b|Killed|memory|OOM|'
                        rb'complete|finished|done|exit|Terminated|Aborted|fail|'
                        rb'train_runtime|\d+/\d+|stopped|Trainer|eval|epoch|ckpt|'
                        rb'checkpoint|loss|step', re.I)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None and x == x]
    return statistics.median(xs) if xs else None


def fmt(v, d=2):
    if v is None:
        return 'n/a'
    if isinstance(v, int):
        return str(v)
    return f'{v:.{d}f}'


def ratio(base, ours):
    if base is None or ours is None or ours == 0:
        return 'n/a'
    return f'{base / ours:.2f}x'


def fixtures(args):
    d = os.path.join(args.harness, '..', 'fixtures', 'real-runs')
    if not os.path.isdir(d):
        d = os.path.join(ROOT, 'tests', 'data', 'real-runs')
    return sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith('.log'))


def run_tool(args, argv, label):
    """Runs one harness tool, shows its output as it comes, returns its exit status."""
    cmd = ['/usr/bin/python3', os.path.join(args.harness, argv[0])] + argv[1:]
    log(f'\n$ {" ".join(shlex.quote(a) for a in cmd)}')
    r = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr)
    if r.returncode != 0:
        log(f'{label}: {argv[0]} exited with {r.returncode}')
    return r.returncode


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def watcher_cmd(args, level, paths):
    return (f'{shlex.quote(os.path.join(HERE, "harness-watcher.sh"))} '
            f'--trainwatch {shlex.quote(args.trainwatch)} --level {level} '
            f'{{pattern}} {paths}')


# ---------------------------------------------------------------- throughput

def part_throughput(args, rows):
    big = os.path.join(args.workdir, f'big-{args.size_mb}mb.log')
    if not os.path.exists(big) or os.path.getsize(big) < args.size_mb * 1e6:
        log(f'assembling {big}')
        subprocess.run(['/usr/bin/python3', os.path.join(args.harness, 'mkbiglog.py'), big,
                        str(int(args.size_mb * 1e6))], check=True, stdout=sys.stderr)
    out = os.path.join(args.workdir, 'throughput.jsonl')
    if os.path.exists(out):
        os.unlink(out)
    tw = shlex.quote(args.trainwatch)
    run_tool(args, ['throughput.py', '--no-default', '--runs', str(args.thr_runs),
                    '--cmd', 'grep=' + GREP_CMD,
                    '--cmd', 'trainwatch=' + tw + ' inspect --json {file} | wc -l',
                    '--json', out, big], 'throughput')
    rs = {r['name']: r for r in read_jsonl(out)}
    size = os.path.getsize(big)
    mbs = {n: size / 1e6 / statistics.median(r['wall']) for n, r in rs.items()}
    rows.append(('throughput', 'extractor MB/s (inspect --json vs grep -c -E)',
                 fmt(mbs.get('trainwatch'), 0), fmt(mbs.get('grep'), 0),
                 ratio(mbs.get('trainwatch'), mbs.get('grep')) if mbs.get('grep') else 'n/a',
                 'figure'))
    return mbs


# ---------------------------------------------------------------- latency

def latency_configs(args, flood):
    spaced = ['--gap-min', str(args.gap_min), '--gap-max', str(args.gap_max),
              '--events', str(args.events)]
    burst = ['--gap-min', '0', '--gap-max', '0', '--events', str(args.burst_events)]
    return [
        ('error spaced', 'error', spaced),
        ('error burst', 'error', burst),
        ('progress spaced', 'progress', spaced),
        ('progress burst', 'progress', burst),
        (f'error, 1st event after {args.flood_mb:g} MB', 'error',
         ['--events', '1', '--flood', flood, '--flood-mb', str(args.flood_mb)]),
    ]


def make_flood(args):
    path = os.path.join(args.workdir, 'flood.log')
    lines = []
    for fx in fixtures(args):
        with open(fx, 'rb') as f:
            lines += [ln for ln in f.read().splitlines(keepends=True) if not FLOOD_SKIP.search(ln)]
    blob = b''.join(lines)
    with open(path, 'wb') as f:
        f.write(blob * max(1, (1 << 20) // max(1, len(blob))))
    return path


def part_latency(args, rows):
    flood = make_flood(args)
    for name, mode, extra in latency_configs(args, flood):
        if args.latency_configs and not any(k in name for k in args.latency_configs.split(',')):
            continue
        out = os.path.join(args.workdir, f'latency-{re.sub(r"[^a-z0-9]+", "-", name)}.jsonl')
        if os.path.exists(out):
            os.unlink(out)
        level = 'error' if mode == 'error' else 'info'
        # The floor reads whole lines only: it has nothing to say on \r progress updates.
        floor = ['--watcher', f'floor={shlex.quote(args.floor)} {{pattern}} {{log}}'] \
            if args.floor and mode == 'error' else []
        run_tool(args, ['latency.py', '--mode', mode, '--runs', str(args.runs), '--json', out,
                        '--workdir', args.workdir,
                        '--watcher', 'tail_grep={bench}/watchers/tail_grep.sh {pattern} {log}',
                        '--watcher', 'trainwatch=' + watcher_cmd(args, level, '{log}')] + floor + extra,
                 'latency')
        rs = [r for r in read_jsonl(out) if 'error' not in r]
        fig = {}
        for w in ('trainwatch', 'tail_grep', 'floor'):
            x = [r for r in rs if r['watcher'] == w]
            fig[w] = {k: median([r.get(k) for r in x]) for k in
                      ('p50_ms', 'p99_ms', 'max_ms', 'cpu_ms_per_event', 'notifications')}
            fig[w]['lost'] = sum(r['lost'] for r in x)
            fig[w]['runs'] = len(x)
        t, b = fig['trainwatch'], fig['tail_grep']
        flooded = '--flood' in extra
        goal_p50, goal_p99 = ('100', '100') if flooded else ('1', '2')
        rows.append(('latency', f'{name}: p50 ms', fmt(t['p50_ms']), fmt(b['p50_ms']),
                     ratio(b['p50_ms'], t['p50_ms']), f'<= {goal_p50}'))
        if not flooded:
            rows.append(('latency', f'{name}: p99 ms', fmt(t['p99_ms']), fmt(b['p99_ms']),
                         ratio(b['p99_ms'], t['p99_ms']), f'<= {goal_p99}'))
        rows.append(('latency', f'{name}: lost events (all runs)', fmt(t['lost']), fmt(b['lost']),
                     '', '0'))
        rows.append(('latency', f'{name}: notifications/run', fmt(t['notifications'], 0),
                     fmt(b['notifications'], 0), '', 'figure'))
        rows.append(('latency', f'{name}: CPU ms/event', fmt(t['cpu_ms_per_event'], 3),
                     fmt(b['cpu_ms_per_event'], 3),
                     ratio(b['cpu_ms_per_event'], t['cpu_ms_per_event']), '<= 0.5'))
        f = fig['floor']
        if f['runs']:
            keys = [('p50_ms', 'p50 ms', 2), ('cpu_ms_per_event', 'CPU ms/event', 3)]
            if not flooded:
                keys.insert(1, ('p99_ms', 'p99 ms', 2))
            for key, label, digits in keys:
                rows.append(('latency', f'{name}: {label} against the floor', fmt(t[key], digits),
                             fmt(f[key], digits), ratio(f[key], t[key]), 'figure'))


# ---------------------------------------------------------------- idle

def part_idle(args, rows):
    out = os.path.join(args.workdir, 'idle.jsonl')
    if os.path.exists(out):
        os.unlink(out)
    # The pipeline as idle.py names it: one tail -F on all files.
    base = '(a) tail|grep|notify-send 1x100'
    run_tool(args, ['idle.py', '--files', str(args.files), '--window', str(args.idle_window),
                    '--reps', str(args.idle_reps), '--dir', os.path.join(args.workdir, 'idle'),
                    '--only', 'notify-send 1x100', '--json', out,
                    '--config', 'trainwatch=exec ' + watcher_cmd(args, 'error', '{files}')], 'idle')
    rs = read_jsonl(out)
    fig = {}
    for name, key in ((base, 'base'), ('trainwatch', 'tw')):
        x = [r for r in rs if r['config'] == name]
        k = lambda r: 60.0 / r['window_s']  # noqa: E731
        fig[key] = {
            'cpu': median([1000 * r['cpu_s'] * k(r) for r in x]),
            'wake': median([r['wakeups'] * k(r) for r in x]),
            'rss': median([r['rss_mb'] for r in x]),
            'pss': median([r['pss_mb'] for r in x]),
            'inst': x[0]['inotify_instances'] if x else None,
            'watches': x[0]['inotify_watches'] if x else None,
            'procs': x[0]['procs'] if x else None,
        }
    t, b = fig['tw'], fig['base']
    n = args.files
    rows.append(('idle', f'{n} files: CPU ms / 60 s', fmt(t['cpu'], 1), fmt(b['cpu'], 1), '', '0'))
    rows.append(('idle', f'{n} files: wake-ups / 60 s', fmt(t['wake'], 0), fmt(b['wake'], 0), '', '0'))
    rows.append(('idle', f'{n} files: inotify instances / watches',
                 f'{t["inst"]} / {t["watches"]}', f'{b["inst"]} / {b["watches"]}', '', '1'))
    rows.append(('idle', f'{n} files: RSS MB, all processes (procs)',
                 f'{fmt(t["rss"], 1)} ({t["procs"]})', f'{fmt(b["rss"], 1)} ({b["procs"]})', '', 'figure'))


# ---------------------------------------------------------------- rss

def group_members(pgid):
    out = []
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                with open(f'/proc/{d}/stat') as f:
                    s = f.read()
            except OSError:
                continue
            if int(s[s.rindex(')') + 2:].split()[2]) == pgid:
                out.append(int(d))
    return out


def proc_figures(pid):
    fig = {'rss': 0, 'hwm': 0, 'pss': 0, 'threads': 0, 'inotify': []}
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                k, _, v = line.partition(':')
                if k == 'VmRSS':
                    fig['rss'] = int(v.split()[0]) / 1024
                elif k == 'VmHWM':
                    fig['hwm'] = int(v.split()[0]) / 1024
                elif k == 'Threads':
                    fig['threads'] = int(v)
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith('Pss:'):
                    fig['pss'] = int(line.split()[1]) / 1024
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                if os.readlink(f'/proc/{pid}/fd/{fd}') == 'anon_inode:inotify':
                    with open(f'/proc/{pid}/fdinfo/{fd}') as f:
                        fig['inotify'].append(sum(1 for ln in f if ln.startswith('inotify wd:')))
            except OSError:
                pass
        with open(f'/proc/{pid}/comm') as f:
            fig['comm'] = f.read().strip()
    except OSError:
        pass
    return fig


def stop_group(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    for pid in group_members(p.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def rss_one(args, name, template, contents):
    d = tempfile.mkdtemp(prefix=f'rss-{name}-', dir=args.workdir)
    files = []
    for i in range(args.files):
        os.makedirs(os.path.join(d, f'run_{i:03d}'))
        files.append(os.path.join(d, f'run_{i:03d}', 'train.log'))
        open(files[-1], 'wb').close()
    cmd = template.format(files=' '.join(shlex.quote(f) for f in files),
                          pattern=shlex.quote('Traceback|Error'))
    p = subprocess.Popen(['bash', '-c', cmd], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, 'stderr.txt'), 'wb'),
                         start_new_session=True)
    try:
        time.sleep(args.rss_settle)
        jobs_before = jobs_count(args) if name == 'trainwatch' else None
        # Round-robin 64 KiB writes, a pause between rounds: 100 runs writing at once.
        fds = [os.open(f, os.O_WRONLY | os.O_APPEND) for f in files]
        offs = [0] * len(files)
        peak = 0.0
        while True:
            wrote = False
            for i, fd in enumerate(fds):
                c = contents[i % len(contents)]
                if offs[i] < len(c):
                    os.write(fd, c[offs[i]:offs[i] + 65536])
                    offs[i] += 65536
                    wrote = True
            peak = max(peak, sum(proc_figures(m)['rss'] for m in group_members(p.pid)))
            if not wrote:
                break
            time.sleep(0.2)
        for fd in fds:
            os.close(fd)
        time.sleep(args.rss_settle)
        members = [proc_figures(m) for m in group_members(p.pid)]
        written = sum(min(o, len(contents[i % len(contents)])) for i, o in enumerate(offs))
        res = {'config': name, 'procs': len(members), 'written': written,
               'rss': sum(m['rss'] for m in members), 'pss': sum(m['pss'] for m in members),
               'peak_rss_sampled': peak, 'members': members}
        daemon = [m for m in members if m.get('comm') == 'trainwatch']
        if daemon:
            res['daemon'] = daemon[0]
            res['jobs_before'] = jobs_before
            res['jobs'] = jobs_count(args)
        return res
    finally:
        stop_group(p)
        subprocess.run(['rm', '-rf', d])


def jobs_count(args):
    r = subprocess.run([args.trainwatch, 'status', '--json'], capture_output=True, text=True)
    try:
        return len(json.loads(r.stdout)['jobs'])
    except (ValueError, KeyError):
        return None


def part_rss(args, rows):
    if os.environ.get('TW_HARNESS_BUS') != '1':
        # Re-run this part alone on a private bus, with the recording notification server.
        env = dict(os.environ, TW_HARNESS_BUS='1')
        argv = [sys.executable, os.path.abspath(__file__)] + [a for a in sys.argv[1:]]
        argv += ['--only', 'rss', '--rss-json', os.path.join(args.workdir, 'rss.json')]
        subprocess.run(['dbus-run-session', '--'] + argv, env=env, stdout=sys.stderr)
        with open(os.path.join(args.workdir, 'rss.json')) as f:
            res = json.load(f)
    else:
        rec = subprocess.Popen(['/usr/bin/python3', os.path.join(args.harness, 'notifyd_rec.py'),
                                os.path.join(args.workdir, 'rss-notify.jsonl')],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        rec.stdout.readline()
        contents = []
        for fx in fixtures(args):
            with open(fx, 'rb') as f:
                c = f.read()
            contents.append(c[:len(c) * 4 // 5])  # the runs go on: no end of run yet
        res = {}
        try:
            for name, tmpl in (('trainwatch', 'exec ' + watcher_cmd(args, 'error', '{files}')),
                               ('tail_grep', PIPELINE)):
                res[name] = rss_one(args, name, tmpl, contents)
                log(json.dumps({k: v for k, v in res[name].items() if k != 'members'}))
        finally:
            rec.terminate()
            rec.wait()
        if args.rss_json:
            with open(args.rss_json, 'w') as f:
                json.dump(res, f)
            return
    t, b = res.get('trainwatch', {}), res.get('tail_grep', {})
    dm = t.get('daemon', {})
    n = args.files
    rows.append(('rss', f'{n} jobs: daemon VmRSS / VmHWM MB', f'{fmt(dm.get("rss"), 1)} / '
                 f'{fmt(dm.get("hwm"), 1)}', '', '', '<= 25'))
    rows.append(('rss', f'{n} jobs: daemon PSS MB, threads', f'{fmt(dm.get("pss"), 1)}, '
                 f'{dm.get("threads")}', '', '', 'figure'))
    rows.append(('rss', f'{n} jobs: RSS MB, all processes (procs)',
                 f'{fmt(t.get("rss"), 1)} ({t.get("procs")})', f'{fmt(b.get("rss"), 1)} ({b.get("procs")})',
                 ratio(b.get('rss'), t.get('rss')), 'figure'))
    rows.append(('rss', f'{n} jobs: jobs in status (before / after writes)',
                 f'{t.get("jobs_before")} / {t.get("jobs")}', '', '', str(n)))
    rows.append(('rss', f'{n} jobs: daemon inotify instances (watches each)',
                 f'{len(dm.get("inotify", []))} ({", ".join(map(str, dm.get("inotify", [])))})',
                 '', '', '1'))


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--harness', default=os.environ.get('TRAINWATCH_HARNESS',
                                                        os.path.join(ROOT, '..', 'shared', 'harness')),
                    help='the shared measurement harness (default: $TRAINWATCH_HARNESS, else '
                         '../shared/harness from the repository root)')
    ap.add_argument('--trainwatch', default=os.path.join(ROOT, 'build', 'app', 'trainwatch'),
                    help='the trainwatch program to measure; take a release build '
                         '(default: build/app/trainwatch)')
    ap.add_argument('--floor', default=None,
                    help='the floor watcher for error lines (default: bench/notify-floor of the '
                         'build --trainwatch is in, when there is one; "" for none)')
    ap.add_argument('--only', default='throughput,latency,idle,rss',
                    help='comma-separated parts: throughput, latency, idle, rss')
    ap.add_argument('--workdir', default=os.path.join(tempfile.gettempdir(), 'trainwatch-bench'),
                    help='scratch: the big log, the harness\'s JSON lines (kept for summarize.py)')
    ap.add_argument('--size-mb', type=int, default=1000, help='size of the throughput log')
    ap.add_argument('--thr-runs', type=int, default=3, help='timed runs of each scanner')
    ap.add_argument('--runs', type=int, default=5, help='latency runs per configuration')
    ap.add_argument('--events', type=int, default=200, help='spaced events per latency run')
    ap.add_argument('--gap-min', type=float, default=0.05)
    ap.add_argument('--gap-max', type=float, default=0.10)
    ap.add_argument('--burst-events', type=int, default=200, help='events per burst run')
    ap.add_argument('--flood-mb', type=float, default=100)
    ap.add_argument('--latency-configs', help='comma-separated substrings of the latency '
                    'configurations to run (error, progress, spaced, burst, after)')
    ap.add_argument('--files', type=int, default=100, help='watched logs for idle and rss')
    ap.add_argument('--idle-window', type=float, default=60)
    ap.add_argument('--idle-reps', type=int, default=1)
    ap.add_argument('--rss-settle', type=float, default=3.0)
    ap.add_argument('--rss-json', help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.harness = os.path.abspath(args.harness)
    args.trainwatch = os.path.abspath(args.trainwatch)
    if args.floor is None:
        guess = os.path.join(os.path.dirname(os.path.dirname(args.trainwatch)), 'bench', 'notify-floor')
        args.floor = guess if os.access(guess, os.X_OK) else ''
    elif args.floor:
        args.floor = os.path.abspath(args.floor)
    if not os.path.isfile(os.path.join(args.harness, 'latency.py')):
        ap.error(f'no measurement harness in {args.harness}; name it with --harness or $TRAINWATCH_HARNESS')
    if not os.access(args.trainwatch, os.X_OK):
        ap.error(f'{args.trainwatch} is not a program; build it or name it with --trainwatch')
    os.makedirs(args.workdir, exist_ok=True)

    parts = args.only.split(',')
    rows = []
    started = time.monotonic()
    for part, fn in (('throughput', part_throughput), ('latency', part_latency),
                     ('idle', part_idle), ('rss', part_rss)):
        if part in parts:
            fn(args, rows)
    if args.rss_json:
        return

    version = subprocess.run([args.trainwatch, '--version'], capture_output=True, text=True).stdout.strip()
    print(f'\n{version}; {os.uname().nodename}, {os.cpu_count()} CPUs; '
          f'{time.monotonic() - started:.0f} s; runs={args.runs} events={args.events} '
          f'burst={args.burst_events} files={args.files} idle={args.idle_window:g}s')
    print('| part | figure | trainwatch | baseline | advantage | goal |')
    print('|---|---|---|---|---|---|')
    for r in rows:
        print('| ' + ' | '.join(c.replace('|', '\\|') for c in r) + ' |')
    print('baselines: throughput `' + GREP_CMD.format(file='FILE') + '`; latency '
          'watchers/tail_grep.sh (tail -F | grep --line-buffered | notify-send); idle and rss '
          '`' + PIPELINE.format(files='FILES…', pattern='PAT') + '`; "against the floor": the '
          'baseline column is bench/notify-floor (inotify + one synchronous libnotify call a line).')
    print('advantage: baseline / trainwatch (for MB/s trainwatch / baseline); above 1, '
          'trainwatch is better.')


if __name__ == '__main__':
    main()
