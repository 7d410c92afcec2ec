#!/usr/bin/env bash
# Command-line tests of `safer bid`: rates and ratios on the real Avon and Somerset data against an
# independent computation (Python's csv module over the IoD 2019 file), contiguous clusters within
# the population limits, determinism, the report rendered by headless Chromium, and bad input.
# usage: bid_test.sh SAFER SAFER_TOWN DATA_DIR WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; DATA="$3"; WORK="$4"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
AS="$DATA/avon-and-somerset"
POP="$DATA/england/imd2019/File_6_-_IoD2019_Population_Denominators.csv.gz"
IMD="$DATA/england/imd2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"

# --- Real data ----------------------------------------------------------------------------------
"$SAFER" bid --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" \
    --imd "$IMD" --compare-by "Local Authority District name (2019)" -o "$WORK/as.gpkg" --report "$WORK/as.html" 2>"$WORK/as.err" \
    || fail "bid on the real data: $(cat "$WORK/as.err")"
grep -qF "2021-04 to 2022-03" "$WORK/as.err" && pass "the last 12 months: 2021-04 to 2022-03" || fail "window: $(grep 'incidents in' "$WORK/as.err")"
# Independent: rate = 1000 count / population from the IoD file; ratio = rate / the district's
# rate, the district's rate = 1000 sum(count) / sum(population) over its LSOAs.
$PY - "$WORK/as_areas.csv" "$POP" <<'PY' && pass "real data: rates and district ratios equal an independent computation" || fail "real data rates/ratios"
import csv, gzip, io, sys, math
areas = list(csv.DictReader(open(sys.argv[1], newline="")))
pop, lad = {}, {}
with gzip.open(sys.argv[2], "rt", encoding="utf-8-sig", newline="") as f:
    for row in csv.DictReader(f):
        pop[row["LSOA code (2011)"]] = float(row["Total population: mid 2015 (excluding prisoners)"].replace(",", ""))
        lad[row["LSOA code (2011)"]] = row["Local Authority District name (2019)"]
assert len(areas) == 1005, len(areas)
tot = {}
for a in areas:
    c, p = float(a["neighbourhood_count"]), pop[a["code"]]
    t = tot.setdefault(lad[a["code"]], [0.0, 0.0]); t[0] += c; t[1] += p
bad = 0
for a in areas:
    c, p = float(a["neighbourhood_count"]), pop[a["code"]]
    rate = 1000 * c / p
    district = 1000 * tot[lad[a["code"]]][0] / tot[lad[a["code"]]][1]
    if abs(float(a["population"]) - p) > 1e-9 or abs(float(a["neighbourhood_rate"]) - rate) > 1e-9 * max(1, rate) \
       or abs(float(a["neighbourhood_ratio"]) - rate / district) > 1e-9 * max(1, rate / district) or a["compare_group"] != lad[a["code"]]:
        bad += 1
        print("mismatch", a["code"], a["neighbourhood_rate"], rate, a["neighbourhood_ratio"], rate / district, file=sys.stderr)
print(f"checked {len(areas)} LSOAs in {len(tot)} districts", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
# The report's statements, read from the HTML, against the same figures worked out here: the top
# candidate's names (from the boundaries), its streets (police.uk's locations by police.uk's own
# LSOA codes), its rate beside its district's and the whole input's, the change test (a two-sided
# binomial test written out below), and the footfall caveat of the highest rate.
$PY - "$WORK/as.html" "$WORK/as_areas.csv" "$WORK/as_target_areas.csv" "$POP" "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" "$AS/crime/street" <<'PY' \
    && pass "real data: the report names the top candidate, its streets, its comparisons, its change test and the footfall caveat as computed here" \
    || fail "real data: report statements"
import csv, glob, gzip, html, json, math, re, sys, collections
page, areas_csv, targets_csv, pop_path, lsoa_path, crime_dir = sys.argv[1:7]
text = html.unescape(re.sub(r"<[^>]+>", " ", open(page).read()))
text = re.sub(r"\s+", " ", text)
areas = {a["code"]: a for a in csv.DictReader(open(areas_csv, newline=""))}
top = next(csv.DictReader(open(targets_csv, newline="")))
codes = top["codes"].split(",")
names = {f["properties"]["LSOA11CD"]: f["properties"]["LSOA11NM"] for f in json.load(open(lsoa_path))["features"]}
pop, lad = {}, {}
with gzip.open(pop_path, "rt", encoding="utf-8-sig", newline="") as f:
    for row in csv.DictReader(f):
        pop[row["LSOA code (2011)"]] = float(row["Total population: mid 2015 (excluding prisoners)"].replace(",", ""))
        lad[row["LSOA code (2011)"]] = row["Local Authority District name (2019)"]
def and_list(xs): return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]
ok = True
def check(cond, what):
    global ok
    if not cond: ok = False; print("wrong:", what, file=sys.stderr)
