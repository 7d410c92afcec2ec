#!/usr/bin/env bash
# Command-line tests of `safer hotspots`: layers and fields, determinism of the permutations,
# space-time classes, and bad input.
# usage: hotspots_test.sh SAFER SAFER_TOWN WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"

"$TOWN_BIN" --seed 5 -o "$WORK/town" -q
T="$WORK/town"
# --- Areas with rates ---------------------------------------------------------------------
"$SAFER" hotspots --crimes "$T/crimes" --group neighbourhood --areas "$T/lsoas.geojson" --population "$T/population.csv" \
    --seed 7 -o "$WORK/areas.gpkg" 2>"$WORK/areas.err" || fail "hotspots areas: $(cat "$WORK/areas.err")"
grep -qF "weights: queen contiguity (default for areas)" "$WORK/areas.err" && pass "states the default weights" || fail "weights rule not printed"
grep -qE "Gi\*: [0-9]+ hot and [0-9]+ cold units at 95 %" "$WORK/areas.err" && pass "prints hot and cold at 95 %" || fail "summary"
cols=$(q "$WORK/areas.gpkg" "SELECT group_concat(name, ' ') FROM pragma_table_info('hotspot_areas')")
for f in code name count rate gi_z gi_p gi_p_sim gi_p_fdr gi_bin lisa_i lisa_p lisa_quadrant; do
    echo " $cols " | grep -q " $f " || fail "hotspot_areas lacks $f ($cols)"
done
pass "hotspot_areas fields: $cols"
[ "$(q "$WORK/areas.gpkg" "SELECT COUNT(*) FROM hotspot_areas WHERE gi_z IS NULL OR gi_p IS NULL OR gi_bin IS NULL")" = 0 ] && pass "no NULL statistics" || fail "NULL statistics"
# rate = 1000 * count / population, checked against the population file itself
bad=$(q "$WORK/areas.gpkg" "SELECT code || ' ' || rate || ' ' || count FROM hotspot_areas" | while read -r code rate count; do
    pop=$(awk -F, -v c="$code" '$1 == c {print $3}' "$T/population.csv")
    awk -v r="$rate" -v c="$count" -v p="$pop" 'BEGIN { d = r - 1000 * c / p; if (d < 0) d = -d; exit !(d > 1e-9) }' && echo "$code"
done)
[ -z "$bad" ] && pass "rate = 1000 count / population in every area" || fail "rates wrong: $bad"
# gi_bin agrees with gi_p and gi_z (Esri's Gi_Bin)
[ "$(q "$WORK/areas.gpkg" "SELECT COUNT(*) FROM hotspot_areas WHERE gi_bin != (CASE WHEN gi_p < 0.01 THEN 3 WHEN gi_p < 0.05 THEN 2 WHEN gi_p < 0.10 THEN 1 ELSE 0 END) * (CASE WHEN gi_z > 0 THEN 1 ELSE -1 END)")" = 0 ] \
    && pass "gi_bin follows Esri's bins of gi_p" || fail "gi_bin"
[ "$(q "$WORK/areas.gpkg" "SELECT COUNT(*) FROM concentration")" -ge 10 ] && pass "concentration table" || fail "concentration table"
last=$(q "$WORK/areas.gpkg" "SELECT incident_share FROM lorenz ORDER BY units DESC LIMIT 1")
[ "$last" = 1.0 ] && pass "Lorenz curve ends at 1" || fail "Lorenz ends at $last"
# Same seed, same pseudo p-values; another seed, others.
"$SAFER" hotspots -q --crimes "$T/crimes" --group neighbourhood --areas "$T/lsoas.geojson" --population "$T/population.csv" --seed 7 -o "$WORK/again.gpkg" 2>/dev/null
"$SAFER" hotspots -q --crimes "$T/crimes" --group neighbourhood --areas "$T/lsoas.geojson" --population "$T/population.csv" --seed 8 -o "$WORK/other.gpkg" 2>/dev/null
a=$(q "$WORK/areas.gpkg" "SELECT group_concat(gi_p_sim || lisa_p) FROM hotspot_areas"); b=$(q "$WORK/again.gpkg" "SELECT group_concat(gi_p_sim || lisa_p) FROM hotspot_areas")
c=$(q "$WORK/other.gpkg" "SELECT group_concat(gi_p_sim || lisa_p) FROM hotspot_areas")
[ "$a" = "$b" ] && pass "same seed, same pseudo p-values" || fail "permutations not repeatable"
[ "$a" != "$c" ] && pass "another seed, other pseudo p-values" || fail "seed ignored"

