#!/usr/bin/env bash
# Pre-train the zoo's base models one after another (docs/ZOO.md). Resumable: a run whose
# folder already has a run.json continues from its last checkpoint. Run in the background:
#   nohup scripts/pretrain-zoo.sh medium small large > runs/zoo.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
for name in "${@:-small medium large}"; do
  out="runs/zoo-$name"
  if [ -f "$out/run.json" ]; then
    node bin/ftledger.js lab train pretrain --out "$out" --resume --every 500
  else
    node bin/ftledger.js lab train pretrain --config "zoo/recipes/$name.json" --seed 1 --out "$out" --every 500
  fi
done
