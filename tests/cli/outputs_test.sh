#!/usr/bin/env bash
# What a GeoPackage user relies on beyond the numbers, for the outputs of each command: GDAL's
# GeoPackage validator passes; every layer and field is described; EPSG:27700 is registered with
# its authority; spatial indexes hold every geometry; every vector layer has a default QGIS style
# (tests/qgis/check_outputs.py --structure-only); the ISO 19139 lineage record names the command
# line and each input's SHA-256; rasters get a .qml style file (a user's own is left alone); and a
# GeoPackage another process holds locked is refused with a clear message and left unchanged.
# QGIS itself loads the same outputs in tests/cli/qgis_test.sh.
# usage: outputs_test.sh SAFER SAFER_TOWN CHECKER WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; CHECKER="$3"; WORK="$4"
PY=/usr/bin/python3 # Debian's, with GDAL's bindings
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
sha() { sha256sum <"$1" | cut -d' ' -f1; }

"$TOWN_BIN" --seed 1 -o "$WORK/town" -q || { fail "safer-town"; exit 1; }
T="$WORK/town"
O="$WORK/out"
mkdir -p "$O"
run() { # name, then the command's arguments
    local name="$1"; shift
    if "$SAFER" "$@" -q 2>"$WORK/$name.err"; then pass "safer $1 ($name)"; else fail "safer $* : $(cat "$WORK/$name.err")"; fi
}
run ingest ingest --crimes "$T/crimes" -o "$O/ingest.gpkg"
run areas areas --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --incidents -o "$O/areas.gpkg"
run kde kde --crimes "$T/crimes" --group neighbourhood --areas "$T/lsoas.geojson" --bandwidth 250 --cell 10 -o "$O/kde.gpkg"
run kde-months kde --crimes "$T/crimes" --group neighbourhood --bandwidth 300 --cell 25 --by quarter -o "$O/kde-quarters.gpkg"
run kde-tif kde --crimes "$T/crimes" --types Burglary --bandwidth 300 --cell 25 -o "$O/burglary.tif"
run hotspots-grid hotspots --crimes "$T/crimes" --grid 200 --permutations 99 -o "$O/hotspots-grid.gpkg"
run hotspots-areas hotspots --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --by quarter \
    --permutations 99 -o "$O/hotspots-areas.gpkg"
run segments segments --crimes "$T/crimes" --streets "$T/streets.geojson" --incidents -o "$O/segments.gpkg"
"$TOWN_BIN" --seed 1 --intervention 2023-07 -o "$WORK/town-intervention" -q || fail "safer-town --intervention"
TI="$WORK/town-intervention"
run evaluate evaluate --crimes "$TI/crimes" --areas "$TI/lsoas.geojson" --target "$TI/intervention.geojson" --start 2023-07 --placebos 99 \
    --report "$O/evaluate.html" --csv "$O/evaluate.csv" --no-pdf -o "$O/evaluate.gpkg"
run accuracy accuracy --crimes "$T/crimes" --areas "$T/lsoas.geojson" --train 2023-01:2023-09 --test 2023-10:2023-12 -o "$O/accuracy.gpkg"
run nearrepeat nearrepeat --crimes "$T/crimes" --types Burglary --permutations 99 -o "$O/nearrepeat.gpkg"

