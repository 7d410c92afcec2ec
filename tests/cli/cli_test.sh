#!/usr/bin/env bash
# Golden and bad-input tests of the safer command line.
# usage: cli_test.sh SAFER SAFER_TOWN FIXTURES DATA_DIR WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; FIX="$3"; DATA="$4"; WORK="$5"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
EVERY="$FIX/csv/crimes-17rows-every-reject-reason-bom-crlf.csv"

# Runs a command expecting exit code $1 and stderr containing $2; no file at $3 afterwards.

count() { ogrinfo -ro -q "$1" -sql "SELECT COUNT(*) AS n FROM $2" | sed -n 's/.*n (Integer[0-9]*) = //p'; }

# --- Golden: ingest of the hand-worked fixture -----------------------------------------------
"$SAFER" ingest --crimes "$EVERY" --from 2021-01 -o "$WORK/every.gpkg" 2>"$WORK/ingest.err"
code=$?
[ $code -eq 0 ] || fail "ingest exited $code"
# The operation PROJ picks depends on the grids installed (OSTN15 or not), so its line is checked
# by its start and by naming the British National Grid, and must not be a ballpark (no datum
# shift, about 100 m off); every other line is compared exactly.
proj_op='/Ballpark/!s/^(safer: coordinates transformed by PROJ: ).*British National Grid.*$/\1(operation) ... British National Grid/'
grep -v 'done in' "$WORK/ingest.err" | grep -v '\.\.\.$' | sed "s|$FIX|FIXTURES|g; s|$WORK|WORK|g" | sed -E "$proj_op" >"$WORK/ingest.stderr"
sed -E "$proj_op" "$FIX/expected/ingest-every-reason.stderr" >"$WORK/ingest.expected"
if diff -u "$WORK/ingest.expected" "$WORK/ingest.stderr"; then pass "ingest stderr matches the golden file"; else fail "ingest stderr differs"; fi
[ "$(count "$WORK/every.gpkg" incidents)" = 7 ] && pass "incidents: 7 features" || fail "incidents count"
[ "$(count "$WORK/every.gpkg" rejects)" = 10 ] && pass "rejects: 10 rows" || fail "rejects count"
fields=$(ogrinfo -ro -so "$WORK/every.gpkg" incidents | sed -n 's/^\([a-z_]*\): .*/\1/p' | tr '\n' ' ')
[ "$fields" = "month crime_type crime_group crime_id location lsoa_code_source outcome area_code source_line " ] \
    && pass "incidents fields" || fail "incidents fields: $fields"
incidents_info=$(ogrinfo -ro -so "$WORK/every.gpkg" incidents)
echo "$incidents_info" | grep -q 'ID\["EPSG",27700\]' && pass "incidents in EPSG:27700" || fail "incidents CRS"
reasons=$(ogrinfo -ro -q "$WORK/every.gpkg" -sql "SELECT reason FROM rejects ORDER BY line" | sed -n 's/.*reason (String) = //p' | tr '\n' ' ')
[ "$reasons" = "duplicate_row no_location zero_coordinates not_a_number out_of_range outside_crs_area bad_month outside_window malformed_row malformed_row " ] \
    && pass "reject reasons by line" || fail "reject reasons: $reasons"
[ "$(ogrinfo -ro -q "$WORK/every.gpkg" -sql "SELECT crime_group FROM incidents WHERE crime_type='Vehicle crime'" | sed -n 's/.*crime_group (String) = //p')" = neighbourhood ] \
    && pass "vehicle crime labelled neighbourhood" || fail "crime_group label"

# --- Input checksums in the metadata equal sha256sum's, whether taken while reading or after ----
meta=$(ogrinfo -ro -so "$WORK/every.gpkg" incidents)
sum_plain=$(sha256sum "$EVERY" | cut -d' ' -f1)
echo "$meta" | grep -qF "\"$EVERY\":\"$sum_plain\"" && pass "metadata SHA-256 of a plain CSV" || fail "plain CSV checksum not in metadata"
gzip -c "$EVERY" >"$WORK/every.csv.gz"
"$SAFER" ingest -q --crimes "$WORK/every.csv.gz" -o "$WORK/every-gz.gpkg" 2>/dev/null
sum_gz=$(sha256sum "$WORK/every.csv.gz" | cut -d' ' -f1)
meta_gz=$(ogrinfo -ro -so "$WORK/every-gz.gpkg" incidents)
echo "$meta_gz" | grep -qF "\"$WORK/every.csv.gz\":\"$sum_gz\"" && pass "metadata SHA-256 of a .csv.gz file" || fail "gzip checksum not in metadata"

# --- Quiet: -q prints nothing for a clean run --------------------------------------------------
"$SAFER" ingest --crimes "$EVERY" --from 2021-01 -o "$WORK/quiet.gpkg" -q 2>"$WORK/quiet.err"
grep -v "warning: crime type 'Fraud'" "$WORK/quiet.err" | grep -q . && fail "-q printed: $(cat "$WORK/quiet.err")" || pass "-q prints only warnings"