# --- Grid with periods ----------------------------------------------------------------------
"$SAFER" hotspots --crimes "$T/crimes" --grid 100 --areas "$T/lsoas.geojson" --by quarter --fdr -o "$WORK/grid.gpkg" 2>"$WORK/grid.err" \
    || fail "hotspots grid: $(cat "$WORK/grid.err")"
cells=$(q "$WORK/grid.gpkg" "SELECT COUNT(*) FROM hotspot_grid")
zero=$(q "$WORK/grid.gpkg" "SELECT COUNT(*) FROM hotspot_grid WHERE count = 0")
[ "$cells" -gt 100 ] && [ "$zero" -gt 0 ] && pass "grid: $cells cells in the study area, $zero with no incident kept" || fail "grid cells $cells zero $zero"
used=$(sed -n 's/.*: \([0-9,]*\) incidents of Every.*/\1/p' "$WORK/grid.err" | tr -d ,)
summed=$(q "$WORK/grid.gpkg" "SELECT CAST(SUM(count) AS INTEGER) FROM hotspot_grid")
grep -q "not counted" "$WORK/grid.err" || { [ "$summed" = "$used" ] && pass "grid counts sum to the incidents ($summed)" || fail "grid sum $summed != $used"; }
patterns=$(q "$WORK/grid.gpkg" "SELECT COUNT(*) FROM hotspot_grid WHERE emerging IS NOT NULL AND hotspot_class IS NOT NULL")
[ "$patterns" = "$cells" ] && pass "every cell has an emerging pattern and a class" || fail "patterns $patterns of $cells"

# --- Bad input ---------------------------------------------------------------------------
OUT="$WORK/bad.gpkg"
cat >"$WORK/four.geojson" <<'JSON'
{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[
{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[100,0],[100,100],[0,100],[0,0]]]}},
{"type":"Feature","properties":{"code":"B"},"geometry":{"type":"Polygon","coordinates":[[[100,0],[200,0],[200,100],[100,100],[100,0]]]}},
{"type":"Feature","properties":{"code":"C"},"geometry":{"type":"Polygon","coordinates":[[[0,100],[100,100],[100,200],[0,200],[0,100]]]}},
{"type":"Feature","properties":{"code":"D"},"geometry":{"type":"Polygon","coordinates":[[[100,100],[200,100],[200,200],[100,200],[100,100]]]}}]}
JSON
printf 'easting,northing,month,crime type\n50,50,2023-01,Burglary\n150,50,2023-01,Burglary\n50,150,2023-01,Burglary\n150,150,2023-01,Burglary\n' >"$WORK/four.csv"
expect 1 "every unit has the same value" "$OUT" "$SAFER" hotspots --crimes "$WORK/four.csv" --areas "$WORK/four.geojson" --permutations 0 -o "$OUT"
printf 'easting,northing,month,crime type\n50,50,2023-01,Burglary\n150,50,2023-01,Burglary\n150,50,2023-01,Burglary\n50,150,2023-01,Burglary\n' >"$WORK/three.csv"
expect 1 "no unit has a neighbour" "$OUT" "$SAFER" hotspots --crimes "$WORK/three.csv" --areas "$WORK/four.geojson" --weights distance:1 --permutations 0 -o "$OUT"
expect 1 "at least 99" "$OUT" "$SAFER" hotspots --crimes "$WORK/three.csv" --areas "$WORK/four.geojson" --permutations 50 -o "$OUT"
expect 0 "only 4 units: Gi* needs about 30" "" "$SAFER" hotspots --crimes "$WORK/three.csv" --areas "$WORK/four.geojson" --permutations 0 -o "$WORK/few.gpkg"
expect 2 "--weights" "$OUT" "$SAFER" hotspots --crimes "$WORK/three.csv" --areas "$WORK/four.geojson" --weights knn:x -o "$OUT"
expect 2 "--grid METRES" "$OUT" "$SAFER" hotspots --crimes "$WORK/three.csv" -o "$OUT"

finish
