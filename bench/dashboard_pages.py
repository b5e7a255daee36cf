#!/usr/bin/env python3
"""The dashboard's page times with a large store: a fleet of N GPU instances that no
state declares (bench/gen_fleet.py; about N unmanaged findings) scanned once by
`driftd run` (release build), 30 days of hourly scans of 40 teams added to its SQLite
store with a partial or failed scan every ten hours and one finding's timeline of 721
rows, then each page fetched REPEAT times in turn; p50 and p95 of the time to the last
byte of its HTML. Writes its section of docs/performance.md.
    python3 bench/dashboard_pages.py [N] [REPEAT]
"""
import json, os, socket, sqlite3, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 else 100
OUT = os.path.join(ROOT, "bench", "out", "dashboard")
DRIFTD = os.path.join(ROOT, "target", "release", "driftd")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "driftd", "--bin", "driftd"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_fleet.py"), str(N), OUT], check=True)
    db = os.path.join(OUT, "driftd.db")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    port = free_port()
    with open(os.path.join(OUT, "dashboard.toml"), "w") as f:
        f.write(f'[daemon]\nlisten = "127.0.0.1:{port}"\n[store]\npath = "driftd.db"\n\n'
                '[[target]]\nname = "fleet"\nprovider = ["snapshot:live.json"]\ninterval = "24h"\nno_builtin_policies = true\n')
    base = f"http://127.0.0.1:{port}"
    daemon = subprocess.Popen([DRIFTD, "run", "--config", "dashboard.toml"], cwd=OUT,
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(OUT, "daemon.log"), "w"))
    try:
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                scans = json.loads(get(base + "/api/v1/scans?outcome=ok"))["scans"]
                if scans:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            raise SystemExit("the first scan did not finish within 10 minutes")
        conn = sqlite3.connect(db, timeout=30)
        findings = conn.execute("SELECT count(*) FROM findings WHERE resolved_at IS NULL").fetchone()[0]
        now = int(time.time())
        for h in range(30 * 24, 0, -1):
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - h * 3600))
            cur = conn.execute(
                "INSERT INTO scans (scope, started_at, finished_at, outcome, findings, new, changed, resolved, replica, api_calls,"
                " coverage_pct, drift_cost_per_hour_usd, unmanaged_cost_per_hour_usd, orchestrated_cost_per_hour_usd,"
                " idle_capacity_cost_per_hour_usd) VALUES ('history', ?, ?, 'ok', ?, 0, 0, 0, 'bench', 40, ?, ?, ?, 0, 0)",
                (at, at, findings, 50 + h % 30, 100 + h % 50, 1000 + h))
            sid = cur.lastrowid
            conn.executemany(
                "INSERT INTO scan_teams (scan_id, scope, team, findings, drift_cost_per_hour_usd, unmanaged_cost_per_hour_usd,"
                " orchestrated_cost_per_hour_usd, idle_capacity_cost_per_hour_usd) VALUES (?, 'history', ?, 10, 1, ?, 0, 0)",
                [(sid, f"team-{t}", 10 + t + h % 7) for t in range(40)])
            if h % 10 == 0:
                conn.execute(
                    "INSERT INTO scans (scope, started_at, finished_at, outcome, findings, new, changed, resolved, replica)"
                    " VALUES ('history', ?, ?, ?, 0, 0, 0, 0, 'bench')", (at, at, "partial" if h % 20 else "failed"))
        # One finding changed at every hourly scan: a timeline longer than a page shows.
        some = conn.execute("SELECT scope, id FROM findings LIMIT 1").fetchone()
        for h in range(30 * 24, 0, -1):
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - h * 3600))
            detail = json.dumps({"severity": "high", "cost_per_hour_usd": 10 + h % 13,
                                 "changes": [{"path": "instance_type", "declared": "p4d.24xlarge", "live": f"p5.{h % 5}xlarge"},
                                             {"path": "tags.team", "declared": "ml", "live": f"team-{h % 40}"}]})
            conn.execute("INSERT INTO finding_events (scope, finding_id, at, scan_id, event, detail)"
                         " VALUES (?, ?, ?, NULL, 'changed', ?)", (some[0], some[1], at, detail))
        conn.commit()
        events = conn.execute("SELECT count(*) FROM finding_events").fetchone()[0]
        scans_total = conn.execute("SELECT count(*) FROM scans").fetchone()[0]
        conn.close()
        pages = [
            ("overview", "/"),
            ("overview, 30 days", "/?days=30"),
            ("overview, 90 days", "/?days=90"),
            ("teams, 30 days", "/teams?days=30"),
            ("findings", "/findings"),
            ("findings by cost", "/findings?sort=cost"),
            ("findings, high, newest", "/findings?severity=high&sort=first_seen"),
            ("a finding, 721 timeline rows", f"/finding?target={some[0]}&id={some[1]}"),
            ("scans", "/scans"),
        ]
        times = {name: [] for name, _ in pages}
        for _ in range(REPEAT):
            for name, path in pages:
                start = time.perf_counter()
                get(base + path)
                times[name].append((time.perf_counter() - start) * 1000)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)

    def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(round(p / 100 * len(xs) + 0.5)) - 1)]

    rows = []
    worst = 0.0
    for name, path in pages:
        p95 = pct(times[name], 95)
        worst = max(worst, p95)
        rows.append(f"| {name} | `{path.split('?')[0]}` | {pct(times[name], 50):.1f} | {p95:.1f} |")
    verdict = "met" if worst < 100 else "**missed**"
    section = f"""## Dashboard: page times with {findings:,} findings

Command: `python3 bench/dashboard_pages.py {N} {REPEAT}` ({time.strftime('%Y-%m-%d')}, release build, {os.cpu_count()} cores).
`driftd run` scanned a snapshot of {N:,} GPU instances no state declares (`bench/gen_fleet.py`) once:
{findings:,} open findings in its SQLite store; then 30 days of hourly scans with 40 teams
were added, with a partial or failed one every ten hours ({scans_total:,} scans in all), and
one finding changed at each hourly scan ({events:,} timeline rows in all; its page shows the
first and the latest 199). Each page fetched {REPEAT} times in turn, one
request at a time; milliseconds to the last byte of its HTML.

| page | path | p50 ms | p95 ms |
|---|---|---|---|
{chr(10).join(rows)}

Target p95 < 100 ms for every page: {verdict} (worst p95 {worst:.1f} ms).
"""
    out = os.path.join(ROOT, "bench", "out", "dashboard_section.md")
    open(out, "w").write(section)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "update_perf_doc.py"), out, "## Dashboard: page times"],
                   cwd=ROOT, check=True)
    print(section)


main()
