#!/usr/bin/env bash
# Reliability and security, round 2 (issue 15): each case with a small input this script makes,
# checked for its exit code, its message and what it leaves behind. Every case failed before its
# fix.
# usage: reliability_test.sh SAFER WORK_DIR
set -uo pipefail
SAFER="$(readlink -f "$1")"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
# This test's own temporary folder: nothing another process left in /tmp can touch it.
export TMPDIR="$WORK/tmp"; mkdir -p "$TMPDIR"
D="$WORK/in"; mkdir -p "$D"
HEADER="Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
row() { echo "$1,${2:-2021-03},F,F,${3:--2.359},${4:-51.381},On or near High Street,E01014399,Bath 001A,${5:-Burglary},,"; }
{ echo "$HEADER"; row c1; row c2 2021-03 -2.358 51.382 Robbery; row "" 2021-04 -2.357 51.383 "Anti-social behaviour"; } >"$D/good.csv"
cat >"$D/area.geojson" <<'EOF'
{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"LSOA11CD": "E01014399"}, "geometry": {"type": "Polygon", "coordinates": [[[-2.4, 51.3], [-2.3, 51.3], [-2.3, 51.4], [-2.4, 51.4], [-2.4, 51.3]]]}}]}
EOF
printf 'LSOA code (2011),Total population: mid 2015 (excluding prisoners)\nE01014399,"29,199"\n' >"$D/pop-ok.csv"
rows_of() { sqlite3 "$1" "SELECT COUNT(*) FROM \"$2\""; }

# --- 5. Only regular files are ever replaced ----------------------------------------------------
mkfifo "$WORK/pipe.gpkg"
expect 2 "is a named pipe (FIFO); safer only ever replaces regular files" "" timeout 20 "$SAFER" ingest --crimes "$D/good.csv" -o "$WORK/pipe.gpkg" --overwrite
[ -p "$WORK/pipe.gpkg" ] && pass "the FIFO is still a FIFO" || fail "the FIFO was replaced"
ln -s /nonexistent/target "$WORK/dangling.gpkg"
expect 2 "is a symbolic link to nothing (dangling)" "" "$SAFER" ingest --crimes "$D/good.csv" -o "$WORK/dangling.gpkg"
[ -L "$WORK/dangling.gpkg" ] && pass "the dangling link is untouched" || fail "the dangling link was replaced"
touch "$WORK/real.gpkg"; ln -s "$WORK/real.gpkg" "$WORK/link.gpkg"
expect 2 "is a symbolic link; safer only ever replaces regular files" "" "$SAFER" ingest --crimes "$D/good.csv" -o "$WORK/link.gpkg" --overwrite
# A device: a character device of our own (mknod needs root; /dev/null itself is never named).
if mknod "$WORK/device.gpkg" c 1 3 2>/dev/null; then
    expect 2 "is a device; safer only ever replaces regular files" "" "$SAFER" ingest --crimes "$D/good.csv" -o "$WORK/device.gpkg" --overwrite
    [ -c "$WORK/device.gpkg" ] && pass "the device node is still a device" || fail "the device node was replaced"
else
    skip "device node: mknod needs root"
fi

# --- 18-20. Outputs checked together, before any work -------------------------------------------
expect 2 "-o is required" "" "$SAFER" ingest --crimes "$D/good.csv"
expect 2 "-o $WORK/out.gdb: '.gdb' is not a format safer writes; name it for one of GeoPackage (.gpkg)" "$WORK/out.gdb" \
    "$SAFER" ingest --crimes "$D/good.csv" -o "$WORK/out.gdb"
expect 2 "--format dxf: not a format safer writes" "$WORK/out.gpkg" "$SAFER" ingest --crimes "$D/good.csv" -o "$WORK/out.gpkg" --format dxf
expect 2 "--csv $WORK/y.gpkg: '.gpkg' is written as a CSV file (.csv)" "$WORK/y.gpkg" \
    "$SAFER" areas --crimes "$D/good.csv" --areas "$D/area.geojson" -o "$WORK/y.gpkg" --csv "$WORK/y.gpkg" --overwrite
