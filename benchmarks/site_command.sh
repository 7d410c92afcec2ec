#!/usr/bin/env bash
# Speed benchmark of `safer site` (Release build) on the real Avon and Somerset data: one site,
# then 100 sites (400 m x 300 m rectangles on a grid over Bristol), with the LSOAs. Reports the
# whole command and the review step with the writing of the site layers ("once the data is
# loaded"), best of 3; then the same with guardianship assets (Bristol's 49,451 street lights, and
# Bath's OS roads as --paths, noded into a network: they reach no Bristol site, so they time the
# loading; 100 sites over Bath time the permeability review). Many sites: site_many.sh.
# usage: benchmarks/site_command.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench}"
DATA="${SAFER_DATA_DIR:-$ROOT/../shared/data}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF -DSAFER_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target safer >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
AS="$DATA/avon-and-somerset"
/usr/bin/python3 - "$WORK/sites-100.geojson" <<'PY'
import json, sys
features = []
for i in range(100):
    x0 = 355000 + (i % 10) * 800; y0 = 169000 + (i // 10) * 800
    ring = [[x0, y0], [x0 + 400, y0], [x0 + 400, y0 + 300], [x0, y0 + 300], [x0, y0]]
    features.append({"type": "Feature", "properties": {"ref": f"S{i + 1:03d}"}, "geometry": {"type": "Polygon", "coordinates": [ring]}})
json.dump({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}, "features": features}, open(sys.argv[1], "w"))
PY
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$WORK/sites-bath-100.geojson" <<'PY'
import json, sys
features = []
for i in range(100):
    x0 = 372000 + (i % 10) * 500; y0 = 162000 + (i // 10) * 500
    ring = [[x0, y0], [x0 + 400, y0], [x0 + 400, y0 + 300], [x0, y0 + 300], [x0, y0]]
    features.append({"type": "Feature", "properties": {"ref": f"B{i + 1:03d}"}, "geometry": {"type": "Polygon", "coordinates": [ring]}})
json.dump({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}, "features": features}, open(sys.argv[1], "w"))
PY
ASSETS=(--lighting "$AS/assets/bristol/streetlights.csv.gz" --paths "$AS/assets/bath-and-north-east-somerset/os_roads.geojson")
for run in 1 100 1+assets 100+assets 100-bath+assets; do
    n=${run%%[+-]*}
    case "$run" in
        1|1+assets) SITE="POLYGON((358600 172700,359000 172700,359000 173000,358600 173000,358600 172700))" ;;
        100-bath*) SITE="$WORK/sites-bath-100.geojson" ;;
        *) SITE="$WORK/sites-100.geojson" ;;
    esac
    extra=(); case "$run" in *assets) extra=("${ASSETS[@]}") ;; esac
    best=999; review=999
    for i in 1 2 3; do
        /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$BUILD/tools/safer" site --overwrite --no-pdf --site "$SITE" --site-id ref \
            --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" "${extra[@]}" \
            -o "$WORK/site-$n.gpkg" --report "$WORK/site-$n.html" 2>"$WORK/site.err" || { cat "$WORK/site.err"; exit 1; }
        read -r wall kb <"$WORK/time.txt"
        r=$(sed -n 's/.*reviewing [0-9]* sites* and writing \(its\|their\) layers: done in \([0-9.]*\) s/\2/p' "$WORK/site.err")
        best=$(echo "$wall $best" | awk '{print ($1 < $2) ? $1 : $2}'); review=$(echo "$r $review" | awk '{print ($1 < $2) ? $1 : $2}')
    done
    printf 'safer site, %-18s review and layers %5.2f s; whole command (179,878 rows read, surfaces, report) %5.2f s; peak RSS %d MB\n' \
        "$run site(s):" "$review" "$best" "$((kb / 1024))"
done
