#!/usr/bin/env bash
# Command-line tests of `safer site`: ring counts on the real Avon and Somerset data for a site
# drawn by hand (a rectangle in central Bristol, whose distance to a point is a closed formula)
# against an independent computation in Python, many sites at once, a lon/lat site, repairs,
# the report in headless Chromium, and bad input.
# usage: site_test.sh SAFER SAFER_TOWN DATA_DIR WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; DATA="$3"; WORK="$4"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
AS="$DATA/avon-and-somerset"
# A 400 m x 300 m rectangle in central Bristol (British National Grid).
X0=358600; Y0=172700; X1=359000; Y1=173000
SITE="POLYGON(($X0 $Y0,$X1 $Y0,$X1 $Y1,$X0 $Y1,$X0 $Y0))"
"$SAFER" site --site "$SITE" --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" \
    --radii 100,250,500 -o "$WORK/bristol.gpkg" --report "$WORK/bristol.html" 2>"$WORK/bristol.err" || fail "site: $(cat "$WORK/bristol.err")"
# Independent: the incidents as safer ingest writes them (x, y in EPSG:27700), the months
# 2021-04..2022-03, distance to the rectangle by its closed formula.
"$SAFER" ingest -q --crimes "$AS/crime/street" --from 2021-04 --to 2022-03 -o "$WORK/inc.gpkg" 2>/dev/null
ogr2ogr -f CSV "$WORK/inc.csv" "$WORK/inc.gpkg" incidents -lco GEOMETRY=AS_XY -select month,crime_type 2>/dev/null
expected=$(/usr/bin/python3 - "$WORK/inc.csv" $X0 $Y0 $X1 $Y1 <<'PY'
import csv, sys, math
x0, y0, x1, y1 = map(float, sys.argv[2:6])
counts = [0, 0, 0]
inside = 0
neighbourhood = 0
for row in csv.DictReader(open(sys.argv[1])):
    x, y = float(row["X"]), float(row["Y"])
    dx = max(x0 - x, 0, x - x1); dy = max(y0 - y, 0, y - y1)
    d = math.hypot(dx, dy)
    inside += d == 0
    neighbourhood += d <= 500 and row["crime_type"] in ("Burglary", "Robbery", "Theft from the person", "Vehicle crime")
    for k, r in enumerate((100, 250, 500)):
        if d <= r:
            counts[k] += 1
            break
open(sys.argv[1] + ".inside", "w").write(f"{inside} {neighbourhood:,}")
print(" ".join(str(c) for c in counts))
PY
)
got=$(sqlite3 "$WORK/bristol.gpkg" "SELECT group_concat(CAST(count AS INTEGER), ' ') FROM (SELECT count FROM site_rings ORDER BY ring)")
[ -n "$got" ] && [ "$got" = "$expected" ] && pass "Bristol site: ring counts $got equal an independent computation" || fail "ring counts $got, expected $expected"
[ "$(sqlite3 "$WORK/bristol.gpkg" "SELECT COUNT(*) FROM site_incidents")" = "$(echo "$expected" | awk '{print $1 + $2 + $3}')" ] \
    && pass "site_incidents holds every incident within 500 m" || fail "site_incidents count"
area=$(sqlite3 "$WORK/bristol.gpkg" "SELECT area_ha FROM site")
awk -v a="$area" 'BEGIN { exit !(a > 11.999 && a < 12.001) }' && pass "site area 12 ha" || fail "site area $area"
# Ring 1 (0-100 m) of a 400 x 300 rectangle: 120,000 + 100 x 1,400 + pi 100^2 m2 (Steiner).
ring1=$(sqlite3 "$WORK/bristol.gpkg" "SELECT area_ha FROM site_rings WHERE ring = 1")
awk -v a="$ring1" 'BEGIN { e = (120000 + 140000 + 3.14159265 * 10000) / 10000; d = a - e; if (d < 0) d = -d; exit !(d / e < 1e-4) }' \
    && pass "ring 1 area $ring1 ha = the closed formula" || fail "ring 1 area $ring1"
# The site itself: incidents on or inside the red line apart from the first ring, in the layer and
# in the report's sentence; the neighbourhood crime within 500 m in the trend table.
read -r inside neighbourhood <"$WORK/inc.csv.inside"
[ "$(sqlite3 "$WORK/bristol.gpkg" "SELECT CAST(incidents_inside AS INTEGER) FROM site")" = "$inside" ] \
    && pass "site.incidents_inside = $inside, as counted independently" || fail "incidents_inside $(sqlite3 "$WORK/bristol.gpkg" "SELECT incidents_inside FROM site"), expected $inside"
grep -q "within 100 m, of which $inside on or inside the red line" "$WORK/bristol.html" \
    && pass "the report names the $inside incidents inside the red line" || fail "inside sentence: $(grep -o 'within 100 m, of which[^.]*' "$WORK/bristol.html")"
grep -q "<td>Neighbourhood crime (burglary, robbery, theft from the person, vehicle crime)</td><td class=\"token\">$neighbourhood</td>" "$WORK/bristol.html" \
    && pass "trend by group: $neighbourhood neighbourhood crimes within 500 m, as counted independently" || fail "trend table: $(grep -o '<td>Neighbourhood crime[^/]*/td><td[^>]*>[^<]*' "$WORK/bristol.html")"
