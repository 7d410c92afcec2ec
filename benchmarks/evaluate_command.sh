#!/usr/bin/env bash
# Speed benchmark of `safer evaluate` (Release build), issue 18's target: a synthetic control with
# 1,000 donor LSOAs, 36 months and 999 placebo areas in 10 s or less. safer-town makes 1,050
# LSOA-like areas and 36 months (2021-01 to 2023-12) of 750,000 police.uk rows, about two
# neighbourhood crimes per LSOA a month, with an intervention in 4 LSOAs from 2023-01; the target
# and its 250 m buffer leave over 1,000 donor LSOAs. Reports the whole command (CSV in;
# GeoPackage, CSV and report out) and its synthetic-control step (999 placebo areas), best of 3.
# usage: benchmarks/evaluate_command.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target safer safer-town >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
TOWN="$WORK/evaluate-town"
if [ ! -f "$TOWN/intervention.txt" ]; then
    echo "generating 750,000 rows over 36 months and 1,050 areas in $TOWN"
    "$BUILD/fixtures/safer-town" --seed 3 --areas 1050 --months 36 --start 2021-01 --incidents 750000 --intervention 2023-01 -o "$TOWN" -q
fi
cat "$TOWN"/crimes/*/*.csv >/dev/null # warm the page cache for every run alike
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
best=999999; rss=0; step=999999
for i in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$BUILD/tools/safer" evaluate --overwrite --no-pdf --crimes "$TOWN/crimes" --areas "$TOWN/lsoas.geojson" \
        --target "$TOWN/intervention.geojson" --start 2023-01 --placebos 999 -o "$WORK/evaluate.gpkg" --csv "$WORK/evaluate.csv" \
        --report "$WORK/evaluate.html" 2>"$WORK/evaluate.err" || { cat "$WORK/evaluate.err"; exit 1; }
    read -r wall kb <"$WORK/time.txt"
    s=$(sed -n 's/.*synthetic control: \([0-9]*\) placebo areas: done in \([0-9.]*\) s/\2/p' "$WORK/evaluate.err")
    placebos=$(sed -n 's/.*synthetic control: \([0-9]*\) placebo areas: done in.*/\1/p' "$WORK/evaluate.err")
    best=$(echo "$wall $best" | awk '{print ($1 < $2) ? $1 : $2}')
    step=$(echo "$s $step" | awk '{print ($1 < $2) ? $1 : $2}')
    [ "$kb" -gt "$rss" ] && rss=$kb
done
donors=$(sed -n 's/.*The control is the [0-9]* LSOAs, of the \([0-9]*\) clear.*/\1/p' "$WORK/evaluate.err")
rows=$(sed -n 's/.*read \([0-9,]*\) rows from.*/\1/p' "$WORK/evaluate.err" | tr -d ,)
echo "  $rows rows read; $donors donor LSOAs (clear of the target and its 250 m buffer); $placebos placebo areas; 36 months"
printf 'safer evaluate, synthetic control with its placebos  best of 3: %6.2f s\n' "$step"
printf 'safer evaluate, whole command                        best of 3: %6.2f s wall, peak RSS %d MB\n' "$best" "$((rss / 1024))"
awk -v t="$step" 'BEGIN { exit !(t <= 10) }' && echo "target (synthetic control, 999 placebos, 1,000 donors, 36 months, at most 10 s): met" \
    || echo "target (at most 10 s): NOT met"