place = f"{and_list([names[c] for c in codes])} ({', '.join(codes)})"
check(f"Top candidate: {place}" in text, "top candidate " + place)
# Rates: the target's, its district's and the input's, per 1,000 residents over the 12 months.
count = sum(float(areas[c]["neighbourhood_count"]) for c in codes); people = sum(pop[c] for c in codes)
district = lad[codes[0]]
dc = sum(float(a["neighbourhood_count"]) for k, a in areas.items() if lad[k] == district); dp = sum(pop[k] for k in areas if lad[k] == district)
ic = sum(float(a["neighbourhood_count"]) for a in areas.values()); ip = sum(pop[k] for k in areas)
rate, drate, irate = 1000 * count / people, 1000 * dc / dp, 1000 * ic / ip
row = f"{district} (Local Authority District name (2019)) {dc:,.0f} {dp:,.0f} {drate:,.1f} {rate / drate:.1f}"
check(row in text, "district row " + row)
row = f"all 1,005 areas of the input {ic:,.0f} {ip:,.0f} {irate:,.1f} {rate / irate:.1f}"
check(row in text, "input row " + row)
check(f"{rate / drate:.1f} times the {district} rate ({drate:,.1f})" in text, "district words")
# Change: the later 6 months against the earlier 6 (13 months of data), exact binomial test.
before = sum(float(areas[c]["neighbourhood_before"]) for c in codes); after = sum(float(areas[c]["neighbourhood_after"]) for c in codes)
n = int(before + after); x = int(after)
probs = [math.comb(n, k) * 0.5 ** n for k in range(n + 1)]
p = min(1.0, sum(q for q in probs if q <= probs[x] * (1 + 1e-7)))
pct = 100 * (after - before) / before
words = f"{after:,.0f} in 2021-10 to 2022-03 against {before:,.0f} in 2021-04 to 2021-09: {'up' if pct >= 0 else 'down'} {abs(pct):.0f} % (exact test of the two counts, p = {p:.3f}"
check(words in text, "change " + words)
# Streets: the most frequent police.uk locations of the group's incidents in the target, by
# police.uk's own codes (safer assigns by polygon, so the order may differ a little).
group = {"Burglary", "Robbery", "Theft from the person", "Vehicle crime"}
generic = {"Supermarket", "Parking Area", "Sports/Recreation Area", "Shopping Area", "Petrol Station", "Pedestrian Subway", "Nightclub", "Hospital",
           "Further/Higher Educational Building", "Park/Open Space", "Conference/Exhibition Centre", "Theatre/Concert Hall", "Prison", "Police Station",
           "Bus/Coach Station", "No Location"}
streets = collections.Counter()
for path in glob.glob(crime_dir + "/*-street.csv.gz"):
    if not ("2021-04" <= path.split("/")[-1][:7] <= "2022-03"): continue
    for r in csv.DictReader(gzip.open(path, "rt", newline="", encoding="utf-8-sig")):
        loc = r["Location"].removeprefix("On or near ")
        if r["LSOA code"] in codes and r["Crime type"] in group and loc not in generic: streets[loc] += 1
