#!/usr/bin/env bash
# Command-line tests of `safer score`: closed-form coverage read back from the GeoPackage, gates
# on a hand-drawn network, the budget plan, reprojected assets, determinism and bad input.
# usage: score_test.sh SAFER SAFER_TOWN WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"

# --- A hand-made place: closed-form shares ---------------------------------------------------
# Crimes in two 100 m cells; grid edges snap to multiples of 100 m, so (400050, 200050) is the
# centre of a cell. One light of radius 10 m at that centre: lit_share = pi 10^2 / 100^2.
cat >"$WORK/crimes.csv" <<'EOF'
easting,northing,month,crime type
400050,200050,2023-01,Robbery
400052,200048,2023-02,Violence and sexual offences
400150,200050,2023-02,Vehicle crime
400150,200052,2023-03,Anti-social behaviour
400150,200055,2023-03,Burglary
400020,200010,2023-04,Burglary
EOF
printf 'easting,northing,radius_m\n400050,200050,10\n' >"$WORK/light.csv"
"$SAFER" score -q --crimes "$WORK/crimes.csv" --lighting "$WORK/light.csv" -o "$WORK/one.gpkg" 2>"$WORK/e" || fail "one light: $(cat "$WORK/e")"
v=$(q "$WORK/one.gpkg" "SELECT lit_share FROM score_grid WHERE cell_id = (SELECT cell_id FROM score_grid ORDER BY lit_share DESC LIMIT 1)")
close "$v" 0.0314159265358979 1e-9 && pass "one light of 10 m in a 100 m cell: lit_share = pi/100 ($v)" || fail "lit_share $v"
v=$(q "$WORK/one.gpkg" "SELECT ROUND(SUM(area_m2), 6) FROM lighting_coverage")
close "$v" 314.159265 1e-5 && pass "lighting_coverage area = pi r^2 ($v)" || fail "coverage area $v"
# The lit cell's 2 crimes are 0.0314 guarded: unguarded = 2 x (1 - pi/100).
v=$(q "$WORK/one.gpkg" "SELECT lighting_unguarded FROM score_grid ORDER BY lit_share DESC LIMIT 1")
close "$v" 1.93716814692820 1e-9 && pass "unguarded pressure = crimes x (1 - lit_share) ($v)" || fail "unguarded $v"
v=$(q "$WORK/one.gpkg" "SELECT lighting_rank FROM score_grid ORDER BY lit_share DESC LIMIT 1")
[ "$v" = 2 ] && pass "the unlit cell (2 crimes, unguarded 2) outranks the lit one" || fail "rank $v"
# Recommendations: lighting in the lit cell prevents 0.21 x 2 x (1 - pi/100).
v=$(q "$WORK/one.gpkg" "SELECT prevented FROM recommendations WHERE intervention = 'lighting' AND coverage_now > 0")
close "$v" 0.406805310854922 1e-9 && pass "prevented = effect x crimes x (1 - coverage) ($v)" || fail "prevented $v"
n=$(q "$WORK/one.gpkg" "SELECT COUNT(*) FROM recommendations")
[ "$n" = 4 ] && pass "4 recommendations: lighting and CCTV in each of 2 cells" || fail "recommendations $n"

# --- The same light in lon/lat and in a GeoJSON in Web Mercator: reprojected, same answer ---
ll=$(echo "400050 200050" | gdaltransform -s_srs EPSG:27700 -t_srs EPSG:4326 -output_xy | awk '{printf "%.9f,%.9f", $1, $2}')
printf 'longitude,latitude,radius_m\n%s,10\n' "$ll" >"$WORK/light-lonlat.csv"
"$SAFER" score -q --crimes "$WORK/crimes.csv" --lighting "$WORK/light-lonlat.csv" -o "$WORK/lonlat.gpkg" 2>"$WORK/e" || fail "lon/lat: $(cat "$WORK/e")"
v=$(q "$WORK/lonlat.gpkg" "SELECT MAX(lit_share) FROM score_grid")
close "$v" 0.0314159265358979 1e-6 && pass "a light given in lon/lat is reprojected ($v)" || fail "lon/lat lit_share $v"
m=$(echo "400050 200050" | gdaltransform -s_srs EPSG:27700 -t_srs EPSG:3857 -output_xy | awk '{printf "%.4f,%.4f", $1, $2}')
printf '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[{"type":"Feature","properties":{"radius":10},"geometry":{"type":"Point","coordinates":[%s]}}]}\n' "$m" >"$WORK/light-3857.geojson"
"$SAFER" score -q --crimes "$WORK/crimes.csv" --lighting "$WORK/light-3857.geojson" -o "$WORK/merc.gpkg" 2>"$WORK/e" || fail "3857: $(cat "$WORK/e")"
v=$(q "$WORK/merc.gpkg" "SELECT MAX(lit_share) FROM score_grid")
close "$v" 0.0314159265358979 1e-6 && pass "a light in a Web Mercator GeoJSON is reprojected ($v)" || fail "3857 lit_share $v"

