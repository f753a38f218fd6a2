#!/usr/bin/env bash
# The lab experiment for claim 9 (CPI-FT, arXiv 2508.21741): do two single-task fine-tunes of
# zoo/base-m write to the same parameters, and does a merge that isolates each task's core
# parameters keep both tasks better than one joint multi-task fine-tune? Three fine-tuning seeds.
#
#   A_s      sft arithmetic with reasoning, code format        (sft-arith.json)
#   B_s      sft knowledge, answer only                         (sft-know.json)
#   M_s      sft on both, half the examples each                (sft-multi.json)
#   TIES_s   ties merge of A_s and B_s (density 0.2)            (Yadav et al. 2023)
#   CPI_s    cpi merge of A_s and B_s (core fraction 1%)        (Wang, Liang, Peng 2025)
#
# Then: `ftledger diff` of A_s and B_s against the base (core-region overlap per layer), one
# audit per seed with M_s as the base and A_s, B_s, TIES_s, CPI_s as the tuned models (greedy
# task accuracy on 300 unseen arithmetic and 300 unseen knowledge items, both in the chat
# format), and the seeds pooled (pool-seeds.ts). Resumable: finished runs, merges and audits
# are reused. Run from the repository root:  bash scripts/experiments/claim9.sh [OUT]   (~6 min on 2 cores)
# WORLD='{"arithmetic":{"minSteps":2,"maxSteps":4,"operandMax":49}}' runs it in a harder world
# (the fine-tunes and the audit's items both use it).
set -euo pipefail
OUT=${1:-runs/claim9}
N=${N:-300}
SEEDS=${SEEDS:-"1 2 3"}
FT="node bin/ftledger.js"
WORLD=${WORLD:-"{}"}
mkdir -p "$OUT"
echo "$WORLD" > "$OUT/world.json"
echo "{\"base\":\"zoo/base-m\",\"task\":\"arithmetic\",\"variant\":\"with-reasoning\",\"format\":\"code\",\"world\":$WORLD}" > "$OUT/sft-arith.json"
echo "{\"base\":\"zoo/base-m\",\"task\":\"knowledge\",\"variant\":\"answer-only\",\"world\":$WORLD}" > "$OUT/sft-know.json"
echo "{\"base\":\"zoo/base-m\",\"task\":\"arithmetic+knowledge\",\"variant\":\"with-reasoning\",\"format\":\"code\",\"world\":$WORLD}" > "$OUT/sft-multi.json"

for s in $SEEDS; do
  for name in sft-arith sft-know sft-multi; do
    run="$OUT/$name-s$s"
    [ -f "$run/done" ] && continue
    resume=""; [ -d "$run/checkpoints" ] && resume="--resume"
    echo "$(date +%T) train $name seed $s"
    $FT lab train sft --config "$OUT/$name.json" --seed "$s" --out "$run" $resume > "$run.log" 2>&1
    touch "$run/done"
  done
  for method in ties cpi; do
    [ -f "$OUT/$method-s$s/ftledger-weights.json" ] && continue
    param=$([ $method = ties ] && echo "density: 0.2" || echo "core_fraction: 0.01")
    printf 'merge_method: %s\nbase_model: zoo/base-m\nmodels:\n  - model: %s\n    parameters: { %s }\n  - model: %s\n    parameters: { %s }\nseed: %s\n' \
      "$method" "$OUT/sft-arith-s$s" "$param" "$OUT/sft-know-s$s" "$param" "$s" > "$OUT/$method-s$s.yaml"
    echo "$(date +%T) merge $method seed $s"
    $FT merge "$OUT/$method-s$s.yaml" --out "$OUT/$method-s$s" --quiet
  done
  [ -f "$OUT/diff-s$s.json" ] || $FT diff zoo/base-m "$OUT/sft-arith-s$s" "$OUT/sft-know-s$s" --rank none --json --quiet > "$OUT/diff-s$s.json"
  if [ ! -f "$OUT/audit-s$s.json" ]; then
    echo "$(date +%T) audit seed $s"
    $FT audit --base "builtin:$OUT/sft-multi-s$s" --base-format chat \
      --tuned "builtin:$OUT/sft-arith-s$s" "builtin:$OUT/sft-know-s$s" "builtin:$OUT/ties-s$s" "builtin:$OUT/cpi-s$s" --tuned-format chat \
      --probes task.accuracy --suite arithmetic knowledge --split id --n "$N" --world "$OUT/world.json" --no-same-format --store "$OUT/store" --json --quiet > "$OUT/audit-s$s.json.tmp"
    mv "$OUT/audit-s$s.json.tmp" "$OUT/audit-s$s.json"
  fi
done
# the same task, two seeds: how much do core regions overlap when the task is the same?
[ -f "$OUT/diff-same-task.json" ] || $FT diff zoo/base-m "$OUT/sft-arith-s1" "$OUT/sft-arith-s2" "$OUT/sft-know-s1" "$OUT/sft-know-s2" --rank none --json --quiet > "$OUT/diff-same-task.json"
node node_modules/tsx/dist/cli.mjs scripts/experiments/pool-seeds.ts "$OUT" $SEEDS | tee "$OUT/claim9.txt"
