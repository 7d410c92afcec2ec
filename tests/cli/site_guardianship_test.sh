#!/usr/bin/env bash
# Command-line tests of the "Guardianship around the site" part of `safer site`: lighting of the
# red line and of paths within 100 m, CCTV of the site and its 100 m ring, and permeability
# (paths entering or passing the site, their side, gating and the burglaries near them), on a
# hand-drawn place whose answers are worked out by hand below; then once on the real Avon and
# Somerset data against an independent computation with Python + OGR.
# usage: site_guardianship_test.sh SAFER DATA_DIR WORK_DIR
set -uo pipefail
SAFER="$1"; DATA="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"

# --- The hand-drawn place (British National Grid; local coordinates from X0, Y0) -------------
# The site: a 100 m x 100 m square, local (0,0)-(100,100). Boundary 400 m.
# Streets (junctions only): x = -50 and x = 150, from y = -100 to 200.
# Alley (highway=service, service=alley): y = 105, x -50..150: 5 m north of the site, ends on both
#   streets, so it needs 2 gates; one gate at x = -45 -> partly gated. Passes, side north.
# Footway: y = 50, x -50..150: crosses the site west to east; 2 gates (x = -45 and 145) -> gated.
# South path (footway): y = -60, x 0..100: within 100 m but 60 m away -> neither enters nor passes.
# Far path (footway): x = 400, y 0..100: 300 m away -> nothing.
# Lights: L1 radius 15 at (50, 0), the middle of the south side: 30 m of the 400 m red line lit.
#   L2 radius 10 at (120, 50), on the footway 20 m east of the site: 20 m of footway lit.
# Paths within 100 m: alley 200 m + footway 200 m + south path 100 m = 500 m; lit 20 m -> 4 %.
# Camera: full circle, range 20 m, at the site's south-west corner (0, 0): a quarter of its
#   disc in the site (pi 20^2 / 4 of 10,000 m2), three quarters in the 0-100 m ring.
# Light and camera discs are equal-area 32-gons whose vertices lie at multiples of 11.25 degrees,
# with radius r sqrt(d / sin d), d = 2 pi / 32 (engine/guardianship.hpp). A horizontal line through
# the centre meets two vertices, so the lit chord is 2 r x 1.0032 (30.097 m, not 30): the share is
# 0.07524, 0.32 % above 30/400; we allow 0.4 %. The quarter of the camera polygon cut by two axes
# through its centre is exactly a quarter of it (the polygon has the axes' symmetry), so the site
# share is pi/100 x 1 to rounding. The ring is the 100 m buffer (64 segments a quarter circle:
# corners of area 128 r^2 sin(pi/128)) less the site.
X0=400000; Y0=200000
P() { awk -v x="$1" -v y="$2" -v x0=$X0 -v y0=$Y0 'BEGIN { printf "[%d,%d]", x0 + x, y0 + y }'; }
line() { printf '{"type":"Feature","properties":{"highway":"%s","service":%s,"name":"%s"},"geometry":{"type":"LineString","coordinates":[%s,%s]}}' \
    "$1" "$2" "$3" "$(P "$4" "$5")" "$(P "$6" "$7")"; }
{
    echo '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":['
    line residential null "West Street" -50 -100 -50 200; echo ","
    line residential null "East Street" 150 -100 150 200; echo ","
    line service '"alley"' "Back Lane" -50 105 150 105; echo ","
    line footway null "Cross Path" -50 50 150 50; echo ","
    line footway null "South Path" 0 -60 100 -60; echo ","
    line footway null "Far Path" 400 0 400 100
    echo ']}'
} >"$WORK/paths.geojson"
printf 'easting,northing\n%s,%s\n%s,%s\n%s,%s\n' $((X0 - 45)) $((Y0 + 105)) $((X0 - 45)) $((Y0 + 50)) $((X0 + 145)) $((Y0 + 50)) >"$WORK/gates.csv"
printf 'easting,northing,radius_m\n%s,%s,15\n%s,%s,10\n' $((X0 + 50)) $Y0 $((X0 + 120)) $((Y0 + 50)) >"$WORK/lights.csv"
printf 'easting,northing,range_m\n%s,%s,20\n' $X0 $Y0 >"$WORK/cctv.csv"
# Incidents, police.uk format (lon/lat converted here by GDAL's gdaltransform):
#   Burglary (50,160): alley 55 m, footway 110 m -> alley.   Burglary (170,105): alley 20, footway 58.5 -> both.
#   Burglary (50,75): inside, alley 30, footway 25 -> both.   Vehicle crime (50,130): alley 25, footway 80 -> both (neighbourhood).
#   Burglary (400,250): 150 m from the far path, 289 m from the alley -> none.   Burglary (50,-140): south path only.
#   Anti-social behaviour (60,60): not neighbourhood crime.  Burglary (-300,-300): far away.
# Alley: 3 burglaries, 4 neighbourhood crimes; footway: 2 burglaries, 3 neighbourhood crimes.
incidents="50 160 2023-01 Burglary
170 105 2023-02 Burglary
50 75 2023-03 Burglary
50 130 2023-01 Vehicle crime
400 250 2023-02 Burglary
50 -140 2023-03 Burglary
60 60 2023-02 Anti-social behaviour
-300 -300 2023-01 Burglary"
{
    echo "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
    n=0
    while read -r x y month type; do
        n=$((n + 1))
        ll=$(echo "$((X0 + x)) $((Y0 + y))" | gdaltransform -s_srs EPSG:27700 -t_srs EPSG:4326 -output_xy | awk '{printf "%.8f,%.8f", $1, $2}')
        echo "id$n,$month,Test Police,Test Police,$ll,On or near Test Street,E01000001,Test 001A,$type,Under investigation,"
    done <<<"$incidents"
} >"$WORK/crimes.csv"
SITE="POLYGON(($X0 $Y0,$((X0 + 100)) $Y0,$((X0 + 100)) $((Y0 + 100)),$X0 $((Y0 + 100)),$X0 $Y0))"
G="$WORK/hand.gpkg"
# (With a PDF: headless Chromium prints the report with the guardianship maps, where installed.)
"$SAFER" site --site "$SITE" --crimes "$WORK/crimes.csv" --radii 100,250 --lighting "$WORK/lights.csv" --cctv "$WORK/cctv.csv" \
    --paths "$WORK/paths.geojson" --gates "$WORK/gates.csv" -o "$G" --report "$WORK/hand.html" 2>"$WORK/hand.err" \
    || fail "site with assets: $(cat "$WORK/hand.err")"

