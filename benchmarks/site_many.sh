#!/usr/bin/env bash
# Memory and time of `safer site` with many sites (Release build; issue 15, item 23): 1,000 and
# 10,000 random squares of 40 to 150 m a side over Bristol (fixtures/make_sites.py, seed 1),
# against the 13 months of Avon and Somerset street crime, default radii (100, 250, 500, 1000 m),
# default report (50 sites detailed). Each run once under /usr/bin/time -v: wall time, peak RSS,
# the GeoPackage's site_incidents rows and the sizes of the outputs. With BEFORE_SAFER (a safer
# binary built from an earlier commit), the same runs with it first, and the site layers of both
# compared by tests/cli/site_digest.py.
# usage: benchmarks/site_many.sh [BUILD_DIR] [WORK_DIR] [BEFORE_SAFER]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench}"
BEFORE="${3:-}"
DATA="${SAFER_DATA_DIR:-$ROOT/../shared/data}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target safer >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
AS="$DATA/avon-and-somerset"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, load $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # LABEL SAFER N
    local label="$1" safer="$2" n="$3" out="$WORK/many-$1-$3"
    /usr/bin/time -v "$safer" site --overwrite --no-pdf -q --site "$WORK/sites-$n.geojson" --site-id ref --crimes "$AS/crime/street" \
        -o "$out.gpkg" --report "$out.html" 2>"$out.time" || { cat "$out.time"; exit 1; }
    local wall rss rows
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out.time")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out.time")
    rows=$(sqlite3 "$out.gpkg" "SELECT count(*) FROM site_incidents")
    printf 'safer site %-6s %6s sites: wall %8s, peak RSS %6d MB; site_incidents %9s rows; GeoPackage %5d MB, report %5d MB\n' "$label" "$n" "$wall" \
        "$((rss / 1024))" "$rows" "$(($(stat -c %s "$out.gpkg") >> 20))" "$(($(stat -c %s "$out.html") >> 20))"
}
for n in 1000 10000; do
    /usr/bin/python3 "$ROOT/fixtures/make_sites.py" "$n" 1 "$WORK/sites-$n.geojson"
    if [ -n "$BEFORE" ]; then run before "$BEFORE" "$n"; fi
    run after "$BUILD/tools/safer" "$n"
    if [ -n "$BEFORE" ]; then
        if diff <(/usr/bin/python3 "$ROOT/tests/cli/site_digest.py" "$WORK/many-before-$n.gpkg") \
                <(/usr/bin/python3 "$ROOT/tests/cli/site_digest.py" "$WORK/many-after-$n.gpkg") >/dev/null; then
            echo "  $n sites: the site layers (rows, attributes, geometries, descriptions, styles) are identical before and after"
        else
            echo "  $n sites: the site layers DIFFER before and after"
        fi
        rm -f "$WORK/many-before-$n.gpkg" "$WORK/many-before-$n.html"
    fi
    rm -f "$WORK/many-after-$n.gpkg" # 3 GB for 10,000 sites
done
