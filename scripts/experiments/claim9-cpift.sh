#!/usr/bin/env bash
# Claim 9, the full recipe (CPI-FT, Wang, Liang, Peng 2025, arXiv 2508.21741): does Core Parameter
# Isolation Fine-Tuning keep three tasks better than one joint multi-task fine-tune, and forget less?
# Three world tasks on zoo/base-m, three fine-tuning seeds:
#
#   A_s   sft arithmetic with reasoning, code format        (sft-arith.json)
#   K_s   sft knowledge, answer only                         (sft-know.json)
#   P_s   sft programs, answer only                          (sft-prog.json)
#   M_s   sft "mix": the three tasks, equal shares           (sft-mix.json)  — the multi-task baseline
#   C_s   cpi-ft of A_s, K_s, P_s: cores (top 1% of |τ|) transplanted, the rest SLERP'd, then a
#         short fine-tune on the mixed data with the cores frozen                          (cpi-ft-sS.json)
#   F_s   C_s's fused start alone: `ftledger merge` cpi of A_s, K_s, P_s, no fine-tune (fused-sS.yaml)
#
# Every sft run: 300 steps × 16 rows, lr 1e-3 → 1e-4, 2,000 items (ids 1000–2999; for mix 667 per
# task). cpi-ft: 100 steps × 16, lr 3e-4 → 3e-5, 1,200 mixed items (400 per task), cores frozen.
# One audit per seed: zoo/base-m in its pre-training frame (raw) as the base, A, K, P, M, C in the
# chat frame as the tuned models; greedy task accuracy on N unseen id items of each task. Then
# pool-cpift.ts pools the seeds (intervals over seeds × items). Resumable: finished runs and audits
# are reused, a killed training run is resumed. From the repository root:
#   bash scripts/experiments/claim9-cpift.sh [OUT]     (~40 min on 2 busy shared cores, reusing A and K)
# WORLD (default: the harder arithmetic world of claim9.sh's second run) sets the world of every
# fine-tune and of the audit's items. REUSE=DIR reuses DIR/sft-arith-sS and DIR/sft-know-sS when
# DIR's config files are identical to these (claim9.sh's runs in the same world). FT overrides the
# command (default: the built CLI).
set -euo pipefail
OUT=${1:-runs/claim9-cpift}
N=${N:-200}
SEEDS=${SEEDS:-"1 2 3"}
FT=${FT:-"node bin/ftledger.js"}
WORLD=${WORLD:-'{"arithmetic":{"minSteps":2,"maxSteps":4,"operandMax":49}}'}
REUSE=${REUSE:-}
mkdir -p "$OUT"
echo "$WORLD" > "$OUT/world.json"
echo "{\"base\":\"zoo/base-m\",\"task\":\"arithmetic\",\"variant\":\"with-reasoning\",\"format\":\"code\",\"world\":$WORLD}" > "$OUT/sft-arith.json"
echo "{\"base\":\"zoo/base-m\",\"task\":\"knowledge\",\"variant\":\"answer-only\",\"world\":$WORLD}" > "$OUT/sft-know.json"
echo "{\"base\":\"zoo/base-m\",\"task\":\"programs\",\"variant\":\"answer-only\",\"world\":$WORLD}" > "$OUT/sft-prog.json"
echo "{\"base\":\"zoo/base-m\",\"task\":\"mix\",\"variant\":\"with-reasoning\",\"format\":\"code\",\"world\":$WORLD}" > "$OUT/sft-mix.json"

# train RECIPE CONFIG RUN SEED: a finished run is kept, a killed one resumed
train() {
  local recipe=$1 config=$2 run=$3 seed=$4
  [ -f "$run/done" ] && return 0
  local resume=""; [ -d "$run/checkpoints" ] && resume="--resume"
  echo "$(date +%T) train $recipe $(basename "$run")"
  $FT lab train "$recipe" --config "$config" --seed "$seed" --out "$run" $resume > "$run.log" 2>&1
  touch "$run/done"
}

