#!/usr/bin/env bash
# The whole built-in policy pack over 10,000 resources on one core (taskset -c 0):
# per-resource policies on each resource, then fleet policies once.
# Target: under 1 second. Writes its section of docs/performance.md.
#   bash bench/policies_10k.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
cargo build --release -q -p driftd-policies --example bench_pack
mkdir -p bench/out
best=""
for _ in 1 2 3; do
  line=$(taskset -c 0 /usr/bin/time -f "cpu_s=%U peak_rss_kib=%M" -o bench/out/policy_time.txt target/release/examples/bench_pack "$N")
  total=$(echo "$line" | sed -E 's/.*total_eval_s=([0-9.]+).*/\1/')
  if [ -z "$best" ] || awk "BEGIN{exit !($total < $best)}"; then best=$total; best_line="$line $(cat bench/out/policy_time.txt)"; fi
done
echo "$best_line"
field() { echo "$best_line" | sed -E "s/.*$1=([0-9.]+).*/\1/"; }
cat > bench/out/policy_section.md <<MD
## Policies: built-in pack over $N resources, one core

Command: \`bash bench/policies_10k.sh $N\` (best of 3, release build, pinned with \`taskset -c 0\`,
$(date -u +%Y-%m-%d)). $(field policies) policies (7 per resource, 3 fleet-wide) over $N resources
(GPU instances and security groups), $(field violations) violations.

| step | seconds |
|---|---:|
| compile the pack | $(field load_s) |
| resource policies, every resource | $(field resource_eval_s) |
| fleet policies, once over all | $(field fleet_eval_s) |
| **evaluation total** (target < 1) | **$(field total_eval_s)** |

Peak RSS of the whole benchmark process: $(awk "BEGIN{printf \"%.1f\", $(field peak_rss_kib)/1024}") MiB.
MD
python3 bench/update_perf_doc.py "bench/out/policy_section.md" "## Policies:"
cat bench/out/policy_section.md
