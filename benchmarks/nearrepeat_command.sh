#!/usr/bin/env bash
# Speed benchmark of `safer nearrepeat` (Release build): 100,000 incidents with 999 permutations
# (target: 30 s or less on this 2-core machine), the defaults otherwise (100 m x 5 distance
# bands, 14 days x 5 time bands).
#
# The incidents are 100,000 of the Avon and Somerset street-level rows (13 months, every crime
# type, drawn at random with a fixed seed), each given a day drawn at random within its month
# (police.uk gives months only; the days are synthetic). Two versions:
#   map-points: the police.uk coordinates, so incidents share anonymised map points as real data do;
#   own-points: each moved up to 50 m at random, so every incident has a point of its own (as
#               geocoded addresses would), the harder case for grouping by location.
# Prints the whole command's wall time (best and median of 3), CPU time and peak memory.
# usage: benchmarks/nearrepeat_command.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench}"
DATA="${SAFER_DATA_DIR:-$ROOT/../shared/data}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF -DSAFER_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target safer >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
/usr/bin/python3 - "$DATA/avon-and-somerset/crime/street" "$WORK/nr-map-points.csv" "$WORK/nr-own-points.csv" <<'PY'
import calendar, csv, glob, gzip, math, random, sys
random.seed(1)
rows = []
for f in sorted(glob.glob(sys.argv[1] + "/*.csv.gz")):
    with gzip.open(f, "rt", encoding="utf-8-sig") as fh:
        rows += [(r["Longitude"], r["Latitude"], r["Month"], r["Crime type"]) for r in csv.DictReader(fh) if r["Longitude"]]
sample = random.sample(rows, 100000)
with open(sys.argv[2], "w", newline="") as a, open(sys.argv[3], "w", newline="") as b:
    wa, wb = csv.writer(a), csv.writer(b)
    wa.writerow(["longitude", "latitude", "date", "type"]); wb.writerow(["longitude", "latitude", "date", "type"])
    for lon, lat, month, t in sample:
        y, m = map(int, month.split("-"))
        date = "%04d-%02d-%02d" % (y, m, random.randint(1, calendar.monthrange(y, m)[1]))
        wa.writerow([lon, lat, date, t])
        angle, r = random.uniform(0, 2 * math.pi), 50 * math.sqrt(random.random())
        # degrees per metre near 51.4 N: 1 / 69,400 of longitude, 1 / 111,200 of latitude
        wb.writerow(["%.7f" % (float(lon) + r * math.cos(angle) / 69400), "%.7f" % (float(lat) + r * math.sin(angle) / 111200), date, t])
PY
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for set in map-points own-points; do
    walls=()
    for i in 1 2 3; do
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.txt" "$BUILD/tools/safer" nearrepeat --overwrite --crimes "$WORK/nr-$set.csv" --permutations 999 \
            -o "$WORK/nr-$set.gpkg" --csv "$WORK/nr-$set.csv.out" 2>"$WORK/nr.err" || { cat "$WORK/nr.err"; exit 1; }
        read -r wall user sys kb <"$WORK/time.txt"
        walls+=("$wall")
    done
    sorted=$(printf '%s\n' "${walls[@]}" | sort -g | paste -sd' ')
    pairs=$(awk -F, 'NR > 1 && $1 != "500+" {s += $3} END {print s}' "$WORK/nr-$set.csv.out")
    points=$(sed -n 's/.*incidents at \([0-9,]*\) map points.*/\1/p' "$WORK/nr.err")
    printf 'safer nearrepeat, 100,000 incidents (%s: %s points), 999 permutations, %s pairs within 500 m: wall %s s (best, median, worst: %s); last run %s s user, %s s sys, peak RSS %d MB\n' \
        "$set" "$points" "$pairs" "$(echo "$sorted" | cut -d' ' -f1)" "$sorted" "$user" "$sys" "$((kb / 1024))"
done
