#!/usr/bin/env bash
# The lab experiment for claim 10 (SoftCoT, Xu et al. 2025, arXiv 2502.12134): does a frozen
# zoo/base-m, given k = 4 soft thoughts from zoo/base-s through a trained projection, gain on the
# world's arithmetic — and keep its closed-book recall — against a full sft fine-tune on the same
# examples for the same number of steps? Three seeds each.
#
#   softcot-s   softcot recipe: backbone zoo/base-m (frozen), assistant zoo/base-s (frozen), projection trains
#   sft-s       sft recipe: the whole of zoo/base-m trains (same examples, same schedule and steps)
#   softcot-raw-s  softcot in the backbone's own raw frame, where base-m already solves some items
#                  zero-shot (the paper's setting); sft has no raw frame, so this arm is against the base
#
# Both with-reasoning (each item's own solution format) in a harder world (2–4 operations,
# operands ≤ 49, as claim9.sh's WORLD example). Then:
#   1. greedy accuracy on the first N id items (unseen by both: they train on items ≥ 1000), chat
#      frame, for the base, each softcot run and each sft run (claim10-eval.ts);
#   2. one audit of closed-book recall (knowledge.retention, ranking; the knowledge task's own raw
#      frame, which neither fine-tune saw, and the chat frame) of the base against the three sft
#      runs and against the softcot runs' backbone (the checkpoint its softcot.json names);
#   3. the seeds pooled, intervals over seeds × items (claim10-pool.ts).
# Resumable: finished runs, evaluations and the audit are reused; a killed run resumes.
# Run from the repository root:  bash scripts/experiments/claim10-softcot.sh [OUT]
set -euo pipefail
OUT=${1:-runs/claim10}
N=${N:-200}
NK=${NK:-200}
STEPS=${STEPS:-150}
SEEDS=${SEEDS:-"1 2 3"}
FT="nice -n 5 node --import tsx src/cli/main.ts"
TSX="nice -n 5 node --import tsx"
WORLD=${WORLD:-'{"arithmetic":{"minSteps":2,"maxSteps":4,"operandMax":49}}'}
mkdir -p "$OUT"
echo "$WORLD" > "$OUT/world.json"
echo "{\"backbone\":\"zoo/base-m\",\"assistant\":\"zoo/base-s\",\"k\":4,\"variant\":\"with-reasoning\",\"world\":$WORLD}" > "$OUT/softcot.json"
echo "{\"backbone\":\"zoo/base-m\",\"assistant\":\"zoo/base-s\",\"k\":4,\"frame\":\"raw\",\"variant\":\"with-reasoning\",\"world\":$WORLD}" > "$OUT/softcot-raw.json"
echo "{\"base\":\"zoo/base-m\",\"task\":\"arithmetic\",\"variant\":\"with-reasoning\",\"world\":$WORLD}" > "$OUT/sft.json"

train() { # recipe name seed
  local run="$OUT/$2-s$3"
  [ -f "$run/done" ] && return 0
  local resume=""; [ -d "$run/checkpoints" ] && resume="--resume"
  local steps="--steps $STEPS"; [ -n "$resume" ] && steps=""
  echo "$(date +%T) train $2 seed $3"
  $FT lab train "$1" --config "$OUT/$2.json" --seed "$3" --out "$run" --every 50 $steps $resume > "$run.log" 2>&1
  touch "$run/done"
}
evaluate() { # name kind path [frame]
  [ -f "$OUT/eval-$1.json" ] && return 0
  echo "$(date +%T) eval $1"
  FRAME=${4:-chat} $TSX scripts/experiments/claim10-eval.ts "$OUT/eval-$1.json.tmp" "$OUT/world.json" "$N" "$2" "$3"
  mv "$OUT/eval-$1.json.tmp" "$OUT/eval-$1.json"
}

evaluate base plain zoo/base-m
for s in $SEEDS; do
  train softcot softcot "$s"
  evaluate "softcot-s$s" softcot "$OUT/softcot-s$s"
  train sft sft "$s"
  evaluate "sft-s$s" plain "$OUT/sft-s$s"
done
# the paper's setting: soft thoughts for a backbone already competent zero-shot, in its own (raw) frame
evaluate base-raw plain zoo/base-m raw
for s in $SEEDS; do
  train softcot softcot-raw "$s"
  evaluate "softcot-raw-s$s" softcot "$OUT/softcot-raw-s$s" raw
done
# the softcot runs' backbone, as their checkpoints name it (every seed's is the same frozen model)
backbone=$(node -e 'const fs=require("fs"),p=require("path");const d=p.join(process.argv[1],"checkpoints");const s=fs.readdirSync(d).filter(n=>/^step-\d+$/.test(n)).sort().at(-1);console.log(JSON.parse(fs.readFileSync(p.join(d,s,"softcot.json"),"utf8")).backbone.checkpoint)' "$OUT/softcot-s${SEEDS%% *}")
tuned=""; for s in $SEEDS; do tuned="$tuned builtin:$OUT/sft-s$s"; done
for frame in chat raw; do # audit.json: tuned models in the chat frame; audit-raw.json: in the raw frame
  f="$OUT/audit.json"; [ $frame = raw ] && f="$OUT/audit-raw.json"
  [ -f "$f" ] && continue
  echo "$(date +%T) audit (recall, tuned in the $frame frame)"
  $FT audit --base builtin:zoo/base-m --base-format raw --tuned $tuned "builtin:$backbone" --tuned-format $frame \
    --probes knowledge.retention --suite knowledge --n "$NK" --world "$OUT/world.json" --store "$OUT/store" --json --quiet > "$f.tmp"
  mv "$f.tmp" "$f"
done
$TSX scripts/experiments/claim10-pool.ts "$OUT" $SEEDS | tee "$OUT/claim10.txt"
