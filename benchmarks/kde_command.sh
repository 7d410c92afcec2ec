#!/usr/bin/env bash
# Speed benchmark of `safer kde` (Release build): 1,000,000 police.uk rows made by safer-town over
# a 40 km x 40 km town, quartic kernel, h = 400 m, 25 m cells, CSV in and GeoPackage out.
# Reports best-of-3 wall time and peak memory of the whole command and of its density step,
# the engine's cell-update rate (kde_bench), and, where QGIS is installed, qgis_process's heatmap
# on the same points in the same run.
# usage: benchmarks/kde_command.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF -DSAFER_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
TOWN="$WORK/kde-town"
if [ ! -f "$TOWN/README.txt" ]; then
    echo "generating 1,000,000 rows over a 40 km x 40 km town (4,000 areas) in $TOWN"
    "$BUILD/fixtures/safer-town" --seed 2 --areas 4000 --incidents 1000000 -o "$TOWN" -q
fi
cat "$TOWN"/crimes/*/*.csv >/dev/null # warm the page cache for every run alike
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

best=999999; rss=0; density=999999
for i in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$BUILD/tools/safer" kde --overwrite --crimes "$TOWN/crimes" \
        --bandwidth 400 --cell 25 -o "$WORK/kde-out.gpkg" 2>"$WORK/kde.err" || { cat "$WORK/kde.err"; exit 1; }
    read -r wall kb <"$WORK/time.txt"
    d=$(sed -n 's/.*estimating the density:.* done in \([0-9.]*\) s.*/\1/p' "$WORK/kde.err")
    best=$(echo "$wall $best" | awk '{print ($1 < $2) ? $1 : $2}')
    density=$(echo "$d $density" | awk '{print ($1 < $2) ? $1 : $2}')
    [ "$kb" -gt "$rss" ] && rss=$kb
done
grep -E "kernel quartic|incidents of" "$WORK/kde.err" | sed 's/^safer: /  /'
printf 'safer kde, whole command (CSV in, GeoPackage out)  best of 3: %6.2f s wall, peak RSS %d MB\n' "$best" "$((rss / 1024))"
printf 'safer kde, density step                            best of 3: %6.2f s\n' "$density"
if [ -x "$BUILD/benchmarks/kde_bench" ]; then
    echo "engine (kde_bench, medians of 5):"
    "$BUILD/benchmarks/kde_bench" 2>/dev/null | grep -E "_median" | sed 's/^/  /' || true
fi

QGIS=/usr/bin/qgis_process.bin
if [ -x "$QGIS" ]; then
    # The same incidents as points in EPSG:27700 (from safer's own ingest), then QGIS's heatmap
    # with the same radius and cell; its start-up is part of its time, as a user would see it.
    "$BUILD/tools/safer" ingest -q --overwrite --crimes "$TOWN/crimes" -o "$WORK/kde-points.gpkg"
    export QT_QPA_PLATFORM=offscreen
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$QGIS" run qgis:heatmapkerneldensityestimation -- \
        INPUT="$WORK/kde-points.gpkg|layername=incidents" RADIUS=400 PIXEL_SIZE=25 KERNEL=0 OUTPUT_VALUE=0 \
        OUTPUT="$WORK/qgis-heatmap.tif" >"$WORK/qgis.log" 2>&1 || { tail -5 "$WORK/qgis.log"; exit 1; }
    read -r qwall qkb <"$WORK/time.txt"
    printf 'QGIS heatmap (qgis_process), same points           one run:    %6.2f s wall, peak RSS %d MB\n' "$qwall" "$((qkb / 1024))"
    echo "ratio QGIS / safer kde: $(echo "$qwall $best" | awk '{printf "%.1f", $1 / $2}')"
else
    echo "QGIS is not installed here (no $QGIS): no QGIS comparison in this run"
fi