v=$(q "$G" "SELECT lit_boundary_share FROM site")
close "$v" 0.075 0.0003 && pass "lit share of the red line $v = 30/400 (equal-area polygon within 0.4 %)" || fail "lit_boundary_share $v"
v=$(q "$G" "SELECT lit_boundary_m FROM site")
close "$v" 30.0966 0.01 && pass "lit red line $v m = 2 x 15 x 1.0032" || fail "lit_boundary_m $v"
v=$(q "$G" "SELECT path_m_100m FROM site")
close "$v" 500 0.001 && pass "paths within 100 m: $v m (alley 200 + footway 200 + south path 100; streets and the far path left out)" || fail "path_m_100m $v"
v=$(q "$G" "SELECT lit_path_share_100m FROM site")
close "$v" "$(awk 'BEGIN { print 20.0644 / 500 }')" 0.0001 && pass "lit share of paths within 100 m $v = 20.06/500" || fail "lit_path_share_100m $v"
v=$(q "$G" "SELECT cctv_site_share FROM site")
close "$v" "$(awk 'BEGIN { printf "%.15f", 3.14159265358979 * 400 / 4 / 10000 }')" 1e-9 && pass "CCTV share of the site $v = pi 20^2/4 / 100^2" || fail "cctv_site_share $v"
expected_ring=$(awk 'BEGIN { pi = 3.14159265358979; print (3 * pi * 400 / 4) / (4 * 100 * 100 + 128 * 10000 * sin(pi / 128)) }')
v=$(q "$G" "SELECT cctv_ring_share FROM site")
close "$v" "$expected_ring" 1e-7 && pass "CCTV share of the 100 m ring $v = 3/4 pi 20^2 / ring area ($expected_ring)" || fail "cctv_ring_share $v, expected $expected_ring"
[ "$(q "$G" "SELECT cameras_site || ',' || cameras_ring FROM site")" = "1,1" ] && pass "one camera sees the site and the ring" || fail "cameras $(q "$G" "SELECT cameras_site, cameras_ring FROM site")"
[ "$(q "$G" "SELECT paths_entering || ',' || paths_passing || ',' || ungated_paths || ',' || partly_gated_paths FROM site")" = "1,1,0,1" ] \
    && pass "1 path enters, 1 passes, none ungated, 1 partly gated" || fail "site path counts $(q "$G" "SELECT paths_entering, paths_passing, ungated_paths, partly_gated_paths FROM site")"
