#!/usr/bin/env bash
# Command-line tests of `safer accuracy`: the CSV's columns, PAI, PEI and RRI of the counts and
# kde methods against an independent computation in Python (numpy), the months between the
# windows rejected by reason, the town with its areas, and bad input.
# usage: accuracy_test.sh SAFER SAFER_TOWN WORK_DIR [DATA_DIR]
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"; DATA="${4:-}"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

# --- Points in British National Grid, computed again in Python -----------------------------------
# 3 km square, clustered incidents; January-June trains, August tests, July lies between.
$PY - "$WORK/points.csv" <<'PY'
import csv, random, sys
random.seed(9)
hot = [(351200, 171300), (352400, 172500), (350600, 172200)]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f); w.writerow(["easting", "northing", "month", "type"])
    for month in range(1, 9):
        for i in range(150):
            if random.random() < 0.6:
                cx, cy = random.choice(hot); x, y = random.gauss(cx, 150), random.gauss(cy, 150)
            else:
                x, y = random.uniform(350000, 353000), random.uniform(170000, 173000)
            w.writerow(["%.1f" % x, "%.1f" % y, "2021-%02d" % month, "Burglary"])
PY
"$SAFER" accuracy --crimes "$WORK/points.csv" --train 2021-01:2021-06 --test 2021-08:2021-08 --methods kde:200,counts --coverage 2,5,10,100 \
    --cell 100 -o "$WORK/points.gpkg" --csv "$WORK/points-accuracy.csv" --report "$WORK/points.html" 2>"$WORK/points.err" || fail "accuracy: $(cat "$WORK/points.err")"
[ "$(head -1 "$WORK/points-accuracy.csv")" = "method,coverage,hit_rate,pai,pei,rri" ] && pass "CSV columns" || fail "CSV header $(head -1 "$WORK/points-accuracy.csv")"
[ "$(($(wc -l <"$WORK/points-accuracy.csv") - 1))" = 8 ] && pass "one row per method and coverage" || fail "rows"
grep -qF "rejected      150  month outside the months analysed (outside_window)" "$WORK/points.err" && pass "July (between the windows) is rejected by reason" \
    || fail "July not rejected: $(grep rejected "$WORK/points.err")"
