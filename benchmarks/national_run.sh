#!/usr/bin/env bash
# Speed and memory benchmark of `safer run` on a national year (Release build), issue 21's target:
# areas + bid + kde over 35,000 LSOA-like areas and 6.5 million police.uk rows from 43 forces in
# 15 s or less wall-clock and 1.5 GB or less peak memory. safer-town --forces 43 makes the input
# (one CSV per month and force, as data.police.uk unpacks them); the project file below runs the
# three jobs in one process, each input read once. Reports each run's wall-clock, CPU and peak RSS
# from /usr/bin/time -v and their median over RUNS runs; with --separately, the three commands one
# by one as well (each reading the 6.5 million rows again), for comparison.
# usage: benchmarks/national_run.sh [--separately] [BUILD_DIR] [WORK_DIR] [RUNS]
set -euo pipefail
SEPARATELY=0
if [ "${1:-}" = "--separately" ]; then SEPARATELY=1; shift; fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(realpath -m "${1:-$ROOT/build-bench}")"
WORK="$(mkdir -p "${2:-$ROOT/out/bench}" && cd "${2:-$ROOT/out/bench}" && pwd)"
RUNS="${3:-3}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target safer safer-town >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
NATION="$WORK/national"
if [ ! -f "$NATION/README.txt" ]; then
    echo "generating 6.5 million rows over 12 months, 35,000 areas and 43 forces in $NATION"
    "$BUILD/fixtures/safer-town" --seed 1 --areas 35000 --incidents 6500000 --months 12 --start 2023-01 --forces 43 -o "$NATION" -q
fi
cat >"$WORK/national.toml" <<'TOML'
title = "A national year: 35,000 LSOA-like areas, 6.5 million police.uk rows, 43 forces (safer-town, synthetic)"
output = "national-run"

[inputs]
crimes = ["national/crimes"]
areas = "national/lsoas.geojson"
population = "national/population.csv"

[window]
from = "2023-01"
to = "2023-12"

[jobs.areas]

[jobs.bid]
no_pdf = true

[jobs.kde]
bandwidth = 400
cell = 100
TOML
cat "$NATION"/crimes/*/*.csv "$NATION"/lsoas.geojson >/dev/null # warm the page cache for every run alike
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
files=$(find "$NATION/crimes" -name '*.csv' | wc -l)
echo "input: $(sed -n 1p "$NATION/README.txt" | sed 's/.*made by //') -- $files CSV files, $(du -sh "$NATION/crimes" | cut -f1)"

# One timed command: prints "wall user sys rss_kb" from /usr/bin/time -v.
timed() {
    local log="$1"; shift
    /usr/bin/time -v -o "$WORK/time.txt" "$@" 2>"$log" || { tail -20 "$log" >&2; echo "failed: $*" >&2; exit 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); w = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
                /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident set size/ { m = $2 }
                END { printf "%.2f %.2f %.2f %d\n", w, u, s, m }' "$WORK/time.txt"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$WORK/national-runs.txt"
for i in $(seq "$RUNS"); do
    read -r wall user sys kb < <(cd "$WORK" && timed "$WORK/national-run.err" "$BUILD/tools/safer" run --overwrite national.toml)
    jobs=$(sed -n 's/.*job \([a-z]*\) done in \([0-9.]*\) s/\1 \2 s/p' "$WORK/national-run.err" | paste -sd, - | sed 's/,/, /g')
    printf 'run %d: %6.2f s wall, %6.2f s user, %5.2f s sys, peak RSS %5d MB (jobs: %s)\n' "$i" "$wall" "$user" "$sys" "$((kb / 1024))" "$jobs"
    echo "$wall $kb" >>"$WORK/national-runs.txt"
done
wall=$(cut -d' ' -f1 "$WORK/national-runs.txt" | median)
kb=$(cut -d' ' -f2 "$WORK/national-runs.txt" | sort -n | tail -1)
rows=$(sed -n 's/.*ran [0-9]* jobs in .*: \([0-9]*\) incident rows read.*/\1/p' "$WORK/national-run.err")
printf 'safer run (areas + bid + kde), %s rows: median of %d runs %.2f s wall, largest peak RSS %d MB\n' "$rows" "$RUNS" "$wall" "$((kb / 1024))"
awk -v t="$wall" -v m="$kb" 'BEGIN { exit !(t <= 15 && m <= 1.5 * 1024 * 1024) }' && echo "target (at most 15 s and 1.5 GB): met" \
    || echo "target (at most 15 s and 1.5 GB): NOT met"

if [ "$SEPARATELY" = 1 ]; then
    N="$NATION"
    common=(--crimes "$N/crimes" --areas "$N/lsoas.geojson" --from 2023-01 --to 2023-12 --overwrite)
    total=0
    for job in areas bid kde; do
        case $job in
        areas) extra=(--population "$N/population.csv" -o "$WORK/sep-areas.gpkg") ;;
        bid) extra=(--population "$N/population.csv" --no-pdf -o "$WORK/sep-bid.gpkg" --report "$WORK/sep-bid.html") ;;
        kde) extra=(--bandwidth 400 --cell 100 -o "$WORK/sep-kde.gpkg") ;;
        esac
        read -r wall user sys kb < <(timed "$WORK/sep-$job.err" "$BUILD/tools/safer" "$job" "${common[@]}" "${extra[@]}")
        printf 'safer %-5s alone: %6.2f s wall, peak RSS %5d MB\n' "$job" "$wall" "$((kb / 1024))"
        total=$(echo "$total $wall" | awk '{print $1 + $2}')
    done
    printf 'the three commands one by one: %.2f s wall together\n' "$total"
fi
