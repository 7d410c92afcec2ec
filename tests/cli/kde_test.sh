#!/usr/bin/env bash
# Command-line tests of `safer kde`: closed-form values read back from the written raster,
# the mass of the surface, outputs and layers, determinism, and bad input.
# usage: kde_test.sh SAFER SAFER_TOWN WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
# |a - b| <= tol
value_at() { gdallocationinfo -valonly -geoloc "$1" "$2" "$3"; } # raster, x, y

# --- One incident at a cell centre: closed-form values --------------------------------------
# Grid edges snap to multiples of the cell (25 m), so (400012.5, 200012.5) is a cell centre.
printf 'easting,northing,month,crime type\n400012.5,200012.5,2023-01,Burglary\n' >"$WORK/one.csv"
"$SAFER" kde -q --crimes "$WORK/one.csv" --bandwidth 100 --cell 25 --units raw -o "$WORK/one-raw.tif" 2>"$WORK/e" || fail "kde raw: $(cat "$WORK/e")"
"$SAFER" kde -q --crimes "$WORK/one.csv" --bandwidth 100 --cell 25 -o "$WORK/one.gpkg" 2>"$WORK/e" || fail "kde per-km2: $(cat "$WORK/e")"
# raw, quartic (QGIS's raw): (1 - d²/h²)²; d = 0 -> 1; d = 50 -> 0.5625; d = 25√2 -> (1 - 1250/10000)² = 0.765625; d = 100 -> 0.
v=$(value_at "$WORK/one-raw.tif" 400012.5 200012.5); close "$v" 1 1e-6 && pass "raw at d=0 is 1 ($v)" || fail "raw at d=0: $v"
v=$(value_at "$WORK/one-raw.tif" 400062.5 200012.5); close "$v" 0.5625 1e-6 && pass "raw at d=50 is 0.5625 ($v)" || fail "raw at d=50: $v"
v=$(value_at "$WORK/one-raw.tif" 400037.5 199987.5); close "$v" 0.765625 1e-6 && pass "raw at d=25v2 is 0.765625 ($v)" || fail "raw diag: $v"
v=$(value_at "$WORK/one-raw.tif" 400112.5 200012.5); close "$v" 0 1e-9 && pass "raw at d=h is 0 ($v)" || fail "raw at d=h: $v"
# per-km2: 1e6 * 3/(π h²) * shape; 3e6/(π·10⁴) = 95.4929658551372
v=$(value_at "GPKG:$WORK/one.gpkg:kde_all" 400012.5 200012.5); close "$v" 95.4929658551372 1e-3 && pass "per-km2 at d=0 is 3e6/(pi h^2) ($v)" || fail "per-km2 d=0: $v"
v=$(value_at "GPKG:$WORK/one.gpkg:kde_all" 400062.5 200012.5); close "$v" 53.7147932935147 1e-3 && pass "per-km2 at d=50 ($v)" || fail "per-km2 d=50: $v"

# --- Weighted equals repeated ---------------------------------------------------------------
printf 'easting,northing,month,crime type,w\n400012.5,200012.5,2023-01,Burglary,2\n400300,200100,2023-02,Burglary,1\n' >"$WORK/weighted.csv"
printf 'easting,northing,month,crime type\n400012.5,200012.5,2023-01,Burglary\n400012.5,200012.5,2023-01,Burglary\n400300,200100,2023-02,Burglary\n' >"$WORK/repeated.csv"
"$SAFER" kde -q --crimes "$WORK/weighted.csv" --weight w --bandwidth 200 --cell 10 -o "$WORK/weighted.tif" 2>"$WORK/e" || fail "weighted: $(cat "$WORK/e")"
"$SAFER" kde -q --crimes "$WORK/repeated.csv" --bandwidth 200 --cell 10 -o "$WORK/repeated.tif" 2>"$WORK/e" || fail "repeated: $(cat "$WORK/e")"
a=$(gdalinfo -checksum "$WORK/weighted.tif" | grep Checksum); b=$(gdalinfo -checksum "$WORK/repeated.tif" | grep Checksum)
[ -n "$a" ] && [ "$a" = "$b" ] && pass "weight 2 = the same incident twice ($a)" || fail "weighted $a != repeated $b"
printf 'easting,northing,month,crime type,w\n400012.5,200012.5,2023-01,Burglary,-1\n400300,200100,2023-02,Burglary,x\n400300,200100,2023-02,Burglary,3\n' >"$WORK/bad-weight.csv"
"$SAFER" kde --crimes "$WORK/bad-weight.csv" --weight w --bandwidth 200 --cell 10 -o "$WORK/bw.tif" 2>"$WORK/e" || fail "bad weights"
grep -qF "rejected        2  weight empty, not a number or negative (bad_weight)" "$WORK/e" && pass "bad weights rejected and counted" || fail "bad weight report: $(cat "$WORK/e")"