# 13 months of data: fewer than the 36 a review takes, so the last 12, and the report says why.
grep -q "the data covers 13 months, 2021-03 to 2022-03: fewer than the 36 a review takes where it can, so the last 12" "$WORK/bristol.html" \
    && pass "the months reviewed and why: the last 12 of 13" || fail "months note: $(grep -o 'Months reviewed[^<]*' "$WORK/bristol.html")"
# The density ranked among the cells with recorded crime, in words that match the number.
pct=$(sqlite3 "$WORK/bristol.gpkg" "SELECT kde_pct FROM site"); rank=$(sqlite3 "$WORK/bristol.gpkg" "SELECT kde_rank FROM site")
top=$(grep -o 'incidents per km2, in the top [0-9.]* %' "$WORK/bristol.html" | grep -o '[0-9.]* %' | tr -d ' %')
cells=$(grep -o 'ranked [0-9,]* of [0-9,]*' "$WORK/bristol.html" | head -1)
close "$top" "$(awk -v p="$pct" 'BEGIN { print 100 - p }')" 0.05 && [ "$cells" = "ranked $rank of $(echo "$cells" | awk '{print $4}')" ] \
    && pass "density: in the top $top % ($cells), as the layer's percentile $pct and rank $rank say" || fail "density words for $pct / rank $rank: $(grep -o 'Density at the site[^;]*' "$WORK/bristol.html")"
# The fixes: a site typed on the command line is named once, no in-memory path is printed, each
# source is cited once.
! grep -q "Site site\|((command line))" "$WORK/bristol.html" && grep -q 'The site was given on the command line (WKT), named &quot;site 1&quot;' "$WORK/bristol.html" \
    && pass "a command-line site is named plainly" || fail "site naming: $(grep -o 'Site site[^<]*\|[^>]*command line[^<]*' "$WORK/bristol.html" | head -3)"
! grep -q "/vsimem/" "$WORK/bristol.err" && pass "no in-memory path in the log" || fail "log: $(grep /vsimem/ "$WORK/bristol.err")"
[ "$(grep -o "Sidebottom et al. (2018), Gating alleys" "$WORK/bristol.html" | wc -l)" = 1 ] && pass "each source cited once" || fail "citations repeated"
grep -q "LSOAs the site lies in" "$WORK/bristol.html" && grep -q "Findings by CPTED principle" "$WORK/bristol.html" \
    && pass "report has the LSOAs and the CPTED findings" || fail "report sections"

# --- Many sites, lon/lat, repair, no incidents -------------------------------------------------
"$TOWN_BIN" --seed 6 -o "$WORK/town" -q
T="$WORK/town"
cat >"$WORK/sites.geojson" <<'JSON'
{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[
{"type":"Feature","properties":{"ref":"A"},"geometry":{"type":"Polygon","coordinates":[[[452000,207000],[452100,207000],[452100,207080],[452000,207080],[452000,207000]]]}},
{"type":"Feature","properties":{"ref":"B"},"geometry":{"type":"Polygon","coordinates":[[[453000,208000],[453100,208100],[453100,208000],[453000,208100],[453000,208000]]]}}]}
JSON
"$SAFER" site --site "$WORK/sites.geojson" --site-id ref --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" \
    -o "$WORK/town.gpkg" --report "$WORK/town.html" 2>"$WORK/town.err" || fail "two sites: $(cat "$WORK/town.err")"
[ "$(sqlite3 "$WORK/town.gpkg" "SELECT group_concat(site_id) FROM site")" = "A,B" ] && pass "one run, two sites" || fail "sites: $(sqlite3 "$WORK/town.gpkg" "SELECT group_concat(site_id) FROM site")"
grep -q "invalid site polygon(s) repaired with GEOS MakeValid: B" "$WORK/town.err" && pass "the bow-tie site B is repaired and reported" || fail "repair not reported: $(cat "$WORK/town.err")"
[ "$(grep -c '<h2>Site ' "$WORK/town.html")" = 2 ] && pass "one report section a site" || fail "report sections"
# --use: the findings and guidance follow what is built. The town's sites have burglaries within
# 250 m (checked below); as homes they get the rear-of-homes advice, as a car park they do not.
for use in residential commercial car-park; do
    "$SAFER" site -q --site "$WORK/sites.geojson" --site-id ref --use "$use" --radii 250,500 --crimes "$T/crimes" --no-pdf \
        -o "$WORK/use-$use.gpkg" --report "$WORK/use-$use.html" 2>"$WORK/use.err" || fail "--use $use: $(cat "$WORK/use.err")"
done
burglaries=$(sqlite3 "$WORK/use-residential.gpkg" "SELECT COUNT(*) FROM site_incidents WHERE ring = 1 AND crime_type = 'Burglary'")
[ "$burglaries" -gt 0 ] && pass "the sites have $burglaries burglaries within 250 m" || fail "no burglary near the sites: the --use checks below test nothing"
grep -q "rear of homes" "$WORK/use-residential.html" && grep -q "Secured by Design Homes 2023" "$WORK/use-residential.html" \
    && pass "--use residential: the rear of homes, Secured by Design Homes" || fail "--use residential findings"
