#!/usr/bin/env python3
"""Soak benchmark of `driftd run`: one snapshot target of N resources (default 20,000, to
isolate driftd from moto), scanned back to back for SCANS scans (default 200). Samples the
daemon's resident memory and CPU time after every scan, then measures idle CPU with the
interval raised (SIGHUP) so no scan runs. Writes its section of docs/performance.md.

Targets: resident memory flat (< 10% growth from the end of warm-up, scan 20, to the
end); idle CPU near zero (< 1% of a core) between scans; scan overhead beyond the check
itself (scheduling, the scan's thread, recording history and queueing notifications)
under 5% of the scan's time. Also the API's p99 latency (`/api/v1/findings`, 100 per
page) sampled throughout the soak.

BACKEND is `sqlite` (the embedded store, default) or `postgres` (a PostgreSQL server
started here as the harness does: Debian's package, run as the `postgres` user when
root, its data under bench/out).
    python3 bench/daemon_soak.py [N] [SCANS] [BACKEND]
"""
import json, os, shutil, signal, socket, subprocess, sys, time, urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
os.chdir(ROOT)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
SCANS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
BACKEND = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
assert BACKEND in ("sqlite", "postgres"), f"BACKEND is sqlite or postgres, not {BACKEND}"
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

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    return p


port = free_port()
TICKS = os.sysconf("SC_CLK_TCK")


class Postgres:
    """A throwaway PostgreSQL server, as daemon/tests/common/postgres.rs starts one."""

    def __init__(self):
        versions = sorted((int(v), v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit()) \
            if os.path.isdir("/usr/lib/postgresql") else []
        if not versions:
            subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], check=True,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
            versions = sorted((int(v), v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit())
        self.bin = f"/usr/lib/postgresql/{versions[-1][1]}/bin"
        self.port = free_port()
        self.dir = os.path.abspath(f"{OUT}/pg")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        root = os.getuid() == 0
        self.run_as = ["runuser", "-u", "postgres", "--"] if root else []
        if root:
            subprocess.run(["chown", "-R", "postgres:postgres", self.dir], check=True)
            p = os.path.dirname(self.dir)
            while p != "/":
                subprocess.run(["chmod", "o+x", p])
                p = os.path.dirname(p)
        subprocess.run(self.run_as + [f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-U", "driftd", "--auth=trust",
                                      "--encoding=UTF8", "--locale=C"], check=True, stdout=subprocess.DEVNULL)
        # Durable settings (fsync on): the figures are what a production server would see.
        self.proc = subprocess.Popen(self.run_as + [f"{self.bin}/postgres", "-D", f"{self.dir}/data", "-p", str(self.port),
                                                    "-k", self.dir, "-c", "listen_addresses=127.0.0.1"],
                                     stdout=subprocess.DEVNULL, stderr=open(f"{OUT}/postgres.log", "w"))
        for _ in range(600):
            if self.psql("postgres", "SELECT 1") is not None:
                break
            time.sleep(0.1)
        self.psql("postgres", "CREATE DATABASE driftd")
        self.url = f"postgres://driftd@127.0.0.1:{self.port}/driftd?sslmode=disable"

    def psql(self, db, sql):
        r = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "driftd", "-d", db,
                            "-X", "-q", "-A", "-t", "-c", sql], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None

    def stop(self):
        # Through pg_ctl: `runuser` does not pass a signal on to the server.
        subprocess.run(self.run_as + [f"{self.bin}/pg_ctl", "stop", "-D", f"{self.dir}/data", "-m", "fast"],
                       check=True, stdout=subprocess.DEVNULL)
        self.proc.wait(timeout=30)


pg = Postgres() if BACKEND == "postgres" else None