# --- A camera: a 90 degree sector of 20 m pointing north from a cell centre -----------------
printf 'camera_id,easting,northing,bearing_deg,fov_deg,range_m\nC1,400050,200050,0,90,20\n' >"$WORK/cam.csv"
"$SAFER" score -q --crimes "$WORK/crimes.csv" --cctv "$WORK/cam.csv" -o "$WORK/cam.gpkg" 2>"$WORK/e" || fail "camera: $(cat "$WORK/e")"
v=$(q "$WORK/cam.gpkg" "SELECT MAX(cctv_share) FROM score_grid")
close "$v" 0.0314159265358979 1e-9 && pass "a 90 degree, 20 m camera sees pi 20^2 / 4 of its cell ($v)" || fail "cctv_share $v"

# A building 10 m east of a full-circle 20 m camera hides the wedge behind its near face: the
# sector of half-angle atan(5/10) out to 20 m less the triangle in front, 135.459 m2 of 1256.637.
printf 'camera_id,easting,northing,range_m\nC2,400050,200050,20\n' >"$WORK/cam360.csv"
printf '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[{"type":"Feature","properties":{"building":"yes"},"geometry":{"type":"Polygon","coordinates":[[[400060,200045],[400070,200045],[400070,200055],[400060,200055],[400060,200045]]]}}]}\n' >"$WORK/building.geojson"
"$SAFER" score -q --crimes "$WORK/crimes.csv" --cctv "$WORK/cam360.csv" --occluders "$WORK/building.geojson" -o "$WORK/occ.gpkg" 2>"$WORK/e" || fail "occluders: $(cat "$WORK/e")"
v=$(q "$WORK/occ.gpkg" "SELECT MAX(cctv_share) FROM score_grid")
close "$v" 0.1121178 0.0005 && pass "a building hides the wedge behind it: cctv_share (1256.637 - 135.459) / 10000 ($v)" || fail "occluded cctv_share $v"

# --- Gates on a hand-drawn network ---------------------------------------------------------------
# Two alleys end to end between three streets; a gate mid-way along the west alley. Burglaries:
# 3 by the west alley, 2 by the east one.
head='{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":['
cat >"$WORK/paths.geojson" <<EOF
$head
{"type":"Feature","properties":{"highway":"service","service":"alley","name":"West Back Lane"},"geometry":{"type":"LineString","coordinates":[[400000,200000],[400100,200000]]}},
{"type":"Feature","properties":{"highway":"service","service":"alley","name":"East Back Lane"},"geometry":{"type":"LineString","coordinates":[[400100,200000],[400200,200000]]}},
{"type":"Feature","properties":{"highway":"residential"},"geometry":{"type":"LineString","coordinates":[[400000,199950],[400000,200050]]}},
{"type":"Feature","properties":{"highway":"residential"},"geometry":{"type":"LineString","coordinates":[[400100,199950],[400100,200050]]}},
{"type":"Feature","properties":{"highway":"residential"},"geometry":{"type":"LineString","coordinates":[[400200,199950],[400200,200050]]}}
]}
EOF
cat >"$WORK/gates.geojson" <<EOF
$head
{"type":"Feature","properties":{"gate_id":"G1","barrier":"gate"},"geometry":{"type":"Point","coordinates":[400050,200001]}}
]}
EOF
cat >"$WORK/burglary.csv" <<'EOF'
easting,northing,month,crime type
400030,200010,2023-01,Burglary
400060,199990,2023-02,Burglary
400070,200015,2023-03,Burglary
400150,200012,2023-03,Burglary
400160,199985,2023-04,Burglary
EOF
"$SAFER" score --crimes "$WORK/burglary.csv" --paths "$WORK/paths.geojson" --gates "$WORK/gates.geojson" --budget 100000 -o "$WORK/gates.gpkg" 2>"$WORK/gates.err" || fail "gates: $(cat "$WORK/gates.err")"
v=$(q "$WORK/gates.gpkg" "SELECT name || ':' || gated || ':' || burglaries FROM path_segments ORDER BY name" | tr '\n' ' ')
[ "$v" = "East Back Lane:0:2 West Back Lane:1:3 " ] && pass "the gate closes the west alley and only it; burglaries by alley: $v" || fail "segments: $v"
v=$(q "$WORK/gates.gpkg" "SELECT COUNT(*) FROM path_segments WHERE kind = 'alley'")
[ "$v" = 2 ] && pass "streets make junctions but are not segments" || fail "alley segments $v"
# Only the open east alley is a candidate: 2 gates (open at both ends), 0.37 x 2 burglaries.
v=$(q "$WORK/gates.gpkg" "SELECT place || '|' || crimes || '|' || units || '|' || cost_gbp || '|' || in_plan FROM recommendations WHERE intervention = 'gating'")
[ "$v" = "alley segment 1, East Back Lane (100 m)|2|2.0|3000.0|1" ] || [ "$v" = "alley segment 2, East Back Lane (100 m)|2|2.0|3000.0|1" ] \
    && pass "gating the east alley: 2 burglaries, 2 gates, GBP 3,000, in the plan" || fail "gating recommendation: $v"
