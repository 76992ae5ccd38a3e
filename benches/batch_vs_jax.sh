#!/usr/bin/env bash
# The e+e- -> mu+mu- batch bench in Rust (its summary table only), then the same functions in JAX
# (benches/jax_batch.py, same table format), in one session. Extra arguments go to the JAX script,
# e.g. `benches/batch_vs_jax.sh --threads all`. Without JAX installed the script says so and the
# Rust table still stands.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench batch -- --warm-up-time 1 --measurement-time 2 summary
python3 benches/jax_batch.py "$@"
