#!/usr/bin/env bash
# Command-line tests of `safer nearrepeat`: the CSV's columns and band labels, the observed counts
# against a brute-force pair count in Python (Euclidean and Manhattan), months for police.uk data,
# repeat locations, the same table for the same seed, and bad input.
# usage: nearrepeat_test.sh SAFER SAFER_TOWN WORK_DIR [DATA_DIR]
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"; DATA="${4:-}"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

"$TOWN_BIN" --seed 3 -o "$WORK/town" -q
T="$WORK/town"

# --- police.uk data: months ------------------------------------------------------------------
"$SAFER" nearrepeat --crimes "$T/crimes" --types Burglary -o "$WORK/town.gpkg" --csv "$WORK/town.csv" --report "$WORK/town.html" 2>"$WORK/town.err" \
    || fail "nearrepeat on the town: $(cat "$WORK/town.err")"
[ "$(head -1 "$WORK/town.csv")" = "distance_band,time_band,observed,expected,knox_ratio,p_value" ] && pass "CSV columns" || fail "CSV header $(head -1 "$WORK/town.csv")"
[ "$(($(wc -l <"$WORK/town.csv") - 1))" = 28 ] && pass "7 distance rows x 4 time columns" || fail "rows $(wc -l <"$WORK/town.csv")"
d=$(tail -n +2 "$WORK/town.csv" | cut -d, -f1 | uniq | paste -sd' ')
[ "$d" = "0 0-100 100-200 200-300 300-400 400-500 500+" ] && pass "distance bands: $d" || fail "distance bands: $d"
t=$(tail -n +2 "$WORK/town.csv" | head -4 | cut -d, -f2 | paste -sd' ')
[ "$t" = "0-1 1-2 2-3 3+" ] && pass "month bands: $t" || fail "month bands: $t"
grep -qF "dates are months only (police.uk): time bands are whole calendar months" "$WORK/town.err" && pass "warns that police.uk gives months" || fail "no months warning"
grep -qF "police.uk gives the month of each incident, not the day" "$WORK/town.html" && pass "the report says so" || fail "report lacks the months notice"
# The title names the crime type as a reader would: "Burglary", never "crime types Burglary"; several
# as a list ("Burglary and Robbery", "Burglary, Robbery and Vehicle crime").
grep -qF "<h1>Near repeats and repeat locations: Burglary, 2023-01 to 2023-12</h1>" "$WORK/town.html" && ! grep -q "crime types\? Burglary" "$WORK/town.html" \
    && pass "title: Near repeats and repeat locations: Burglary, 2023-01 to 2023-12" || fail "title: $(grep -o '<h1>[^<]*' "$WORK/town.html")"
"$SAFER" nearrepeat -q --crimes "$T/crimes" --types Burglary,Robbery,"Vehicle crime" --permutations 19 -o "$WORK/three.gpkg" --report "$WORK/three.html" 2>/dev/null \
    || fail "nearrepeat with three types"
grep -qF "<h1>Near repeats and repeat locations: Burglary, Robbery and Vehicle crime, 2023-01 to 2023-12</h1>" "$WORK/three.html" \
    && grep -qF "<li>Incidents: Burglary, Robbery and Vehicle crime, 2023-01 to 2023-12.</li>" "$WORK/three.html" \
    && pass "three types: Burglary, Robbery and Vehicle crime" || fail "three types: $(grep -o '<h1>[^<]*' "$WORK/three.html")"
n=$(sed -n 's/.*: \([0-9,]*\) incidents of Burglary\b.*/\1/p' "$WORK/town.err" | tr -d ,)
sum=$(tail -n +2 "$WORK/town.csv" | awk -F, '{s += $3} END {print s}')
[ -n "$n" ] && [ "$sum" = "$((n * (n - 1) / 2))" ] && pass "the cells hold all $sum pairs of $n incidents" || fail "pairs $sum for $n incidents"
[ "$(q "$WORK/town.gpkg" "SELECT SUM(incidents) FROM repeat_locations")" = "$n" ] && pass "repeat_locations hold every incident" || fail "repeat_locations sum"
[ "$(q "$WORK/town.gpkg" "SELECT COUNT(*) FROM near_repeat")" = 28 ] && pass "near_repeat layer" || fail "near_repeat layer rows"
# p = (k + 1) / (n + 1)
[ "$(q "$WORK/town.gpkg" "SELECT COUNT(*) FROM near_repeat WHERE abs(p_value - (at_least + 1.0) / (permutations + 1)) > 1e-12")" = 0 ] \
    && pass "p = (k + 1) / (n + 1) in every cell" || fail "p-values"