[ "$(q "$WORK/points.gpkg" "SELECT COUNT(*) FROM rejects WHERE detail = '2021-07: between the windows analysed'")" = 150 ] && pass "the rejects layer says why" || fail "rejects detail"
$PY - "$WORK/points.csv" "$WORK/points-accuracy.csv" <<'PY' && pass "hit rate, PAI, PEI and RRI of counts and kde:200 equal a numpy computation" || fail "differs from numpy"
import csv, math, sys
import numpy as np
rows = list(csv.DictReader(open(sys.argv[1])))
train = [(float(r["easting"]), float(r["northing"])) for r in rows if r["month"] <= "2021-06"]
test = [(float(r["easting"]), float(r["northing"])) for r in rows if r["month"] == "2021-08"]
pts = train + test
# The grid: 100 m cells over the incidents of both windows, edges on whole cells, row 0 north.
x0 = math.floor(min(p[0] for p in pts) / 100) * 100; y0 = math.ceil(max(p[1] for p in pts) / 100) * 100
nx = math.ceil((max(p[0] for p in pts) - x0) / 100); ny = math.ceil((y0 - min(p[1] for p in pts)) / 100)
def counts(ps):
    c = np.zeros(nx * ny)
    for x, y in ps: c[int((y0 - y) // 100) * nx + int((x - x0) // 100)] += 1
    return c
tr, te = counts(train), counts(test)
cx = x0 + (np.arange(nx) + 0.5) * 100; cy = y0 - (np.arange(ny) + 0.5) * 100
gx, gy = np.meshgrid(cx, cy)
kde = np.zeros((ny, nx))
for x, y in train:
    d2 = ((gx - x) ** 2 + (gy - y) ** 2) / 200.0 ** 2
    kde += np.where(d2 < 1, (1 - d2) ** 2, 0)
def expected_sum(score, value, k):
    # Cells by score, highest first; the group tied at the k-th cell taken in the part needed.
    total, taken = 0.0, 0.0
    for s in sorted(set(score), reverse=True):
        group = score == s; size = group.sum()
        part = min(1.0, (k - taken) / size)
        if part <= 0: break
        total += part * value[group].sum(); taken += part * size
    return total
M = nx * ny; N, N1 = te.sum(), tr.sum()
got = {(r["method"], r["coverage"]): r for r in csv.DictReader(open(sys.argv[2]))}
bad = []
for name, score in (("counts", tr), ("kde:200", kde.ravel())):
    for cov in ("2", "5", "10", "100"):
        c = float(cov) / 100; k = c * M
        n = expected_sum(score, te, k); n1 = expected_sum(score, tr, k); best = expected_sum(te, te, k)
        want = {"hit_rate": 100 * n / N, "pai": n / N / c, "pei": n / best, "rri": (n / N) / (n1 / N1)}
        for key, v in want.items():
            if abs(float(got[(name, cov)][key]) - v) > 1e-6 * max(1, abs(v)): bad.append((name, cov, key, got[(name, cov)][key], v))
print(bad) if bad else None
sys.exit(1 if bad else 0)
PY
awk -F, 'NR > 1 && $2 == 100 && ($4 < 0.9999999 || $4 > 1.0000001) {bad = 1} END {exit bad}' "$WORK/points-accuracy.csv" && pass "PAI is 1 when the whole area is flagged" || fail "PAI at 100 %"
grep -qF "the rectangle around the incidents" "$WORK/points.html" && pass "the report says what the study area is" || fail "report: study area"
grep -qF "<th>PAI</th>" "$WORK/points.html" && pass "the report has the table" || fail "report: table"

# --- Counts in the report's table, worked out by hand ---------------------------------------------
# Four 100 m cells in a row (the area 350000-350400 x 170000-170100), ranked by the counts method.
# Training (2021-01): A 3, B 1, C 1, D 0. Test (2021-02): A 600, B 301, C 0, D 300; N = 1,201.
#   25 %  = 1 cell:    A                                   n = 600
#   30 %  = 1.2 cells: A and 0.2 of the tied B, C (0.1 each) n = 600 + 0.1 x (301 + 0) = 630.1
#   50 %  = 2 cells:   A and 1 of the tied B, C (0.5 each)   n = 600 + 0.5 x 301 = 750.5
#   75 %  = 3 cells:   A, B, C                              n = 901
#   100 % = 4 cells                                          n = 1,201
# Whole counts print whole with thousands separators ("1,201 of 1,201", never "1201.0 of 1201");
# a count taken in part has its decimal and a mark the note under the table explains.
$PY - "$WORK/four.csv" "$WORK/four.geojson" <<'PY'
import csv, sys
rows = [("A", 3, 600), ("B", 1, 301), ("C", 1, 0), ("D", 0, 300)]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f); w.writerow(["easting", "northing", "month", "type"])
    for k, (_, train, test) in enumerate(rows):
        x = 350050 + 100 * k
        w.writerows([[x, 170050, "2021-01", "Burglary"]] * train + [[x, 170050, "2021-02", "Burglary"]] * test)
open(sys.argv[2], "w").write('{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[{"type":"Feature",'
                             '"properties":{"code":"E0","name":"four cells"},"geometry":{"type":"Polygon","coordinates":[[[350000,170000],[350400,170000],'
                             '[350400,170100],[350000,170100],[350000,170000]]]}}]}')
PY
"$SAFER" accuracy -q --crimes "$WORK/four.csv" --areas "$WORK/four.geojson" --train 2021-01:2021-01 --test 2021-02:2021-02 --methods counts \
    --coverage 25,30,50,75,100 --cell 100 -o "$WORK/four.gpkg" --report "$WORK/four.html" 2>"$WORK/four.err" || fail "accuracy on four cells: $(cat "$WORK/four.err")"
cells=$(grep -o "<td[^>]*>[0-9.,*]* of [0-9,]*</td>" "$WORK/four.html" | sed 's/<[^>]*>//g' | paste -sd'|')
[ "$cells" = "600 of 1,201|630.1* of 1,201|750.5* of 1,201|901 of 1,201|1,201 of 1,201" ] \
    && pass "test incidents in the flagged cells: $cells" || fail "test incidents cells: '$cells'"
grep -qF "* Not a whole number: the flagged area ends part-way through a cell, or through cells that share a score" "$WORK/four.html" \
    && pass "a note under the table says what a count with a decimal is" || fail "no note on counts taken in part"
grep -qF "Test: 2021-02 to 2021-02 (1,201)" "$WORK/four.html" && pass "the method names the 1,201 test incidents so" || fail "test count in the method"
# Every cell holds an incident: the warning says 100 %, not "1e+02 %".
grep -qF "in 4 of the 4 cells (100 % of the study area)" "$WORK/four.err" && grep -qF "coverages below 100 %," "$WORK/four.err" \
    && pass "the recurring-points warning gives its share as a percent" || fail "warning share: $(grep -o 'cells ([^)]*)' "$WORK/four.err")"

# --- The town with its areas: every default method ---------------------------------------------
"$TOWN_BIN" --seed 2 -o "$WORK/town" -q
T="$WORK/town"
"$SAFER" accuracy --crimes "$T/crimes" --train 2023-01:2023-09 --test 2023-10:2023-12 --areas "$T/lsoas.geojson" --group neighbourhood \
    -o "$WORK/town.gpkg" --csv "$WORK/town.csv" --report "$WORK/town.html" 2>"$WORK/town.err" || fail "town: $(cat "$WORK/town.err")"
# A group is named by what it counts, not by its definition ("Neighbourhood crime (Home Office Safer
# Streets): burglary, ..." read as "predicts best: Neighbourhood crime (Home ...), trained on").
sed 's/<[^>]*>/ /g' "$WORK/town.html" | tr -s ' \n' ' ' >"$WORK/town.txt"
grep -qF "<title>Which hotspot method predicts best: neighbourhood crime, trained on 2023-01 to 2023-09, tested on 2023-10 to 2023-12</title>" "$WORK/town.html" \
    && grep -qE "from the [0-9,]+ incidents of neighbourhood crime recorded from 2023-01 to 2023-09" "$WORK/town.txt" \
    && [ "$(q "$WORK/town.gpkg" "SELECT description FROM gpkg_contents WHERE table_name = 'accuracy'")" = "How well each method, trained on 2023-01 to 2023-09, predicted where neighbourhood crime was recorded from 2023-10 to 2023-12" ] \
    && ! grep -qF "Home Office Safer Streets): burglary, robbery, theft from the person, vehicle crime, trained" "$WORK/town.txt" \
    && pass "the group named by what it counts: 'neighbourhood crime' in the title, the text and the table's description" \
    || fail "accuracy wording: $(grep -o '<title>[^<]*' "$WORK/town.html")"
m=$(tail -n +2 "$WORK/town.csv" | cut -d, -f1 | uniq | paste -sd' ')
[ "$m" = "kde:250 kde:400 kde:auto gistar:200 areas counts" ] && pass "default methods with --areas: $m" || fail "methods: $m"
[ "$(q "$WORK/town.gpkg" "SELECT COUNT(*) FROM accuracy WHERE abs(pai - hit_rate / coverage) > 1e-9 OR pei > 1 + 1e-12 OR abs(rri - (test_hits * 1.0 / test_incidents) / (train_hits * 1.0 / train_incidents)) > 1e-9")" = 0 ] \
    && pass "PAI = hit rate / coverage, PEI <= 1, RRI = (n/N)/(n1/N1) in every row" || fail "accuracy identities"

# --- kde --bandwidth predictive, and the warnings where the defaults mislead -----------------------
"$SAFER" kde --crimes "$WORK/points.csv" --bandwidth predictive --candidates 50,150,600,2400 --holdout 2 --cell 50 -o "$WORK/pred.gpkg" 2>"$WORK/pred.err" \
    || fail "kde predictive: $(cat "$WORK/pred.err")"
chosen=$(sed -n 's/.*bandwidth \([0-9,]*\) m chosen by prediction: fitted on the \([0-9,]*\) incidents before 2021-07.*/\1 \2/p' "$WORK/pred.err")
[ -n "$chosen" ] && pass "kde says which bandwidth it chose, and on what: $chosen" || fail "no choice printed: $(cat "$WORK/pred.err")"
grep -qF "PAI at 1 % of each candidate: 50 m" "$WORK/pred.err" && pass "and the PAI of every candidate" || fail "candidates' PAI not printed"
b=$(echo "$chosen" | cut -d' ' -f1 | tr -d ,)
q "$WORK/pred.gpkg" "SELECT description FROM gpkg_contents WHERE table_name = 'kde_all'" | grep -qF "bandwidth $b.0 m" && pass "the surface uses it ($b m)" || fail "surface bandwidth"
[ "$(echo "$chosen" | cut -d' ' -f2)" = 900 ] && pass "fitted on January to June (6 x 150), July and August held out" || fail "fit count: $chosen"
expect 1 "every incident selected is in the 12 month(s) held out" "$WORK/bad.gpkg" "$SAFER" kde --crimes "$WORK/points.csv" --bandwidth predictive --holdout 12 -o "$WORK/bad.gpkg"
expect 2 "--candidates: give --bandwidth predictive" "$WORK/bad.gpkg" "$SAFER" kde --crimes "$WORK/points.csv" --candidates 100,200 -o "$WORK/bad.gpkg"
"$SAFER" kde --crimes "$WORK/points.csv" --bandwidth 2500 --cell 50 -o "$WORK/broad.gpkg" 2>"$WORK/broad.err"
grep -qE "warning: the bandwidth of 2,500 m is [0-9]+ times the typical distance between incident locations" "$WORK/broad.err" \
    && pass "a bandwidth far above the spacing of the incidents is warned about" || fail "no broad-bandwidth warning: $(cat "$WORK/broad.err")"
"$SAFER" kde --crimes "$WORK/points.csv" --bandwidth 150 --cell 50 -o "$WORK/narrow.gpkg" 2>"$WORK/narrow.err"
grep -q "typical distance" "$WORK/narrow.err" && fail "150 m warned about" || pass "150 m is not"
"$SAFER" hotspots --crimes "$WORK/points.csv" --grid 25 --permutations 0 -o "$WORK/fine.gpkg" 2>"$WORK/fine.err"
grep -qE "warning: [0-9,]+ of the [0-9,]+ cells of 25 m \([0-9]+ %\) hold no incident: .* \(zero inflation\)\. Mask the grid to where crime can happen: give --areas" "$WORK/fine.err" \
    && pass "hotspots: a grid of mostly empty cells is warned about, with the fix" || fail "no zero-inflation warning: $(grep warning "$WORK/fine.err")"
"$SAFER" hotspots --crimes "$WORK/points.csv" --grid 500 --permutations 0 -o "$WORK/coarse.gpkg" 2>"$WORK/coarse.err"
grep -q "zero inflation" "$WORK/coarse.err" && fail "500 m cells warned about" || pass "500 m cells (few empty) are not"

# --- Bad input -----------------------------------------------------------------------------------
OUT="$WORK/bad.gpkg"
expect 2 "must start after --train" "$OUT" "$SAFER" accuracy --crimes "$WORK/points.csv" --train 2021-01:2021-06 --test 2021-06:2021-08 -o "$OUT"
expect 2 "give the months as --train and --test" "$OUT" "$SAFER" accuracy --crimes "$WORK/points.csv" --from 2021-01 --train 2021-01:2021-06 --test 2021-08:2021-08 -o "$OUT"
expect 2 "--methods kde:x" "$OUT" "$SAFER" accuracy --crimes "$WORK/points.csv" --train 2021-01:2021-06 --test 2021-08:2021-08 --methods kde:x -o "$OUT"
expect 2 "give the areas to rank with --areas" "$OUT" "$SAFER" accuracy --crimes "$WORK/points.csv" --train 2021-01:2021-06 --test 2021-08:2021-08 --methods areas -o "$OUT"
expect 2 "--coverage 0" "$OUT" "$SAFER" accuracy --crimes "$WORK/points.csv" --train 2021-01:2021-06 --test 2021-08:2021-08 --coverage 0 -o "$OUT"
expect 2 "--train 2021-13" "$OUT" "$SAFER" accuracy --crimes "$WORK/points.csv" --train 2021-13:2021-14 --test 2022-01:2022-02 -o "$OUT"
expect 1 "no incident selected in the training months" "$OUT" "$SAFER" accuracy --crimes "$WORK/points.csv" --train 2021-01:2021-06 --test 2021-08:2021-08 --types Robbery -o "$OUT"

# --- Real data: Avon and Somerset burglary over the 1,005 LSOAs, recomputed with GDAL and numpy ---
if [ -n "$DATA" ] && [ -d "$DATA/avon-and-somerset/crime/street" ]; then
    STREET="$DATA/avon-and-somerset/crime/street"
    LSOAS="$DATA/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson"
    "$SAFER" accuracy -q --crimes "$STREET" --types Burglary --train 2021-03:2021-12 --test 2022-01:2022-03 --areas "$LSOAS" \
        --methods kde:400,counts --coverage 1,5,10 -o "$WORK/avon.gpkg" --csv "$WORK/avon.csv" 2>/dev/null || fail "accuracy on Avon"
    "$SAFER" ingest -q --crimes "$STREET" -o "$WORK/avon-ingest.gpkg" 2>/dev/null || fail "ingest of Avon"
    $PY - "$WORK/avon-ingest.gpkg" "$LSOAS" "$WORK/avon.csv" <<'PY' && pass "Avon burglary: counts and kde:400 at 1, 5, 10 % equal GDAL + numpy (LSOAs rasterised by GDAL, points in them by OGR)" || fail "Avon accuracy differs"
import csv, math, sys
import numpy as np
from osgeo import gdal, ogr, osr
bng = osr.SpatialReference(); bng.ImportFromEPSG(27700); bng.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
wgs = osr.SpatialReference(); wgs.ImportFromEPSG(4326); wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
to_bng = osr.CoordinateTransformation(wgs, bng)
areas_src = ogr.Open(sys.argv[2])
mem = ogr.GetDriverByName("Memory").CreateDataSource("areas"); areas = mem.CreateLayer("areas", bng, ogr.wkbMultiPolygon)
for f in areas_src.GetLayer():
    g = f.GetGeometryRef().Clone(); g.Transform(to_bng); g = g.MakeValid()
    out = ogr.Feature(areas.GetLayerDefn()); out.SetGeometry(g); areas.CreateFeature(out)
minx, maxx, miny, maxy = areas.GetExtent()
x0 = math.floor(minx / 100) * 100; y0 = math.ceil(maxy / 100) * 100
nx = math.ceil((maxx - x0) / 100); ny = math.ceil((y0 - miny) / 100)
ras = gdal.GetDriverByName("MEM").Create("", nx, ny, 1, gdal.GDT_Byte); ras.SetGeoTransform((x0, 100, 0, y0, 0, -100))
gdal.RasterizeLayer(ras, [1], areas, burn_values=[1])  # cells whose centre is in an area
mask = ras.GetRasterBand(1).ReadAsArray().astype(bool)
source = ogr.Open(sys.argv[1])  # kept: the layer dies with its dataset
train, test = [], []
for f in source.GetLayer("incidents"):
    if f.GetField("crime_type") != "Burglary": continue
    month = f.GetField("month")
    if not ("2021-03" <= month <= "2022-03"): continue
    g = f.GetGeometryRef(); areas.SetSpatialFilter(g)
    if not any(a.GetGeometryRef().Intersects(g) for a in areas): continue  # rejected outside the areas
    (train if month <= "2021-12" else test).append((g.GetX(), g.GetY()))
def counts(ps):
    c = np.zeros((ny, nx))
    for x, y in ps: c[int((y0 - y) // 100), int((x - x0) // 100)] += 1
    return c
tr, te = counts(train), counts(test)
cx = x0 + (np.arange(nx) + 0.5) * 100; cy = y0 - (np.arange(ny) + 0.5) * 100
kde = np.zeros((ny, nx))
for x, y in train:
    c0, c1 = max(0, int((x - 400 - x0) // 100)), min(nx, int((x + 400 - x0) // 100) + 1)
    r0, r1 = max(0, int((y0 - y - 400) // 100)), min(ny, int((y0 - y + 400) // 100) + 1)
    gx, gy = np.meshgrid(cx[c0:c1], cy[r0:r1]); d2 = ((gx - x) ** 2 + (gy - y) ** 2) / 400.0 ** 2
    kde[r0:r1, c0:c1] += np.where(d2 < 1, (1 - d2) ** 2, 0)
kde = kde.astype(np.float32)  # safer keeps the surface in float32
def expected_sum(score, value, k):
    order = np.argsort(-score, kind="stable"); s = score[order]; v = value[order]
    total, taken, i = 0.0, 0.0, 0
    while i < len(s) and taken < k:
        j = i
        while j < len(s) and s[j] == s[i]: j += 1
        part = min(1.0, (k - taken) / (j - i)); total += part * v[i:j].sum(); taken += part * (j - i); i = j
    return total
m = mask.ravel(); trm, tem = tr.ravel()[m], te.ravel()[m]
N, N1, M = tem.sum(), trm.sum(), m.sum()
got = {(r["method"], r["coverage"]): r for r in csv.DictReader(open(sys.argv[3]))}
bad = []
for name, score in (("counts", trm), ("kde:400", kde.ravel()[m])):
    for cov in ("1", "5", "10"):
        c = float(cov) / 100; k = c * M
        n = expected_sum(score, tem, k); n1 = expected_sum(score, trm, k); best = expected_sum(tem, tem, k)
        want = {"hit_rate": 100 * n / N, "pai": n / N / c, "pei": n / best, "rri": (n / N) / (n1 / N1)}
        for key, v in want.items():
            if abs(float(got[(name, cov)][key]) - v) > 1e-6 * max(1, abs(v)): bad.append((name, cov, key, got[(name, cov)][key], v))
print(len(train), len(test), M, bad) if bad else None
sys.exit(1 if bad else 0)
PY
else
    skip "no real data (pass the data folder)"
fi
finish
