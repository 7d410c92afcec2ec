#!/usr/bin/env bash
# Speed benchmark of the foundation (Release build): ingest and assign 1,000,000 police.uk rows,
# made by safer-town, to 35,000 synthetic Voronoi polygons. Reports wall time and peak memory of
# `safer areas`, and, where gdal-bin is installed, ogr2ogr converting the same CSVs to GeoPackage.
# usage: benchmarks/ingest_assign.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF -DSAFER_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
if [ ! -f "$WORK/town/README.txt" ]; then
    echo "generating 1,000,000 rows and 35,000 areas in $WORK/town"
    "$BUILD/fixtures/safer-town" --seed 1 --areas 35000 --incidents 1000000 -o "$WORK/town"
fi
# Areas as GeoPackage, as a user would keep 35,000 polygons.
[ -f "$WORK/areas.gpkg" ] || ogr2ogr -f GPKG "$WORK/areas.gpkg" "$WORK/town/lsoas.geojson" -nln areas
rows=$(cat "$WORK"/town/crimes/*/*.csv | wc -l)
echo "input: $((rows - 12)) rows in 12 files, $(du -sh "$WORK/town/crimes" | cut -f1); 35,000 areas"
cat "$WORK"/town/crimes/*/*.csv >/dev/null # warm the page cache for every run alike

run() { # label, command...
    local label="$1"; shift
    local best=999999 rss=0
    for i in 1 2 3; do
        /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || { cat "$WORK/stderr.txt"; exit 1; }
        read -r wall kb <"$WORK/time.txt"
        best=$(echo "$wall $best" | awk '{print ($1 < $2) ? $1 : $2}')
        [ "$kb" -gt "$rss" ] && rss=$kb
    done
    printf '%-48s best of 3: %6.2f s wall, peak RSS %5d MB\n' "$label" "$best" "$((rss / 1024))"
    echo "$best" >"$WORK/last.txt"
}
run "safer areas (ingest + assign + write areas)" "$BUILD/tools/safer" areas -q --overwrite \
    --crimes "$WORK/town/crimes" --areas "$WORK/areas.gpkg" --population "$WORK/town/population.csv" -o "$WORK/areas-out.gpkg"
ours=$(cat "$WORK/last.txt")
grep -E "done in" "$WORK/stderr.txt" || true
if command -v ogr2ogr >/dev/null; then
    cat "$WORK"/town/crimes/*/*.csv | awk 'NR == 1 || !/^Crime ID,/' >"$WORK/all.csv"
    run "ogr2ogr police CSV -> GeoPackage (one file)" ogr2ogr -f GPKG -overwrite "$WORK/ogr.gpkg" "$WORK/all.csv" \
        -oo X_POSSIBLE_NAMES=Longitude -oo Y_POSSIBLE_NAMES=Latitude -a_srs EPSG:4326 -nln incidents
    peer=$(cat "$WORK/last.txt")
    echo "ratio ogr2ogr / safer areas: $(echo "$peer $ours" | awk '{printf "%.1f", $1 / $2}')"
    SAFER_BENCH_CSV="$WORK/town/crimes/2023-01/2023-01-synthtown-street.csv" "$BUILD/benchmarks/csv_read_bench" --benchmark_min_time=1
fi
