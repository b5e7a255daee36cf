#!/usr/bin/env bash
# The whole built-in policy pack over N resources on one core (taskset -c 0), on a fleet
# with all its Terraform attributes (bench/gen_fleet.py: GPU instances of five types and
# security groups): per-resource policies on each resource, then fleet policies once.
# Two measurements: the pack alone (policies/examples/bench_pack.rs: input documents,
# conversion and evaluation), and what the pack adds to a whole `driftd check` of one
# side (with minus without the pack, which also counts building the violation findings).
# Target: under 1 second. Writes its section of docs/performance.md.
#   bash bench/policies_10k.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
OUT=bench/out/policies_$N
cargo build --release -q -p driftd-policies --example bench_pack
cargo build --release -q -p driftd --bin driftd
mkdir -p "$OUT"
python3 bench/gen_fleet.py "$N" "$OUT" >/dev/null
cat > "$OUT/driftd.toml" <<TOML
[policy.config]
team_budget_per_hour_usd = { "team-1" = 100.0, "team-2" = 1000.0 }
allowed_gpu_types = { dev = ["g5.*", "g6.*"] }
TOML

best=""
for _ in 1 2 3; do
  line=$(taskset -c 0 /usr/bin/time -f "cpu_s=%U peak_rss_kib=%M" -o "$OUT/time.txt" \
    target/release/examples/bench_pack "$OUT/live.json" 2>/dev/null)
  total=$(echo "$line" | sed -E 's/.*total_eval_s=([0-9.]+).*/\1/')
  if [ -z "$best" ] || awk "BEGIN{exit !($total < $best)}"; then best=$total; best_line="$line $(cat "$OUT/time.txt")"; fi
done
echo "$best_line"
field() { echo "$best_line" | sed -E "s/.*$1=([0-9.]+).*/\1/"; }

# check_s ARGS...: best wall seconds of three pinned `driftd check` runs of the live side.
check_s() {
  local best=999
  for _ in 1 2 3; do
    taskset -c 0 /usr/bin/time -f "%e %M" -o "$OUT/check_time.txt" target/release/driftd check --config "$OUT/driftd.toml" \
      --provider "snapshot:$OUT/live.json" --format json --output /dev/null --fail-on never "$@"
    read -r wall rss < "$OUT/check_time.txt"
    if awk "BEGIN{exit !($wall < $best)}"; then best=$wall; best_rss=$rss; fi
  done
  echo "$best $best_rss"
}
read -r with_s with_rss < <(check_s)
read -r without_s without_rss < <(check_s --no-builtin-policies)
added=$(awk "BEGIN{printf \"%.2f\", $with_s - $without_s}")

cat > "$OUT/section.md" <<MD
## Policies: built-in pack over $(field resources) resources, one core

Command: \`bash bench/policies_10k.sh $N\` (best of 3, release build, pinned with \`taskset -c 0\`,
$(date -u +%Y-%m-%d)). Fleet: \`python3 bench/gen_fleet.py $N\`, the live side: GPU instances
of five types with all their Terraform attributes, and security groups. $(field policies) policies (7 per resource,
3 fleet-wide), $(field violations) violations.

| step | seconds |
|---|---:|
| compile the pack | $(field load_s) |
| build the input documents (core) | $(field input_s) |
| resource policies, every resource (with conversion to Rego values) | $(field resource_eval_s) |
| fleet policies, once over all | $(field fleet_eval_s) |
| **pack total** (target < 1) | **$(field total_eval_s)** |

Peak RSS of the benchmark process: $(awk "BEGIN{printf \"%.1f\", $(field peak_rss_kib)/1024}") MiB.

Whole \`driftd check --provider snapshot:live.json\` of the same side, one core: $with_s s with the pack,
$without_s s without (\`--no-builtin-policies\`): the pack adds **$added s**, violation findings and report
included. Peak RSS $(awk "BEGIN{printf \"%.0f\", $with_rss/1024}") MiB vs $(awk "BEGIN{printf \"%.0f\", $without_rss/1024}") MiB.
MD
python3 bench/update_perf_doc.py "$OUT/section.md" "## Policies:"
cat "$OUT/section.md"
