#!/usr/bin/env bash
# Output formats and GDAL virtual inputs (issue 17, 5): each format -o names (or --format) is
# written by the matching GDAL driver and read back with GDAL (python3-gdal) against the same
# run's GeoPackage, row by row; what a format cannot hold is said before any work; GDAL virtual
# paths (/vsizip/, /vsigzip/, /vsicurl/ from a web server on the loopback) work for every input,
# with the SHA-256 of the bytes read recorded as for files on disk.
# usage: formats_test.sh SAFER SAFER_TOWN WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # Debian's, with GDAL's Python bindings
"$TOWN_BIN" --seed 1 -o "$WORK/town" -q || { echo "FAIL: safer-town"; exit 1; }
T="$WORK/town"

# compare GPKG LAYER OTHER: OTHER's first layer holds LAYER's rows, field by field (names cut to
# 10 characters in a Shapefile), geometry by geometry (a CSV's WKT column), rows matched by the
# first field.
compare() {
    "$PY" - "$@" <<'PY'
import sys
from osgeo import gdal, ogr
gdal.UseExceptions()
gpkg, name, other = sys.argv[1:4]
ds_a, ds_b = ogr.Open(gpkg), ogr.Open(other)  # held: a layer lives only as long as its dataset
a = ds_a.GetLayerByName(name)
b = ds_b.GetLayer(0)
if a.GetFeatureCount() != b.GetFeatureCount():
    print(f"{a.GetFeatureCount()} rows in the GeoPackage, {b.GetFeatureCount()} in {other}"); sys.exit(1)
da, db = a.GetLayerDefn(), b.GetLayerDefn()
names_a = [da.GetFieldDefn(i).GetName() for i in range(da.GetFieldCount())]
names_b = [db.GetFieldDefn(i).GetName() for i in range(db.GetFieldCount())]
wkt = "WKT" in names_b
if wkt: names_b.remove("WKT")
if len(names_a) != len(names_b):
    print(f"fields {names_a} vs {names_b}"); sys.exit(1)
# FlatGeobuf's spatial index stores the features in Hilbert order: match rows by the first field
# (the unit's code), which is unique.
rows_a = sorted(a, key=lambda f: str(f.GetField(0)))
rows_b = sorted(b, key=lambda f: str(f.GetField(names_b[0])))
for fa, fb in zip(rows_a, rows_b):
    for i, n in enumerate(names_a):
        va, vb = fa.GetField(n), fb.GetField(names_b[i])
        if isinstance(va, float) or isinstance(vb, float):
            if (va is None) != (vb is None) or (va is not None and abs(float(va) - float(vb)) > 1e-9 * max(1, abs(float(va)))):
                print(f"{n}: {va} vs {vb}"); sys.exit(1)
        elif (va if va is None else str(va)) != (vb if vb is None else str(vb)):
            print(f"{n}: {va!r} vs {vb!r}"); sys.exit(1)
    ga = fa.GetGeometryRef()
    gb = ogr.CreateGeometryFromWkt(fb.GetField("WKT")) if wkt else fb.GetGeometryRef()
    if (ga is None) != (gb is None) or (ga is not None and not ga.Equals(gb) and ga.SymDifference(gb).Area() > 1e-6):
        print(f"geometry of row {fa.GetFID()} differs"); sys.exit(1)
srs = b.GetSpatialRef()
print(f"{b.GetFeatureCount()} rows, {len(names_b)} fields, {'WKT' if wkt else ogr.GeometryTypeToName(b.GetGeomType())}, "
      f"{('EPSG:' + srs.GetAuthorityCode(None)) if srs is not None and srs.GetAuthorityCode(None) else 'no CRS'}, driver {ds_b.GetDriver().GetName()}")
PY
}

# --- The reference run, to a GeoPackage -------------------------------------------------------
HOT=(hotspots --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --permutations 99)
"$SAFER" "${HOT[@]}" -q -o "$WORK/hot.gpkg" 2>"$WORK/e" || fail "hotspots to a GeoPackage: $(cat "$WORK/e")"
[ -f "$WORK/hot.qgz" ] && pass "a GeoPackage gets its QGIS project beside it" || fail "no hot.qgz"

