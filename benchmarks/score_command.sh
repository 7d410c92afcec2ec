#!/usr/bin/env bash
# Speed benchmark of `safer score` (Release build): the whole command on 13 months of Avon and
# Somerset police.uk crime (179,878 rows), the force's 1,005 LSOAs and Bristol's 49,451 street
# lights (../shared/data), 100 m cells, with a GBP 500,000 budget plan. Reports best-of-3 wall
# time and peak memory, the machine's load, and the coverage kernels (score_bench).
# usage: benchmarks/score_command.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-score-bench}"
WORK="${2:-$ROOT/out/bench}"
DATA="${SAFER_DATA_DIR:-$ROOT/../shared/data}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF -DSAFER_BENCHMARKS=ON -DSAFER_DATA_DIR="$DATA" >/dev/null
cmake --build "$BUILD" -j "${JOBS:-1}" --target safer score_bench >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
A="$DATA/avon-and-somerset"
cat "$A"/crime/street/*.csv.gz "$A/assets/bristol/streetlights.csv.gz" "$A/boundaries/lsoa_2011_avon_and_somerset.geojson" >/dev/null
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
best=999999; rss=0; user=0
for i in 1 2 3; do
    /usr/bin/time -f '%e %M %U' -o "$WORK/time.txt" "$BUILD/tools/safer" score --overwrite --crimes "$A/crime/street" \
        --areas "$A/boundaries/lsoa_2011_avon_and_somerset.geojson" --lighting "$A/assets/bristol/streetlights.csv.gz" \
        --budget 500000 -o "$WORK/score-avon.gpkg" 2>"$WORK/score.err" || { cat "$WORK/score.err"; exit 1; }
    read -r wall kb u <"$WORK/time.txt"
    if awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$wall; user=$u; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
done
grep -E "done in|lighting:|budget plan|method" "$WORK/score.err" | sed 's/^safer: /  /'
printf 'safer score, whole command (Avon and Somerset + Bristol lights)  best of 3: %6.2f s wall (%s s user), peak RSS %d MB\n' "$best" "$user" "$((rss / 1024))"
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/benchmarks/score_bench" --benchmark_min_time=1 2>/dev/null | grep -E "^[a-z_0-9]+/|Benchmark|---" || true
