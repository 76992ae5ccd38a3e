#!/usr/bin/env bash
# Run every fuzz target for a fixed number of executions, one after another, one worker each.
#
# Usage: fuzz/run.sh [EXECS] [TARGET...]   (EXECS defaults to 1000000; all targets by default)
#
# Each target starts from a scratch copy of its seed corpus (fuzz/seeds/<target>/ plus
# fuzz/regressions/<target>/) in fuzz/scratch/corpus/<target>/ (git-ignored; the grown corpus is
# not committed), with a 10 s per-input timeout and a 2048 MB RSS/malloc limit. libFuzzer stops
# at the first crash; its input is left in fuzz/scratch/artifacts/<target>/ and the log in
# fuzz/scratch/logs/<target>.log. A table (target, executions, crashes, seconds) is printed at
# the end and written to fuzz/scratch/table.md.
#
# Toolchain: only stable Rust is needed; RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly
# flags (-Zsanitizer=address, sanitizer coverage). Set FUZZ_SANITIZER=none to build without
# AddressSanitizer. Set FUZZ_MAX_SECONDS=S to also stop each target after S seconds (the table
# then shows how many executions fitted).
set -uo pipefail
cd "$(dirname "$0")"
execs=${1:-1000000}
shift || true
all=(names param_card design_config design_checkpoint fab_checkpoint lhe flow network)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=("${all[@]}"); fi
sanitizer=${FUZZ_SANITIZER:-address}
limit=()
if [ -n "${FUZZ_MAX_SECONDS:-}" ]; then limit=(-max_total_time="$FUZZ_MAX_SECONDS"); fi
export RUSTC_BOOTSTRAP=1
# cargo-fuzz puts its build under fuzz/target unless CARGO_TARGET_DIR says otherwise.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$(pwd)/target}

cargo fuzz build --sanitizer "$sanitizer" --debug-assertions || exit 1

mkdir -p scratch/logs
rows=()
for t in "${targets[@]}"; do
    corpus=scratch/corpus/$t
    artifacts=scratch/artifacts/$t
    rm -rf "$corpus" "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    cp seeds/"$t"/* "$corpus"/ 2>/dev/null
    cp regressions/"$t"/* "$corpus"/ 2>/dev/null
    log=scratch/logs/$t.log
    start=$(date +%s)
    cargo fuzz run --sanitizer "$sanitizer" --debug-assertions "$t" "$corpus" -- \
        -runs="$execs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${limit[@]}" \
        -artifact_prefix="$artifacts/" > "$log" 2>&1
    status=$?
    secs=$(( $(date +%s) - start ))
    done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    if [ -z "$done_runs" ]; then
        done_runs=$(grep -o '^#[0-9]*' "$log" | tr -d '#' | tail -1)
    fi
    crashes=$(find "$artifacts" -type f | wc -l)
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes="? (exit $status)"; fi
    rows+=("| $t | ${done_runs:-?} | $crashes | $secs |")
    echo "$t: ${done_runs:-?} executions, $crashes crashes, $secs s (log $log)" >&2
done

{
    echo "| target | executions | crashes | seconds |"
    echo "|---|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
} | tee scratch/table.md
