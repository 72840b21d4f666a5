#!/usr/bin/env bash
# The medians of a results directory written by bench/run.sh, one line per scenario:
#
#   bench/summarize.sh bench/results/20260101T000000Z
set -euo pipefail
dir=${1:?usage: bench/summarize.sh RESULTS_DIR}

printf '%-14s %4s %9s %8s %8s %8s %8s %8s %7s %7s %7s %6s %s\n' \
    scenario runs per_s p50_ms p90_ms p99_ms p999_ms max_ms rss_idle rss_peak srv_cpu checks notes
for name in $(ls "$dir"/*.json | sed -E 's#.*/##; s#-[0-9]+\.json$##' | sort -uV); do
    # The median of each figure over the runs (taken figure by figure).
    jq -rs --arg name "$name" '
        def median: sort | .[(length / 2 | floor)];
        def m(f): map(f) | map(select(. != null)) | if length == 0 then null else median end;
        def mb: if . == null then "-" else (. * 1024 / 1000000 * 10 | round / 10 | tostring) end;
        [
          $name,
          length,
          (m(.throughput_per_s) | round),
          m(.latency_ms.p50), m(.latency_ms.p90), m(.latency_ms.p99), m(.latency_ms.p999), m(.latency_ms.max),
          (m(.server.rss_idle_kib) | mb), (m(.server.rss_peak_kib) | mb),
          (m(.server.cpu_cores) | if . == null then "-" else (. * 100 | round / 100 | tostring) end),
          (if all(.failures | length == 0) then "ok" else "FAILED" end),
          ([.[] | select(.kill != null) | "restart \(.kill.restart_ms | round) ms, replays \(.replays.confirmed)/\(.replays.replayed)"] | join("; "))
        ] | @tsv' "$dir/$name"-*.json |
        awk -F'\t' '{ printf "%-14s %4s %9s %8.3f %8.3f %8.3f %8.3f %8.3f %7s %7s %7s %6s %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }'
done
