#!/usr/bin/env bash
# The measurements of docs/performance.md: every scenario RUNS times (default 3) against a
# freshly spawned release gateway, each report kept as JSON, and the medians printed.
#
#   bench/run.sh                      # everything, 60 s open-loop runs (about 25 minutes)
#   DURATION=10 RUNS=1 bench/run.sh   # a quick look
#   bench/run.sh open1k closed        # only some scenarios
#
# Scenarios: closed (4, 16, 64, 256 connections), open1k, open10k, ceiling, kill.
# Needs cargo, jq and a Linux /proc. Waits for the machine to be otherwise idle before each run.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-60}
SHORT=${SHORT:-20}
WARMUP=${WARMUP:-5}
OUT=${OUT:-bench/results/$(date -u +%Y%m%dT%H%M%SZ)}
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(closed open1k open10k ceiling kill)

command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

cargo build --release --locked -p tidegate >&2
cargo build --release --locked -p tidegate-bench --example tidegate-bench >&2
GATEWAY=target/release/tidegate
# `tidegate bench` once the subcommand is wired into the CLI; until then the example binary,
# which has the same command line.
if "$GATEWAY" bench --help >/dev/null 2>&1; then
    BENCH=("$GATEWAY" bench)
    CEILING_BINARY=$GATEWAY
else
    BENCH=(target/release/examples/tidegate-bench bench)
    CEILING_BINARY=target/release/examples/tidegate-bench
fi
mkdir -p "$OUT"
echo "results in $OUT" >&2

# Percentage of both CPUs busy over two seconds (all processes).
busy() {
    local a b
    read -r -a a < <(head -1 /proc/stat)
    sleep 2
    read -r -a b < <(head -1 /proc/stat)
    local total=0 idle=$(( (b[4] + b[5]) - (a[4] + a[5]) ))
    for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
    echo $(( 100 * (total - idle) / (total > 0 ? total : 1) ))
}

# Measurements are only worth keeping on an otherwise idle machine: wait (up to 10 minutes)
# until less than 10% of it is busy, and record how busy it was.
wait_for_idle() {
    local load
    for _ in $(seq 1 120); do
        load=$(busy)
        [ "$load" -lt 10 ] && { echo "$load"; return; }
        sleep 3
    done
    echo "$load"
}

# run NAME ARGS...: RUNS runs of one scenario into $OUT/NAME-N.json.
run() {
    local name=$1
    shift
    for n in $(seq 1 "$RUNS"); do
        local before
        before=$(wait_for_idle)
        echo "== $name run $n (machine ${before}% busy before)" >&2
        "${BENCH[@]}" --quiet --json "$@" > "$OUT/$name-$n.json" || echo "!! $name run $n failed its checks" >&2
        jq --arg busy "$before" '. + {machine_busy_percent_before: ($busy | tonumber)}' "$OUT/$name-$n.json" > "$OUT/$name-$n.tmp"
        mv "$OUT/$name-$n.tmp" "$OUT/$name-$n.json"
    done
}

for scenario in "${SCENARIOS[@]}"; do
    case $scenario in
        closed)
            for connections in 4 16 64 256; do
                run "closed-$connections" --spawn "$GATEWAY" --connections "$connections" --duration "$SHORT" --warmup "$WARMUP"
            done
            ;;
        open1k) run open-1000 --spawn "$GATEWAY" --rate 1000 --duration "$DURATION" --warmup "$WARMUP" ;;
        open10k) run open-10000 --spawn "$GATEWAY" --rate 10000 --duration "$DURATION" --warmup "$WARMUP" ;;
        ceiling)
            for connections in 16 64; do
                run "ceiling-$connections" --spawn "$CEILING_BINARY" --ceiling --connections "$connections" --duration "$SHORT" --warmup "$WARMUP"
            done
            ;;
        kill) run kill --spawn "$GATEWAY" --connections 64 --duration 30 --warmup "$WARMUP" --kill-after 15 ;;
        *) echo "unknown scenario $scenario" >&2; exit 2 ;;
    esac
done

bench/summarize.sh "$OUT"
