#!/usr/bin/env bash
# Speed benchmark of `safer segments` (Release build), whole command, median of 5 runs with
# /usr/bin/time (wall seconds and peak resident memory), and the steps as the command times them:
#   1. Bath and North East Somerset: OS Open Map Local roads (9,015 lines) with a year of its
#      crimes (April 2021 to March 2022), read from the force's 13 monthly files and kept to the
#      district by --areas (its 115 LSOAs). Target: 5 s or less.
#   2. The same year, from a CSV holding only the district's rows (police.uk's own LSOA name).
#   3. A synthetic city (safer-town --street-spacing 100 --areas 1260: a 22 km jittered grid of
#      about 100,000 segments) with about 200,000 located incidents. Target: 30 s or less.
#   4. Bath with the continuous kernel and a 300 m bandwidth: the walk-heavy case.
# usage: benchmarks/segments_command.sh [BUILD_DIR] [WORK_DIR]
#   A BUILD_DIR already configured as Release is used as it is; otherwise it is configured and built.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench-segments}"
DATA="${SAFER_DATA_DIR:-$ROOT/../shared/data}"
if ! grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$BUILD/CMakeCache.txt" 2>/dev/null; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j "$(nproc)" --target safer safer-town >"$BUILD/build-segments.log" 2>&1 || { cat "$BUILD/build-segments.log"; exit 1; }
SAFER="$BUILD/tools/safer"
mkdir -p "$WORK"
AS="$DATA/avon-and-somerset"
ROADS="$AS/assets/bath-and-north-east-somerset/os_roads.geojson"
BANES="$AS/boundaries/lsoa_2011_by_lad/E06000022.json"

# The district's own rows of the year, as one police.uk CSV.
/usr/bin/python3 - "$AS/crime/street" "$WORK/banes-2021-22.csv" <<'PY'
import csv, glob, gzip, sys
out = csv.writer(open(sys.argv[2], "w", newline=""))
rows = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.csv.gz")):
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        if rows == 0: out.writerow(header)
        for row in r:
            if "2021-04" <= row[1] <= "2022-03" and row[8].startswith("Bath and North East Somerset"):
                out.writerow(row); rows += 1
print(f"{rows} rows of Bath and North East Somerset, 2021-04 to 2022-03", file=sys.stderr)
PY
[ -d "$WORK/city" ] || "$BUILD/fixtures/safer-town" --seed 1 --areas 1260 --street-spacing 100 --incidents 214000 -o "$WORK/city" -q

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench() { # NAME ARGS...: median wall and peak RSS of 5 runs, and the steps of the last
    local name="$1"; shift
    local walls=() kbs=()
    for i in 1 2 3 4 5; do
        /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$SAFER" segments --overwrite "$@" -o "$WORK/out.gpkg" 2>"$WORK/run.err" || { cat "$WORK/run.err"; exit 1; }
        read -r wall kb <"$WORK/time.txt"
        walls+=("$wall"); kbs+=("$kb")
    done
    local median kb
    median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 3p)
    kb=$(printf '%s\n' "${kbs[@]}" | sort -n | tail -1)
    printf '%-62s median %6.2f s (min %s, max %s), peak RSS %4d MB\n' "$name" "$median" \
        "$(printf '%s\n' "${walls[@]}" | sort -n | head -1)" "$(printf '%s\n' "${walls[@]}" | sort -n | tail -1)" "$((kb / 1024))"
    sed -n 's/^safer: \(.*\): done in \([0-9.]*\) s$/    \2 s  \1/p' "$WORK/run.err"
    grep -E "street network:|placed on their nearest" "$WORK/run.err" | sed 's/^safer: /    /'
}
bench "Bath & NE Somerset, force files + --areas (target 5 s)" \
    --crimes "$AS/crime/street" --from 2021-04 --to 2022-03 --areas "$BANES" --streets "$ROADS"
bench "Bath & NE Somerset, the district's year as one CSV" --crimes "$WORK/banes-2021-22.csv" --streets "$ROADS"
bench "synthetic city, ~100,000 segments, ~200,000 incidents (target 30 s)" --crimes "$WORK/city/crimes" --streets "$WORK/city/streets.geojson"
bench "Bath, continuous kernel, h = 300 m" \
    --crimes "$AS/crime/street" --from 2021-04 --to 2022-03 --areas "$BANES" --streets "$ROADS" --method continuous --bandwidth 300
