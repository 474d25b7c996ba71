#!/usr/bin/env python3
"""Start-up and memory of the kiosk beside headless Chromium on the same
home screen. Called by scripts/bench (which builds and installs first); it
can also be run alone:

    python3 kiosk/app/benches/measure.py --kiosk target/release/kiosk \
        --html kiosk/app/benches/chromium-home.html --out /tmp/bench

Writes results.json and results.md to --out and prints the Markdown.
Standard library only. Touches no network: the page is a file:// URL and
Chromium is started without a remote-debugging port.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTH, HEIGHT = 1080, 1920


def log(msg):
    print(f"measure: {msg}", file=sys.stderr, flush=True)


# --- statistics -------------------------------------------------------------

def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(1, -(-len(s) * p // 100))  # ceil(n*p/100), at least 1
    return s[int(k) - 1]


def summary(values):
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p90": pct(values, 90),
        "min": min(values),
        "max": max(values),
    }


# --- /proc ------------------------------------------------------------------

def smaps_rollup(pid):
    """Rss, Pss and private (USS) of one process in KiB, or None if gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":"):
            fields[parts[0][:-1]] = int(parts[1])
    if "Rss" not in fields:
        return None
    return {
        "rss_kib": fields["Rss"],
        "pss_kib": fields.get("Pss", 0),
        "uss_kib": fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0),
    }


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def ppid(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces; fields after the last ')'.
    return int(stat[stat.rindex(")") + 2:].split()[1])


def start_ticks(pid):
    """Start time of a process in clock ticks since boot."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[19])


def now_ticks():
    return float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK")


def comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class Instance:
    """The processes of one Chromium instance: descendants of the launched
    process, any process whose command line names our unique user-data-dir,
    and the crash handlers (chrome_crashpad_handler re-parents itself to
    init and names neither) started after the launch. Instances run one at
    a time, so the last rule cannot catch another instance's handler."""

    def __init__(self, marker):
        self.marker = marker
        self.launched = now_ticks() - 1  # tick resolution
        self.root = None

    def pids(self):
        me = {os.getpid(), os.getppid()}
        pids = [p for p in all_pids() if p not in me]
        parent = {p: ppid(p) for p in pids}
        found = {self.root} if self.root in parent else set()
        changed = True
        while changed:
            changed = False
            for p, pp in parent.items():
                if pp in found and p not in found:
                    found.add(p)
                    changed = True
        for p in pids:
            if p in found:
                continue
            if self.marker in cmdline(p):
                found.add(p)
            elif comm(p).startswith("chrome_crashpad") and (start_ticks(p) or 0) >= self.launched:
                found.add(p)
        return found


def blocked_writing_pipe(pid):
    """Whether the main thread sleeps in write(2) on a full pipe."""
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text().strip()
    except OSError:
        wchan = ""
    if "pipe_write" in wchan:  # pipe_write, anon_pipe_write (newer kernels)
        return True
    if wchan in ("", "0") and os.uname().machine == "x86_64":
        try:  # wchan hidden: the syscall being waited in (1 = write)
            return Path(f"/proc/{pid}/syscall").read_text().split()[0] == "1"
        except (OSError, IndexError):
            pass
    return False


# --- kiosk --------------------------------------------------------------------

def kiosk_env(db):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_STORAGE_DATABASE"] = str(db)
    return env


def kiosk_once(kiosk, workdir, db):
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(kiosk), "first-frame"],
        cwd=workdir,
        env=kiosk_env(db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wall_ms = (time.perf_counter() - t0) * 1000.0
    if proc.returncode != 0:
        raise RuntimeError(f"kiosk first-frame failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    line = proc.stdout.decode().strip().splitlines()[-1]
    m = json.loads(line)
    m["wall_ms"] = wall_ms
    return m


def kiosk_timing(kiosk, runs, workdir):
    db = workdir / "kiosk.db"
    log(f"kiosk: warm-up run (creates the database {db})")
    kiosk_once(kiosk, workdir, db)
    samples = []
    for i in range(runs):
        samples.append(kiosk_once(kiosk, workdir, db))
    out = {k: summary([s[k] for s in samples]) for k in samples[0]}
    # First boot: an empty database, so the search index is built.
    fresh = []
    for i in range(max(3, runs // 4)):
        fdb = workdir / f"fresh-{i}.db"
        fresh.append(kiosk_once(kiosk, workdir, fdb))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(fdb) + suffix).unlink(missing_ok=True)
    out["first_boot"] = {k: summary([s[k] for s in fresh]) for k in fresh[0]}
    return out


def kiosk_memory_once(kiosk, workdir, db):
    """How much of the kiosk's resident memory it shares with other
    processes (libc and the other system libraries), to turn the RSS it
    reports into PSS and USS. Its stdout is a pipe filled to the brim
    beforehand, so the process blocks on printing its result line -- the
    last thing it does -- and /proc/PID/smaps_rollup can be read then.

    At that point first_frame() has returned and dropped its state, so the
    RSS read from outside is a little lower than the RSS the kiosk reported
    with its library loaded; the shared part (file pages of system
    libraries, all mapped at start) is the same at both moments, so
    PSS = reported RSS - (RSS - PSS at the pause), likewise USS."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        while True:
            os.write(w, b"\0" * 4096)
    except BlockingIOError:
        pass
    # Fill the last partial page too, then make the pipe blocking again
    # (the flag is shared with the child's copy of the descriptor).
    try:
        while True:
            os.write(w, b"\0")
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    proc = subprocess.Popen(
        [str(kiosk), "first-frame"],
        cwd=workdir,
        env=kiosk_env(db),
        stdout=w,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("kiosk exited before it could be inspected")
            if blocked_writing_pipe(proc.pid):
                break
            time.sleep(0.005)
        else:
            raise RuntimeError("kiosk did not reach its result line in 30 s")
        mem = smaps_rollup(proc.pid)
        # Drain: filler, then the JSON line.
        data = b""
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            data += chunk
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(r)
    line = data.replace(b"\0", b"").decode().strip().splitlines()[-1]
    reported = json.loads(line)
    not_in_pss = mem["rss_kib"] - mem["pss_kib"]
    shared = mem["rss_kib"] - mem["uss_kib"]
    return {
        "pause_rss_kib": mem["rss_kib"],
        "pause_pss_kib": mem["pss_kib"],
        "pause_uss_kib": mem["uss_kib"],
        "shared_kib": shared,
        "rss_first_frame_kib": reported["rss_kib"],
        "pss_first_frame_kib": reported["rss_kib"] - not_in_pss,
        "rss_after_library_kib": reported["rss_after_library_kib"],
        "pss_after_library_kib": reported["rss_after_library_kib"] - not_in_pss,
        "uss_after_library_kib": reported["rss_after_library_kib"] - shared,
    }


def kiosk_memory(kiosk, runs, workdir):
    db = workdir / "kiosk.db"
    samples = [kiosk_memory_once(kiosk, workdir, db) for _ in range(runs)]
    return {k: summary([s[k] for s in samples]) for k in samples[0]}


def kiosk_frame(kiosk, workdir, out_png):
    subprocess.run(
        [str(kiosk), "first-frame", "--out", str(out_png)],
        cwd=workdir, env=kiosk_env(workdir / "kiosk.db"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
    )


# --- Chromium -----------------------------------------------------------------

def kill_set(pids):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in pids if Path(f"/proc/{p}").exists()]
        for p in alive:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in alive):
            time.sleep(0.05)


def wait_gone(inst, timeout=10):
    """Waits until every process of the instance has exited; kills what is
    left (of our own instance only) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not inst.pids():
            return
        time.sleep(0.1)
    kill_set(sorted(inst.pids()))


def chromium_screenshot_once(chromium, url, tmp, i):
    udd = tmp / f"chromium-profile-shot-{i}"
    png = tmp / f"chromium-shot-{i}.png"
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={udd}",
           f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}", url]
    inst = Instance(str(udd))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    inst.root = proc.pid
    shot_ms = None
    # When the PNG appears (polled every 2 ms), and when the process exits.
    while proc.poll() is None:
        if shot_ms is None and png.exists() and png.stat().st_size > 0:
            shot_ms = (time.perf_counter() - t0) * 1000.0
        time.sleep(0.002)
    wall_ms = (time.perf_counter() - t0) * 1000.0
    if proc.returncode != 0 or not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium --screenshot failed (exit {proc.returncode}): {' '.join(cmd)}")
    if shot_ms is None:
        shot_ms = wall_ms
    wait_gone(inst)
    shutil.rmtree(udd, ignore_errors=True)
    return {"wall_ms": wall_ms, "screenshot_ms": shot_ms}, png


def chromium_timing(chromium, url, runs, tmp):
    log("chromium: warm-up screenshot")
    _, png = chromium_screenshot_once(chromium, url, tmp, "warmup")
    samples = [chromium_screenshot_once(chromium, url, tmp, i)[0] for i in range(runs)]
    return {k: summary([s[k] for s in samples]) for k in samples[0]}, png


def chromium_memory_once(chromium, url, tmp, i, settle_s):
    udd = tmp / f"chromium-profile-mem-{i}"
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={udd}",
           f"--window-size={WIDTH},{HEIGHT}", url]
    inst = Instance(str(udd))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    inst.root = proc.pid
    try:
        # Wait until a renderer exists, then until the total settles (at
        # least settle_s after start, at most 15 s).
        t0 = time.monotonic()
        last = None
        result = None
        while time.monotonic() - t0 < 15:
            time.sleep(0.5)
            if proc.poll() is not None:
                raise RuntimeError(f"chromium exited early ({proc.returncode}): {' '.join(cmd)}")
            pids = inst.pids()
            mems = [m for m in (smaps_rollup(p) for p in pids) if m]
            has_renderer = any("--type=renderer" in cmdline(p) for p in pids)
            total = {
                "processes": len(mems),
                "rss_kib": sum(m["rss_kib"] for m in mems),
                "pss_kib": sum(m["pss_kib"] for m in mems),
                "uss_kib": sum(m["uss_kib"] for m in mems),
            }
            elapsed = time.monotonic() - t0
            stable = last is not None and abs(total["pss_kib"] - last["pss_kib"]) <= 0.01 * last["pss_kib"]
            last = total
            if has_renderer and elapsed >= settle_s and stable:
                result = total
                result["sampled_at_s"] = round(elapsed, 1)
                break
        if result is None:
            result = last
            result["sampled_at_s"] = round(time.monotonic() - t0, 1)
    finally:
        kill_set(sorted(inst.pids()))
        proc.wait(timeout=10)
        wait_gone(inst)
        shutil.rmtree(udd, ignore_errors=True)
    return result


def chromium_memory(chromium, url, runs, tmp, settle_s):
    samples = [chromium_memory_once(chromium, url, tmp, i, settle_s) for i in range(runs)]
    return {k: summary([s[k] for s in samples]) for k in ("processes", "rss_kib", "pss_kib", "uss_kib")}, samples


# --- report -------------------------------------------------------------------

def mb(kib):
    return kib * 1024 / 1e6


def markdown(r):
    k, km, c, cm = r["kiosk"], r["kiosk_memory"], r["chromium"], r["chromium_memory"]
    med = lambda d, key: d[key]["median"]
    p90 = lambda d, key: d[key]["p90"]
    ok = lambda good: "pass" if good else "**FAIL**"
    ff = med(k, "first_frame_ms")
    full = med(k, "library_ready_ms")
    rss_ff = mb(med(k, "rss_kib"))
    rss_lib = mb(med(k, "rss_after_library_kib"))
    lines = []
    a = lines.append
    a(f"Kiosk: {k['wall_ms']['n']} runs of `kiosk first-frame` after one warm-up "
      f"(memory: {km['pss_after_library_kib']['n']} more); Chromium: {c['wall_ms']['n']} screenshot runs "
      f"after one warm-up, {cm['pss_kib']['n']} memory runs. Medians unless stated; MB = 10^6 bytes.")
    a("")
    a("| Figure | Kiosk (Slint, software renderer) | Chromium (same page) | Target | Result |")
    a("|---|---|---|---|---|")
    a(f"| First frame: kiosk from `main()` to home screen drawn; Chromium from launch to screenshot file "
      f"(median / p90) | {ff:.1f} / {p90(k, 'first_frame_ms'):.1f} ms | "
      f"{med(c, 'screenshot_ms'):.0f} / {p90(c, 'screenshot_ms'):.0f} ms | < 150 ms | {ok(ff < 150)} |")
    a(f"| Home screen with its category tiles (library loaded and drawn), from `main()` (median / p90) | "
      f"{full:.0f} / {p90(k, 'library_ready_ms'):.0f} ms; first boot, empty database: "
      f"{med(k['first_boot'], 'library_ready_ms'):.0f} ms | – | – | – |")
    a(f"| Process start → exit (kiosk) / → screenshot written and exit (Chromium), wall (median / p90) | "
      f"{med(k, 'wall_ms'):.0f} / {p90(k, 'wall_ms'):.0f} ms | "
      f"{med(c, 'wall_ms'):.0f} / {p90(c, 'wall_ms'):.0f} ms | – | "
      f"kiosk {med(c, 'wall_ms') / med(k, 'wall_ms'):.1f}× faster |")
    a(f"| RSS when the first frame is drawn | {rss_ff:.1f} MB | – | < 50 MB | {ok(rss_ff < 50)} |")
    a(f"| RSS, home screen shown and library loaded | {rss_lib:.1f} MB | "
      f"{mb(med(cm, 'rss_kib')):.0f} MB (sum over {med(cm, 'processes'):.0f} processes; counts shared pages "
      f"once per process) | < 50 MB | {ok(rss_lib < 50)} |")
    a(f"| PSS, same moment | {mb(med(km, 'pss_after_library_kib')):.1f} MB | "
      f"{mb(med(cm, 'pss_kib')):.0f} MB | – | kiosk "
      f"{med(cm, 'pss_kib') / med(km, 'pss_after_library_kib'):.0f}× smaller |")
    a(f"| USS (private to the process(es)), same moment | {mb(med(km, 'uss_after_library_kib')):.1f} MB | "
      f"{mb(med(cm, 'uss_kib')):.0f} MB | – | – |")
    return "\n".join(lines)


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(),
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip(),
        "mem": sh("free -h | awk '/^Mem:/ {print $2}'"),
        "debian": sh("cat /etc/debian_version"),
        "kernel": sh("uname -r"),
        "chromium": sh("chromium --version 2>/dev/null"),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiosk", required=True, type=Path)
    ap.add_argument("--html", required=True, type=Path)
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--kiosk-runs", type=int, default=20)
    ap.add_argument("--kiosk-memory-runs", type=int, default=5)
    ap.add_argument("--chromium-runs", type=int, default=7)
    ap.add_argument("--chromium-memory-runs", type=int, default=3)
    ap.add_argument("--settle", type=float, default=3.0,
                    help="seconds Chromium runs before its memory is read (it must also be stable)")
    args = ap.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    url = args.html.resolve().as_uri()
    results = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmpdir:
        tmp = Path(tmpdir)
        log(f"kiosk: {args.kiosk_runs} timed runs")
        results["kiosk"] = kiosk_timing(args.kiosk.resolve(), args.kiosk_runs, tmp)
        log(f"kiosk: {args.kiosk_memory_runs} memory runs")
        results["kiosk_memory"] = kiosk_memory(args.kiosk.resolve(), args.kiosk_memory_runs, tmp)
        kiosk_frame(args.kiosk.resolve(), tmp, args.out / "kiosk-home.png")
        log(f"chromium: {args.chromium_runs} timed screenshot runs")
        results["chromium"], png = chromium_timing(args.chromium, url, args.chromium_runs, tmp)
        shutil.copy(png, args.out / "chromium-home.png")
        log(f"chromium: {args.chromium_memory_runs} memory runs")
        results["chromium_memory"], results["chromium_memory_samples"] = chromium_memory(
            args.chromium, url, args.chromium_memory_runs, tmp, args.settle)
    results["machine"]["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    md = markdown(results)
    (args.out / "results.md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