cp "$D/good.csv" "$WORK/input-copy.csv"; before=$(sha256sum <"$WORK/input-copy.csv")
expect 2 "that file is an input of this run" "" \
    "$SAFER" areas --crimes "$WORK/input-copy.csv" --areas "$D/area.geojson" -o "$WORK/z.gpkg" --csv "$WORK/input-copy.csv" --overwrite
[ "$(sha256sum <"$WORK/input-copy.csv")" = "$before" ] && pass "the input named as --csv is unchanged" || fail "an input was overwritten"
[ ! -e "$WORK/z.gpkg" ] && pass "nothing written when an output collides" || fail "z.gpkg written"
mkdir -p "$WORK/bid"
expect 2 "--report $WORK/bid/z_areas.csv: '.csv' is written as an HTML file (.html)" "" "$SAFER" bid --crimes "$D/good.csv" --areas "$D/area.geojson" \
    --population "$D/pop-ok.csv" -o "$WORK/bid/z.gpkg" --report "$WORK/bid/z_areas.csv"
[ -z "$(ls -A "$WORK/bid")" ] && pass "bid: a --report named like a CSV beside it leaves nothing behind" || fail "bid left: $(ls -A "$WORK/bid")"
ogr2ogr -f GPKG "$WORK/areas-in.gpkg" "$D/area.geojson" 2>/dev/null
expect 2 "-o $WORK/areas-in.gpkg: that file is an input of this run" "" "$SAFER" areas --crimes "$D/good.csv" --areas "$WORK/areas-in.gpkg" \
    -o "$WORK/areas-in.gpkg" --overwrite
[ "$(rows_of "$WORK/areas-in.gpkg" area)" = 1 ] && pass "the areas GeoPackage named as -o is unchanged" || fail "the input GeoPackage was replaced"

# --- 24. Temporaries of killed runs are cleared; TMPDIR is ours ---------------------------------
printf 'stale' >"$WORK/.kept.gpkg.tmp-999999999"
mkdir -p "$TMPDIR/safer-999999998"; touch "$TMPDIR/safer-999999998/postgis-0.gpkg"
"$SAFER" ingest --crimes "$D/good.csv" -o "$WORK/kept.gpkg" -q 2>"$WORK/e" || fail "ingest: $(cat "$WORK/e")"
[ ! -e "$WORK/.kept.gpkg.tmp-999999999" ] && pass "a dead run's temporary beside the output is removed" || fail "stale temporary left"
"$SAFER" site --crimes "$D/good.csv" --site "POLYGON((375000 164600,375300 164600,375300 164900,375000 164900,375000 164600))" \
    -o "$WORK/site.gpkg" --report "$WORK/site.html" -q 2>"$WORK/e" || fail "site: $(cat "$WORK/e")"
[ ! -e "$TMPDIR/safer-999999998" ] && pass "a dead run's folder under TMPDIR is removed" || fail "stale TMPDIR folder left"
[ -z "$(ls -A "$TMPDIR")" ] && pass "TMPDIR is left empty" || fail "TMPDIR holds: $(ls -A "$TMPDIR")"

# --- 6. Crime types: refused well before the type ids could wrap --------------------------------
{ echo "$HEADER"; for i in $(seq 1 10050); do row "t$i" 2021-03 -2.359 51.381 "type$i"; done; } >"$D/types.csv"
expect 1 "more than 10000 distinct crime types" "$WORK/t.gpkg" "$SAFER" ingest --crimes "$D/types.csv" -o "$WORK/t.gpkg"
# The 15 known types (police.uk's 14 and the older "Public disorder and weapons") come first, so type9986, on
# line 9,987, would be the 10,001st.
grep -qF "types.csv: line 9987: more than 10000 distinct crime types (the next is 'type9986')" "$WORK/err.txt" \
    && pass "the file and line where the limit is passed are named" || fail "no line: $(cat "$WORK/err.txt")"
{ echo "$HEADER"; for i in $(seq 1 30); do row "u$i" 2021-03 -2.359 51.381 "type$i"; done; } >"$D/types30.csv"
"$SAFER" ingest --crimes "$D/types30.csv" -o "$WORK/t30.gpkg" 2>"$WORK/e"
n=$(grep -c "is not a police.uk type" "$WORK/e")
[ "$n" -eq 10 ] && grep -qF "and 20 more crime types that are not police.uk types (20 rows)" "$WORK/e" \
    && pass "unknown types: 10 named, the other 20 counted" || fail "unknown types: $n lines: $(tail -3 "$WORK/e")"