def config(interval):
    # Short retention, so that pruning runs during the soak (every 15 s) and the store's
    # size after SCANS scans shows whether it is bounded.
    store = f'url = "{pg.url}"' if pg else 'path = "driftd.db"'
    return f"""[daemon]
listen = "127.0.0.1:{port}"
[store]
{store}
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
    if pg:
        return int(pg.psql("driftd", "SELECT pg_database_size('driftd')") or 0) / 1024
    return sum(os.path.getsize(f"{OUT}/{f}") for f in ("driftd.db", "driftd.db-wal") if os.path.exists(f"{OUT}/{f}")) / 1024


def api_ms():
    t = time.perf_counter()
    get("/api/v1/findings?limit=100")
    return 1000 * (time.perf_counter() - t)


api_samples = []


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
    try:
        api_samples.append(api_ms())
    except Exception:
        pass
    time.sleep(0.05)
wall = time.time() - start

# Idle: no scan due for an hour.
open(f"{OUT}/driftd.toml", "w").write(config("1h"))
os.kill(proc.pid, signal.SIGHUP)
# The reloaded config may still scan once (a target due under the old interval): idle
# starts once no scan has finished for 8 s.
last, quiet_since = None, time.time()
while time.time() - quiet_since < 8:
    n = get("/api/v1/scans?limit=1")["scans"][0]["id"]
    if n != last:
        last, quiet_since = n, time.time()
    time.sleep(0.2)
c0, t0 = cpu_s(), time.time()
time.sleep(10)
idle_pct = 100 * (cpu_s() - c0) / (time.time() - t0)
proc.send_signal(signal.SIGTERM)
code = proc.wait(timeout=30)
log.close()
if pg:
    scan_rows = int(pg.psql("driftd", "SELECT count(*) FROM scans"))
    finding_rows = int(pg.psql("driftd", "SELECT count(*) FROM findings"))
    # What one more scan row takes (for sizing a fleet's growth per day): its data; two
    # index entries (primary key, scope) come on top.
    scan_row_bytes = round(float(pg.psql("driftd", "SELECT avg(pg_column_size(s.*)) FROM scans s") or 0))
    store_end = store_kib()
    pg.stop()
else:
    import sqlite3  # noqa: E402
    db = sqlite3.connect(f"{OUT}/driftd.db")
    scan_rows = db.execute("SELECT count(*) FROM scans").fetchone()[0]
    finding_rows = db.execute("SELECT count(*) FROM findings").fetchone()[0]
    scan_row_bytes = None
    db.close()
    store_end = store_kib()
api_samples.sort()
api_p99 = api_samples[min(len(api_samples) - 1, int(0.99 * len(api_samples)))]

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
size_label = "database (pg_database_size)" if pg else "file + WAL"
scan_row_note = f"- a scan row: {scan_row_bytes} bytes of data (`avg(pg_column_size(scans.*))`), plus two index entries\n" \
    if scan_row_bytes else ""
checkpoint_note = "" if pg else ", after the shutdown checkpoint"
section = f"""## Daemon soak ({BACKEND}): {SCANS} scans of a {N}-resource snapshot target

Command: `python3 bench/daemon_soak.py {N} {SCANS} {BACKEND}` (release build, {os.cpu_count()} cores,
{time.strftime('%Y-%m-%d', time.gmtime())}). One `[[target]]` with a 1 s interval over a
snapshot of {N} resources and a state of the same fleet (`bench/gen_fleet.py`: 15% of
the instances drifted, one unmanaged per 20; policies off to measure the daemon, not
Rego), `[store] keep_scans`, `keep_resolved` and `keep_delivered` at 1 minute so that
pruning runs; {len(durations)} scans in {wall:.0f} s, then 10 s with no scan due. Exit
code after SIGTERM: {code}.

| scan | s since start | RSS MiB | CPU s (total) | store MiB ({size_label}) |
|---:|---:|---:|---:|---:|
{rows}

- memory: peak RSS of the last 20 scans vs scans {WARMUP}-{WARMUP + 19}: **{growth:+.1f}%**
  ({max(first) / 1024:.1f} → {max(last) / 1024:.1f} MiB), target < 10% growth: {mark(growth < 10)}
- idle CPU (no scan due): **{idle_pct:.2f}%** of a core, target near zero (< 1%): {mark(idle_pct < 1)}
- scan overhead beyond the check (scheduling, thread, history, outbox): **{overhead:.1f}%** of scan time
  (mean scan {sum(durations) / len(durations):.0f} ms, mean check {sum(checks) / len(checks):.0f} ms, of the rest
  recording history {sum(records) / len(records):.0f} ms), target < 5%: {mark(overhead < 5)}
- CPU per scan: {cpu_per_scan:.2f} s
- store after {len(durations)} scans: **{store_end / 1024:.1f} MiB** ({size_label}{checkpoint_note}), {scan_rows} scan rows (the last minute's), {finding_rows} finding rows;
  at scan 100 it was {next((s[4] for s in samples if s[0] >= 100), 0) / 1024:.1f} MiB
{scan_row_note}- API: `/api/v1/findings?limit=100` during the soak, {len(api_samples)} requests, p99 **{api_p99:.1f} ms**
"""
open(f"{OUT}/section.md", "w").write(section)
print(section)
heading = "## Daemon soak (sqlite):" if BACKEND == "sqlite" else "## Daemon soak (postgres):"
subprocess.run([sys.executable, "bench/update_perf_doc.py", f"{OUT}/section.md", heading], check=True)
