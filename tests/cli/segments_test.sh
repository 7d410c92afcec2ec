#!/usr/bin/env bash
# Command-line tests of `safer segments`: a hand-drawn Y junction whose counts, rates, network
# densities and concentration are worked out by hand below; streets from OpenStreetMap XML (GDAL's
# OSM driver, as for .pbf); bad options and inputs; then the Bath and North East Somerset roads
# with a year of Avon and Somerset crimes, checked by tests/cli/segments_check.py (brute-force
# nearest segments, NetworkX shortest paths and walks, Gi* and concentration recomputed).
# safer bid and safer site with --streets are checked against safer segments' own counts and an
# independent selection of the segments with OGR.
# usage: segments_test.sh SAFER SAFER_TOWN DATA_DIR WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN="$2"; DATA="$3"; WORK="$4"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
CHECK="$(dirname "$0")/segments_check.py"

# --- The hand-drawn Y junction (British National Grid, local coordinates from X0, Y0) ---------
# O = (0, 0). Arm A east to (200, 0), arm B north to (0, 200), arm C west to (-200, 0): one
# junction of degree 3, three segments of 200 m, lixels of 50 m (4 each, centres 25, 75, 125,
# 175 m from O).
# Incidents (point CSV, eastings): two at (30, 5): on A, 30 m from O, 5 m off it; one at (3, 100):
# on B, 100 m from O; one at (100, 100): 100 m from A and B -> far_from_street; one at (5000, 0):
# outside the network's extent -> outside_network.
# Counts A 2, B 1, C 0; rate_per_100m 1, 0.5, 0.
# Network density, discontinuous, quartic, h = 100 m: K(d) = 0.009375 (1 - (d/100)^2)^2 per metre.
#   A, lixel centred 25 m from O: the two incidents 5 m away: 2 K(5) = 2 * 0.009375 * 0.99500625
#     = 0.0186563671875; the one on B is 125 m away. nkde = 100x = 1.86563671875 per 100 m.
#   B, lixel centred 25 m from O: the one on B 75 m away, K(75) = 0.00179443359375; the two on A
#     30 + 25 = 55 m away through O (degree 3: factor 1/2): 2 K(55)/2 = 0.009375 * 0.48650625
#     = 0.00456099609375. Sum 0.0063554296875 -> 0.63554296875.
#   B's lixels at 75 and 125 m: K(25) = 0.00823974609375 each (A's incidents 105 and 155 m away);
#     at 175 m: K(75). Segment B's nkde = mean = 100 (0.0063554296875 + 2 * 0.00823974609375
#     + 0.00179443359375) / 4 = 100 * 0.02462935546875 / 4 = 0.61573388671875.
# Concentration: 3 incidents on 3 segments; 25 % (0.75) and 50 % (1.5) on 1 segment, 75 % (2.25)
# on 2. Gini of (0, 1, 2): (2 (1*0 + 2*1 + 3*2) / 3 - 4) / 3 = 4/9.
X0=400000; Y0=200000
P() { awk -v x="$1" -v y="$2" -v x0=$X0 -v y0=$Y0 'BEGIN { printf "[%d,%d]", x0 + x, y0 + y }'; }
line() { printf '{"type":"Feature","properties":{"name":"%s","classifica":"Local Road"},"geometry":{"type":"LineString","coordinates":[%s,%s]}}' "$1" "$(P "$2" "$3")" "$(P "$4" "$5")"; }
{
    echo '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":['
    line "East Arm" 0 0 200 0; echo ","
    line "North Arm" 0 0 0 200; echo ","
    line "West Arm" -200 0 0 0
    echo ']}'
} >"$WORK/y.geojson"
{
    echo "x,y,month,crime type"
    for xy in "30 5" "30 5" "3 100" "100 100" "5000 0"; do
        set -- $xy
        echo "$((X0 + $1)),$((Y0 + $2)),2023-01,Burglary"
    done
} >"$WORK/y-crimes.csv"
"$SAFER" segments --crimes "$WORK/y-crimes.csv" --crs EPSG:27700 --streets "$WORK/y.geojson" --bandwidth 100 --lixel 50 \
    -o "$WORK/y.gpkg" --csv "$WORK/y.csv" --incidents 2>"$WORK/y.err"