for s in $SEEDS; do
  for name in sft-arith sft-know; do
    if [ -n "$REUSE" ] && [ ! -e "$OUT/$name-s$s" ] && [ -f "$REUSE/$name-s$s/done" ] && cmp -s "$REUSE/$name.json" "$OUT/$name.json"; then
      ln -s "$(cd "$REUSE" && pwd)/$name-s$s" "$OUT/$name-s$s"
      echo "$(date +%T) reuse $REUSE/$name-s$s"
    fi
  done
  for name in sft-arith sft-know sft-prog sft-mix; do train sft "$OUT/$name.json" "$OUT/$name-s$s" "$s"; done
  echo "{\"base\":\"zoo/base-m\",\"tasks\":[{\"task\":\"arithmetic\",\"model\":\"$OUT/sft-arith-s$s\"},{\"task\":\"knowledge\",\"model\":\"$OUT/sft-know-s$s\"},{\"task\":\"programs\",\"model\":\"$OUT/sft-prog-s$s\"}],\"coreFraction\":0.01,\"variant\":\"with-reasoning\",\"format\":\"code\",\"world\":$WORLD}" > "$OUT/cpi-ft-s$s.json"
  train cpi-ft "$OUT/cpi-ft-s$s.json" "$OUT/cpi-ft-s$s" "$s"
  if [ ! -f "$OUT/audit-s$s.json" ]; then
    echo "$(date +%T) audit seed $s"
    $FT audit --base "builtin:zoo/base-m" --base-format raw \
      --tuned "builtin:$OUT/sft-arith-s$s" "builtin:$OUT/sft-know-s$s" "builtin:$OUT/sft-prog-s$s" "builtin:$OUT/sft-mix-s$s" "builtin:$OUT/cpi-ft-s$s" --tuned-format chat \
      --probes task.accuracy --suite arithmetic knowledge programs --split id --n "$N" --world "$OUT/world.json" --no-same-format --store "$OUT/store" --json --quiet > "$OUT/audit-s$s.json.tmp"
    mv "$OUT/audit-s$s.json.tmp" "$OUT/audit-s$s.json"
  fi
done
# F_s: the fused start of C_s alone (`ftledger merge` cpi of A_s, K_s, P_s; the same function), to
# separate what the fusion gives from what the frozen fine-tune adds
for s in $SEEDS; do
  if [ ! -f "$OUT/fused-s$s/ftledger-weights.json" ]; then
    printf 'merge_method: cpi\nbase_model: zoo/base-m\nmodels:\n' > "$OUT/fused-s$s.yaml"
    for name in sft-arith sft-know sft-prog; do printf '  - model: %s\n    parameters: { core_fraction: 0.01 }\n' "$OUT/$name-s$s" >> "$OUT/fused-s$s.yaml"; done
    echo "$(date +%T) merge fused seed $s"
    $FT merge "$OUT/fused-s$s.yaml" --out "$OUT/fused-s$s" --quiet
  fi
  if [ ! -f "$OUT/audit-fused-s$s.json" ]; then
    echo "$(date +%T) audit fused seed $s"
    $FT audit --base "builtin:zoo/base-m" --base-format raw --tuned "builtin:$OUT/fused-s$s" --tuned-format chat \
      --probes task.accuracy --suite arithmetic knowledge programs --split id --n "$N" --world "$OUT/world.json" --no-same-format --store "$OUT/store" --json --quiet > "$OUT/audit-fused-s$s.json.tmp"
    mv "$OUT/audit-fused-s$s.json.tmp" "$OUT/audit-fused-s$s.json"
  fi
done
node node_modules/tsx/dist/cli.mjs scripts/experiments/pool-cpift.ts "$OUT" $SEEDS | tee "$OUT/claim9-cpift.txt"