expect 1 "day bands need a date (YYYY-MM-DD) for every incident" "$WORK/days.gpkg" "$SAFER" nearrepeat --crimes "$T/crimes" --time-bands 14 -o "$WORK/days.gpkg"

# --- Dated incidents: observed counts against a brute force ------------------------------------
$PY - "$WORK/dated.csv" <<'PY'
import csv, random, sys
random.seed(4)
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f); w.writerow(["easting", "northing", "date", "offence"])
    for i in range(400):
        # 10 m lattice so that some share a point; a few near repeats planted
        x, y = 350000 + 10 * random.randint(0, 150), 170000 + 10 * random.randint(0, 150)
        day = random.randint(1, 200)
        w.writerow([x, y, "2021-%02d-%02d" % (1 + (day - 1) // 28, 1 + (day - 1) % 28), "Burglary"])
        if i % 10 == 0:
            w.writerow([x + 30, y - 40, "2021-%02d-%02d" % (1 + (day - 1) // 28, 1 + (day - 1) % 28), "Burglary"])
PY
for metric in euclidean manhattan; do
    "$SAFER" nearrepeat -q --crimes "$WORK/dated.csv" --distance-bands 100 --distance-count 3 --time-bands 7 --time-count 3 --metric $metric \
        --permutations 99 -o "$WORK/dated-$metric.gpkg" --csv "$WORK/dated-$metric.csv" 2>"$WORK/dated.err" || fail "dated $metric: $(cat "$WORK/dated.err")"
    $PY - "$WORK/dated.csv" "$WORK/dated-$metric.csv" $metric <<'PY' && pass "$metric: every cell's count equals a brute-force pair count" || fail "$metric: counts differ"
import csv, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1])))
pts = [(float(r["easting"]), float(r["northing"]), datetime.date.fromisoformat(r["date"]).toordinal()) for r in rows]
def dband(d):
    if d == 0: return "0"
    for k in range(3):
        if k * 100 <= d < (k + 1) * 100: return "%d-%d" % (k * 100, (k + 1) * 100)
    return "300+"
def tband(t):
    for k in range(3):
        if k * 7 <= t < (k + 1) * 7: return "%d-%d" % (k * 7, (k + 1) * 7)
    return "21+"
count = {}
for i in range(len(pts)):
    for j in range(i):
        dx, dy = pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]
        d = (dx * dx + dy * dy) ** 0.5 if sys.argv[3] == "euclidean" else abs(dx) + abs(dy)
        key = (dband(d), tband(abs(pts[i][2] - pts[j][2])))
        count[key] = count.get(key, 0) + 1
got = {(r["distance_band"], r["time_band"]): int(r["observed"]) for r in csv.DictReader(open(sys.argv[2]))}
bad = [k for k in set(got) | set(count) if got.get(k, 0) != count.get(k, 0)]
print("differ:", bad, [(got.get(k), count.get(k)) for k in bad]) if bad else None
sys.exit(1 if bad or len(got) != 20 else 0)
PY
done
t=$(tail -n +2 "$WORK/dated-euclidean.csv" | head -4 | cut -d, -f2 | paste -sd' ')
[ "$t" = "0-7 7-14 14-21 21+" ] && pass "day bands: $t" || fail "day bands: $t"
# Same seed, same table; another seed, other expectations.
"$SAFER" nearrepeat -q --crimes "$WORK/dated.csv" --distance-bands 100 --distance-count 3 --time-bands 7 --time-count 3 --permutations 99 \
    -o "$WORK/again.gpkg" --csv "$WORK/again.csv" 2>/dev/null
"$SAFER" nearrepeat -q --crimes "$WORK/dated.csv" --distance-bands 100 --distance-count 3 --time-bands 7 --time-count 3 --permutations 99 --seed 2 \
    -o "$WORK/other.gpkg" --csv "$WORK/other.csv" 2>/dev/null
cmp -s "$WORK/dated-euclidean.csv" "$WORK/again.csv" && pass "same seed, same CSV" || fail "not repeatable"
cmp -s "$WORK/dated-euclidean.csv" "$WORK/other.csv" && fail "the seed changes nothing" || pass "another seed, other expectations"

# --- Bad input ---------------------------------------------------------------------------------
OUT="$WORK/bad.gpkg"
expect 2 "--permutations 5: at least 19" "$OUT" "$SAFER" nearrepeat --crimes "$WORK/dated.csv" --permutations 5 -o "$OUT"
expect 2 "--distance-bands 0" "$OUT" "$SAFER" nearrepeat --crimes "$WORK/dated.csv" --distance-bands 0 -o "$OUT"
expect 2 "--time-bands 2w: expected a whole number of days" "$OUT" "$SAFER" nearrepeat --crimes "$WORK/dated.csv" --time-bands 2w -o "$OUT"
expect 2 "--distance-count 21" "$OUT" "$SAFER" nearrepeat --crimes "$WORK/dated.csv" --distance-count 21 -o "$OUT"
expect 2 "exists" "" "$SAFER" nearrepeat --crimes "$WORK/dated.csv" -o "$WORK/again.gpkg"
expect 1 "the Knox test needs pairs of incidents" "$OUT" "$SAFER" nearrepeat --crimes "$WORK/dated.csv" --types Robbery -o "$OUT"
printf 'x,y,date,type\n350000,170000,2021-02-30,Burglary\n350010,170000,2021-02-03,Burglary\n350020,170000,2021-02-04,Burglary\n' >"$WORK/feb30.csv"
"$SAFER" nearrepeat --crimes "$WORK/feb30.csv" -o "$WORK/feb30.gpkg" 2>"$WORK/feb30.err"
grep -qF "rejected        1  month is not YYYY-MM (bad_month)" "$WORK/feb30.err" && [ "$(q "$WORK/feb30.gpkg" "SELECT detail FROM rejects")" = "date '2021-02-30': expected YYYY-MM or a calendar date YYYY-MM-DD" ] \
    && pass "2021-02-30 is rejected by reason, with what was expected" || fail "feb 30: $(cat "$WORK/feb30.err")"

# --- Real data: Avon and Somerset burglary, every pair counted again in numpy ----------------------
if [ -n "$DATA" ] && [ -d "$DATA/avon-and-somerset/crime/street" ]; then
    STREET="$DATA/avon-and-somerset/crime/street"
    "$SAFER" nearrepeat -q --crimes "$STREET" --types Burglary --permutations 99 -o "$WORK/avon.gpkg" --csv "$WORK/avon.csv" 2>/dev/null || fail "nearrepeat on Avon"
    "$SAFER" ingest -q --crimes "$STREET" -o "$WORK/avon-ingest.gpkg" 2>/dev/null || fail "ingest of Avon"
    $PY - "$WORK/avon-ingest.gpkg" "$WORK/avon.csv" <<'PY' && pass "Avon burglary: every cell's count equals numpy's count of the 23.7 million pairs" || fail "Avon burglary counts differ"
import csv, sys
import numpy as np
from osgeo import ogr
source = ogr.Open(sys.argv[1])  # kept: the layer dies with its dataset
layer = source.GetLayer("incidents")
xs, ys, ts = [], [], []
for f in layer:
    if f.GetField("crime_type") != "Burglary": continue
    g = f.GetGeometryRef(); y, m = map(int, f.GetField("month").split("-"))
    xs.append(g.GetX()); ys.append(g.GetY()); ts.append(y * 12 + m - 1)
x, y, t = np.array(xs), np.array(ys), np.array(ts)
rows = ["0", "0-100", "100-200", "200-300", "300-400", "400-500", "500+"]; cols = ["0-1", "1-2", "2-3", "3+"]
table = np.zeros((7, 4), dtype=np.int64)
for i in range(len(x) - 1):
    d = np.hypot(x[i + 1:] - x[i], y[i + 1:] - y[i]); dt = np.abs(t[i + 1:] - t[i])
    r = np.where(d == 0, 0, np.where(d < 500, np.floor(d / 100).astype(int) + 1, 6))
    c = np.minimum(dt, 3)
    np.add.at(table, (r, c), 1)
got = {(row["distance_band"], row["time_band"]): int(row["observed"]) for row in csv.DictReader(open(sys.argv[2]))}
bad = [(rows[a], cols[b], got[(rows[a], cols[b])], int(table[a, b])) for a in range(7) for b in range(4) if got[(rows[a], cols[b])] != table[a, b]]
print(len(x), "burglaries;", bad) if bad else None
sys.exit(1 if bad or len(x) != 6889 else 0)
PY
else
    skip "no real data (pass the data folder)"
fi
finish
