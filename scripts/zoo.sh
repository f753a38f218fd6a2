#!/usr/bin/env bash
# Pre-train and ship zoo models one after another (docs/ZOO.md):
#   nohup scripts/zoo.sh base-s base-m base-l > runs/zoo.log 2>&1 &
# Resumable: a model whose run folder already has a run.json continues from its last
# checkpoint (the run's own config and seed), then its final checkpoint is shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- base-s base-m base-l
for name in "$@"; do
  out="runs/zoo-$name"
  if [ -f "$out/run.json" ]; then
    node bin/ftledger.js lab train pretrain --out "$out" --resume --every 500
  else
    node bin/ftledger.js lab train pretrain --config "zoo/recipes/$name.json" --seed 1 --out "$out" --every 500
  fi
  node scripts/ship-zoo.mjs "$name" "$out"
done