[ $? -eq 0 ] && pass "Y junction: segments runs" || fail "Y junction: $(cat "$WORK/y.err")"
G="$WORK/y.gpkg"
[ "$(q "$G" "select count(*) from segments")" = 3 ] && pass "3 segments" || fail "segments: $(q "$G" "select count(*) from segments")"
[ "$(q "$G" "select name, count, rate_per_100m from segments order by name")" = "East Arm|2.0|1.0
North Arm|1.0|0.5
West Arm|0.0|0.0" ] && pass "counts and rates per 100 m by hand" || fail "counts: $(q "$G" "select name, count, rate_per_100m from segments order by name")"
[ "$(q "$G" "select length_m from segments where name = 'East Arm'")" = "200.0" ] && pass "length_m" || fail "length"
[ "$(q "$G" "select reason, count(*) from rejects group by reason order by reason")" = "far_from_street|1
outside_network|1" ] && pass "rejects by reason: far_from_street 1, outside_network 1" || fail "rejects: $(q "$G" "select reason, count(*) from rejects group by reason")"
grep -qF "rejected        1  farther than the tolerance from every street segment (far_from_street)" "$WORK/y.err" &&
    grep -qF "rejected        1  outside the street network" "$WORK/y.err" && pass "rejects printed by reason" || fail "reject lines: $(cat "$WORK/y.err")"
[ "$(head -1 "$WORK/y.csv")" = "segment_id,name,length_m,count,rate_per_100m,nkde,gi_z,gi_bin" ] && pass "CSV columns" || fail "CSV header: $(head -1 "$WORK/y.csv")"
[ "$(wc -l <"$WORK/y.csv")" = 4 ] && pass "CSV rows" || fail "CSV rows"
# Lixel densities by the lixel's centre point (from_m, to_m and the segment's direction).
lixel_at() { # SEGMENT_NAME DISTANCE_FROM_O -> the lixel's nkde
    /usr/bin/python3 - "$G" "$1" "$2" "$X0" "$Y0" <<'EOF'
import sys
from osgeo import ogr
g, name, d, x0, y0 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
ds = ogr.Open(g)
sid = [f.GetField("segment_id") for f in ds.GetLayerByName("segments") if f.GetField("name") == name][0]
for f in ds.GetLayerByName("lixels"):
    if f.GetField("segment_id") != sid: continue
    c = f.GetGeometryRef().Centroid()
    if abs(abs(c.GetX() - x0) + abs(c.GetY() - y0) - d) < 1e-6:
        print(repr(f.GetField("nkde")))
EOF
}
close "$(lixel_at "East Arm" 25)" 1.86563671875 1e-12 && pass "nkde on A 25 m from O = 1.86563671875 (by hand)" || fail "A 25: $(lixel_at "East Arm" 25)"
close "$(lixel_at "North Arm" 25)" 0.63554296875 1e-12 && pass "nkde on B 25 m from O = 0.63554296875 (split 1/2 at O)" || fail "B 25: $(lixel_at "North Arm" 25)"
close "$(lixel_at "North Arm" 75)" 0.823974609375 1e-12 && pass "nkde on B 75 m from O" || fail "B 75: $(lixel_at "North Arm" 75)"
close "$(q "$G" "select nkde from segments where name = 'North Arm'")" 0.61573388671875 1e-12 && pass "segment nkde = mean of its lixels" ||
    fail "B nkde: $(q "$G" "select nkde from segments where name = 'North Arm'")"
[ "$(q "$G" "select value from concentration where measure in ('segments_holding_25pct', 'segments_holding_50pct', 'segments_holding_75pct')")" = "1.0
1.0
2.0" ] && pass "segments holding 25/50/75 %: 1, 1, 2" || fail "holding: $(q "$G" "select * from concentration")"
close "$(q "$G" "select value from concentration where measure = 'gini'")" 0.444444444444 1e-9 && pass "Gini 4/9" || fail "gini"
[ "$(q "$G" "select count(*), sum(distance_m) from segment_incidents")" = "3|13.0" ] && pass "segment_incidents: 3 placed, distances 5 + 5 + 3" ||
    fail "segment_incidents: $(q "$G" "select count(*), sum(distance_m) from segment_incidents")"
grep -qF "half of them on 1 segments" "$WORK/y.err" && pass "summary names the segments holding half" || fail "summary: $(cat "$WORK/y.err")"
[ "$(q "$G" "select count(*) from gpkg_data_columns where table_name = 'segments' and description <> ''")" -ge 8 ] && pass "field descriptions" || fail "descriptions"
[ "$(q "$G" "select count(*) from layer_styles where f_table_name in ('segments', 'lixels') and useAsDefault = 1")" = 2 ] && pass "default QGIS styles" || fail "styles"
[ "$(q "$G" "select styleQML from layer_styles where f_table_name = 'segments' and useAsDefault = 1" | grep -c 'attr="nkde"')" -ge 1 ] && pass "segments styled by nkde" ||
    fail "segments style field"
# The same density by all three methods on A 25 m from O: every method gives 2 K(5) there.
for m in simple continuous; do
    "$SAFER" segments --crimes "$WORK/y-crimes.csv" --crs EPSG:27700 --streets "$WORK/y.geojson" --bandwidth 100 --method $m -o "$WORK/y-$m.gpkg" -q 2>/dev/null
done
# Continuous on A at 25 m: the walk to O (25 m) turns back into A with factor (2 - 3)/3 and meets
# the two incidents 30 m from O, 55 m in all: 2 (K(5) - K(55)/3) = 2 (0.00932818359375 -
# 0.00152033203125) = 0.015615703125 -> 1.5615703125.
G2="$WORK/y-continuous.gpkg"; G_SAVE="$G"; G="$G2"
close "$(lixel_at "East Arm" 25)" 1.5615703125 1e-12 && pass "continuous: the reflection from O, -1/3 K(55), by hand" || fail "continuous A 25: $(lixel_at "East Arm" 25)"
G="$WORK/y-simple.gpkg"
# Simple on B at 25 m: K(75) + 2 K(55) = 0.00179443359375 + 0.0091219921875 = 0.01091642578125.
close "$(lixel_at "North Arm" 25)" 1.091642578125 1e-12 && pass "simple: no split at O, K(75) + 2 K(55)" || fail "simple B 25: $(lixel_at "North Arm" 25)"
G="$G_SAVE"

# --- Streets from OpenStreetMap (GDAL's OSM driver, which reads .pbf the same way) -----------
# Two highway ways crossing (4 segments), a railway crossing both and a proposed road: left out.
cat >"$WORK/town.osm" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="safer test">
  <node id="1" lat="51.3800" lon="-2.3600" version="1"/>
  <node id="2" lat="51.3800" lon="-2.3560" version="1"/>
  <node id="3" lat="51.3780" lon="-2.3580" version="1"/>
  <node id="4" lat="51.3820" lon="-2.3580" version="1"/>
  <node id="5" lat="51.3800" lon="-2.3580" version="1"/>
  <node id="6" lat="51.3790" lon="-2.3600" version="1"/>
  <node id="7" lat="51.3810" lon="-2.3560" version="1"/>
  <node id="8" lat="51.3795" lon="-2.3610" version="1"/>
  <node id="9" lat="51.3795" lon="-2.3550" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="5"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="name" v="Queen Street"/></way>
  <way id="11" version="1"><nd ref="3"/><nd ref="5"/><nd ref="4"/><tag k="highway" v="tertiary"/><tag k="name" v="King Street"/></way>
  <way id="12" version="1"><nd ref="6"/><nd ref="7"/><tag k="railway" v="rail"/></way>
  <way id="13" version="1"><nd ref="8"/><nd ref="9"/><tag k="highway" v="proposed"/></way>
</osm>
EOF
printf 'Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n' >"$WORK/osm-crimes.csv"
printf 'a1,2023-01,Test,Test,-2.3590,51.38001,On or near Queen Street,,,Burglary,,\n' >>"$WORK/osm-crimes.csv"
printf 'a2,2023-01,Test,Test,-2.35801,51.3810,On or near King Street,,,Burglary,,\n' >>"$WORK/osm-crimes.csv"
"$SAFER" segments --crimes "$WORK/osm-crimes.csv" --streets "$WORK/town.osm" -o "$WORK/osm.gpkg" 2>"$WORK/osm.err"
[ $? -eq 0 ] && pass "OSM streets" || fail "OSM: $(cat "$WORK/osm.err")"
[ "$(q "$WORK/osm.gpkg" "select count(*) from segments")" = 4 ] && pass "OSM: the two highways crossing make 4 segments; the railway and proposed road make none" ||
    fail "OSM segments: $(q "$WORK/osm.gpkg" "select name, kind from segments")"
grep -qF "line that is not a highway (railway, waterway, ...)" "$WORK/osm.err" && grep -qF "highway=proposed: not built" "$WORK/osm.err" &&
    pass "OSM: lines left out are reported" || fail "OSM left out: $(cat "$WORK/osm.err")"
[ "$(q "$WORK/osm.gpkg" "select group_concat(distinct kind) from (select kind from segments order by kind)")" = "residential,tertiary" ] && pass "OSM: kind from highway" ||
    fail "OSM kinds: $(q "$WORK/osm.gpkg" "select kind from segments")"
[ "$(q "$WORK/osm.gpkg" "select sum(count) from segments")" = "2.0" ] && pass "OSM: both incidents on segments" || fail "OSM counts"

# --- Bad options and inputs ------------------------------------------------------------------
expect 2 "--streets is required" "$WORK/bad.gpkg" "$SAFER" segments --crimes "$WORK/y-crimes.csv" --crs EPSG:27700 -o "$WORK/bad.gpkg"
expect 2 "--lixel 0: expected metres, more than 0" "$WORK/bad.gpkg" "$SAFER" segments --crimes "$WORK/y-crimes.csv" --crs EPSG:27700 --streets "$WORK/y.geojson" --lixel 0 -o "$WORK/bad.gpkg"
expect 2 "--bandwidth -5" "$WORK/bad.gpkg" "$SAFER" segments --crimes "$WORK/y-crimes.csv" --crs EPSG:27700 --streets "$WORK/y.geojson" --bandwidth -5 -o "$WORK/bad.gpkg"
expect 2 "--method" "$WORK/bad.gpkg" "$SAFER" segments --crimes "$WORK/y-crimes.csv" --crs EPSG:27700 --streets "$WORK/y.geojson" --method fast -o "$WORK/bad.gpkg"
expect 2 "exists" "" "$SAFER" segments --crimes "$WORK/y-crimes.csv" --crs EPSG:27700 --streets "$WORK/y.geojson" -o "$WORK/y.gpkg"
expect 1 "a CSV of points cannot hold lines" "$WORK/bad.gpkg" "$SAFER" segments --crimes "$WORK/y-crimes.csv" --crs EPSG:27700 --streets "$WORK/y-crimes.csv" -o "$WORK/bad.gpkg"
# Streets somewhere else: nothing within the tolerance, and the message says where both are.
printf 'x,y,month,crime type\n%s,%s,2023-01,Burglary\n' $((X0 + 90000)) $Y0 >"$WORK/far.csv"
expect 1 "nothing left to count: none of the 1 incidents of the selection lies within 30 m of a street segment" "$WORK/bad.gpkg" \
    "$SAFER" segments --crimes "$WORK/far.csv" --crs EPSG:27700 --streets "$WORK/y.geojson" -o "$WORK/bad.gpkg"
# --help carries the formulas.
"$SAFER" segments --help >"$WORK/help.txt" 2>&1
grep -qF "K_h(d) = (15/16)(1 - (d/h)^2)^2 / h" "$WORK/help.txt" && grep -qF "Okabe, Satoh & Sugihara 2009" "$WORK/help.txt" &&
    pass "--help gives the network KDE formula and its source" || fail "help: $(cat "$WORK/help.txt")"

# --- safer bid and safer site with --streets, on the synthetic town ----------------------------
"$TOWN" --seed 1 -o "$WORK/town" -q
T="$WORK/town"
"$SAFER" segments --crimes "$T/crimes" --streets "$T/streets.geojson" --group neighbourhood -o "$WORK/town-nbh.gpkg" -q 2>/dev/null
"$SAFER" segments --crimes "$T/crimes" --streets "$T/streets.geojson" -o "$WORK/town-all.gpkg" -q 2>/dev/null
"$SAFER" bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --streets "$T/streets.geojson" \
    -o "$WORK/bid.gpkg" --report "$WORK/bid.html" 2>"$WORK/bid.err"
[ $? -eq 0 ] && pass "bid with --streets alone runs" || fail "bid --streets: $(cat "$WORK/bid.err")"
[ -f "$WORK/bid_streets.csv" ] && pass "bid writes <name>_streets.csv" || fail "no bid_streets.csv"
"$SAFER" site --site "$T/site.geojson" --crimes "$T/crimes" --streets "$T/streets.geojson" -o "$WORK/site.gpkg" --report "$WORK/site.html" --no-pdf 2>"$WORK/site.err"
[ $? -eq 0 ] && pass "site with --streets alone runs" || fail "site --streets: $(cat "$WORK/site.err")"
/usr/bin/python3 - "$WORK" <<'EOF2'
import sys
from osgeo import ogr
w = sys.argv[1]
fails = 0
def check(ok, what):
    global fails
    print(("ok: " if ok else "FAIL: ") + what)
    fails += 0 if ok else 1
def segments(path):
    ds = ogr.Open(path)  # kept open while its layer is read: GDAL's Python bindings crash otherwise
    return {f.GetField("segment_id"): (f.GetGeometryRef().Clone(), f.GetField("count"), f.GetField("nkde")) for f in ds.GetLayerByName("segments")}
nbh, every = segments(w + "/town-nbh.gpkg"), segments(w + "/town-all.gpkg")
bid = ogr.Open(w + "/bid.gpkg")
top = [f.GetGeometryRef().Clone() for f in bid.GetLayerByName("target_areas") if f.GetField("rank") == 1][0]
rows = [(f.GetField("rank"), f.GetField("segment_id"), f.GetField("count")) for f in bid.GetLayerByName("target_streets")]
# The top candidate's segments: those whose middle (OGR's point half way along) lies in it.
def middle(g):
    line = g.GetGeometryRef(0) if g.GetGeometryCount() else g
    return line.Value(line.Length() / 2)
want = sorted(s for s, (g, c, k) in nbh.items() if top.Contains(middle(g)))
check(sorted(r[1] for r in rows) == want, f"target_streets are the {len(want)} segments with their middle in the top candidate")
check(all(abs(c - nbh[s][1]) < 1e-9 for _, s, c in rows), "target_streets counts equal safer segments --group neighbourhood over the same months")
check([r[0] for r in rows] == list(range(1, len(rows) + 1)) and all(rows[i][2] >= rows[i + 1][2] for i in range(len(rows) - 1)),
      "target_streets ranked busiest first")
report = open(w + "/bid.html").read()
busiest = [f.GetField("name") for f in bid.GetLayerByName("target_streets") if f.GetField("rank") == 1][0]
check("Streets of the top candidate" in report and f"The busiest: {busiest} (segment {rows[0][1]}," in report, "the report names the busiest street")
site = ogr.Open(w + "/site.gpkg")
red = [f.GetGeometryRef().Clone() for f in site.GetLayerByName("site")][0]
got = {f.GetField("segment_id"): (f.GetField("distance_m"), f.GetField("count")) for f in site.GetLayerByName("site_segments")}
near = {s: red.Distance(g) for s, (g, c, k) in every.items() if red.Distance(g) <= 100}
check(sorted(got) == sorted(near), f"site_segments are the {len(near)} segments within 100 m of the red line (OGR distance)")
check(all(abs(got[s][0] - near[s]) < 1e-6 and abs(got[s][1] - every[s][1]) < 1e-9 for s in near), "with their distance and all-crime counts")
check("Streets within 100 m" in open(w + "/site.html").read(), "the site report has its streets section")
sys.exit(1 if fails else 0)
EOF2
[ $? -eq 0 ] && pass "bid and site streets checked against safer segments and OGR" || fail "bid/site streets"
expect 2 "--streets needs --paths" "$WORK/score.gpkg" "$SAFER" score --crimes "$T/crimes" --streets "$T/streets.geojson" -o "$WORK/score.gpkg"

# --- Real data: Bath and North East Somerset roads, a year of its crimes -----------------------
ROADS="$DATA/avon-and-somerset/assets/bath-and-north-east-somerset/os_roads.geojson"
BANES="$DATA/avon-and-somerset/boundaries/lsoa_2011_by_lad/E06000022.json"
if [ -f "$ROADS" ] && [ -f "$BANES" ]; then
    for m in discontinuous simple continuous; do
        "$SAFER" segments --crimes "$DATA/avon-and-somerset/crime/street" --from 2021-04 --to 2022-03 --areas "$BANES" --streets "$ROADS" \
            --method $m --incidents -o "$WORK/bath-$m.gpkg" 2>"$WORK/bath-$m.err"
        [ $? -eq 0 ] && pass "Bath, $m: runs" || fail "Bath $m: $(cat "$WORK/bath-$m.err")"
        /usr/bin/python3 "$CHECK" "$WORK/bath-$m.gpkg" --bandwidth 200 --method $m --tolerance 30 --gi-band 100 >"$WORK/bath-$m.check" 2>&1
        [ $? -eq 0 ] && pass "Bath, $m: independent checks ($(grep -c '^ok' "$WORK/bath-$m.check") groups)" || fail "Bath $m check: $(cat "$WORK/bath-$m.check")"
    done
    # Every row read is used (on a segment) or rejected, reason by reason.
    read_rows=$(grep -o "read [0-9,]* rows" "$WORK/bath-discontinuous.err" | head -n 1 | grep -o "[0-9,]*" | tr -d ,)
    placed=$(q "$WORK/bath-discontinuous.gpkg" "select count(*) from segment_incidents")
    rejected=$(q "$WORK/bath-discontinuous.gpkg" "select count(*) from rejects")
    [ "$read_rows" -eq $((placed + rejected)) ] && pass "rows read $read_rows = $placed on segments + $rejected rejected" ||
        fail "accounting: $read_rows read, $placed placed, $rejected rejected"
    # Same inputs, same bytes of every table.
    "$SAFER" segments --crimes "$DATA/avon-and-somerset/crime/street" --from 2021-04 --to 2022-03 --areas "$BANES" --streets "$ROADS" \
        --incidents -o "$WORK/bath-again.gpkg" -q 2>/dev/null
    same=1
    for t in segments lixels concentration lorenz segment_incidents rejects; do
        [ "$(q "$WORK/bath-discontinuous.gpkg" "select * from $t" | md5sum)" = "$(q "$WORK/bath-again.gpkg" "select * from $t" | md5sum)" ] || same=0
    done
    [ $same -eq 1 ] && pass "a second run writes the same tables" || fail "second run differs"
else
    fail "real data missing under $DATA"
fi

finish