got=$(q "$G" "SELECT group_concat(name || ':' || kind || ':' || relation || ':' || side || ':' || gated || ':' || gates || '/' || gates_needed || ':' || burglaries_100m || ':' || neighbourhood_100m, ' ') FROM (SELECT * FROM site_paths ORDER BY name)")
want="Back Lane:alley:pass:north:partial:1/2:3:4 Cross Path:footway:enter:west,east:1:2/2:2:3"
[ "$got" = "$want" ] && pass "site_paths: $got" || fail "site_paths: $got, expected $want"
v=$(q "$G" "SELECT round(distance_m, 6) || ',' || round(inside_m, 6) || ',' || round(length_m, 6) FROM site_paths WHERE name = 'Back Lane'")
[ "$v" = "5.0,0.0,200.0" ] && pass "the alley is 5 m from the red line, 200 m long" || fail "alley distances $v"
v=$(q "$G" "SELECT round(inside_m, 6) FROM site_paths WHERE name = 'Cross Path'")
[ "$v" = "100.0" ] && pass "the footway runs 100 m inside the site" || fail "footway inside_m $v"
v=$(q "$G" "SELECT lit_share FROM site_paths WHERE name = 'Cross Path'")
close "$v" "$(awk 'BEGIN { print 20.0644 / 200 }')" 0.0001 && pass "footway lit share $v = 20.06/200" || fail "footway lit_share $v"
[ "$(q "$G" "SELECT COUNT(*) FROM site_paths WHERE name IN ('South Path', 'Far Path')")" = 0 ] && pass "paths 60 m and 300 m away neither enter nor pass" || fail "far paths listed"
[ "$(q "$G" "SELECT COUNT(*) FROM layer_styles WHERE f_table_name = 'site_paths'")" -ge 1 ] && pass "site_paths has a QGIS style" || fail "no style for site_paths"
[ "$(q "$G" "SELECT geometry_type_name LIKE '%LINESTRING' FROM gpkg_geometry_columns WHERE table_name = 'site_paths'")" = 1 ] && pass "site_paths is a LineString layer" || fail "site_paths geometry type"
grep -q "Guardianship around the site" "$WORK/hand.html" && pass "report has the guardianship section" || fail "no guardianship section"
grep -q "A partly gated alley (Back Lane, segment [0-9]*, 200 m; 1 of the 2 gates it needs) runs along the northern boundary, 5 m from the red line; 3 burglaries and 4 neighbourhood crimes within 100 m of it in 3 months" "$WORK/hand.html" \
    && pass "finding: the partly gated alley along the northern boundary, with its burglaries" || fail "alley finding: $(grep -o 'partly gated alley[^<]*' "$WORK/hand.html")"
grep -q "Bowers, Johnson &amp; Hirschfield (2004)" "$WORK/hand.html" && grep -q "Welsh &amp; Farrington (2008)" "$WORK/hand.html" && grep -q "Welsh &amp; Farrington (2009)" "$WORK/hand.html" \
    && pass "findings cite Bowers et al. 2004, Welsh & Farrington 2008 and 2009" || fail "citations missing"
grep -q "Street lights reach 8 % of the red line (30 m of 400 m)" "$WORK/hand.html" && pass "lighting finding" || fail "lighting finding"
grep -q "CCTV covers 3 % of the site" "$WORK/hand.html" && pass "CCTV finding" || fail "CCTV finding"
if command -v chromium >/dev/null; then
    [ -s "$WORK/hand.pdf" ] && head -c 5 "$WORK/hand.pdf" | grep -q "%PDF" && pass "the report with guardianship prints to PDF in headless Chromium" || fail "no PDF"
fi
grep -q 'stroke="#1a9641"' "$WORK/hand.html" && grep -q 'stroke="#fdae61"' "$WORK/hand.html" && pass "gated and partly gated paths drawn on the maps" || fail "paths not drawn"