# --- The town: mass, layers, classes, periods, determinism ------------------------------------
"$TOWN_BIN" --seed 3 -o "$WORK/town" -q
N=$(cat "$WORK"/town/crimes/*/*.csv | grep -c ',Burglary,')
"$SAFER" kde --crimes "$WORK/town/crimes" --types Burglary --bandwidth 400 --cell 25 -o "$WORK/burglary.tif" 2>"$WORK/town.err" || fail "town kde: $(cat "$WORK/town.err")"
grep -qF "kernel quartic, bandwidth 400.0 m, cell 25 m" "$WORK/town.err" && pass "prints the bandwidth and cell used" || fail "parameters not printed"
used=$(sed -n 's/.*: \([0-9,]*\) incidents of Burglary\b.*/\1/p' "$WORK/town.err" | tr -d ,)
# No study area: the grid reaches a bandwidth beyond every incident, so the surface holds them all:
# sum(value) * cell area / 1e6 = incidents (within 0.5 %), computed here by GDAL from the file.
stats=$(gdalinfo -stats -json "$WORK/burglary.tif")
mass=$(echo "$stats" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); b=d["bands"][0]; print(b["mean"] * d["size"][0] * d["size"][1] * 625 / 1e6)')
close "$mass" "$used" "$(echo "$used" | awk '{print $1 * 0.005}')" && pass "town burglary: mass $mass = $used incidents (raw file count $N)" || fail "mass $mass != $used"
[ -f "$WORK/burglary_classes.gpkg" ] && pass "GeoTIFF output: classes beside it" || fail "no burglary_classes.gpkg"
shares=$(ogrinfo -ro -q "$WORK/burglary_classes.gpkg" -sql "SELECT top_pct, cells, incident_share FROM kde_burglary_classes ORDER BY top_pct" | sed -n 's/.*= //p' | tr '\n' ' ')
echo "$shares" | awk '{ exit !($1 == 1 && $4 == 5 && $7 == 10 && $2 <= $5 && $5 <= $8 && $3 <= $6 && $6 <= $9 && $9 <= 1) }' \
    && pass "classes nest: $shares" || fail "classes: $shares"
"$SAFER" kde -q --crimes "$WORK/town/crimes" --group neighbourhood --areas "$WORK/town/lsoas.geojson" --by month --edge-correct \
    --bandwidth 300 --cell 20 -o "$WORK/months.gpkg" 2>"$WORK/e" || fail "--by month: $(cat "$WORK/e")"
rasters=$(sqlite3 "$WORK/months.gpkg" "SELECT COUNT(*) FROM gpkg_contents WHERE data_type = '2d-gridded-coverage' AND table_name LIKE 'kde_neighbourhood_2023_%'")
[ "$rasters" = 12 ] && pass "--by month: 12 raster layers" || fail "--by month: $rasters rasters"
periods=$(sqlite3 "$WORK/months.gpkg" "SELECT COUNT(DISTINCT period) FROM kde_neighbourhood_classes")
[ "$periods" = 12 ] && pass "--by month: classes for 12 periods" || fail "classes periods: $periods"
nd=$(gdalinfo "GPKG:$WORK/months.gpkg:kde_neighbourhood_2023_01" | sed -n 's/.*NoData Value=//p')
[ "$nd" = "-9999" ] && pass "nodata -9999 outside the study area" || fail "nodata: $nd"
"$SAFER" kde -q --crimes "$WORK/town/crimes" --types Burglary --bandwidth 400 --cell 25 -o "$WORK/again.tif" 2>/dev/null
[ "$(gdalinfo -checksum "$WORK/again.tif" | grep Checksum)" = "$(gdalinfo -checksum "$WORK/burglary.tif" | grep Checksum)" ] \
    && cmp -s <(gdal_translate -q -of XYZ "$WORK/again.tif" /vsistdout/) <(gdal_translate -q -of XYZ "$WORK/burglary.tif" /vsistdout/) \
    && pass "same inputs, same surface" || fail "kde is not deterministic"

# --- Bad input: exit 1, a clear message, nothing written --------------------------------------
OUT="$WORK/bad.gpkg"
expect 1 "--bandwidth 0: must be more than 0 m" "$OUT" "$SAFER" kde --crimes "$WORK/one.csv" --bandwidth 0 -o "$OUT"
expect 1 "--cell -5: must be more than 0 m" "$OUT" "$SAFER" kde --crimes "$WORK/one.csv" --cell -5 -o "$OUT"
expect 1 "more than 10 bandwidths" "$OUT" "$SAFER" kde --crimes "$WORK/one.csv" --bandwidth 100 --cell 1001 -o "$OUT"
expect 1 "no incidents left after filtering" "$OUT" "$SAFER" kde --crimes "$WORK/one.csv" --types Robbery --bandwidth 100 -o "$OUT"
printf '{"type":"FeatureCollection","features":[]}\n' >"$WORK/empty.geojson"
expect 1 "holds no polygons" "$OUT" "$SAFER" kde --crimes "$WORK/one.csv" --study-area "$WORK/empty.geojson" --bandwidth 100 -o "$OUT"
expect 1 "cell" "$OUT" "$SAFER" kde --crimes "$WORK/town/crimes" --bandwidth 400 --cell 0.3 -o "$OUT"
grep -qi "MB" "$WORK/err.txt" && pass "over-budget message gives the size" || fail "over-budget message: $(cat "$WORK/err.txt")"
expect 2 "--bandwidth wide" "$OUT" "$SAFER" kde --crimes "$WORK/one.csv" --bandwidth wide -o "$OUT"
expect 2 "--group" "$OUT" "$SAFER" kde --crimes "$WORK/one.csv" --group nosuch -o "$OUT"

finish
