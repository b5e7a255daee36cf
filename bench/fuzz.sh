#!/usr/bin/env bash
# Coverage-guided fuzzing of driftd's parsers of user input (cargo fuzz: libFuzzer on
# the nightly toolchain), each target for SECONDS, seeded with the repository's test
# data. Writes executions, coverage, the slowest input and crashes per target to
# docs/reliability.md ("## Fuzzing:"). Targets: no crash, no input over 1 s
# (-timeout=1), no allocation over 1 GiB (-rss_limit_mb=1024 -malloc_limit_mb=1024).
#   bash bench/fuzz.sh [SECONDS] [TARGET...]
# REPORT_ONLY=1 rewrites the section from the last run's logs without running again.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-600}
shift || true
TARGETS=("$@")
ALL=(tfstate snapshot driftignore tfcode rego config api_query)
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
OUT=target/fuzz
mkdir -p "$OUT"

# Seed corpora: the test data each parser is tested with.
seed() {
  local t=$1 dir=$OUT/corpus/$1
  mkdir -p "$dir"
  case $t in
    tfstate) find testdata/demo testdata/real-state -name '*.tfstate' -o -name '*.json' -path '*real-state*' | head -200 | while read -r f; do cp "$f" "$dir/"; done ;;
    snapshot) cp testdata/demo/live.json testdata/demo/live-in-sync.json "$dir/" ;;
    driftignore) cp testdata/demo/.driftignore "$dir/driftignore" ;;
    tfcode) find testdata/tf -name '*.tf' | head -300 | while read -r f; do cp "$f" "$dir/$(echo "$f" | tr / _)"; done ;;
    rego) cp policies/gpu/*.rego "$dir/" ;;
    config)
      cp deploy/driftd.toml deploy/demo.toml "$dir/"
      # Every TOML example in the docs.
      python3 - "$dir" <<'PY'
import pathlib, re, sys
for doc in sorted(pathlib.Path("docs").glob("*.md")):
    for i, block in enumerate(re.findall(r"```toml\n(.*?)```", doc.read_text(), re.S)):
        pathlib.Path(sys.argv[1], f"{doc.stem}-{i}.toml").write_text(block)
PY
      ;;
    api_query)
      # First byte: 0 findings, 1 scans, 2 trigger; the rest is the query string.
      i=0
      for q in 'severity=high,critical&kind=changed&status=all&limit=2' 'after=3&limit=1' \
               'target=demo&status=resolved' 'outcome=ok,failed&before=5&limit=10' 'target=x'; do
        for which in 0 1 2; do printf "\\x0$which%s" "$q" > "$dir/q$i-$which"; done
        i=$((i+1))
      done ;;
  esac
}

for t in "${TARGETS[@]}"; do
  log=$OUT/$t.log
  artifacts=$OUT/artifacts/$t/
  mkdir -p "$artifacts"
  if [ -z "${REPORT_ONLY:-}" ]; then
    seed "$t"
    cargo +nightly fuzz run --fuzz-dir bench/fuzz "$t" "$OUT/corpus/$t" -- \
      -max_total_time="$SECS" -timeout=1 -rss_limit_mb=1024 -malloc_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="$artifacts" > "$log" 2>&1 || true
  fi
done

# One row per target from its latest log (this run's or an earlier one's: the seconds
# column says how long each ran).
rows=""
for t in "${ALL[@]}"; do
  log=$OUT/$t.log
  artifacts=$OUT/artifacts/$t/
  [ -f "$log" ] || continue
  mkdir -p "$artifacts"
  row=$(python3 - "$log" "$artifacts" "$t" <<'PY'
import os, re, sys
log, artifacts, name = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(log, errors="replace").read()
execs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
cov = re.findall(r"cov: (\d+) ft: (\d+)", text)
peak = re.findall(r"stat::peak_rss_mb:\s*(\d+)", text)
slow = re.findall(r"stat::slowest_unit_time_sec:\s*(\d+)", text)
secs = re.findall(r"-max_total_time=(\d+)", text)
found = sorted(f for f in os.listdir(artifacts) if f.startswith(("crash-", "timeout-", "oom-", "leak-", "slow-unit-")))
print(f"| `{name}` | {secs[-1] if secs else '?'} | {execs[-1] if execs else '?'} | {cov[-1][0] if cov else '?'} | {cov[-1][1] if cov else '?'} | "
      f"{peak[-1] if peak else '?'} | {max(map(int, slow)) if slow else '?'} | {len(found)}{': ' + ', '.join(found) if found else ''} |")
PY
)
  rows="$rows$row"$'\n'
done

cat > "$OUT/section.md" <<MD
## Fuzzing: cargo fuzz over driftd's parsers

Command: \`bash bench/fuzz.sh SECONDS [TARGET...]\` (last run $(date -u +%Y-%m-%d), $(nproc) cores, $(cargo +nightly --version | cut -d' ' -f2) nightly,
libFuzzer with \`-timeout=1 -rss_limit_mb=1024 -malloc_limit_mb=1024\`). Seeds: the repository's
test data for each parser (bench/fuzz.sh). Targets in \`bench/fuzz/fuzz_targets/\`.

| target | seconds | executions | coverage (edges) | features | peak RSS MiB | slowest input, whole s | crashes, timeouts, OOMs |
|---|---:|---:|---:|---:|---:|---:|---|
${rows}
A crash, timeout (an input over 1 s) or OOM (over 1 GiB) leaves its input in
\`target/fuzz/artifacts/TARGET/\`; each one found becomes a regression test in the normal suite.
Target: 10 minutes per target with none of them.
MD
cat "$OUT/section.md"
python3 bench/update_perf_doc.py "$OUT/section.md" "## Fuzzing:" docs/reliability.md