! grep -q "rear of homes" "$WORK/use-commercial.html" && grep -q "Secured by Design Commercial 2023 (PAS 24, LPS 1175)" "$WORK/use-commercial.html" \
    && pass "--use commercial: the building's shell, Secured by Design Commercial" || fail "--use commercial findings"
! grep -q "rear of homes\|burglar\(y\|ies\) within" "$WORK/use-car-park.html" && grep -q "Park Mark" "$WORK/use-car-park.html" \
    && pass "--use car-park: no burglary advice; the Safer Parking Scheme" || fail "--use car-park findings"
[ "$(sqlite3 "$WORK/use-car-park.gpkg" "SELECT use FROM site LIMIT 1")" = "car-park" ] && pass "the site layer records the use" || fail "site.use"
expect 2 "--use: garden not in" "$WORK/none.gpkg" "$SAFER" site --site "$WORK/sites.geojson" --use garden --crimes "$T/crimes" -o "$WORK/none.gpkg" --report "$WORK/none.html"
# A lon/lat site typed as WKT: a 10 m square in the town, far from its map points, given in
# degrees (converted here by GDAL's gdaltransform, not by safer).
ll=$(printf '451500 209500\n451510 209500\n451510 209510\n451500 209510\n451500 209500\n' | gdaltransform -s_srs EPSG:27700 -t_srs EPSG:4326 -output_xy | awk '{printf "%s%.8f %.8f", (NR > 1 ? "," : ""), $1, $2}')
"$SAFER" site --site "POLYGON(($ll))" --crimes "$T/crimes" --radii 1,2 \
    -o "$WORK/tiny.gpkg" --report "$WORK/tiny.html" 2>"$WORK/tiny.err" || fail "lon/lat WKT site: $(cat "$WORK/tiny.err")"
grep -q "longitude/latitude; reprojected" "$WORK/tiny.err" && pass "a lon/lat site is reprojected" || fail "lon/lat not reported"
grep -q "No incident was recorded within 2 m" "$WORK/tiny.html" && pass "a site with no incidents nearby still gets a report that says so" || fail "no-incident report"

# --- The report in headless Chromium ---------------------------------------------------------
if command -v chromium >/dev/null; then
    timeout 120 chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 --window-size=900,2400 \
        --screenshot="$WORK/site.png" "file://$WORK/bristol.html" >/dev/null 2>"$WORK/chromium.err"
    grep -q CONSOLE "$WORK/chromium.err" && fail "console messages" || pass "no console errors"
    stats=$(gdalinfo -stats "$WORK/site.png" 2>/dev/null | sed -n 's/.*STATISTICS_STDDEV=//p' | head -3 | tr '\n' ' ')
    echo "$stats" | awk '{ exit !($1 > 10 && $3 > 10) }' && pass "site report renders (band stddev $stats)" || fail "blank site report: $stats"
    [ -s "$WORK/bristol.pdf" ] && head -c 5 "$WORK/bristol.pdf" | grep -q "%PDF" && pass "PDF printed beside the report" || fail "no PDF"
else
    fail "chromium is not installed (it is in tools/packages.txt)"
fi

# --- Bad input ---------------------------------------------------------------------------------
OUT="$WORK/bad.gpkg"
expect 1 "--radii: the distances must increase" "$OUT" "$SAFER" site --site "$SITE" --crimes "$T/crimes" --radii 250,100 -o "$OUT" --report "$WORK/bad.html"
expect 1 "--radii: 0 m is not a distance above 0" "$OUT" "$SAFER" site --site "$SITE" --crimes "$T/crimes" --radii 0,100 -o "$OUT" --report "$WORK/bad.html"
expect 1 "lies outside the extent of the crime data" "$OUT" "$SAFER" site --site "$SITE" --crimes "$T/crimes" -o "$OUT" --report "$WORK/bad.html"
expect 1 "cannot parse" "$OUT" "$SAFER" site --site "POLYGON((1 2, 3" --crimes "$T/crimes" -o "$OUT" --report "$WORK/bad.html"
expect 1 "no such file" "$OUT" "$SAFER" site --site "$WORK/nosuch.geojson" --crimes "$T/crimes" -o "$OUT" --report "$WORK/bad.html"
# The PDF beside the report is an output too: an existing one is not replaced without --overwrite.
if command -v chromium >/dev/null; then
    echo "a PDF someone keeps" >"$WORK/keep.pdf"
    expect 2 "keep.pdf: already exists; pass --overwrite" "$WORK/keep.gpkg" "$SAFER" site --site "$T/site.geojson" --crimes "$T/crimes" \
        -o "$WORK/keep.gpkg" --report "$WORK/keep.html"
    [ "$(cat "$WORK/keep.pdf")" = "a PDF someone keeps" ] && [ ! -e "$WORK/keep.html" ] && pass "the existing PDF is kept, and nothing else written" \
        || fail "the existing PDF was replaced or a report written"
fi

finish
