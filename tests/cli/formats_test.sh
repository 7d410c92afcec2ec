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
# 10 characters in a Shapefile), geometry by geometry (a CSV's WKT column), in the same order.
compare() {
    "$PY" - "$@" <<'PY'
import sys
from osgeo import gdal, ogr
gdal.UseExceptions()
gpkg, name, other = sys.argv[1:4]
a = ogr.Open(gpkg).GetLayerByName(name)
b = ogr.Open(other).GetLayer(0)
if a.GetFeatureCount() != b.GetFeatureCount():
    print(f"{a.GetFeatureCount()} rows in the GeoPackage, {b.GetFeatureCount()} in {other}"); sys.exit(1)
da, db = a.GetLayerDefn(), b.GetLayerDefn()
names_a = [da.GetFieldDefn(i).GetName() for i in range(da.GetFieldCount())]
names_b = [db.GetFieldDefn(i).GetName() for i in range(db.GetFieldCount())]
wkt = "WKT" in names_b
if wkt: names_b.remove("WKT")
if len(names_a) != len(names_b):
    print(f"fields {names_a} vs {names_b}"); sys.exit(1)
for fa, fb in zip(a, b):
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
      f"{('EPSG:' + srs.GetAuthorityCode(None)) if srs is not None and srs.GetAuthorityCode(None) else 'no CRS'}, driver {ogr.Open(other).GetDriver().GetName()}")
PY
}

# --- The reference run, to a GeoPackage -------------------------------------------------------
HOT=(hotspots --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --permutations 99)
"$SAFER" "${HOT[@]}" -q -o "$WORK/hot.gpkg" 2>"$WORK/e" || fail "hotspots to a GeoPackage: $(cat "$WORK/e")"
[ -f "$WORK/hot.qgz" ] && pass "a GeoPackage gets its QGIS project beside it" || fail "no hot.qgz"