# Without --gates: gating is unknown (NULL), not 0; without any asset: every guardianship column NULL.
"$SAFER" site --no-pdf --site "$SITE" --crimes "$WORK/crimes.csv" --radii 100,250 --paths "$WORK/paths.geojson" -o "$WORK/nogates.gpkg" --report "$WORK/nogates.html" 2>"$WORK/e" || fail "paths only: $(cat "$WORK/e")"
[ "$(q "$WORK/nogates.gpkg" "SELECT COUNT(*) FROM site_paths WHERE gated IS NULL AND gates IS NULL")" = 2 ] && \
    [ "$(q "$WORK/nogates.gpkg" "SELECT ungated_paths IS NULL AND lit_boundary_share IS NULL AND cctv_site_share IS NULL AND cameras_site IS NULL AND paths_entering = 1 FROM site")" = 1 ] \
    && pass "paths without --gates: gated NULL, unknown columns NULL" || fail "NULLs with paths only"
grep -q "Not given, so not assessed (no figures are guessed): --lighting (street lights), --cctv (cameras), --gates (alley gates)" "$WORK/nogates.html" \
    && pass "report names the layers not given" || fail "missing-layer notice"
grep -q "whether it is gated is unknown: no --gates layer" "$WORK/nogates.html" && pass "finding says gating is unknown" || fail "unknown gating finding"
"$SAFER" site --no-pdf --site "$SITE" --crimes "$WORK/crimes.csv" --radii 100,250 -o "$WORK/none.gpkg" --report "$WORK/none.html" 2>"$WORK/e" || fail "no assets: $(cat "$WORK/e")"
[ "$(q "$WORK/none.gpkg" "SELECT COUNT(*) FROM site WHERE lit_boundary_share IS NULL AND lit_path_share_100m IS NULL AND cctv_site_share IS NULL AND cctv_ring_share IS NULL AND paths_entering IS NULL AND paths_passing IS NULL AND ungated_paths IS NULL")" = 1 ] \
    && pass "no asset layers: guardianship columns NULL, never 0" || fail "NULLs without assets"
[ "$(q "$WORK/none.gpkg" "SELECT COUNT(*) FROM gpkg_contents WHERE table_name = 'site_paths'")" = 0 ] && pass "no site_paths layer without --paths" || fail "site_paths written without --paths"
OUT="$WORK/bad.gpkg"
expect 2 "--gates needs --paths" "$OUT" "$SAFER" site --site "$SITE" --crimes "$WORK/crimes.csv" --gates "$WORK/gates.csv" -o "$OUT" --report "$WORK/bad.html"
expect 2 "--light-radius -1: must be a number more than 0" "$OUT" "$SAFER" site --site "$SITE" --crimes "$WORK/crimes.csv" --light-radius -1 -o "$OUT" --report "$WORK/bad.html"

# --- Real data: a Bristol site with the city's street lights, a Bath site with the OS roads as paths
AS="$DATA/avon-and-somerset"
cat >"$WORK/real-sites.geojson" <<'JSON'
{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[
{"type":"Feature","properties":{"ref":"bristol"},"geometry":{"type":"Polygon","coordinates":[[[358600,172700],[359000,172700],[359000,173000],[358600,173000],[358600,172700]]]}},
{"type":"Feature","properties":{"ref":"bath"},"geometry":{"type":"Polygon","coordinates":[[[375000,164800],[375300,164800],[375300,165000],[375000,165000],[375000,164800]]]}}]}
JSON
R="$WORK/real.gpkg"
/usr/bin/time -f '%e' -o "$WORK/real.time" "$SAFER" site --no-pdf --site "$WORK/real-sites.geojson" --site-id ref --crimes "$AS/crime/street" \
    --lighting "$AS/assets/bristol/streetlights.csv.gz" --paths "$AS/assets/bath-and-north-east-somerset/os_roads.geojson" --radii 100,250 \
    -o "$R" --report "$WORK/real.html" 2>"$WORK/real.err" || fail "real data: $(cat "$WORK/real.err")"