# --- Each format, by extension and by --format ------------------------------------------------
for spec in "fgb FlatGeobuf" "geojson GeoJSON" "shp ESRI Shapefile" "csv CSV"; do
    ext=${spec%% *}; driver=${spec#* }; mkdir -p "$WORK/$ext"; file="$WORK/$ext/hot.$ext"
    "$SAFER" "${HOT[@]}" -o "$file" 2>"$WORK/err-$ext"; code=$?
    if [ $code -ne 0 ]; then fail "-o hot.$ext: exit $code: $(cat "$WORK/err-$ext")"; continue; fi
    if out=$(compare "$WORK/hot.gpkg" hotspot_areas "$file" 2>&1); then pass "-o hot.$ext read back with GDAL equals the GeoPackage's hotspot_areas: $out"
    else fail "-o hot.$ext: $out"; fi
    echo "$out" | grep -q "driver $driver" && pass "hot.$ext written by GDAL's $driver driver" || fail "hot.$ext: driver: $out"
    grep -q "warning: -o $file: .* holds one layer, so it gets the hotspot_areas layer only" "$WORK/err-$ext" &&
        pass "hot.$ext: said before the work that only hotspot_areas goes there" || fail "hot.$ext: no word on the layers left out: $(head -3 "$WORK/err-$ext")"
    [ "$(grep -n "holds one layer" "$WORK/err-$ext" | cut -d: -f1)" -lt "$(grep -n "reading" "$WORK/err-$ext" | head -1 | cut -d: -f1)" ] &&
        pass "hot.$ext: the warning comes before any reading" || fail "hot.$ext: the warning came late"
    [ -f "$WORK/$ext/hot.qml" ] && grep -q 'attr="gi_bin"' "$WORK/$ext/hot.qml" && pass "hot.$ext: its QGIS style beside it (hot.qml)" || fail "hot.$ext: no .qml style"
    left=$(ls "$WORK/$ext" | grep -v "^hot\.\(${ext}\|qml\|shx\|dbf\|prj\|cpg\)$")
    [ -z "$left" ] && pass "hot.$ext: nothing else beside it ($(ls "$WORK/$ext" | tr '\n' ' '))" || fail "hot.$ext: left $left"
done
# The last word says what the file holds: the main layer only, not the GeoPackage's list.
grep -q "wrote $WORK/geojson/hot.geojson: the hotspot_areas layer only$" "$WORK/err-geojson" &&
    pass "hot.geojson: the run ends saying it wrote the hotspot_areas layer only" || fail "hot.geojson: $(grep wrote "$WORK/err-geojson")"
# A result that is a table (safer accuracy): CSV holds it, row for row as the GeoPackage's, with
# no style (nothing to draw) and no word of a CRS; a format for layers with geometry is refused.
ACC=(accuracy --crimes "$T/crimes" --train 2023-01:2023-09 --test 2023-10:2023-12 --methods kde:250,counts)
"$SAFER" "${ACC[@]}" -q -o "$WORK/accuracy.gpkg" 2>"$WORK/e" || fail "accuracy to a GeoPackage: $(cat "$WORK/e")"
mkdir -p "$WORK/acc"
"$SAFER" "${ACC[@]}" -o "$WORK/acc/accuracy.csv" 2>"$WORK/err-acc" || fail "accuracy -o accuracy.csv: $(cat "$WORK/err-acc")"
out=$("$PY" - "$WORK/accuracy.gpkg" "$WORK/acc/accuracy.csv" <<'PY'
import sys
from osgeo import ogr
a_ds, b_ds = ogr.Open(sys.argv[1]), ogr.Open(sys.argv[2])
a, b = a_ds.GetLayerByName("accuracy"), b_ds.GetLayer(0)
rows_a = [[f.GetField(i) for i in range(f.GetFieldCount())] for f in a]
rows_b = [[f.GetField(i) for i in range(f.GetFieldCount())] for f in b]
names = [b.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(b.GetLayerDefn().GetFieldCount())]
if len(rows_a) != len(rows_b) or len(rows_a) != 2 * 3: print(f"{len(rows_a)} rows vs {len(rows_b)} (want 2 methods x 3 coverages)"); sys.exit(1)
for ra, rb in zip(rows_a, rows_b):
    for n, va, vb in zip(names, ra, rb):
        # GDAL's CSV reader gives text: an empty cell for a null, numbers as written.
        if va is None: same = vb in (None, "")
        elif isinstance(va, float): same = vb not in (None, "") and abs(va - float(vb)) <= 1e-9 * max(1, abs(va))
        else: same = str(va) == str(vb)
        if not same: print(f"{n}: {va!r} vs {vb!r}"); sys.exit(1)
if "WKT" in names: print("a WKT column"); sys.exit(1)
print(f"{len(rows_b)} rows, {len(names)} fields")
PY
) && pass "accuracy -o accuracy.csv read back with GDAL equals the GeoPackage's accuracy table: $out" || fail "accuracy.csv: $out"
[ "$(ls "$WORK/acc")" = "accuracy.csv" ] && pass "accuracy.csv: a table, no style beside it" || fail "accuracy.csv: beside it $(ls "$WORK/acc")"
grep -q "CSV holds one layer, so it gets the accuracy layer only; the others (the rejects) are not written" "$WORK/err-acc" &&
    ! grep -q "records no CRS\|holds no QGIS style" "$WORK/err-acc" && pass "accuracy.csv: said to hold the accuracy table only, no word of styles or CRS" ||
    fail "accuracy.csv notes: $(grep warning "$WORK/err-acc")"
expect 2 "FlatGeobuf holds layers with geometry, and this command's result, accuracy, is a table without one" "$WORK/acc/accuracy.fgb" \
    "$SAFER" "${ACC[@]}" -o "$WORK/acc/accuracy.fgb"
# The Shapefile's companions are there, and its style follows the names GDAL kept (10 characters).
for ext in shx dbf prj cpg; do [ -f "$WORK/shp/hot.$ext" ] || fail "hot.shp without hot.$ext"; done
grep -q "field names of up to 10 characters" "$WORK/err-shp" && pass "Shapefile: the 10-character field names are said first" || fail "shp: no word on field names"
"$SAFER" areas --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" -q -o "$WORK/shp/areas.shp" 2>"$WORK/e" || fail "areas.shp: $(cat "$WORK/e")"
# The name the Shapefile gave neighbourhood_rate (the 6th field), as GDAL reads it.
kept=$("$PY" -c "from osgeo import ogr; ds = ogr.Open('$WORK/shp/areas.shp'); print(ds.GetLayer(0).GetLayerDefn().GetFieldDefn(5).GetName())")
grep -q "attr=\"$kept\"" "$WORK/shp/areas.qml" && ! grep -q 'attr="neighbourhood_rate"' "$WORK/shp/areas.qml" &&
    pass "areas.shp: its style shows $kept, the name the Shapefile kept for neighbourhood_rate" || fail "areas.qml: $(grep -o 'attr="[^"]*"' "$WORK/shp/areas.qml" | head -2), kept $kept"
grep -q "records no CRS" "$WORK/err-csv" && pass "CSV: said to record no CRS (WKT in the working CRS)" || fail "csv: no CRS note"
# --format with a name the extension does not give.
"$SAFER" "${HOT[@]}" -q --format FlatGeobuf -o "$WORK/hot-fgb.dat" 2>"$WORK/e" || fail "--format FlatGeobuf: $(cat "$WORK/e")"
out=$(compare "$WORK/hot.gpkg" hotspot_areas "$WORK/hot-fgb.dat") && echo "$out" | grep -q "driver FlatGeobuf" &&
    pass "--format FlatGeobuf -o hot-fgb.dat: $out" || fail "--format: $out"
# A format that cannot hold the result at all is refused before any work, and nothing is written.
expect 2 "FlatGeobuf holds no raster, and this command's result is a raster surface" "$WORK/density.fgb" \
    "$SAFER" kde --crimes "$T/crimes" -o "$WORK/density.fgb"
expect 2 "is not a format safer writes" "$WORK/hot.kml" "$SAFER" "${HOT[@]}" -o "$WORK/hot.kml"
# An existing file beside it is never replaced without --overwrite.
expect 2 "already exists; pass --overwrite" "" "$SAFER" "${HOT[@]}" -o "$WORK/fgb/hot.fgb"
rm "$WORK/fgb/hot.fgb"
expect 2 "hot.qml: already exists; pass --overwrite" "$WORK/fgb/hot.fgb" "$SAFER" "${HOT[@]}" -o "$WORK/fgb/hot.fgb"
"$SAFER" "${HOT[@]}" -q -o "$WORK/fgb/hot.fgb" --overwrite 2>"$WORK/e" && pass "--overwrite replaces hot.fgb and hot.qml" || fail "--overwrite: $(cat "$WORK/e")"
# The project beside a GeoPackage is an output like the others.
rm -f "$WORK/again.gpkg"; touch "$WORK/again.qgz"
expect 2 "again.qgz: already exists; pass --overwrite" "$WORK/again.gpkg" "$SAFER" "${HOT[@]}" -o "$WORK/again.gpkg"
[ ! -s "$WORK/again.qgz" ] && pass "the project in the way was left as it was" || fail "again.qgz replaced"

# --- GDAL virtual paths for every input, checksums included -----------------------------------
(cd "$T" && zip -qr "$WORK/crimes.zip" crimes && zip -q "$WORK/lsoas.zip" lsoas.geojson)
gzip -c "$T/population.csv" >"$WORK/population.csv.gz"
AREAS=(areas --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv")
"$SAFER" "${AREAS[@]}" -q -o "$WORK/plain.gpkg" 2>"$WORK/e" || fail "areas from plain files: $(cat "$WORK/e")"
"$SAFER" areas -q --crimes "/vsizip/$WORK/crimes.zip/crimes" --areas "/vsizip/$WORK/lsoas.zip/lsoas.geojson" \
    --population "/vsigzip/$WORK/population.csv.gz" -o "$WORK/vsi.gpkg" 2>"$WORK/e" || fail "areas from /vsizip/ and /vsigzip/: $(cat "$WORK/e")"
same=$(q "$WORK/vsi.gpkg" "ATTACH '$WORK/plain.gpkg' AS p; SELECT count(*) FROM main.areas a JOIN p.areas b USING (code) WHERE a.all_count = b.all_count AND a.population IS b.population AND a.neighbourhood_rate IS b.neighbourhood_rate")
total=$(q "$WORK/plain.gpkg" "SELECT count(*) FROM areas")
[ -n "$same" ] && [ "$same" = "$total" ] && pass "/vsizip/ and /vsigzip/ inputs give the same $total areas as the files on disk" || fail "vsi areas: $same of $total agree"
# The checksums: of the bytes GDAL gave, as sha256sum gives them.
# The lineage record lists each input as "FILE (SHA-256 DIGEST)".
sums=$(q "$WORK/vsi.gpkg" "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'http://www.isotc211.org/2005/gmd'")
member=$(cd "$T/crimes" && find . -name '*.csv' | sort | head -1 | sed 's|^\./||')
want=$(sha256sum <"$T/crimes/$member" | cut -d' ' -f1)
echo "$sums" | grep -qF "/vsizip/$WORK/crimes.zip/crimes/$member (SHA-256 $want)" && pass "the checksum of a zip member read through /vsizip/ is its bytes' SHA-256 ($member)" ||
    fail "no /vsizip/ checksum for $member ($want)"
want=$(sha256sum <"$T/population.csv" | cut -d' ' -f1)
echo "$sums" | grep -qF "/vsigzip/$WORK/population.csv.gz (SHA-256 $want)" && pass "/vsigzip/ population: the checksum of the inflated bytes" || fail "no /vsigzip/ checksum"
want=$(sha256sum <"$T/lsoas.geojson" | cut -d' ' -f1)
echo "$sums" | grep -qF "/vsizip/$WORK/lsoas.zip/lsoas.geojson (SHA-256 $want)" && pass "/vsizip/ areas: their checksum" || fail "no /vsizip/ areas checksum"
[ ! -e "$WORK/population.csv.gz.properties" ] && pass "/vsigzip/ left no index file beside the input" || fail "/vsigzip/ wrote population.csv.gz.properties"
# The inputs of the newer commands too: evaluate's target polygon and accuracy's areas from a zip,
# the results as from the files on disk, the target's checksum that of its bytes.
"$TOWN_BIN" --seed 1 --months 24 --start 2022-01 --incidents 60000 --intervention 2023-01 -o "$WORK/town-evaluate" -q || fail "safer-town --intervention"
TE="$WORK/town-evaluate"
(cd "$TE" && zip -q "$WORK/target.zip" intervention.geojson)
EV=(evaluate -q --crimes "$TE/crimes" --areas "$TE/lsoas.geojson" --start 2023-01 --placebos 99)
"$SAFER" "${EV[@]}" --target "$TE/intervention.geojson" -o "$WORK/ev-plain.gpkg" 2>"$WORK/e" || fail "evaluate from files: $(cat "$WORK/e")"
"$SAFER" "${EV[@]}" --target "/vsizip/$WORK/target.zip/intervention.geojson" -o "$WORK/ev-vsi.gpkg" 2>"$WORK/e" || fail "evaluate with a /vsizip/ target: $(cat "$WORK/e")"
results() { q "$1" "SELECT method, estimate, ci_low, ci_high, p_value FROM evaluation_results ORDER BY method"; }
[ -n "$(results "$WORK/ev-plain.gpkg")" ] && [ "$(results "$WORK/ev-plain.gpkg")" = "$(results "$WORK/ev-vsi.gpkg")" ] &&
    pass "evaluate --target /vsizip/...: the same $(results "$WORK/ev-plain.gpkg" | wc -l) results as the file on disk" || fail "evaluate /vsizip/ results differ"
want=$(sha256sum <"$TE/intervention.geojson" | cut -d' ' -f1)
sums=$(q "$WORK/ev-vsi.gpkg" "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'http://www.isotc211.org/2005/gmd'")
echo "$sums" | grep -qF "/vsizip/$WORK/target.zip/intervention.geojson (SHA-256 $want)" && pass "evaluate's /vsizip/ target: its checksum" || fail "no checksum for the /vsizip/ target"
ACC_AREAS=(accuracy -q --crimes "$T/crimes" --train 2023-01:2023-09 --test 2023-10:2023-12 --methods areas,counts)
"$SAFER" "${ACC_AREAS[@]}" --areas "$T/lsoas.geojson" -o "$WORK/acc-plain.gpkg" 2>"$WORK/e" || fail "accuracy from files: $(cat "$WORK/e")"
"$SAFER" "${ACC_AREAS[@]}" --areas "/vsizip/$WORK/lsoas.zip/lsoas.geojson" -o "$WORK/acc-vsi.gpkg" 2>"$WORK/e" || fail "accuracy with /vsizip/ areas: $(cat "$WORK/e")"
acc() { q "$1" "SELECT method, coverage, hit_rate, pai FROM accuracy ORDER BY method, coverage"; }
[ -n "$(acc "$WORK/acc-plain.gpkg")" ] && [ "$(acc "$WORK/acc-plain.gpkg")" = "$(acc "$WORK/acc-vsi.gpkg")" ] &&
    pass "accuracy --areas /vsizip/...: the same table as from the file on disk" || fail "accuracy /vsizip/ differs"
expect 1 "no such file or folder" "$WORK/none.gpkg" "$SAFER" areas --crimes "/vsizip/$WORK/missing.zip/crimes" --areas "$T/lsoas.geojson" -o "$WORK/none.gpkg"
# /vsicurl/: a web server on the loopback stands for the network. It answers HTTP range requests,
# as the servers GDAL reads archives from do (Python's own http.server does not).
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/range_server.py" <<'PY'
import http.server, os, re, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        path = self.translate_path(self.path)
        m = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if not os.path.isfile(path) or not m:
            return super().send_head()
        size = os.path.getsize(path)
        start, end = int(m.group(1)), int(m.group(2) or size - 1)
        end = min(end, size - 1)
        f = open(path, "rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.range_left = end - start + 1
        return f
    def copyfile(self, source, outputfile):
        left = getattr(self, "range_left", None)
        if left is None:
            return super().copyfile(source, outputfile)
        while left > 0:
            chunk = source.read(min(65536, left))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
(cd "$WORK" && exec "$PY" "$WORK/range_server.py" "$PORT" >"$WORK/http.log" 2>&1) &
HTTP=$!
trap 'kill $HTTP 2>/dev/null' EXIT
for _ in $(seq 50); do "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/')" 2>/dev/null && break; sleep 0.1; done
"$SAFER" areas -q --crimes "/vsicurl/http://127.0.0.1:$PORT/crimes.zip" --areas "/vsicurl/http://127.0.0.1:$PORT/town/lsoas.geojson" \
    --population "/vsicurl/http://127.0.0.1:$PORT/town/population.csv" -o "$WORK/curl.gpkg" 2>"$WORK/e" || fail "areas over /vsicurl/: $(cat "$WORK/e")"
same=$(q "$WORK/curl.gpkg" "ATTACH '$WORK/plain.gpkg' AS p; SELECT count(*) FROM main.areas a JOIN p.areas b USING (code) WHERE a.all_count = b.all_count AND a.neighbourhood_rate IS b.neighbourhood_rate")
[ "$same" = "$total" ] && pass "/vsicurl/ (a zip of crimes, areas and population over HTTP): the same $total areas" || fail "vsicurl: $same of $total"
want=$(sha256sum <"$T/lsoas.geojson" | cut -d' ' -f1)
# Read whole first: with pipefail, grep -q leaving at its first match could kill sqlite3 mid-write
# (SIGPIPE) and fail the pipeline on a timing.
sums=$(q "$WORK/curl.gpkg" "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'http://www.isotc211.org/2005/gmd'")
echo "$sums" | grep -qF "/vsicurl/http://127.0.0.1:$PORT/town/lsoas.geojson (SHA-256 $want)" &&
    pass "/vsicurl/: the areas' checksum is of the bytes downloaded" || fail "no /vsicurl/ checksum"
kill $HTTP 2>/dev/null
finish