# --- Each format, by extension and by --format ------------------------------------------------
for spec in "hot.fgb FlatGeobuf" "hot.geojson GeoJSON" "hot.shp ESRI Shapefile" "hot.csv CSV"; do
    file=${spec%% *}; driver=${spec#* }
    "$SAFER" "${HOT[@]}" -o "$WORK/$file" 2>"$WORK/err-$file"; code=$?
    if [ $code -ne 0 ]; then fail "-o $file: exit $code: $(cat "$WORK/err-$file")"; continue; fi
    if out=$(compare "$WORK/hot.gpkg" hotspot_areas "$WORK/$file"); then pass "-o $file read back with GDAL equals the GeoPackage's hotspot_areas: $out"
    else fail "-o $file: $out"; fi
    echo "$out" | grep -q "driver $driver" && pass "$file written by GDAL's $driver driver" || fail "$file: driver: $out"
    grep -q "warning: -o $WORK/$file: .* holds one layer, so it gets the hotspot_areas layer only" "$WORK/err-$file" &&
        pass "$file: said before the work that only hotspot_areas goes there" || fail "$file: no word on the layers left out: $(head -3 "$WORK/err-$file")"
    [ "$(grep -n "holds one layer" "$WORK/err-$file" | cut -d: -f1)" -lt "$(grep -n "reading" "$WORK/err-$file" | head -1 | cut -d: -f1)" ] &&
        pass "$file: the warning comes before any reading" || fail "$file: the warning came late"
    qml="$WORK/${file%.*}.qml"
    [ -f "$qml" ] && grep -q 'attr="gi_bin"' "$qml" && pass "$file: its QGIS style beside it ($(basename "$qml"))" || fail "$file: no .qml style"
done
# The Shapefile's style follows the names GDAL cut to 10 characters; the companions are there.
for ext in shx dbf prj cpg; do [ -f "$WORK/hot.$ext" ] || fail "hot.shp without hot.$ext"; done
grep -q "field names of up to 10 characters" "$WORK/err-hot.shp" && pass "Shapefile: the 10-character field names are said first" || fail "shp: no word on field names"
"$SAFER" areas --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" -q -o "$WORK/areas.shp" 2>"$WORK/e" || fail "areas.shp: $(cat "$WORK/e")"
grep -q 'attr="neighbourh"' "$WORK/areas.qml" && ! grep -q 'attr="neighbourhood_rate"' "$WORK/areas.qml" &&
    pass "areas.shp: its style shows neighbourh, the name the Shapefile kept" || fail "areas.qml: $(grep -o 'attr="[^"]*"' "$WORK/areas.qml" | head -2)"
grep -q "records no CRS" "$WORK/err-hot.csv" && pass "CSV: said to record no CRS (WKT in the working CRS)" || fail "csv: no CRS note"
# --format with a name the extension does not give.
"$SAFER" "${HOT[@]}" -q --format FlatGeobuf -o "$WORK/hot-fgb.dat" 2>"$WORK/e" || fail "--format FlatGeobuf: $(cat "$WORK/e")"
out=$(compare "$WORK/hot.gpkg" hotspot_areas "$WORK/hot-fgb.dat") && echo "$out" | grep -q "driver FlatGeobuf" &&
    pass "--format FlatGeobuf -o hot-fgb.dat: $out" || fail "--format: $out"
# A format that cannot hold the result at all is refused before any work, and nothing is written.
expect 2 "FlatGeobuf holds no raster, and this command's result is a raster surface" "$WORK/density.fgb" \
    "$SAFER" kde --crimes "$T/crimes" -o "$WORK/density.fgb"
expect 2 "is not a format safer writes" "$WORK/hot.kml" "$SAFER" "${HOT[@]}" -o "$WORK/hot.kml"
# An existing file beside it is never replaced without --overwrite.
expect 2 "already exists; pass --overwrite" "" "$SAFER" "${HOT[@]}" -o "$WORK/hot.fgb"
"$SAFER" "${HOT[@]}" -q -o "$WORK/hot.fgb" --overwrite 2>"$WORK/e" && pass "--overwrite replaces hot.fgb and hot.qml" || fail "--overwrite: $(cat "$WORK/e")"
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
same=$(q "$WORK/vsi.gpkg" "ATTACH '$WORK/plain.gpkg' AS p; SELECT count(*) FROM areas a JOIN p.areas b USING (code) WHERE a.all_count = b.all_count AND a.population IS b.population AND a.neighbourhood_rate IS b.neighbourhood_rate")
total=$(q "$WORK/plain.gpkg" "SELECT count(*) FROM areas")
[ -n "$same" ] && [ "$same" = "$total" ] && pass "/vsizip/ and /vsigzip/ inputs give the same $total areas as the files on disk" || fail "vsi areas: $same of $total agree"
# The checksums: of the bytes GDAL gave, as sha256sum gives them.
# The lineage record lists each input as "FILE (SHA-256 DIGEST)".
sums=$(q "$WORK/vsi.gpkg" "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'http://www.isotc211.org/2005/gmd'")
member=$(cd "$T" && ls crimes | sort | head -1)
want=$(sha256sum <"$T/crimes/$member" | cut -d' ' -f1)
echo "$sums" | grep -qF "/vsizip/$WORK/crimes.zip/crimes/$member (SHA-256 $want)" && pass "the checksum of a zip member read through /vsizip/ is its bytes' SHA-256 ($member)" ||
    fail "no /vsizip/ checksum for $member ($want)"
want=$(sha256sum <"$T/population.csv" | cut -d' ' -f1)
echo "$sums" | grep -qF "/vsigzip/$WORK/population.csv.gz (SHA-256 $want)" && pass "/vsigzip/ population: the checksum of the inflated bytes" || fail "no /vsigzip/ checksum"
want=$(sha256sum <"$T/lsoas.geojson" | cut -d' ' -f1)
echo "$sums" | grep -qF "/vsizip/$WORK/lsoas.zip/lsoas.geojson (SHA-256 $want)" && pass "/vsizip/ areas: their checksum" || fail "no /vsizip/ areas checksum"
expect 1 "no such file or folder" "$WORK/none.gpkg" "$SAFER" areas --crimes "/vsizip/$WORK/missing.zip/crimes" --areas "$T/lsoas.geojson" -o "$WORK/none.gpkg"
# /vsicurl/: a web server on the loopback stands for the network.
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$WORK" && exec "$PY" -m http.server "$PORT" --bind 127.0.0.1 >"$WORK/http.log" 2>&1) &
HTTP=$!
trap 'kill $HTTP 2>/dev/null' EXIT
for _ in $(seq 50); do "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/')" 2>/dev/null && break; sleep 0.1; done
"$SAFER" areas -q --crimes "/vsicurl/http://127.0.0.1:$PORT/crimes.zip" --areas "/vsicurl/http://127.0.0.1:$PORT/town/lsoas.geojson" \
    --population "/vsicurl/http://127.0.0.1:$PORT/town/population.csv" -o "$WORK/curl.gpkg" 2>"$WORK/e" || fail "areas over /vsicurl/: $(cat "$WORK/e")"
same=$(q "$WORK/curl.gpkg" "ATTACH '$WORK/plain.gpkg' AS p; SELECT count(*) FROM areas a JOIN p.areas b USING (code) WHERE a.all_count = b.all_count AND a.neighbourhood_rate IS b.neighbourhood_rate")
[ "$same" = "$total" ] && pass "/vsicurl/ (a zip of crimes, areas and population over HTTP): the same $total areas" || fail "vsicurl: $same of $total"
want=$(sha256sum <"$T/lsoas.geojson" | cut -d' ' -f1)
q "$WORK/curl.gpkg" "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'http://www.isotc211.org/2005/gmd'" |
    grep -qF "/vsicurl/http://127.0.0.1:$PORT/town/lsoas.geojson (SHA-256 $want)" &&
    pass "/vsicurl/: the areas' checksum is of the bytes downloaded" || fail "no /vsicurl/ checksum"
kill $HTTP 2>/dev/null
finish
