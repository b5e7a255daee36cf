#!/usr/bin/env python3
"""Soak benchmark of `driftd run`: one snapshot target of N resources (default 20,000, to
isolate driftd from moto), scanned back to back for SCANS scans (default 200). Samples the
daemon's resident memory and CPU time after every scan, then measures idle CPU with the
interval raised (SIGHUP) so no scan runs. Writes its section of docs/performance.md.

Targets: resident memory flat (< 10% growth from the end of warm-up, scan 20, to the
end); idle CPU near zero (< 1% of a core) between scans; scan overhead beyond the check
itself (scheduling, the scan's thread, recording history and queueing notifications)
under 5% of the scan's time.
    python3 bench/daemon_soak.py [N] [SCANS]
"""
import json, os, signal, socket, subprocess, sys, time, urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
os.chdir(ROOT)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
SCANS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
WARMUP = 20
OUT = "bench/out/soak"
os.makedirs(OUT, exist_ok=True)

subprocess.run(["cargo", "build", "--release", "-q", "-p", "driftd", "--bin", "driftd"], check=True)
if not os.path.exists(f"{OUT}/n") or open(f"{OUT}/n").read() != str(N):
    subprocess.run([sys.executable, "bench/gen_fleet.py", str(N), OUT], check=True, stdout=subprocess.DEVNULL)
    open(f"{OUT}/n", "w").write(str(N))
for f in ("driftd.db", "driftd.db-wal", "driftd.db-shm"):
    if os.path.exists(f"{OUT}/{f}"):
        os.remove(f"{OUT}/{f}")

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
TICKS = os.sysconf("SC_CLK_TCK")


def config(interval):
    # Short retention, so that pruning runs during the soak (every 15 s) and the store's
    # size after SCANS scans shows whether it is bounded.
    return f"""[daemon]
listen = "127.0.0.1:{port}"
[store]
path = "driftd.db"
keep_scans = "1m"
keep_resolved = "1m"
keep_delivered = "1m"
[[target]]
name = "soak"
interval = "{interval}"
state = ["state.tfstate"]
provider = ["snapshot:live.json"]
no_builtin_policies = true
"""


open(f"{OUT}/driftd.toml", "w").write(config("1s"))
log = open(f"{OUT}/daemon.log", "w")
proc = subprocess.Popen([os.path.abspath("target/release/driftd"), "run", "--config", "driftd.toml", "--log-format", "json"],
                        cwd=OUT, stdout=subprocess.DEVNULL, stderr=log)


def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.loads(r.read())


def rss_kib():
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def cpu_s():
    f = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICKS


for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
        break
    except Exception:
        time.sleep(0.1)

def store_kib():
    return sum(os.path.getsize(f"{OUT}/{f}") for f in ("driftd.db", "driftd.db-wal") if os.path.exists(f"{OUT}/{f}")) / 1024


samples = []  # (scan, rss KiB, cpu s, wall s, store KiB)
start = time.time()
seen = 0
while seen < SCANS:
    try:
        scans = get("/api/v1/scans?limit=1")["scans"]
    except Exception:
        scans = []
    n = scans[0]["id"] if scans else 0
    if n > seen:
        seen = n
        samples.append((n, rss_kib(), cpu_s(), time.time() - start, store_kib()))
    time.sleep(0.05)
wall = time.time() - start

# Idle: no scan due for an hour.
open(f"{OUT}/driftd.toml", "w").write(config("1h"))
os.kill(proc.pid, signal.SIGHUP)
time.sleep(2)
c0, t0 = cpu_s(), time.time()
time.sleep(10)
idle_pct = 100 * (cpu_s() - c0) / (time.time() - t0)
proc.send_signal(signal.SIGTERM)
code = proc.wait(timeout=30)
log.close()
import sqlite3  # noqa: E402
db = sqlite3.connect(f"{OUT}/driftd.db")
scan_rows = db.execute("SELECT count(*) FROM scans").fetchone()[0]
finding_rows = db.execute("SELECT count(*) FROM findings").fetchone()[0]
db.close()
store_end = store_kib()

durations, checks, records = [], [], []
for line in open(f"{OUT}/daemon.log"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    fields = e.get("fields", {})
    if fields.get("message") == "scan done":
        durations.append(fields["duration_ms"])
        checks.append(fields["check_ms"])
        records.append(fields["record_ms"])
# RSS is sampled at a random point of a scan (allocations come and go within one), so
# compare peaks of windows: the 20 scans after warm-up against the last 20.
first = [s[1] for s in samples if WARMUP <= s[0] < WARMUP + 20]
last = [s[1] for s in samples if s[0] > samples[-1][0] - 20]
growth = 100 * (max(last) - max(first)) / max(first)
overhead = 100 * (sum(durations) - sum(checks)) / sum(durations)
cpu_per_scan = (samples[-1][2] - samples[0][2]) / max(1, samples[-1][0] - samples[0][0])


def mark(ok):
    return "met" if ok else "**missed**"


rows = "\n".join(f"| {s[0]} | {s[3]:.0f} | {s[1] / 1024:.1f} | {s[2]:.1f} | {s[4] / 1024:.1f} |"
                 for s in samples if s[0] in (1, 2, 5, 10, WARMUP, 50, 100, 150, SCANS) or s is samples[-1])
section = f"""## Daemon soak: {SCANS} scans of a {N}-resource snapshot target

Command: `python3 bench/daemon_soak.py {N} {SCANS}` (release build, {os.cpu_count()} cores,
{time.strftime('%Y-%m-%d', time.gmtime())}). One `[[target]]` with a 1 s interval over a
snapshot of {N} resources and a state of the same fleet (`bench/gen_fleet.py`: 15% of
the instances drifted, one unmanaged per 20; policies off to measure the daemon, not
Rego), `[store] keep_scans`, `keep_resolved` and `keep_delivered` at 1 minute so that
pruning runs; {len(durations)} scans in {wall:.0f} s, then 10 s with no scan due. Exit
code after SIGTERM: {code}.

| scan | s since start | RSS MiB | CPU s (total) | store MiB (file + WAL) |
|---:|---:|---:|---:|---:|
{rows}

- memory: peak RSS of the last 20 scans vs scans {WARMUP}-{WARMUP + 19}: **{growth:+.1f}%**
  ({max(first) / 1024:.1f} → {max(last) / 1024:.1f} MiB), target < 10% growth: {mark(growth < 10)}
- idle CPU (no scan due): **{idle_pct:.2f}%** of a core, target near zero (< 1%): {mark(idle_pct < 1)}
- scan overhead beyond the check (scheduling, thread, history, outbox): **{overhead:.1f}%** of scan time
  (mean scan {sum(durations) / len(durations):.0f} ms, mean check {sum(checks) / len(checks):.0f} ms, of the rest
  recording history {sum(records) / len(records):.0f} ms), target < 5%: {mark(overhead < 5)}
- CPU per scan: {cpu_per_scan:.2f} s
- store after {len(durations)} scans: **{store_end / 1024:.1f} MiB** (file + WAL, after the
  shutdown checkpoint), {scan_rows} scan rows (the last minute's), {finding_rows} finding rows;
  at scan 100 it was {next((s[4] for s in samples if s[0] >= 100), 0) / 1024:.1f} MiB
"""
open(f"{OUT}/section.md", "w").write(section)
print(section)
subprocess.run([sys.executable, "bench/update_perf_doc.py", f"{OUT}/section.md", "## Daemon soak:"], check=True)