# --- Overwrite and output paths -------------------------------------------------------------
before=$(sha256sum "$WORK/every.gpkg")
expect 2 "already exists; pass --overwrite" "" "$SAFER" ingest --crimes "$EVERY" -o "$WORK/every.gpkg"
[ "$(sha256sum "$WORK/every.gpkg")" = "$before" ] && pass "existing output untouched" || fail "existing output changed"
"$SAFER" ingest --crimes "$EVERY" -o "$WORK/every.gpkg" --overwrite -q 2>/dev/null && pass "--overwrite replaces" || fail "--overwrite"
expect 3 "does not exist" "$WORK/no/such/dir/x.gpkg" "$SAFER" ingest --crimes "$EVERY" -o "$WORK/no/such/dir/x.gpkg"
expect 2 "--from 2021-13" "" "$SAFER" ingest --crimes "$EVERY" --from 2021-13 -o "$WORK/x.gpkg"
expect 2 "crimes" "" "$SAFER" ingest -o "$WORK/x.gpkg"

# --- Bad input: exit 1, the file named, no output ---------------------------------------------
mkdir -p "$WORK/bad/empty-folder"
printf 'a,b,c\n1,2,3\n' >"$WORK/bad/header.csv"
gzip -c "$EVERY" | head -c 300 >"$WORK/bad/cut.csv.gz"
cat >"$WORK/bad/no-code.geojson" <<'JSON'
{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"label":"x"},"geometry":{"type":"Polygon","coordinates":[[[-2.4,51.3],[-2.3,51.3],[-2.3,51.4],[-2.4,51.4],[-2.4,51.3]]]}}]}
JSON
cat >"$WORK/bad/one-area.geojson" <<'JSON'
{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA11CD":"E01014399"},"geometry":{"type":"Polygon","coordinates":[[[-2.4,51.3],[-2.3,51.3],[-2.3,51.4],[-2.4,51.4],[-2.4,51.3]]]}}]}
JSON
cat >"$WORK/bad/empty-geometry.geojson" <<'JSON'
{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA11CD":"E01000001"},"geometry":null}]}
JSON
printf 'code,population\nE09000001,100\nE09000002,200\n' >"$WORK/bad/population-no-match.csv"
OUT="$WORK/bad/out.gpkg"
expect 1 "$WORK/bad/missing.csv: no such file" "$OUT" "$SAFER" ingest --crimes "$WORK/bad/missing.csv" -o "$OUT"
expect 1 "$WORK/bad/empty-folder: the folder holds no .csv" "$OUT" "$SAFER" ingest --crimes "$WORK/bad/empty-folder" -o "$OUT"
expect 1 "$WORK/bad/header.csv: line 1: wrong header" "$OUT" "$SAFER" ingest --crimes "$WORK/bad/header.csv" -o "$OUT"
expect 1 "$WORK/bad/cut.csv.gz: corrupt or truncated gzip" "$OUT" "$SAFER" ingest --crimes "$WORK/bad/cut.csv.gz" -o "$OUT"
expect 1 "$WORK/bad/no-code.geojson: no area code field" "$OUT" "$SAFER" areas --crimes "$EVERY" --areas "$WORK/bad/no-code.geojson" -o "$OUT"
expect 1 "feature 1 (E01000001): empty or missing geometry" "$OUT" "$SAFER" areas --crimes "$EVERY" --areas "$WORK/bad/empty-geometry.geojson" -o "$OUT"
expect 1 "$WORK/bad/population-no-match.csv: none of its 2 codes" "$OUT" \
    "$SAFER" areas --crimes "$EVERY" --areas "$WORK/bad/one-area.geojson" --population "$WORK/bad/population-no-match.csv" -o "$OUT"

# --- 2011 areas against 2021 codes: detected and explained ------------------------------------
sed 's/E01014399/E01035000/' "$EVERY" >"$WORK/bad/codes-2021.csv"
expect 0 "the crime files use 2021 codes" "" "$SAFER" areas --crimes "$WORK/bad/codes-2021.csv" --areas "$WORK/bad/one-area.geojson" -o "$WORK/codes.gpkg"

# --- The synthetic town: deterministic, and every row accounted for ---------------------------
"$TOWN_BIN" --seed 7 -o "$WORK/town-a" -q && "$TOWN_BIN" --seed 7 -o "$WORK/town-b" -q
diff -r "$WORK/town-a" "$WORK/town-b" >/dev/null && pass "safer-town: same seed, same bytes" || fail "safer-town is not deterministic"
"$TOWN_BIN" --seed 8 -o "$WORK/town-c" -q
diff -rq "$WORK/town-a/crimes" "$WORK/town-c/crimes" >/dev/null && fail "safer-town ignores the seed" || pass "safer-town: another seed, other data"
"$SAFER" areas --crimes "$WORK/town-a/crimes" --areas "$WORK/town-a/lsoas.geojson" --population "$WORK/town-a/population.csv" \
    --incidents -o "$WORK/town.gpkg" --csv "$WORK/town.csv" 2>"$WORK/town.err" || fail "areas on the town: $(cat "$WORK/town.err")"
read_rows=$(tail -q -n +2 "$WORK"/town-a/crimes/*/*.csv | wc -l)
used=$(count "$WORK/town.gpkg" incidents); rejected=$(count "$WORK/town.gpkg" rejects)
[ $((used + rejected)) -eq "$read_rows" ] && pass "town: $read_rows rows = $used used + $rejected rejected" || fail "town accounting: $read_rows != $used + $rejected"
sum_all=$(ogrinfo -ro -q "$WORK/town.gpkg" -sql "SELECT SUM(all_count) AS s FROM areas" | sed -n 's/.*s (Integer[0-9]*) = //p')
[ "$sum_all" = "$used" ] && pass "town: areas' all_count sums to the incidents used" || fail "town: all_count sum $sum_all != $used"
nomatch=$(ogrinfo -ro -q "$WORK/town.gpkg" -sql "SELECT COUNT(*) AS n FROM incidents WHERE area_code IS NULL" | sed -n 's/.*n (Integer[0-9]*) = //p')
[ "$nomatch" = 0 ] && pass "town: every incident used has an area" || fail "town: $nomatch incidents without area"
# area_months is written by a bulk SQLite path, areas by OGR: the two must agree per group, and
# the feature count GDAL reports (gpkg_ogr_contents) must equal the rows there.
for g in all neighbourhood violence; do
    am=$(ogrinfo -ro -q "$WORK/town.gpkg" -sql "SELECT SUM(count) AS s FROM area_months WHERE crime_group = '$g'" | sed -n 's/.*s (Integer[0-9]*) = //p')
    ar=$(ogrinfo -ro -q "$WORK/town.gpkg" -sql "SELECT SUM(${g}_count) AS s FROM areas" | sed -n 's/.*s (Integer[0-9]*) = //p')
    [ -n "$am" ] && [ "$am" = "$ar" ] && pass "town: area_months sums to areas' ${g}_count ($am)" || fail "town: area_months $g $am != $ar"
done
am_rows=$(sqlite3 "$WORK/town.gpkg" "SELECT COUNT(*) FROM area_months")
am_count=$(ogrinfo -ro -so "$WORK/town.gpkg" area_months | sed -n 's/^Feature Count: //p')
[ "$am_rows" = "$am_count" ] && [ "$am_rows" -gt 0 ] && pass "town: area_months feature count $am_count" || fail "area_months count $am_rows vs $am_count"
sum_lsoas=$(sha256sum "$WORK/town-a/lsoas.geojson" | cut -d' ' -f1)
meta_town=$(ogrinfo -ro -so "$WORK/town.gpkg" areas)
echo "$meta_town" | grep -qF "\"$WORK/town-a/lsoas.geojson\":\"$sum_lsoas\"" && pass "town: metadata SHA-256 of the areas file" || fail "areas checksum"
[ "$(wc -l <"$WORK/town.csv")" -eq 41 ] && pass "town: CSV has 40 areas" || fail "town CSV rows"
layers=$(ogrinfo -ro -q -nomd "$WORK/town.gpkg" | sed 's/^[0-9]*: //' | sort | tr '\n' ' ')
[ "$layers" = "area_months (None) areas (Multi Polygon) incidents (Point) layer_styles (None) rejects (None) " ] && pass "town layers: $layers" || fail "town layers: $layers"

# Text that is not UTF-8 (Latin-1 bytes in a month, a crime type and a context field) is stored
# as valid UTF-8, each bad byte replaced by U+FFFD: GeoPackage text is UTF-8 and QGIS needs it so.
printf 'Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n,2023-0\xe9,F,F,-2.59,51.45,On or near Caf\xe9 Street,,,Burglary,,\n,2023-01,F,F,-2.59,51.45,On or near Caf\xe9 Street,,,Burgl\xe4ry,,\n' >"$WORK/latin1.csv"
"$SAFER" ingest -q --crimes "$WORK/latin1.csv" -o "$WORK/latin1.gpkg" 2>"$WORK/latin1.err" || fail "latin-1 input: $(cat "$WORK/latin1.err")"
/usr/bin/python3 - "$WORK/latin1.gpkg" <<'PY' && pass "non-UTF-8 bytes are stored as U+FFFD in rejects and incidents" || fail "non-UTF-8 text stored raw"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.text_factory = bytes
texts = [v for (v,) in db.execute("SELECT detail FROM rejects")] + [v for (v,) in db.execute("SELECT crime_type FROM incidents")]
for v in texts: v.decode("utf-8")  # raises on a bad byte
ok = any("\ufffd" in v.decode() for v in texts) and len(texts) == 2
print([v.decode() for v in texts], file=sys.stderr)
sys.exit(0 if ok else 1)
PY

finish