# --- 8. Repeated column names --------------------------------------------------------------------
printf 'Longitude,Latitude,Month,Crime type,Longitude\n-2.359,51.381,2021-03,Burglary,\n' >"$D/two-longitudes.csv"
expect 1 "two-longitudes.csv: line 1: the column 'Longitude' appears twice (columns 1 and 5)" "$WORK/l.gpkg" \
    "$SAFER" ingest --crimes "$D/two-longitudes.csv" -o "$WORK/l.gpkg"

# --- 9. Population: repeated codes, implausible values ------------------------------------------
printf 'LSOA code (2011),Total population: mid 2015 (excluding prisoners)\nE01014399,3941\nE01014399,5\n' >"$D/pop-twice.csv"
expect 1 "pop-twice.csv: lines 2 and 3 both give area E01014399" "$WORK/p.gpkg" \
    "$SAFER" areas --crimes "$D/good.csv" --areas "$D/area.geojson" --population "$D/pop-twice.csv" -o "$WORK/p.gpkg"
for v in 1e308 0.0001 '"1,2,3"' -5; do
    printf 'LSOA code (2011),Total population: mid 2015 (excluding prisoners)\nE01014399,%s\n' "$v" >"$D/pop-odd.csv"
    expect 1 "is not a count of people" "$WORK/p.gpkg" "$SAFER" areas --crimes "$D/good.csv" --areas "$D/area.geojson" --population "$D/pop-odd.csv" -o "$WORK/p.gpkg"
done
"$SAFER" areas --crimes "$D/good.csv" --areas "$D/area.geojson" --population "$D/pop-ok.csv" -o "$WORK/pok.gpkg" -q 2>"$WORK/e" \
    && [ "$(sqlite3 "$WORK/pok.gpkg" 'SELECT population FROM areas')" = "29199.0" ] && pass "\"29,199\" is still 29,199" || fail "29,199: $(cat "$WORK/e")"

# --- 10. Nothing counted: exit 1 with what most likely happened ----------------------------------
{ echo "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
  for i in 1 2 3; do echo "d$i,2021-03,F,F,\"-2,359\",\"51,381\",On or near X,E01014399,Bath 001A,Burglary,,"; done; } >"$D/decimal-commas.csv"
expect 1 "nothing left to count" "$WORK/dc.gpkg" "$SAFER" ingest --crimes "$D/decimal-commas.csv" -o "$WORK/dc.gpkg"
expect 1 "nothing left to count" "$WORK/w.gpkg" "$SAFER" areas --crimes "$D/good.csv" --areas "$D/area.geojson" --from 2023-01 --to 2023-12 -o "$WORK/w.gpkg"

# --- 11. Zip members with odd names are read, not dropped ----------------------------------------
/usr/bin/python3 - "$D" <<'EOF'
import sys, zipfile
d = sys.argv[1]
good = open(d + "/good.csv").read()
with zipfile.ZipFile(d + "/odd-names.zip", "w") as z:
    for k, name in enumerate(["../up-street.csv", "/absolute-street.csv", "dir\\back-street.csv", "2021-03/2021-03-x-street.csv"]):
        z.writestr(name, good.replace("c1,", f"a{k},").replace("c2,", f"b{k},"))
    z.writestr("2021-03/2021-03-x-street.csv", good.replace("c1,", "r1,").replace("c2,", "r2,"))  # the same name again
EOF
"$SAFER" ingest --crimes "$D/odd-names.zip" -o "$WORK/zip.gpkg" 2>"$WORK/e"
grep -qF "read 15 rows from 5 files: 15 used, 0 rejected" "$WORK/e" && [ "$(rows_of "$WORK/zip.gpkg" incidents)" = 15 ] \
    && pass "zip: all 5 members read (.., /, backslash, a name twice): 15 rows" || fail "zip members: $(grep read "$WORK/e")"