echo "real-data run: $(cat "$WORK/real.time") s; $(grep -o 'reviewing 2 sites: done in [0-9.]* s' "$WORK/real.err")"
# Independent: with OGR/GEOS in Python: the light discs (true circles to 1/256 of a turn) unioned
# against the red line, and the OS road lines dissolved and clipped to the 100 m buffer.
indep=$(/usr/bin/python3 - "$AS/assets/bristol/streetlights.csv.gz" "$AS/assets/bath-and-north-east-somerset/os_roads.geojson" <<'PY'
import csv, gzip, sys
from osgeo import ogr, osr
ogr.UseExceptions()
bng = osr.SpatialReference(); bng.ImportFromEPSG(27700)
wgs = osr.SpatialReference(); wgs.ImportFromEPSG(4326); wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
bng.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
tr = osr.CoordinateTransformation(wgs, bng)
site = ogr.CreateGeometryFromWkt("POLYGON((358600 172700,359000 172700,359000 173000,358600 173000,358600 172700))")
env = (358600 - 20, 359000 + 20, 172700 - 20, 173000 + 20)
union = ogr.Geometry(ogr.wkbMultiPolygon)
discs = []
for row in csv.DictReader(gzip.open(sys.argv[1], "rt")):
    x, y, _ = tr.TransformPoint(float(row["longitude"]), float(row["latitude"]))
    if env[0] <= x <= env[1] and env[2] <= y <= env[3]:
        discs.append(ogr.CreateGeometryFromWkt(f"POINT({x} {y})").Buffer(15, 64))
for d in discs: union = union.Union(d)
boundary = site.Boundary()
lit = boundary.Intersection(union).Length() if discs else 0.0
bath = ogr.CreateGeometryFromWkt("POLYGON((375000 164800,375300 164800,375300 165000,375000 165000,375000 164800))")
around = bath.Buffer(100, 64)
ds = ogr.Open(sys.argv[2]); layer = ds.GetLayer(0)
crs84 = layer.GetSpatialRef(); crs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
tr2 = osr.CoordinateTransformation(crs84, bng)
lines = []
for f in layer:
    g = f.GetGeometryRef().Clone(); g.Transform(tr2)
    lines.append(g)
merged = ogr.Geometry(ogr.wkbMultiLineString)
for g in lines:
    if g.Intersects(around): merged = merged.Union(g)   # dissolve overlaps, as the noding does
near_m = merged.Intersection(around).Length()
inside_m = merged.Intersection(bath).Length()
print(f"{lit / boundary.Length():.6f} {near_m:.3f} {len(discs)} {inside_m:.3f}")
PY
)
read -r lit_share near_m n_lights inside_m <<<"$indep"
v=$(q "$R" "SELECT lit_boundary_share FROM site WHERE site_id = 'bristol'")
close "$v" "$lit_share" 0.004 && pass "Bristol: lit share of the red line $v = independent $lit_share ($n_lights lights near)" || fail "Bristol lit share $v, independent $lit_share"
v=$(q "$R" "SELECT path_m_100m FROM site WHERE site_id = 'bath'")
close "$v" "$near_m" "$(awk -v m="$near_m" 'BEGIN { print 0.001 * m + 0.5 }')" && pass "Bath: road/path length within 100 m $v m = independent $near_m m" || fail "Bath path_m_100m $v, independent $near_m"
v=$(q "$R" "SELECT SUM(inside_m) FROM site_paths WHERE site_id = 'bath' AND relation = 'enter'")
close "$v" "$inside_m" "$(awk -v m="$inside_m" 'BEGIN { print 0.001 * m + 0.5 }')" && [ "$(q "$R" "SELECT COUNT(*) FROM site_paths WHERE site_id = 'bath' AND relation = 'pass' AND inside_m > 0")" = 0 ] \
    && pass "Bath: entering segments hold all $v m of road inside the site (independent $inside_m m); passing ones none" || fail "Bath inside_m $v, independent $inside_m"
v=$(q "$R" "SELECT paths_entering + paths_passing FROM site WHERE site_id = 'bath'")
[ "$(q "$R" "SELECT COUNT(*) FROM site_paths WHERE site_id = 'bath'")" = "$v" ] && [ "$v" -gt 0 ] && pass "Bath: $v segments enter or pass, one site_paths row each" || fail "Bath site_paths rows vs $v"
[ "$(q "$R" "SELECT lit_path_share_100m IS NULL AND path_m_100m = 0 FROM site WHERE site_id = 'bristol'")" = 1 ] \
    && pass "Bristol: no OS roads there (Bath only): 0 m of paths, lit share NULL" || fail "Bristol path columns"

finish
