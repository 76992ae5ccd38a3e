#!/usr/bin/env bash
# Regenerate the seed corpora under fuzz/seeds/<target>/ from real files: the CLI's default
# design configuration, a tiny design study (its checkpoint), LHE files from `diffhep events`,
# and the API-made files of examples/seedgen.rs (param cards, FAB checkpoints of small trained
# flows, flows, networks, names). Every seed stays well under 100 kB.
#
# Usage: fuzz/seed.sh   (builds the CLI and seedgen in release mode; uses $CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
seeds=$root/fuzz/seeds
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -p diffhep-cli
cargo build --release --manifest-path fuzz/Cargo.toml --example seedgen
cli=$CARGO_TARGET_DIR/release/diffhep

rm -rf "$seeds"
mkdir -p "$seeds"/{design_config,design_checkpoint,lhe}
"$CARGO_TARGET_DIR"/release/examples/seedgen "$seeds"

# Design configuration: the default, and a small study.
"$cli" design --print-default-config > "$seeds/design_config/default.toml"
sed -e 's/^vertex_events = .*/vertex_events = 200/' -e 's/^shower_samples = .*/shower_samples = 20/' \
    -e 's/^eval_vertex_events = .*/eval_vertex_events = 200/' \
    -e 's/^eval_shower_samples = .*/eval_shower_samples = 40/' -e 's/^steps = .*/steps = 2/' \
    "$seeds/design_config/default.toml" > "$seeds/design_config/small.toml"

# Design checkpoint: a 2-step study; also its design loop alone (DesignLoop<Evaluation>) and
# that loop with every report replaced by null (DesignLoop<()>).
"$cli" design --config "$seeds/design_config/small.toml" --out "$work/design" > /dev/null
cp "$work/design/checkpoint.json" "$seeds/design_checkpoint/checkpoint.json"
jq -c '.design_loop' "$work/design/checkpoint.json" > "$seeds/design_checkpoint/design_loop.json"
jq -c '.design_loop | .history.records |= map(.report = null)' "$work/design/checkpoint.json" \
    > "$seeds/design_checkpoint/design_loop_unit.json"

# LHE files: weighted and unweighted events of two processes.
"$cli" events --process ee_mumu --sqrt-s 91.188 --events 20 --out "$seeds/lhe/ee_mumu.lhe" > /dev/null
"$cli" events --process ee_ttbar_wbwb --sqrt-s 500 --events 10 --out "$seeds/lhe/ee_ttbar_wbwb.lhe" > /dev/null
"$cli" events --process ee_mumu --sqrt-s 91.188 --events 100 --unweighted --out "$seeds/lhe/ee_mumu_unweighted.lhe" > /dev/null

find "$seeds" -type f -size +100k -printf 'seed larger than 100 kB: %p\n' | { ! grep . ; }
find "$seeds" -type f | sort | while read -r f; do printf '%8d  %s\n' "$(wc -c < "$f")" "${f#"$root"/}"; done
