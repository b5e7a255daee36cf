#!/usr/bin/env bash
# Compare-and-report of a 100,000-resource state against a 100,000-resource snapshot,
# measured as whole processes (wall time, CPU time, peak RSS), against a baseline that
# only parses the same two files with serde_json. Writes docs/performance.md's section.
# Targets: driftd <= 2x the parse time; peak memory < 3x the files' size on disk
# (compare-and-report, policies off); with the built-in policy pack on, as `driftd check`
# does by default, under 10 s (issue 20: violations counted once). The pack's own
# benchmark is bench/policies_10k.sh.
#   bash bench/compare_100k.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
RUNS=${2:-5}
OUT=bench/out
cargo build --release -q -p driftd --bin driftd --example parse_only
if [ "$(cat "$OUT/n" 2>/dev/null)" != "$N" ]; then
  python3 bench/gen_fleet.py "$N" "$OUT" >/dev/null && echo "$N" > "$OUT/n"
fi
STATE=$OUT/state.tfstate
LIVE=$OUT/live.json
bytes=$(( $(stat -c %s "$STATE") + $(stat -c %s "$LIVE") ))

# measure NAME CMD...: best wall seconds over RUNS, CPU seconds and peak RSS (KiB) of that run.
measure() {
  local best_wall=999999 best_cpu=0 best_rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || {
      cat "$OUT/stderr.txt" >&2; exit 1; }
    read -r wall user sys rss < "$OUT/time.txt"
    if awk "BEGIN{exit !($wall < $best_wall)}"; then
      best_wall=$wall; best_cpu=$(awk "BEGIN{print $user+$sys}"); best_rss=$rss
    fi
  done
  echo "$best_wall $best_cpu $best_rss"
}

read -r p_wall p_cpu p_rss < <(measure target/release/examples/parse_only "$STATE" "$LIVE")
read -r d_wall d_cpu d_rss < <(measure target/release/driftd check --state "$STATE" --provider "snapshot:$LIVE" --format json --output "$OUT/report.json" --fail-on never --no-builtin-policies)
read -r w_wall w_cpu w_rss < <(measure target/release/driftd check --state "$STATE" --provider "snapshot:$LIVE" --format json --output "$OUT/report_pack.json" --fail-on never)
violations=$(python3 -c "import json;print(json.load(open('$OUT/report_pack.json'))['summary']['violations'])")
findings=$(python3 -c "import json;print(len(json.load(open('$OUT/report.json'))['findings']))")
ratio=$(awk "BEGIN{printf \"%.2f\", $d_wall/$p_wall}")
pack_met=$(awk "BEGIN{print ($w_wall < 10) ? \"met\" : \"**missed**\"}")
mem_ratio=$(awk "BEGIN{printf \"%.2f\", $d_rss*1024/$bytes}")
mb=$(awk "BEGIN{printf \"%.1f\", $bytes/1048576}")

cat > "$OUT/section.md" <<MD
## Compare and report: $N declared vs $N live resources

Command: \`bash bench/compare_100k.sh $N $RUNS\` (best of $RUNS runs, release build, $(nproc) cores,
$(date -u +%Y-%m-%d)). Inputs: raw state + snapshot, $mb MiB on disk together; $findings findings.

| process | wall s | CPU s | peak RSS MiB |
|---|---:|---:|---:|
| serde_json parse of both files (\`parse_only\`) | $p_wall | $p_cpu | $(awk "BEGIN{printf \"%.1f\", $p_rss/1024}") |
| \`driftd check --format json --no-builtin-policies\` | $d_wall | $d_cpu | $(awk "BEGIN{printf \"%.1f\", $d_rss/1024}") |
| \`driftd check --format json\` (built-in pack on both sides, $violations violations) | $w_wall | $w_cpu | $(awk "BEGIN{printf \"%.1f\", $w_rss/1024}") |

- time: driftd / parse = **${ratio}x** (target <= 2x)
- memory: driftd peak RSS / input size = **${mem_ratio}x** (target < 3x)
- with the pack: **${w_wall} s** (target < 10 s): $pack_met. A violation on both sides is
  one finding (\`policy.sides\`), so the report holds $violations violations where each
  side used to count its own; the time is the policies' (the same check without them
  takes ${d_wall} s): every resource is evaluated on both sides, one core.
- with the pack: fleet policies hold each side's resources as Rego values (keys and short
  strings shared) until that side's fleet policies have run; the declared side's run before
  the live side is read.
MD
cat "$OUT/section.md"
python3 bench/update_perf_doc.py "$OUT/section.md" "## Compare and report:"