# --- GDAL's validator and the structure QGIS needs -------------------------------------------------
for f in "$O"/*.gpkg; do
    if out=$("$PY" -m osgeo_utils.samples.validate_gpkg "$f" 2>&1); then pass "GDAL's validate_gpkg: $(basename "$f")"
    else fail "validate_gpkg $(basename "$f"): $(echo "$out" | tail -1)"; fi
done
if "$PY" "$CHECKER" --structure-only "$O"/*.gpkg >"$WORK/structure.txt" 2>&1; then
    pass "structure of $(ls "$O"/*.gpkg | wc -l) GeoPackages: $(grep -c '^ok' "$WORK/structure.txt") checks"
else
    fail "structure: $(grep FAIL "$WORK/structure.txt" | head -5)"
fi

# --- Incidents written in bulk (issue 21): the R-tree safer packs itself answers like the points ------
# SQLite's own rtreecheck, then 50 random boxes: the ids the R-tree finds against a scan of every
# point decoded here from its GeoPackage blob (header, then WKB), and ogrinfo's count with -spat.
for f in "$O/ingest.gpkg" "$O/areas.gpkg"; do
    [ "$(sqlite3 "$f" "SELECT rtreecheck('rtree_incidents_geom')")" = ok ] && pass "rtreecheck: $(basename "$f") incidents" \
        || fail "rtreecheck $(basename "$f"): $(sqlite3 "$f" "SELECT rtreecheck('rtree_incidents_geom')" | head -3)"
    "$PY" - "$f" <<'PY' && pass "$(basename "$f"): the R-tree finds exactly the incidents in 50 boxes, as a scan of the points does" || fail "$(basename "$f"): R-tree queries"
import random, sqlite3, struct, sys, subprocess
db = sqlite3.connect(sys.argv[1])
pts = {}
for fid, blob in db.execute("SELECT fid, geom FROM incidents"):
    assert blob[:2] == b"GP" and blob[3] & 0x0E == 0, "a point blob without envelope"
    order = "<" if blob[8] == 1 else ">"
    assert struct.unpack(order + "I", blob[9:13])[0] == 1
    pts[fid] = struct.unpack(order + "dd", blob[13:29])
assert db.execute("SELECT count(*) FROM rtree_incidents_geom").fetchone()[0] == len(pts)
xs = [p[0] for p in pts.values()]; ys = [p[1] for p in pts.values()]
rng = random.Random(21); bad = 0
for k in range(50):
    x0, y0 = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys)); x1, y1 = x0 + rng.uniform(10, 800), y0 + rng.uniform(10, 800)
    found = {r[0] for r in db.execute("SELECT id FROM rtree_incidents_geom WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?", (x0, x1, y0, y1))}
    inside = {f for f, (x, y) in pts.items() if x0 <= x <= x1 and y0 <= y <= y1}
    # The R-tree's float boxes may hold a point within a float's rounding of the edge as well.
    near = {f for f, (x, y) in pts.items() if x0 - 0.1 <= x <= x1 + 0.1 and y0 - 0.1 <= y <= y1 + 0.1}
    if not (inside <= found <= near): bad += 1; print("box", k, len(inside), len(found), file=sys.stderr)
    if k < 5:
        out = subprocess.run(["ogrinfo", "-ro", "-so", "-spat", str(x0), str(y0), str(x1), str(y1), sys.argv[1], "incidents"], capture_output=True, text=True).stdout
        count = int(out.split("Feature Count: ")[1].split()[0])
        if count != len(inside): bad += 1; print("ogrinfo -spat", count, "against", len(inside), file=sys.stderr)
print(f"{len(pts)} points", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done

# --- Metadata: the lineage names the command and the inputs' checksums -----------------------------
iso=$(sqlite3 "$O/areas.gpkg" "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'http://www.isotc211.org/2005/gmd'")
grep -qF "$(sha "$T/lsoas.geojson")" <<<"$iso" && grep -qF "$(sha "$T/population.csv")" <<<"$iso" \
    && grep -qF "$(sha "$T/crimes/2023-06/2023-06-synthtown-street.csv")" <<<"$iso" \
    && pass "ISO 19139 record: SHA-256 of the areas, population and a crimes file" || fail "ISO 19139 record lacks input checksums"
grep -qF -- "--population $T/population.csv --incidents -o $O/areas.gpkg" <<<"$iso" \
    && pass "ISO 19139 record: the command line" || fail "ISO 19139 record lacks the command line"
grep -q "SAFER_PARAMETERS=" <<<"$(ogrinfo -ro "$O/areas.gpkg" 2>/dev/null)" && pass "GDAL's own metadata items are still there (ogrinfo)" \
    || fail "GDAL metadata items missing"
desc=$(sqlite3 "$O/areas.gpkg" "SELECT description FROM gpkg_data_columns WHERE table_name = 'areas' AND column_name = 'violence_rate'")
[ -n "$desc" ] && pass "gpkg_data_columns: areas.violence_rate = '$desc'" || fail "no description of areas.violence_rate"
srs=$(sqlite3 "$O/areas.gpkg" "SELECT organization || ':' || organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = 27700")
[ "$srs" = "EPSG:27700" ] && pass "srs_id 27700 registered as EPSG:27700" || fail "srs 27700 registered as '$srs'"

# --- Styles chosen for the analysis ----------------------------------------------------------------------
style() { sqlite3 "$1" "SELECT styleName FROM layer_styles WHERE f_table_name = '$2' AND useAsDefault"; }
[ "$(style "$O/hotspots-grid.gpkg" hotspot_grid)" = "Gi* hot and cold spots" ] && pass "hotspot_grid: Gi* bins by default" || fail "hotspot_grid style: $(style "$O/hotspots-grid.gpkg" hotspot_grid)"
n=$(sqlite3 "$O/hotspots-areas.gpkg" "SELECT count(*) FROM layer_styles WHERE f_table_name = 'hotspot_areas'")
[ "$n" -ge 4 ] && pass "hotspot_areas: $n styles (Gi*, LISA, emerging, classes, ...)" || fail "hotspot_areas has $n styles"
[ "$(style "$O/areas.gpkg" areas)" = "neighbourhood_rate quantiles" ] && pass "areas: neighbourhood rate in quantiles by default" || fail "areas style: $(style "$O/areas.gpkg" areas)"
[ "$(style "$O/areas.gpkg" incidents)" = "Crime groups" ] && pass "incidents: by crime group" || fail "incidents style"
[ "$(style "$O/kde.gpkg" kde_neighbourhood_classes)" = "Density hotspot classes" ] && pass "density classes: nested classes" || fail "classes style"
[ "$(style "$O/evaluate.gpkg" evaluation_areas)" = "Roles" ] && pass "evaluation_areas: by role (target, buffer, control)" || fail "evaluation_areas style: $(style "$O/evaluate.gpkg" evaluation_areas)"
[ "$(style "$O/evaluate.gpkg" synthetic_control_weights)" = "weight quantiles" ] && pass "synthetic_control_weights: weight in quantiles" || fail "weights style"
style "$O/nearrepeat.gpkg" repeat_locations | grep -q "^incidents" && pass "repeat_locations: by incidents at the point" || fail "repeat_locations style: $(style "$O/nearrepeat.gpkg" repeat_locations)"

# --- Raster styles: a .qml beside the data --------------------------------------------------------------
for q in "$O/kde.qml" "$O/kde-quarters.qml" "$O/burglary.qml"; do
    grep -q 'type="singlebandpseudocolor"' "$q" 2>/dev/null && pass "$(basename "$q"): pseudocolour style for the rasters" || fail "no style file $q"
done
echo '<qgis><!-- my own style --></qgis>' >"$O/mine.qml"
"$SAFER" kde -q --crimes "$T/crimes" --types Burglary --bandwidth 300 --cell 25 -o "$O/mine.tif" 2>/dev/null
grep -q "my own style" "$O/mine.qml" && pass "a user's own mine.qml is left alone" || fail "safer replaced a user's own style file"
before=$(sha "$O/burglary.qml")
"$SAFER" kde -q --crimes "$T/crimes" --types Robbery --bandwidth 300 --cell 25 -o "$O/burglary.tif" --overwrite 2>/dev/null
[ "$(sha "$O/burglary.qml")" != "$before" ] && pass "safer's own style file is rewritten with the data" || fail "burglary.qml not rewritten"

# --- A GeoPackage held locked by another process ----------------------------------------------------------
cp "$O/ingest.gpkg" "$O/locked.gpkg"
held=$(sha "$O/locked.gpkg")
"$PY" -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN EXCLUSIVE'); c.execute('UPDATE gpkg_contents SET description = description')
print('locked', flush=True); time.sleep(20)
" "$O/locked.gpkg" >"$WORK/locker.out" &
LOCKER=$!
trap 'kill $LOCKER 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q locked "$WORK/locker.out" && break; sleep 0.1; done
start=$(date +%s)
"$SAFER" ingest -q --crimes "$T/crimes" -o "$O/locked.gpkg" --overwrite 2>"$WORK/locked.err"
code=$?
took=$(( $(date +%s) - start ))
kill $LOCKER 2>/dev/null; wait $LOCKER 2>/dev/null
if [ $code -eq 3 ] && grep -qF "locked by another process" "$WORK/locked.err" && [ "$(sha "$O/locked.gpkg")" = "$held" ] && [ $took -le 5 ] \
    && ! ls -A "$O" | grep -q '\.tmp-'; then
    pass "a locked GeoPackage: exit 3 in ${took} s, '$(head -c 90 "$WORK/locked.err")...', file unchanged, no temporary left"
else
    fail "locked GeoPackage: exit $code after ${took} s: $(cat "$WORK/locked.err")"
fi
"$SAFER" ingest -q --crimes "$T/crimes" -o "$O/locked.gpkg" --overwrite 2>/dev/null && pass "once the lock is gone the file is replaced" \
    || fail "could not replace the file after the lock went"

# Open in WAL mode by another program, as QGIS has a GeoPackage while editing it (no lock held
# between its statements, but -wal and -shm beside it that a new file would inherit).
cp "$O/ingest.gpkg" "$O/wal.gpkg"
"$PY" -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('PRAGMA journal_mode=WAL'); c.execute('UPDATE gpkg_contents SET description = description')
print('open', flush=True); time.sleep(20)
" "$O/wal.gpkg" >"$WORK/wal.out" &
WAL=$!
for _ in $(seq 50); do grep -q open "$WORK/wal.out" && break; sleep 0.1; done
held=$(sha "$O/wal.gpkg")
"$SAFER" ingest -q --crimes "$T/crimes" -o "$O/wal.gpkg" --overwrite 2>"$WORK/wal.err"
code=$?
kill $WAL 2>/dev/null; wait $WAL 2>/dev/null
[ $code -eq 3 ] && grep -qF "open in another program" "$WORK/wal.err" && [ "$(sha "$O/wal.gpkg")" = "$held" ] \
    && pass "a GeoPackage open in WAL mode elsewhere: exit 3, '$(head -c 110 "$WORK/wal.err")...', unchanged" \
    || fail "WAL-mode GeoPackage: exit $code: $(cat "$WORK/wal.err")"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