# --- 13. Reasons do not depend on how the months are given ---------------------------------------
{ echo "$HEADER"; row m1 2021-01; row m2 2021-02; echo "m3,2021-01,F,F,,,No Location,,,Burglary,,"; echo "m4,2021-03,F,F,,,No Location,,,Burglary,,"
  row m5 2021-03; row m6 2021-03 -2.0 52.0; row m7 2021-01 -2.0 52.0; } >"$D/window.csv"
"$SAFER" areas --crimes "$D/window.csv" --areas "$D/area.geojson" --from 2021-03 --to 2021-03 -o "$WORK/w1.gpkg" 2>"$WORK/w1"
"$SAFER" site --crimes "$D/window.csv" --areas "$D/area.geojson" --months 1 --no-pdf --site "POLYGON((375000 164600,375300 164600,375300 164900,375000 164900,375000 164600))" \
    -o "$WORK/w2.gpkg" --report "$WORK/w2.html" 2>"$WORK/w2"
a=$(grep "rejected  " "$WORK/w1" | grep -v outside_areas); b=$(grep "rejected  " "$WORK/w2" | grep -v outside_areas)
[ -n "$a" ] && [ "$a" = "$b" ] && grep -qF "4  month outside the months analysed (outside_window)" "$WORK/w1" \
    && pass "--from/--to and --months reject the same rows for the same reasons" || fail "reasons differ: [$a] vs [$b]"

# --- 16. Overlapping areas ------------------------------------------------------------------------
cat >"$D/overlap.geojson" <<'EOF'
{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"LSOA11CD": "E01014399"}, "geometry": {"type": "Polygon", "coordinates": [[[-2.4, 51.3], [-2.3, 51.3], [-2.3, 51.4], [-2.4, 51.4], [-2.4, 51.3]]]}},
{"type": "Feature", "properties": {"LSOA11CD": "E99999999"}, "geometry": {"type": "Polygon", "coordinates": [[[-3, 51], [-2, 51], [-2, 52], [-3, 52], [-3, 51]]]}}]}
EOF
expect 1 "E99999999 covers 100 % of E01014399" "$WORK/o.gpkg" "$SAFER" areas --crimes "$D/good.csv" --areas "$D/overlap.geojson" -o "$WORK/o.gpkg"

# --- 17. A lone carriage return ends a line, as Python's csv reads it -----------------------------
{ echo "$HEADER"; printf '%s\r%s\n' "$(row cr1)" "$(row cr2)"; } >"$D/lone-cr.csv"
"$SAFER" ingest --crimes "$D/lone-cr.csv" -o "$WORK/cr.gpkg" 2>"$WORK/e"
expected=$(/usr/bin/python3 -c "import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline=''))))-1)" "$D/lone-cr.csv")
grep -qF "read $expected rows from 1 file: $expected used, 0 rejected" "$WORK/e" && [ "$expected" = 2 ] \
    && pass "a lone CR: $expected rows, as Python's csv module reads them" || fail "lone CR: python $expected, safer $(grep read "$WORK/e")"

# --- 14, 15. Hotspot grids: stray points refused with the reason; edge cells accounted for ------
# 300 incidents within 2 km of a point in Bath, and 3 placed 300 km west and 400 km north: a 500 m
# grid over all of them holds 600 x 800 cells, 480,000 units, x 1,000 permutations x 2 statistics.
/usr/bin/python3 - "$D" <<'PY'
import sys, random
random.seed(1)
with open(sys.argv[1] + "/stray.csv", "w") as f:
    f.write("x,y,month,crime_type\n")
    for i in range(300):
        f.write(f"{375000 + random.uniform(0, 2000):.1f},{164000 + random.uniform(0, 2000):.1f},2021-03,Burglary\n")
    for k in range(3):
        f.write(f"{75000 + 100 * k},{564000 + 100 * k},2021-03,Burglary\n")
