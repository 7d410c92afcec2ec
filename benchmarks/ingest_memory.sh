#!/usr/bin/env bash
# Peak memory of `safer ingest` on many generated rows (default 10,000,000, about a year and a
# half of national police.uk data): safer-town writes the rows as 12 monthly police.uk CSVs under
# out/ (git-ignored), then /usr/bin/time -f %M measures the ingest's peak resident set. Target:
# under 2 GB for 10 million rows. Also prints the memory the incidents take per row.
# usage: benchmarks/ingest_memory.sh [ROWS] [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROWS="${1:-10000000}"
BUILD="${2:-$ROOT/build-bench}"
WORK="${3:-$ROOT/out/ingest-memory}"
if [ ! -x "$BUILD/tools/safer" ] || [ ! -x "$BUILD/fixtures/safer-town" ]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF >/dev/null
    cmake --build "$BUILD" -j "$(nproc)" --target safer safer-town >"$WORK.build.log" 2>&1 || { cat "$WORK.build.log"; exit 1; }
fi
mkdir -p "$WORK"
TOWN="$WORK/town-$ROWS"
if [ ! -f "$TOWN/README.txt" ]; then
    echo "generating $ROWS rows in $TOWN"
    "$BUILD/fixtures/safer-town" --seed 1 --areas 2000 --incidents "$ROWS" -o "$TOWN" -q
fi
echo "input: $ROWS rows in $(ls "$TOWN"/crimes/*/*.csv | wc -l) files, $(du -sh "$TOWN/crimes" | cut -f1)"
rm -f "$WORK/out.gpkg"
/usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$BUILD/tools/safer" ingest --crimes "$TOWN/crimes" -o "$WORK/out.gpkg" 2>"$WORK/stderr.txt" \
    || { cat "$WORK/stderr.txt"; exit 1; }
read -r wall kb <"$WORK/time.txt"
grep -E "read [0-9]+ rows" "$WORK/stderr.txt" | sed 's/^safer: //'
echo "safer ingest: peak RSS $((kb / 1024)) MiB ($(awk -v k="$kb" -v n="$ROWS" 'BEGIN { printf "%.0f", k * 1024 / n }') bytes a row), $wall s, output $(du -h "$WORK/out.gpkg" | cut -f1)"
[ "$kb" -lt $((2 * 1024 * 1024)) ] && echo "under the 2 GB target" || echo "OVER the 2 GB target"
