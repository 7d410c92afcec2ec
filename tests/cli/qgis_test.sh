#!/usr/bin/env bash
# The real-client test: QGIS (Debian's python3-qgis, headless with QT_QPA_PLATFORM=offscreen)
# loads every output of the demo's commands, and of the other commands, and every layer must load
# valid, in EPSG:27700, with the feature count of its table, valid geometries and its default
# style applied (tests/qgis/check_outputs.py walks every layer of every file it is given).
# Keep the first block in step with tools/demo.
# Exits 77 (reported by CTest as skipped) only when QGIS cannot be imported, and says so loudly;
# tools/test installs QGIS from tools/packages-qgis.txt first.
# usage: qgis_test.sh SAFER SAFER_TOWN CHECKER WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; CHECKER="$3"; WORK="$4"
PY="${SAFER_QGIS_PYTHON:-/usr/bin/python3}" # Debian's: the python3 first on PATH may be another build without QGIS
export QT_QPA_PLATFORM=offscreen
rm -rf "$WORK"; mkdir -p "$WORK"
export XDG_RUNTIME_DIR="$WORK/xdg" HOME="$WORK/home" # QGIS writes its profile and runtime files here
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"

if ! err=$("$PY" -c 'import qgis.core' 2>&1); then
    echo "##############################################################################"
    echo "SKIPPED: QGIS is not installed ($PY cannot import qgis.core: ${err##*$'\n'})."
    echo "         The QGIS real-client test did NOT run. tools/test installs QGIS from"
    echo "         tools/packages-qgis.txt; install those packages to run it."
    echo "##############################################################################"
    exit 77
fi

"$TOWN_BIN" --seed 1 -o "$WORK/town" -q || { echo "FAIL: safer-town"; exit 1; }
T="$WORK/town"
O="$WORK/out"
mkdir -p "$O"
failures=0
run() {
    if "$SAFER" "$@" -q 2>"$WORK/err.txt"; then echo "ok: safer $1 -> $(echo "$@" | sed 's/.* -o //; s/ .*//')"
    else echo "FAIL: safer $*: $(cat "$WORK/err.txt")"; failures=$((failures + 1)); fi
}
# The demo (tools/demo).
run areas --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --incidents -o "$O/demo.gpkg" \
    --csv "$O/demo-areas.csv"
run kde --crimes "$T/crimes" --group neighbourhood --areas "$T/lsoas.geojson" --bandwidth 250 --cell 10 -o "$O/demo-kde.gpkg"
ASSETS=(--lighting "$T/lights.csv" --cctv "$T/cctv.csv" --paths "$T/paths.geojson" --gates "$T/gates.geojson" --streets "$T/streets.geojson")
run bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --min-population 1500 --max-population 8000 \
    "${ASSETS[@]}" --budget 431185 -o "$O/demo-bid.gpkg" --report "$O/demo-report.html"
run score --crimes "$T/crimes" --areas "$T/lsoas.geojson" "${ASSETS[@]}" --budget 50000 -o "$O/demo-score.gpkg"
"$TOWN_BIN" --seed 1 --months 24 --start 2022-01 --incidents 60000 --intervention 2023-01 -o "$WORK/town-evaluate" -q || { echo "FAIL: safer-town --intervention"; exit 1; }
TE="$WORK/town-evaluate"
run evaluate --crimes "$TE/crimes" --areas "$TE/lsoas.geojson" --target "$TE/intervention.geojson" --start 2023-01 \
    --report "$O/demo-evaluate.html" --csv "$O/demo-evaluate.csv" --no-pdf -o "$O/demo-evaluate.gpkg"
# The other commands and variants.
run ingest --crimes "$T/crimes" -o "$O/ingest.gpkg"
run kde --crimes "$T/crimes" --group neighbourhood --bandwidth 300 --cell 25 --by quarter -o "$O/kde-quarters.gpkg"
run kde --crimes "$T/crimes" --types Burglary --bandwidth 300 --cell 25 -o "$O/burglary.tif"
run hotspots --crimes "$T/crimes" --grid 200 --permutations 99 -o "$O/hotspots-grid.gpkg"
run hotspots --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --by quarter --permutations 99 \
    -o "$O/hotspots-areas.gpkg"
run score --crimes "$T/crimes" --lighting "$T/lights.csv" --cctv "$T/cctv.csv" --gates "$T/gates.geojson" --paths "$T/paths.geojson" \
    --streets "$T/streets.geojson" --areas "$T/lsoas.geojson" --budget 50000 -o "$O/score.gpkg"
run segments --crimes "$T/crimes" --streets "$T/streets.geojson" --incidents -o "$O/segments.gpkg"
run site --site "$T/site.geojson" --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" \
    --lighting "$T/lights.csv" --cctv "$T/cctv.csv" --gates "$T/gates.geojson" --paths "$T/paths.geojson" --streets "$T/streets.geojson" \
    --report "$O/site.html" --no-pdf -o "$O/site.gpkg"

"$PY" "$CHECKER" "$O"/*.gpkg "$O"/*.tif 2>&1 | grep -v "XDG_RUNTIME_DIR"
status=${PIPESTATUS[0]}
[ "$status" -eq 77 ] && exit 77
[ "$status" -eq 0 ] || failures=$((failures + 1))

# QGIS editing a layer of an output (it switches the GeoPackage to WAL): replacing the file then
# would hand QGIS's writes to the new one, so safer refuses, and leaves the file as it was.
cp "$O/demo.gpkg" "$O/editing.gpkg"
"$PY" -c '
import os, sys, time
from qgis.core import QgsApplication, QgsVectorLayer
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False); app.initQgis()
layer = QgsVectorLayer(sys.argv[1] + "|layername=areas", "areas", "ogr")
layer.startEditing()
feature = next(layer.getFeatures())
layer.changeAttributeValue(feature.id(), layer.fields().indexOf("name"), "edited")
print("editing", flush=True)
time.sleep(30)
os._exit(0)
' "$O/editing.gpkg" >"$WORK/editing.out" 2>/dev/null &
EDITOR=$!
for _ in $(seq 150); do grep -q editing "$WORK/editing.out" && break; sleep 0.2; done
before=$(sha256sum <"$O/editing.gpkg")
"$SAFER" ingest -q --crimes "$T/crimes" -o "$O/editing.gpkg" --overwrite 2>"$WORK/editing.err"
code=$?
kill $EDITOR 2>/dev/null; wait $EDITOR 2>/dev/null
if [ $code -eq 3 ] && grep -qF "open in another program" "$WORK/editing.err" && [ "$(sha256sum <"$O/editing.gpkg")" = "$before" ]; then
    echo "ok: a GeoPackage QGIS is editing: exit 3, '$(head -c 100 "$WORK/editing.err")...', file unchanged"
else
    echo "FAIL: a GeoPackage QGIS is editing: exit $code: $(cat "$WORK/editing.err")"; failures=$((failures + 1))
fi
echo "$failures failure(s)"
[ "$failures" -eq 0 ]