PY
expect 1 "3 incident(s) lie far from the rest (the farthest at x 75200, y 564200)" "$WORK/h.gpkg" "$SAFER" hotspots --crimes "$D/stray.csv" --grid 500 -o "$WORK/h.gpkg"
grep -qF "give --areas" "$WORK/err.txt" && pass "the refusal suggests --areas" || fail "no --areas hint: $(cat "$WORK/err.txt")"
# A study area 375000..375250 x 164000..164250 on a 100 m grid: the cells whose centres lie on its
# east and north edges (x 375250, y 164250) are not units (a centre on an east or north edge is
# outside); an incident at (375220, 164120) lies in the area but in such a cell.
cat >"$D/square-27700.geojson" <<'JSON'
{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}, "features": [{"type": "Feature", "properties": {"name": "square"}, "geometry": {"type": "Polygon", "coordinates": [[[375000, 164000], [375250, 164000], [375250, 164250], [375000, 164250], [375000, 164000]]]}}]}
JSON
printf 'x,y,month,crime_type\n375050,164050,2021-03,Burglary\n375050,164050,2021-03,Burglary\n375050,164050,2021-03,Burglary\n375150,164150,2021-03,Burglary\n375050,164150,2021-03,Robbery\n375220,164120,2021-03,Burglary\n' >"$D/edge.csv"
"$SAFER" hotspots --crimes "$D/edge.csv" --study-area "$D/square-27700.geojson" --grid 100 --permutations 0 -o "$WORK/edge.gpkg" 2>"$WORK/e" || fail "edge: $(cat "$WORK/e")"
[ "$(sqlite3 "$WORK/edge.gpkg" "SELECT reason || ':' || line FROM rejects")" = "edge_cell:7" ] \
    && [ "$(sqlite3 "$WORK/edge.gpkg" "SELECT SUM(count) FROM hotspot_grid")" = "5.0" ] \
    && pass "the edge-cell incident (line 7) is a reject by reason; the 4 cells hold the other 5" || fail "edge cells: $(sqlite3 "$WORK/edge.gpkg" "SELECT * FROM rejects") $(grep -i edge "$WORK/e")"

# --- 1. A file name never reaches a shell ----------------------------------------------------------
if command -v chromium >/dev/null 2>&1; then
    mkdir -p "$WORK/names"
    (cd "$WORK/names" && "$SAFER" site --crimes "$D/good.csv" --site "POLYGON((375000 164600,375300 164600,375300 164900,375000 164900,375000 164600))" \
        -o "$WORK/names/s1.gpkg" --report "$WORK/names/x'\$(touch INJECTED)'.html" -q 2>"$WORK/e")
    [ ! -e "$WORK/names/INJECTED" ] && [ ! -e INJECTED ] && [ -s "$WORK/names/x'\$(touch INJECTED)'.pdf" ] \
        && pass "a report named x'\$(touch INJECTED)'.html: no command ran, its PDF has the same name" || fail "injection: $(ls "$WORK/names") $(cat "$WORK/e")"
    "$SAFER" site --crimes "$D/good.csv" --site "POLYGON((375000 164600,375300 164600,375300 164900,375000 164900,375000 164600))" \
        -o "$WORK/names/s2.gpkg" --report "$WORK/names/O'Brien Road.html" -q 2>"$WORK/e"
    [ -s "$WORK/names/O'Brien Road.pdf" ] && pass "O'Brien Road.html gets its PDF" || fail "no PDF for O'Brien Road: $(cat "$WORK/e")"
    pdfinfo "$WORK/names/O'Brien Road.pdf" 2>/dev/null | grep -q "^Page size:.*(A4)" && pass "the site report prints on A4" \
        || fail "site PDF size: $(pdfinfo "$WORK/names/O'Brien Road.pdf" 2>&1 | grep 'Page size')"
else
    skip "file names and the PDF: Chromium is not installed"
fi

# --- 2. --schema is an identifier, never part of the connection -----------------------------------
expect 2 "--schema 'safer_x dbname=other': use lower-case letters" "" "$SAFER" ingest --crimes "$D/good.csv" -o "PG:dbname=nothing" --schema 'safer_x dbname=other'
expect 2 "--schema 'safer_x port=1'" "" "$SAFER" ingest --crimes "$D/good.csv" -o "PG:dbname=nothing" --schema 'safer_x port=1'

finish
