#!/usr/bin/env bash
# Speed benchmark of `safer bid` (Release build) on the real Avon and Somerset data: 179,878
# police.uk rows, 1,005 LSOAs, IoD 2019 population and IMD, district comparison, report included;
# then the same with Bristol's 49,451 street lights and a GBP 431,185 budget (the intervention
# plan for the top candidate). Best of 3 wall time and peak memory of each.
# usage: benchmarks/bid_command.sh [BUILD_DIR] [WORK_DIR]   (SAFER_DATA_DIR: default ../shared/data)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench}"
DATA="${SAFER_DATA_DIR:-$ROOT/../shared/data}"
AS="$DATA/avon-and-somerset"
POP="$DATA/england/imd2019/File_6_-_IoD2019_Population_Denominators.csv.gz"
IMD="$DATA/england/imd2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF -DSAFER_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
cat "$AS"/crime/street/* "$POP" "$IMD" "$AS/assets/bristol/streetlights.csv.gz" >/dev/null # warm the page cache
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # label, extra arguments...
    local label="$1"; shift
    local best=999999 rss=0
    for i in 1 2 3; do
        /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$BUILD/tools/safer" bid -q --overwrite --crimes "$AS/crime/street" \
            --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" --imd "$IMD" \
            --compare-by "Local Authority District name (2019)" "$@" -o "$WORK/bid.gpkg" --report "$WORK/bid.html" \
            2>"$WORK/bid.err" || { cat "$WORK/bid.err"; exit 1; }
        read -r wall kb <"$WORK/time.txt"
        best=$(echo "$wall $best" | awk '{print ($1 < $2) ? $1 : $2}')
        [ "$kb" -gt "$rss" ] && rss=$kb
    done
    printf '%-58s best of 3: %6.2f s wall, peak RSS %d MB\n' "$label" "$best" "$((rss / 1024))"
}
run "safer bid (areas, Gi*, targets, KDE, CSVs, report)"
run "safer bid + Bristol street lights, budget GBP 431,185" --lighting "$AS/assets/bristol/streetlights.csv.gz" --budget 431185
