#!/usr/bin/env bash
# The 2×2 of claim 1 (Mitchell et al. 2023, arXiv 2310.12962): {small, large} pre-training ×
# {small, large} fine-tuning on the zoo. The diagonal cells are real fine-tunes (sft on
# zoo/base-s and zoo/base-l, the same recipe); the off-diagonal cells are emulated:
#   up-scaling    eft:base=zoo/base-l,tuned=sft-s,ref=zoo/base-s   (large pre-training, small fine-tune)
#   down-scaling  eft:base=zoo/base-s,tuned=sft-l,ref=zoo/base-l   (small pre-training, large fine-tune)
# Every model goes through the audit's lab preset on the same items (arithmetic in a harder
# world, closed-book recall by ranking and by generation, sampled solution formats).
# Run from the repository root: bash scripts/experiments/eft2x2.sh [OUT]   (SEEDS="1 2 3" for more seeds)
set -euo pipefail
OUT=${1:-runs/eft2x2}
SEEDS=${SEEDS:-"1"}
N=${N:-200}
FT="node bin/ftledger.js"
WORLD='{"arithmetic":{"minSteps":2,"maxSteps":4,"operandMax":49}}'
mkdir -p "$OUT"
echo "$WORLD" > "$OUT/world.json"
for size in s l; do
  echo "{\"base\":\"zoo/base-$size\",\"variant\":\"with-reasoning\",\"format\":\"code\",\"world\":$WORLD}" > "$OUT/sft-$size.json"
done
for s in $SEEDS; do
  for size in s l; do
    run="$OUT/sft-$size-s$s"
    [ -f "$run/done" ] && continue
    resume=""; [ -d "$run/checkpoints" ] && resume="--resume"
    echo "$(date +%T) train sft on base-$size seed $s"
    $FT lab train sft --config "$OUT/sft-$size.json" --seed "$s" --out "$run" $resume > "$run.log" 2>&1
    touch "$run/done"
  done
  if [ ! -f "$OUT/lab-s$s.json" ]; then
    echo "$(date +%T) audit seed $s"
    up="eft:base=builtin:zoo/base-l,tuned=builtin:$OUT/sft-s-s$s,ref=builtin:zoo/base-s,beta=1"
    down="eft:base=builtin:zoo/base-s,tuned=builtin:$OUT/sft-l-s$s,ref=builtin:zoo/base-l,beta=1"
    $FT lab eval builtin:zoo/base-s builtin:zoo/base-l "builtin:$OUT/sft-s-s$s" "builtin:$OUT/sft-l-s$s" "$up" "$down" \
      --format raw,raw,chat,chat,chat,chat --world "$OUT/world.json" --n "$N" --samples 1 --store "$OUT/store" --json "$OUT/lab-s$s.json" --quiet > "$OUT/lab-s$s.txt"
  fi
  cat "$OUT/lab-s$s.txt"
done