named = re.search(r"recorded on or near (.*?)\.", text).group(1)
first = re.split(r", | and ", named)[0]
check(first in [s for s, _ in streets.most_common(3)], f"first street {first} not among {streets.most_common(3)}")
# Footfall: the highest rate's all-crime rate against the median area's.
rates = sorted(1000 * float(a["all_count"]) / pop[k] for k, a in areas.items())
median = (rates[len(rates) // 2 - 1] + rates[len(rates) // 2]) / 2 if len(rates) % 2 == 0 else rates[len(rates) // 2]
first_area = min(areas.values(), key=lambda a: int(a["neighbourhood_rank"]))
r1 = 1000 * float(first_area["all_count"]) / pop[first_area["code"]]
words = f"{r1:,.0f} crimes of all kinds per 1,000 residents, {r1 / median:.0f} times the typical area's {median:,.0f}"
check(words in text, "footfall " + words)
sys.exit(0 if ok else 1)
PY
# Percentiles among every area of the input (issue 21): each LSOA's and each candidate's rate
# against the rates of all 1,005 LSOAs, worked out here from the IoD populations (100 x LSOAs at or
# below / LSOAs), and the report's sentence for the top candidate.
$PY - "$WORK/as.html" "$WORK/as_areas.csv" "$WORK/as_target_areas.csv" "$POP" <<'PY' \
    && pass "real data: every LSOA's and candidate's rate percentile among the input's areas, and the report's sentence, as computed here" \
    || fail "real data: percentiles"
import csv, gzip, html, re, sys
page, areas_csv, targets_csv, pop_path = sys.argv[1:5]
text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", open(page).read())))
pop = {}
with gzip.open(pop_path, "rt", encoding="utf-8-sig", newline="") as f:
    for row in csv.DictReader(f):
        pop[row["LSOA code (2011)"]] = float(row["Total population: mid 2015 (excluding prisoners)"].replace(",", ""))
areas = {a["code"]: a for a in csv.DictReader(open(areas_csv, newline=""))}
rate = {k: 1000 * float(a["neighbourhood_count"]) / pop[k] for k, a in areas.items()}
values = list(rate.values())
def percentile(r): return 100 * sum(1 for v in values if v <= r * (1 + 1e-12)) / len(values)
bad = [k for k, a in areas.items() if abs(float(a["neighbourhood_pct"]) - percentile(rate[k])) > 1e-9]
for k in bad[:5]: print("LSOA", k, areas[k]["neighbourhood_pct"], percentile(rate[k]), file=sys.stderr)
targets = list(csv.DictReader(open(targets_csv, newline="")))
for t in targets:
    codes = t["codes"].split(",")
    r = 1000 * sum(float(areas[c]["neighbourhood_count"]) for c in codes) / sum(pop[c] for c in codes)
    if abs(float(t["rate_pct"]) - percentile(r)) > 1e-9: bad.append(t["codes"]); print("candidate", t["codes"], t["rate_pct"], percentile(r), file=sys.stderr)
# Each candidate's reason, and the report for the top one: its place among the input's LSOAs.
for k, t in enumerate(targets):
    codes = t["codes"].split(",")
    p = percentile(1000 * sum(float(areas[c]["neighbourhood_count"]) for c in codes) / sum(pop[c] for c in codes))
    if p >= 100: wanted = ["a rate at or above that of every one of the 1,005 areas of the input with residents"]
    else:
        wanted = [f"among the 1,005 areas of the input with residents ({p:.1f} % of them have a rate at or below it)"]
        top_share = 100 - p
        shown = (f"{top_share:.2f}" if top_share < 1 else f"{top_share:.1f}").rstrip("0").rstrip(".") # a hundredth below 1 %, a tenth above
        if p >= 75: wanted.append(f"a rate in the top {shown} % (")
    for w in wanted:
        if w not in t["reason"] or (k == 0 and w not in text): bad.append(t["codes"]); print("reason:", t["reason"], "lacks", w, file=sys.stderr)
p = float(targets[0]["rate_pct"])
print(f"top candidate at the {p:.2f}th percentile of {len(values)} LSOAs; {len(targets)} candidates", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
used=$(sed -n 's/.*2021-04 to 2022-03: \([0-9]*\) neighbourhood incidents.*/\1/p' "$WORK/as.err")
"$SAFER" areas -q --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --from 2021-04 --to 2022-03 -o "$WORK/as-areas.gpkg" 2>/dev/null
other=$(sqlite3 "$WORK/as-areas.gpkg" "SELECT SUM(neighbourhood_count) FROM areas")
[ -n "$used" ] && [ "$used" = "$other" ] && pass "real data: $used neighbourhood incidents, as safer areas counts them" || fail "totals $used vs $other"
# Clusters: within the population limits and at most 5 LSOAs.
bad=$(sqlite3 "$WORK/as.gpkg" "SELECT COUNT(*) FROM target_areas WHERE population < 3000 OR population > 10000 OR areas > 5")
n=$(sqlite3 "$WORK/as.gpkg" "SELECT COUNT(*) FROM target_areas")
multi=$(sqlite3 "$WORK/as.gpkg" "SELECT COUNT(*) FROM target_areas WHERE areas > 1")
[ "$bad" = 0 ] && [ "$n" -gt 0 ] && [ "$multi" -gt 0 ] && pass "real data: $n candidates within 3,000-10,000 residents and 5 LSOAs, $multi of them clusters" \
    || fail "limits: $bad of $n, $multi clusters"
# --residential-only: no candidate holds an area flagged as footfall or with few residents, and
# the busiest LSOA (central Bristol, 18 times the median area's crime per resident) is flagged.
"$SAFER" bid -q --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" \
    --residential-only -o "$WORK/res.gpkg" --report "$WORK/res.html" 2>/dev/null || fail "--residential-only"
flagged=$(sqlite3 "$WORK/res.gpkg" "SELECT COUNT(*) FROM target_areas t JOIN areas a ON (',' || t.codes || ',') LIKE ('%,' || a.code || ',%') WHERE a.footfall = 1 OR a.few_residents = 1")
[ "$flagged" = 0 ] && [ "$(sqlite3 "$WORK/res.gpkg" "SELECT footfall FROM areas WHERE code = 'E01014540'")" = 1 ] \
    && grep -qF "left out with --residential-only" "$WORK/res.html" && pass "--residential-only: no flagged area in any candidate; central Bristol flagged" \
    || fail "--residential-only: $flagged flagged areas in candidates"
# Households as the ONS downloads them by LSOA: Census 2021 TS041 ("Number of households") and
# Census 2011 KS401 ("Household spaces with at least one usual resident"), made here from the
# population file (households = residents / 2, whole numbers): burglaries per 1,000 households
# = 1000 x the burglary count / households.
$PY - "$POP" "$WORK" <<'PY'
import csv, gzip, sys
rows = [(r["LSOA code (2011)"], int(float(r["Total population: mid 2015 (excluding prisoners)"].replace(",", ""))) // 2)
        for r in csv.DictReader(gzip.open(sys.argv[1], "rt", encoding="utf-8-sig", newline=""))]
with open(sys.argv[2] + "/ts041.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["date", "geography", "geography code", "Number of households: Total; measures: Value"])
    for code, h in rows: w.writerow(["2021", code, code, h])
with open(sys.argv[2] + "/ks401.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["date", "geography", "geography code", "Dwelling Type: Household spaces with at least one usual resident; measures: Value"])
    for code, h in rows: w.writerow(["2011", code, code, h])
PY
for table in ts041 ks401; do
    "$SAFER" bid -q --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" \
        --households "$WORK/$table.csv" -o "$WORK/h-$table.gpkg" --report "$WORK/h-$table.html" 2>"$WORK/h.err" || fail "--households $table: $(cat "$WORK/h.err")"
    off=$(sqlite3 "$WORK/h-$table.gpkg" "SELECT COUNT(*) FROM areas WHERE abs(burglary_per_1000_households - 1000.0 * type_burglary_count / CAST(population / 2 AS INTEGER)) > 1e-9")
    [ "$off" = 0 ] && ! grep -qF "Households not given" "$WORK/h-$table.html" && pass "--households from a $table-shaped table: burglary per 1,000 households" \
        || fail "--households $table: $off areas off"
done
# The 1,005 areas are counted alike in the title block, the total and the comparison table.
sed 's/<[^>]*>/ /g' "$WORK/as.html" | tr -s ' \n' ' ' >"$WORK/as.txt"
grep -qF "; 1,005 areas; the 12 months" "$WORK/as.txt" && grep -qE "were recorded in the 1,005 areas from" "$WORK/as.txt" \
    && grep -qF "all 1,005 areas of the input" "$WORK/as.txt" && ! grep -qF "1005 areas" "$WORK/as.txt" \
    && pass "real data: '1,005 areas' throughout the pack" || fail "area count: $(grep -o '[0-9,]* areas' "$WORK/as.txt" | sort | uniq -c | head -5)"
# The evidence pack prints to A4 (595 x 842 points), page numbers in its margins.
if command -v chromium >/dev/null 2>&1; then
    size=$(pdfinfo "$WORK/as.pdf" 2>/dev/null | sed -n 's/^Page size: *\(.*\)/\1/p'); pages=$(pdfinfo "$WORK/as.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
    [[ "$size" == *"(A4)"* ]] && [ "${pages:-0}" -ge 3 ] && pdftotext -f 2 -l 2 "$WORK/as.pdf" - | grep -q "page 2 of $pages" \
        && pass "the bid report prints to $pages A4 pages, numbered" || fail "bid PDF: size '$size', $pages pages"
else
    skip "bid PDF: Chromium is not installed"
fi
# Deterministic: the same run again gives the same tables.
"$SAFER" bid -q --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" \
    --imd "$IMD" --compare-by "Local Authority District name (2019)" -o "$WORK/as2.gpkg" --report "$WORK/as2.html" 2>/dev/null
cmp -s "$WORK/as_areas.csv" "$WORK/as2_areas.csv" && cmp -s "$WORK/as_target_areas.csv" "$WORK/as2_target_areas.csv" \
    && pass "same inputs, same tables" || fail "bid is not deterministic"

# --- Interventions for the top candidate: Bristol's street lights and a budget --------------------
# The top candidate (E01014540, central Bristol) with the city's 49,451 street lights (no radius
# or height: 15 m each) and the bid of the issue, GBP 431,185. Checked independently in Python
# with GDAL/OGR: for every lighting candidate, the crimes lighting addresses in its 100 m cell and
# the LSOA, the lit share of the cell (union of 15 m buffers, 64 segments a quarter), prevented =
# 0.21 x crimes x (1 - lit), units and cost (GBP 2,050 a light); then the plan: within the budget, and, as each cell's
# crimes are its own (an additive objective), no better than the exact 0/1 knapsack optimum,
# which must lie under the bound safer reports.
LIGHTS="$AS/assets/bristol/streetlights.csv.gz"
"$SAFER" bid --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" \
    --lighting "$LIGHTS" --budget 431185 -o "$WORK/plan.gpkg" --report "$WORK/plan.html" 2>"$WORK/plan.err" \
    || fail "bid with street lights: $(tail -3 "$WORK/plan.err")"
sqlite3 -csv "$WORK/plan.gpkg" "SELECT place, crimes, coverage_now, prevented, units, cost_gbp, in_plan FROM target_interventions WHERE intervention = 'lighting'" >"$WORK/plan-rows.csv"
sqlite3 "$WORK/plan.gpkg" "SELECT COUNT(*) FROM target_interventions WHERE intervention <> 'lighting'" | grep -qx 0 \
    && pass "only lighting is proposed when only street lights are given" || fail "interventions without their asset layer"
bound=$(sed -n 's/.*the best possible plan prevents at most \([0-9.]*\).*/\1/p' "$WORK/plan.err")
$PY - "$WORK/plan-rows.csv" "$AS/crime/street" "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" "$LIGHTS" "${bound:-inf}" <<'PY' \
    && pass "real data: lighting candidates and the GBP 431,185 plan equal an independent computation" || fail "real data: the intervention plan"
import csv, glob, gzip, math, sys
from osgeo import ogr, osr
rows_path, crime_dir, lsoa_path, lights_path, bound = sys.argv[1:6]
wgs, bng = osr.SpatialReference(), osr.SpatialReference()
wgs.ImportFromEPSG(4326); bng.ImportFromEPSG(27700)
for s in (wgs, bng): s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
to_bng = osr.CoordinateTransformation(wgs, bng)
ds = ogr.Open(lsoa_path); layer = ds.GetLayer()
lsoa = None
for f in layer:
    if f.GetField("LSOA11CD") == "E01014540":
        lsoa = f.GetGeometryRef().Clone()
src = layer.GetSpatialRef().Clone()
src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
lsoa.Transform(osr.CoordinateTransformation(src, bng))
lit_types = {"Robbery", "Theft from the person", "Violence and sexual offences", "Anti-social behaviour", "Vehicle crime"}
env = lsoa.GetEnvelope()
pts, seen_ids = [], set()
for path in sorted(glob.glob(crime_dir + "/*-street.csv.gz")):
    month = path.split("/")[-1][:7]
    if not ("2021-04" <= month <= "2022-03"): continue
    for r in csv.DictReader(gzip.open(path, "rt", newline="", encoding="utf-8-sig")):
        if r["Crime type"] not in lit_types or not r["Longitude"]: continue
        cid = r["Crime ID"]
        if cid and (cid, tuple(r.values())) in seen_ids: continue
        if cid: seen_ids.add((cid, tuple(r.values())))
        x, y, _ = to_bng.TransformPoint(float(r["Longitude"]), float(r["Latitude"]))
        if env[0] - 1 <= x <= env[1] + 1 and env[2] - 1 <= y <= env[3] + 1:
            p = ogr.Geometry(ogr.wkbPoint); p.AddPoint_2D(x, y)
            if lsoa.Contains(p) or lsoa.Touches(p): pts.append((x, y))
lights = []
with gzip.open(lights_path, "rt") as f:
    for r in csv.DictReader(f):
        x, y, _ = to_bng.TransformPoint(float(r["longitude"]), float(r["latitude"]))
        if env[0] - 200 <= x <= env[1] + 200 and env[2] - 200 <= y <= env[3] + 200: lights.append((x, y))
bad, items = 0, []
for place, crimes, cov, prevented, units, cost, in_plan in csv.reader(open(rows_path)):
    cx, cy = [float(v) for v in place.split("centre ")[1].rstrip(")").split(", ")]
    n = sum(1 for x, y in pts if cx - 50 <= x < cx + 50 and cy - 50 < y <= cy + 50)
    cell = ogr.CreateGeometryFromWkt(f"POLYGON(({cx-50} {cy-50},{cx+50} {cy-50},{cx+50} {cy+50},{cx-50} {cy+50},{cx-50} {cy-50}))")
    discs = ogr.Geometry(ogr.wkbMultiPolygon)
    for x, y in lights:
        if abs(x - cx) < 66 and abs(y - cy) < 66:
            p = ogr.Geometry(ogr.wkbPoint); p.AddPoint_2D(x, y); discs.AddGeometry(p.Buffer(15, 64))
    lit = discs.UnionCascaded().Intersection(cell).GetArea() / 1e4 if discs.GetGeometryCount() else 0.0
    want_units = max(1, math.ceil((1 - lit) * 1e4 / (math.pi * 225) - 1e-9))
    checks = [int(crimes) == n, abs(float(cov) - lit) < 0.004, abs(float(prevented) - 0.21 * n * (1 - float(cov))) < 1e-6,
              abs(float(units) - want_units) <= 1, abs(float(cost) - 2050 * float(units)) < 1e-6]
    if not all(checks):
        bad += 1
        print(f"{place}: crimes {crimes} vs {n}, lit {cov} vs {lit:.4f}, units {units} vs {want_units}, cost {cost}", file=sys.stderr)
    items.append((int(float(cost)) // 50, float(prevented), in_plan == "1"))
budget = 431185 // 50
spent = sum(c for c, _, chosen in items if chosen)
got = sum(v for _, v, chosen in items if chosen)
best = [0.0] * (budget + 1) # exact 0/1 knapsack over costs in units of GBP 50 (all are multiples of 2,050)
for c, v, _ in items:
    for b in range(budget, c - 1, -1): best[b] = max(best[b], best[b - c] + v)
opt = best[budget]
print(f"{len(items)} lighting candidates, {bad} wrong; plan GBP {spent * 50} prevents {got:.3f}; optimum {opt:.3f}; safer's bound {bound}", file=sys.stderr)
ok = bad == 0 and len(items) > 10 and spent <= budget and got <= opt + 1e-9 and (bound == "inf" or opt <= float(bound) + 1e-6) and got >= 0.95 * opt
sys.exit(0 if ok else 1)
PY
grep -q "Interventions for the top candidate" "$WORK/plan.html" && grep -q "Plan within £431,185" "$WORK/plan.html" \
    && pass "the report has the plan for the top candidate" || fail "report lacks the plan section"
[ -s "$WORK/plan_interventions.csv" ] && pass "the interventions CSV is written beside the GeoPackage" || fail "no plan_interventions.csv"
expect 0 "no intervention plan is made" "" "$SAFER" bid --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" \
    --population "$POP" --budget 100000 -o "$WORK/nolayers.gpkg" --report "$WORK/nolayers.html"
expect 2 "--gates needs --paths" "$WORK/gates.gpkg" "$SAFER" bid --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" \
    --population "$POP" --gates "$LIGHTS" -o "$WORK/gates.gpkg" --report "$WORK/gates.html"


# Value for money: with a [crime_costs] table of GBP 1,000 for every crime type lighting addresses,
# the plan's value a year is GBP 1,000 x the crimes it prevents; lighting candidates are cells of
# their own crimes, so that is the sum of the planned candidates' prevented crimes (12 months).
printf '[crime_costs]\nsource = "a test table"\n"Robbery" = 1000\n"Theft from the person" = 1000\n"Violence and sexual offences" = 1000\n"Anti-social behaviour" = 1000\n"Vehicle crime" = [1000, 1000]\n' >"$WORK/crime-costs.toml"
"$SAFER" bid -q --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" \
    --lighting "$LIGHTS" --budget 431185 --costs "$WORK/crime-costs.toml" --no-pdf -o "$WORK/vfm.gpkg" --report "$WORK/vfm.html" 2>/dev/null || fail "bid --costs with crime costs"
want=$(sqlite3 "$WORK/vfm.gpkg" "SELECT printf('%d', round(1000 * SUM(prevented))) FROM target_interventions WHERE in_plan = 1")
cost=$(sqlite3 "$WORK/vfm.gpkg" "SELECT SUM(cost_gbp) FROM target_interventions WHERE in_plan = 1")
got=$(sed 's/<[^>]*>//g' "$WORK/vfm.html" | grep -o "worth £[0-9,]* a year" | head -1 | tr -dc '0-9')
[ -n "$want" ] && [ "${got:-x}" -ge $((want - 1)) ] 2>/dev/null && [ "$got" -le $((want + 1)) ] && grep -qF "a test table" "$WORK/vfm.html" \
    && pass "value for money: GBP $got a year = 1,000 x the plan's prevented crimes (GBP $want), its source named" || fail "value for money: report $got, expected $want"
grep -qF "Value for money.</strong> Not estimated" "$WORK/plan.html" && pass "without crime costs the report says how to add them" || fail "no value-for-money note"
expect 1 "crime_costs.\"Burglar\": 'Burglar' is not a police.uk crime type" "" "$SAFER" bid --crimes "$AS/crime/street" \
    --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" --lighting "$LIGHTS" --budget 1000 \
    --costs "$(printf '[crime_costs]\n"Burglar" = 1000\n' >"$WORK/bad-costs.toml"; echo "$WORK/bad-costs.toml")" -o "$WORK/bad.gpkg" --report "$WORK/bad.html" --no-pdf

# --- The report in headless Chromium --------------------------------------------------------------
CHROMIUM=$(command -v chromium || true)
if [ -z "$CHROMIUM" ]; then
    fail "chromium is not installed (it is in tools/packages.txt): the report cannot be checked"
else
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 --window-size=1000,3000 \
        --screenshot="$WORK/as.png" "file://$WORK/as.html" >"$WORK/chromium.out" 2>"$WORK/chromium.err"
    [ -s "$WORK/as.png" ] && pass "Chromium rendered the report" || fail "no screenshot: $(tail -3 "$WORK/chromium.err")"
    grep -q "CONSOLE" "$WORK/chromium.err" && fail "console messages: $(grep CONSOLE "$WORK/chromium.err" | head -3)" || pass "no console errors"
    # Not blank, and in colour: the maps' reds and the outline's blue make the bands differ.
    stats=$(gdalinfo -stats "$WORK/as.png" 2>/dev/null | sed -n 's/.*STATISTICS_STDDEV=//p' | head -3 | tr '\n' ' ')
    echo "$stats" | awk '{ exit !($1 > 20 && $2 > 20 && $3 > 20) }' && pass "screenshot is not blank (band stddev $stats)" || fail "blank screenshot: $stats"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --dump-dom "file://$WORK/as.html" >"$WORK/dom.html" 2>/dev/null
    svgs=$(grep -o "<svg" "$WORK/dom.html" | wc -l); pngs=$(grep -o "data:image/png;base64" "$WORK/dom.html" | wc -l)
    [ "$svgs" -ge 6 ] && [ "$pngs" -ge 1 ] && pass "report holds $svgs SVG maps and charts and $pngs embedded raster" || fail "report: $svgs svg, $pngs png"
    grep -q "http" <(grep -o 'src="[^"]*"' "$WORK/as.html") && fail "the report loads something from the network" || pass "self-contained: nothing loaded from outside"
fi

# --- The demo's evidence pack (tools/demo) on the synthetic town: its sentences and its pages ------
"$TOWN_BIN" --seed 1 -o "$WORK/demo-town" -q
D1="$WORK/demo-town"
"$SAFER" bid --crimes "$D1/crimes" --areas "$D1/lsoas.geojson" --population "$D1/population.csv" --lighting "$D1/lights.csv" --cctv "$D1/cctv.csv" \
    --paths "$D1/paths.geojson" --gates "$D1/gates.geojson" --min-population 1500 --max-population 8000 --budget 431185 \
    -o "$WORK/demo.gpkg" --report "$WORK/demo.html" 2>"$WORK/demo.err" || fail "bid on the demo town: $(tail -3 "$WORK/demo.err")"
sed 's/<[^>]*>/ /g' "$WORK/demo.html" | tr -s ' \n' ' ' >"$WORK/demo.txt"
# The top candidate (SYN00021 and SYN00022) had one burglary in 2023, 22.0 m from the nearest alley
# (worked out below from the town's own files: its LSOA codes, longitude/latitude to BNG with GDAL,
# distance to every alley segment of paths.geojson): "its only burglary lies within 30 m of an
# alley", never "1 of its 1 burglaries lie".
$PY - "$D1" "$WORK/demo_target_areas.csv" <<'PY' && pass "the demo's top candidate: one burglary, 22.0 m from an alley (worked out in Python)" || fail "the demo's burglaries near alleys"
import csv, glob, json, math, sys
from osgeo import osr
town, targets = sys.argv[1:3]
codes = next(csv.DictReader(open(targets, newline="")))["codes"].split(",")
wgs, bng = osr.SpatialReference(), osr.SpatialReference()
wgs.ImportFromEPSG(4326); bng.ImportFromEPSG(27700)
for s in (wgs, bng): s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
to_bng = osr.CoordinateTransformation(wgs, bng)
alleys = [f["geometry"]["coordinates"] for f in json.load(open(town + "/paths.geojson"))["features"] if f["properties"].get("service") == "alley"]
def to_segment(p, a, b):
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)
near = []
for path in sorted(glob.glob(town + "/crimes/*/*.csv")):
    for r in csv.DictReader(open(path, newline="")):
        if r["Crime type"] == "Burglary" and r["LSOA code"] in codes:
            x, y, _ = to_bng.TransformPoint(float(r["Longitude"]), float(r["Latitude"]))
            near.append(min(to_segment((x, y), l[i], l[i + 1]) for l in alleys for i in range(len(l) - 1)))
print(codes, ["%.1f m" % d for d in near], file=sys.stderr)
sys.exit(0 if codes == ["SYN00021", "SYN00022"] and len(near) == 1 and near[0] < 30 else 1)
PY
grep -qF "gated; its only burglary lies within 30 m of an alley" "$WORK/demo.txt" && ! grep -q "of its 1 burglaries" "$WORK/demo.txt" \
    && pass "one burglary is 'its only burglary lies within 30 m of an alley'" || fail "the burglaries near alleys: $(grep -o 'gated;[^;.]*' "$WORK/demo.txt")"
# Both its LSOAs are hot at 99 % (Gi_Bin 3 in the areas table): "in both its LSOAs", not "in 2 of its 2 LSOAs".
[ "$(q "$WORK/demo.gpkg" "SELECT group_concat(gi_bin) FROM (SELECT gi_bin FROM areas WHERE code IN ('SYN00021', 'SYN00022') ORDER BY code)")" = "3,3" ] \
    && grep -qF "hot at 99 % (Gi*) in both its LSOAs" "$WORK/demo.txt" && ! grep -q "2 of its 2 LSOAs" "$WORK/demo.txt" \
    && pass "both LSOAs hot: 'hot at 99 % (Gi*) in both its LSOAs'" || fail "the top candidate's Gi*: $(grep -o 'hot at [^;.]*' "$WORK/demo.txt" | head -2)"
# The crime group's description is a sentence of its own, not parentheses inside parentheses.
grep -qF "Safer Streets evidence pack for neighbourhood crime. Neighbourhood crime (Home Office Safer Streets): burglary, robbery, theft from the person, vehicle crime. Data:" "$WORK/demo.txt" \
    && grep -qF "Crime group: neighbourhood. Neighbourhood crime (Home Office Safer Streets): burglary, robbery, theft from the person, vehicle crime. Months analysed" "$WORK/demo.txt" \
    && ! grep -qF "crime (Neighbourhood crime (" "$WORK/demo.txt" && ! grep -qF "neighbourhood (Neighbourhood crime (" "$WORK/demo.txt" \
    && pass "the title block and the methods give the group's description as its own sentence" || fail "group description: $(grep -o 'evidence pack for[^.]*' "$WORK/demo.txt")"
# A group of one crime type is named by that type: "violence and sexual offences", never "violence
# crime" (the title block, the total, the rate heading, the density raster's description), and its
# description, the same words, is not said twice.
"$SAFER" bid -q --crimes "$D1/crimes" --areas "$D1/lsoas.geojson" --population "$D1/population.csv" --group violence --min-population 1500 \
    --max-population 8000 -o "$WORK/violence.gpkg" --report "$WORK/violence.html" 2>"$WORK/violence.err" || fail "bid --group violence: $(tail -3 "$WORK/violence.err")"
sed 's/<[^>]*>/ /g' "$WORK/violence.html" | tr -s ' \n' ' ' >"$WORK/violence.txt"
grep -qF "Safer Streets evidence pack for violence and sexual offences. Data: police.uk" "$WORK/violence.txt" \
    && grep -qF "<title>Safer Streets evidence: violence and sexual offences, " "$WORK/violence.html" \
    && grep -qE "[0-9,]+ incidents of violence and sexual offences were recorded in the 40 areas" "$WORK/violence.txt" \
    && grep -qF "Violence and sexual offences per 1,000 residents" "$WORK/violence.txt" \
    && grep -qF "Incidents of violence and sexual offences, 20" "$WORK/violence.txt" \
    && ! grep -qi "violence crime" "$WORK/violence.txt" \
    && [ "$(q "$WORK/violence.gpkg" "SELECT description FROM gpkg_contents WHERE table_name = 'kde_violence'" | cut -c1-49)" = "Kernel density of violence and sexual offences, 2" ] \
    && pass "--group violence: 'violence and sexual offences' in the title, total, heading and raster, never 'violence crime'" \
    || fail "--group violence wording: $(grep -o 'evidence pack for[^:]*' "$WORK/violence.txt"); $(grep -io '[^.]*violence crime[^.]*' "$WORK/violence.txt" | head -2)"
# Printed, every heading stays with what follows it (the "Monthly trend" heading was left at the foot of page 3).
if command -v chromium >/dev/null 2>&1; then
    $PY "$(dirname "$0")/headings_kept.py" "$WORK/demo.html" "$WORK/demo.pdf" && pass "demo PDF: no heading alone at the foot of a page" || fail "demo PDF: a heading at the foot of a page"
    $PY "$(dirname "$0")/headings_kept.py" "$WORK/as.html" "$WORK/as.pdf" && pass "real-data PDF: no heading alone at the foot of a page" || fail "real-data PDF: a heading at the foot of a page"
else
    skip "headings in the PDF: Chromium is not installed"
fi

# --- Bad input ---------------------------------------------------------------------------------
"$TOWN_BIN" --seed 4 -o "$WORK/town" -q
T="$WORK/town"
OUT="$WORK/bad.gpkg"
expect 1 "months requested beyond the data" "$OUT" "$SAFER" bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --months 24 -o "$OUT" --report "$WORK/bad.html"
grep -v '^SYN0000[1-3],' "$T/population.csv" >"$WORK/short-pop.csv"
expect 0 "3 of 40 areas have no (or zero) population" "" "$SAFER" bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$WORK/short-pop.csv" -o "$WORK/short.gpkg" --report "$WORK/short.html"
grep -q "Incomplete data" "$WORK/short.html" && pass "the report says the data is incomplete" || fail "incomplete data not flagged in the report"
[ "$(sqlite3 "$WORK/short.gpkg" "SELECT COUNT(*) FROM areas WHERE population IS NULL AND neighbourhood_rate IS NULL AND neighbourhood_rank IS NULL")" = 3 ] \
    && pass "no population: rate and rank left empty, never divided by zero" || fail "areas without population"
sed 's/^SYN00004,\([^,]*\),[0-9]*,/SYN00004,\1,0,/' "$T/population.csv" >"$WORK/zero-pop.csv"
expect 0 "1 of 40 areas have no (or zero) population" "" "$SAFER" bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$WORK/zero-pop.csv" -o "$WORK/zero.gpkg" --report "$WORK/zero.html"
printf 'easting,northing,month,crime type\n' >"$WORK/none.csv"
head -1 "$(ls "$T"/crimes/*/*.csv | head -1)" >"$WORK/asb.csv"
grep -h "Anti-social" "$T"/crimes/*/*.csv >>"$WORK/asb.csv"
expect 1 "the neighbourhood group has no incidents" "$OUT" "$SAFER" bid --crimes "$WORK/asb.csv" --areas "$T/lsoas.geojson" --population "$T/population.csv" -o "$OUT" --report "$WORK/bad.html"

finish