grep -qF "method: exact: branch and bound" "$WORK/gates.err" && pass "few candidates: the plan is exact" || fail "plan method: $(grep method "$WORK/gates.err")"

# --- The synthetic town: everything together ----------------------------------------------------
"$TOWN_BIN" --seed 5 -o "$WORK/town" -q
T="$WORK/town"
"$SAFER" score --crimes "$T/crimes" --areas "$T/lsoas.geojson" --lighting "$T/lights.csv" --cctv "$T/cctv.csv" --gates "$T/gates.geojson" \
    --paths "$T/paths.geojson" --streets "$T/streets.geojson" --budget 150000 -o "$WORK/town.gpkg" 2>"$WORK/town.err" || fail "town: $(cat "$WORK/town.err")"
for layer in lighting_coverage cctv_coverage score_grid score_areas path_segments recommendations rejects; do
    n=$(q "$WORK/town.gpkg" "SELECT COUNT(*) FROM gpkg_contents WHERE table_name = '$layer'")
    [ "$n" = 1 ] || fail "town: no layer $layer"
done
pass "town: all seven layers written"
gates_in=$(grep -c '"barrier":"gate"' "$T/gates.geojson")
v=$(q "$WORK/town.gpkg" "SELECT SUM(gates) FROM path_segments")
[ "$v" = "$gates_in" ] && pass "town: every one of the $gates_in gates closes a segment" || fail "town gates $v of $gates_in"
v=$(q "$WORK/town.gpkg" "SELECT COUNT(*) FROM score_grid WHERE lit_share < 0 OR lit_share > 1 OR cctv_share < 0 OR cctv_share > 1")
[ "$v" = 0 ] && pass "town: shares within 0..1" || fail "town: $v shares out of range"
v=$(q "$WORK/town.gpkg" "SELECT SUM(cost_gbp) <= 150000 FROM recommendations WHERE in_plan = 1")
[ "$v" = 1 ] && pass "town: the plan keeps within the budget" || fail "town: plan over budget"
# The area-weighted mean of cell shares equals the lit area over the cells (cells inside areas).
grep -qF "lighting: " "$WORK/town.err" && grep -qF "budget plan within £150,000" "$WORK/town.err" && pass "town: summary printed" || fail "town summary: $(tail -5 "$WORK/town.err")"
grep -qE "[0-9]+ of [0-9]+ lights lie outside the areas" "$WORK/town.err" && pass "town: lights outside the study area counted and reported" || fail "outside not reported"
"$SAFER" score -q --crimes "$T/crimes" --areas "$T/lsoas.geojson" --lighting "$T/lights.csv" --cctv "$T/cctv.csv" --gates "$T/gates.geojson" \
    --paths "$T/paths.geojson" --streets "$T/streets.geojson" --budget 150000 -o "$WORK/again.gpkg" 2>/dev/null
