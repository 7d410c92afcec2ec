#!/usr/bin/env bash
# Writing a large `incidents` layer (issue 21): `safer ingest` of a generated national input of
# ROWS police.uk rows (safer-town --forces 43), timed whole by /usr/bin/time -v, with the writing
# step as safer reports it ("writing ...: done in S s"); the GeoPackage is then checked with GDAL's
# validate_gpkg.py and SQLite's rtreecheck. Give a second safer binary (OTHER, e.g. one built at an
# earlier commit) to time it on the same input for a before/after.
# usage: benchmarks/incidents_write.sh [BUILD_DIR] [WORK_DIR] [ROWS] [OTHER_SAFER]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(realpath -m "${1:-$ROOT/build-bench}")"
WORK="$(mkdir -p "${2:-$ROOT/out/bench}" && cd "${2:-$ROOT/out/bench}" && pwd)"
ROWS="${3:-1000000}"
OTHER="${4:-}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target safer safer-town >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
IN="$WORK/national-$ROWS"
if [ ! -f "$IN/README.txt" ]; then
    echo "generating $ROWS rows over 12 months, 35,000 areas and 43 forces in $IN"
    "$BUILD/fixtures/safer-town" --seed 1 --areas 35000 --incidents "$ROWS" --months 12 --start 2023-01 --forces 43 -o "$IN" -q
fi
cat "$IN"/crimes/*/*.csv >/dev/null
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
VALIDATE=$(find /usr/lib/python3/dist-packages/osgeo_utils/samples /usr/share/doc/python3-gdal/examples -name validate_gpkg.py 2>/dev/null | head -1)
for safer in "$BUILD/tools/safer" $OTHER; do
    /usr/bin/time -v -o "$WORK/time.txt" "$safer" ingest --overwrite --crimes "$IN/crimes" -o "$WORK/ingest.gpkg" 2>"$WORK/ingest.err" \
        || { cat "$WORK/ingest.err"; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); print (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ { print int($2 / 1024) }' "$WORK/time.txt")
    write=$(sed -n 's/.*writing .*: done in \([0-9.]*\) s/\1/p' "$WORK/ingest.err")
    used=$(sqlite3 "$WORK/ingest.gpkg" "SELECT count(*) FROM incidents")
    check=$(sqlite3 "$WORK/ingest.gpkg" "SELECT rtreecheck('rtree_incidents_geom')")
    valid="validate_gpkg not found"
    [ -n "$VALIDATE" ] && { /usr/bin/python3 "$VALIDATE" "$WORK/ingest.gpkg" >/dev/null 2>&1 && valid="validate_gpkg ok" || valid="validate_gpkg FAILED"; }
    printf '%s: %s incidents, writing %s s, whole command %s s wall, peak RSS %s MB; rtreecheck %s; %s\n' "$safer" "$used" "$write" "$wall" "$rss" "$check" "$valid"
done
