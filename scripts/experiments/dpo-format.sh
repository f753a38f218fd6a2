#!/usr/bin/env bash
# What DPO towards one solution format does to zoo/base-m (Rafailov et al. 2023, recipe dpo):
# three fine-tuning seeds of the default dpo config (pairs from the pre-training world: chosen =
# the item's verified solution in the `code` format, rejected = half another format, half a
# wrong answer in `code`; β 0.1; 200 updates × 16 pairs), audited together against the base
# with the lab preset (greedy arithmetic accuracy, knowledge recall by ranking and by
# generation, solution formats sampled at T = 1) on N held-out id items per task, seeds pooled
# by the audit's --tuned-seeds (intervals over seeds × items, as pool-seeds.ts). Both models
# are prompted in the raw pre-training frame, the frame dpo trained in.
# Resumable: finished runs and the audit's store are reused. Run from the repository root:
#   bash scripts/experiments/dpo-format.sh [OUT]      (about 15–20 min on 2 cores)
# FT="node --import tsx src/cli/main.ts" runs the CLI from the sources instead of the build.
set -euo pipefail
OUT=${1:-runs/dpo-format}
N=${N:-300}
SAMPLES=${SAMPLES:-4}
SEEDS=${SEEDS:-"1 2 3"}
FT=${FT:-"node bin/ftledger.js"}
mkdir -p "$OUT"
echo '{"base":"zoo/base-m"}' > "$OUT/dpo.json"
tuned=()
for s in $SEEDS; do
  run="$OUT/dpo-s$s"
  tuned+=("builtin:$run")
  [ -f "$run/done" ] && continue
  resume=""; [ -d "$run/checkpoints" ] && resume="--resume"
  echo "$(date +%T) train dpo seed $s"
  $FT lab train dpo --config "$OUT/dpo.json" --seed "$s" --out "$run" --every 50 $resume > "$run.log" 2>&1
  touch "$run/done"
done
for s in $SEEDS; do
  [ -f "$OUT/summary-s$s.txt" ] || $FT lab summary "$OUT/dpo-s$s" > "$OUT/summary-s$s.txt" 2>&1 || true
done
if [ ! -f "$OUT/audit.json" ]; then
  echo "$(date +%T) audit (n $N, $SAMPLES samples)"
  $FT audit --preset lab --split id --n "$N" --samples "$SAMPLES" --base builtin:zoo/base-m --tuned-seeds "${tuned[@]}" \
    --base-format raw --tuned-format raw --store "$OUT/store" --quiet > "$OUT/audit.txt" 2>&1 || true
  # the same audit again, from the store's cache, as JSON
  $FT audit --preset lab --split id --n "$N" --samples "$SAMPLES" --base builtin:zoo/base-m --tuned-seeds "${tuned[@]}" \
    --base-format raw --tuned-format raw --store "$OUT/store" --json --quiet > "$OUT/audit.json.tmp"
  mv "$OUT/audit.json.tmp" "$OUT/audit.json"
fi
cat "$OUT/audit.txt"