a=$(q "$WORK/town.gpkg" "SELECT group_concat(place || prevented || in_plan, ';') FROM (SELECT * FROM recommendations ORDER BY rank)" | md5sum)
b=$(q "$WORK/again.gpkg" "SELECT group_concat(place || prevented || in_plan, ';') FROM (SELECT * FROM recommendations ORDER BY rank)" | md5sum)
[ "$a" = "$b" ] && pass "town: same inputs, same recommendations" || fail "town: recommendations differ between runs"
"$SAFER" score -q --crimes "$T/crimes" --lighting "$T/lights.csv" --pressure kde --bandwidth 150 -o "$WORK/kde.gpkg" 2>"$WORK/e" || fail "kde pressure: $(cat "$WORK/e")"
v=$(q "$WORK/kde.gpkg" "SELECT COUNT(*) FROM pragma_table_info('score_grid') WHERE name = 'lighting_pressure'")
[ "$v" = 1 ] && pass "--pressure kde adds lighting_pressure" || fail "no lighting_pressure"

# --- Costs table -----------------------------------------------------------------------------------
printf '[gating]\ncost = 500\n' >"$WORK/cheap.toml"
"$SAFER" score -q --crimes "$WORK/burglary.csv" --paths "$WORK/paths.geojson" --gates "$WORK/gates.geojson" --costs "$WORK/cheap.toml" -o "$WORK/cheap.gpkg" 2>"$WORK/e" || fail "costs: $(cat "$WORK/e")"
v=$(q "$WORK/cheap.gpkg" "SELECT cost_gbp FROM recommendations WHERE intervention = 'gating'")
[ "$v" = "1000.0" ] && pass "--costs: 2 gates at GBP 500" || fail "costs: $v"

# --- Bad input: exit 1 (or 2), a clear message naming the feature, nothing written --------------------
OUT="$WORK/bad.gpkg"
printf 'camera_id,easting,northing,bearing_deg,fov_deg\nC1,400050,200050,90,60\nC2,400060,200050,400,60\n' >"$WORK/bearing.csv"
expect 1 "bearing.csv: line 3 (C2): bearing 400 is outside 0-360 degrees" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --cctv "$WORK/bearing.csv" -o "$OUT"
printf 'camera_id,easting,northing,bearing_deg,fov_deg\nC3,400050,200050,90,0\n' >"$WORK/fov.csv"
expect 1 "fov.csv: line 2 (C3): field of view 0 degrees: it must be more than 0" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --cctv "$WORK/fov.csv" -o "$OUT"
cat >"$WORK/zero.geojson" <<EOF
$head
{"type":"Feature","properties":{"highway":"footway"},"geometry":{"type":"LineString","coordinates":[[400000,200000],[400100,200000]]}},
{"type":"Feature","properties":{"highway":"footway"},"geometry":{"type":"LineString","coordinates":[[400050,200050],[400050,200050]]}}
]}
EOF
expect 1 "zero.geojson: feature 2: the path has zero length" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --paths "$WORK/zero.geojson" -o "$OUT"
printf 'x,y,height\n400050,200050,-6\n' >"$WORK/height.csv"
expect 1 "height.csv: line 2: mounting height -6 m" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --lighting "$WORK/height.csv" -o "$OUT"
printf '[lighting]\neffect = 21\n' >"$WORK/effect.toml"
expect 1 "lighting.effect: 21 is not a share between 0 and 1" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --costs "$WORK/effect.toml" -o "$OUT"
printf '[lighting]\ncrime_types = ["Burglarly"]\n' >"$WORK/types.toml"
expect 1 "crime type 'Burglarly' is not a police.uk crime type" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --costs "$WORK/types.toml" -o "$OUT"
expect 2 "--gates needs --paths" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --gates "$WORK/gates.geojson" -o "$OUT"
expect 2 "--grid -5: must be a number more than 0" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --grid -5 -o "$OUT"
expect 1 "no such file" "$OUT" "$SAFER" score --crimes "$WORK/crimes.csv" --lighting "$WORK/missing.csv" -o "$OUT"
"$SAFER" score --help >"$WORK/help.txt" 2>&1 && grep -qF -- "--budget" "$WORK/help.txt" && pass "--help" || fail "--help"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
