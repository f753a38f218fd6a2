#!/usr/bin/env bash
# LoRA vs full fine-tuning (Hu et al. 2021, arXiv 2106.09685; the "learns less, forgets less"
# question of Biderman et al. 2024, arXiv 2405.09673) on zoo/base-m: the sft recipe's
# arithmetic task with reasoning (code format) in a harder world, per fine-tuning seed s
#
#   full_s   sft, every weight trained (the recipe's defaults: lr 1e-3 → 1e-4)
#   lora_s   the same sft with "adapter": r 8, alpha 16, q_proj + v_proj (the adapter field's
#            defaults), lr 5e-3 → 5e-4 (5× full's: LoRA wants a larger rate; fixed before any run)
#
# then lora_s merged into the base (`ftledger lora merge`) and one audit per seed with
# zoo/base-m (raw format) as the base and full_s, lora_s (chat format) as tuned models:
# task.accuracy on N unseen arithmetic items (gained) and knowledge.retention's closed-book
# recall on N knowledge items (lost), each tuned model scored in its own chat format and in the
# base's raw format (a frame the fine-tune never trained on: docs/ZOO.md, lab rule 4), pooled
# over seeds (lora-vs-full-pool.ts). Resumable:
# finished runs, merges and audits are reused. Run from the repository root:
#   bash scripts/experiments/lora-vs-full.sh [OUT]
# Knobs (env): SEEDS (default "1 2 3"), N (items per suite, default 150), STEPS (default 150: the
# full fine-tune's loss is at ~0.1 by step 30), CLI (the ftledger entry point, default the sources).
set -euo pipefail
OUT=${1:-runs/lora-vs-full}
N=${N:-150}
SEEDS=${SEEDS:-"1 2 3"}
STEPS=${STEPS:-150}
FT="nice -n 5 node --import tsx ${CLI:-src/cli/main.ts}"
WORLD=${WORLD:-'{"arithmetic":{"minSteps":2,"maxSteps":4,"operandMax":49}}'}
mkdir -p "$OUT"
echo "$WORLD" > "$OUT/world.json"
SFT="\"base\":\"zoo/base-m\",\"task\":\"arithmetic\",\"variant\":\"with-reasoning\",\"format\":\"code\",\"world\":$WORLD"
echo "{$SFT,\"train\":{\"steps\":$STEPS}}" > "$OUT/full.json"
echo "{$SFT,\"train\":{\"steps\":$STEPS,\"maxLr\":0.005,\"minLr\":0.0005},\"adapter\":{\"type\":\"lora\"}}" > "$OUT/lora.json"

for s in $SEEDS; do
  for name in full lora; do
    run="$OUT/$name-s$s"
    [ -f "$run/done" ] && continue
    resume=""; [ -d "$run/checkpoints" ] && resume="--resume"
    echo "$(date +%T) train $name seed $s"
    start=$(date +%s)
    $FT lab train sft --config "$OUT/$name.json" --seed "$s" --out "$run" $resume > "$run.log" 2>&1
    echo "$(( $(date +%s) - start ))" > "$run/wall_s"
    touch "$run/done"
  done
  if [ ! -f "$OUT/lora-s$s-merged/config.json" ]; then
    ck=$(ls -d "$OUT/lora-s$s"/checkpoints/step-* | tail -1)
    $FT lora merge zoo/base-m "$ck/adapter" --out "$OUT/lora-s$s-merged" --quiet > /dev/null
  fi
  if [ ! -f "$OUT/audit-s$s.json" ]; then
    echo "$(date +%T) audit seed $s"
    $FT audit --base builtin:zoo/base-m --base-format raw \
      --tuned "builtin:$OUT/full-s$s" "builtin:$OUT/lora-s$s-merged" --tuned-format chat \
      --probes task.accuracy knowledge.retention --suite arithmetic knowledge --split id --n "$N" --world "$OUT/world.json" \
      --store "$OUT/store" --json --quiet > "$OUT/audit-s$s.json.tmp"
    mv "$OUT/audit-s$s.json.tmp" "$OUT/audit-s$s.json"
  fi
done
node --import tsx scripts/experiments/lora-vs-full-pool.ts "$OUT" $SEEDS | tee "$OUT/lora-vs-full.txt"
