#!/usr/bin/env bash
# Progress (issue 17, 4): on a terminal (a pseudo-terminal from Python's pty module) every long
# stage draws a bar with its percentage, redrawn in place; in a log (a pipe) each stage is one
# GDAL-style line, 0...10...20 ... 100 - done in N s; -q prints nothing at all.
# usage: progress_test.sh SAFER SAFER_TOWN WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
# A town with 300,000 incidents, so that reading and writing take long enough to be seen.
"$TOWN_BIN" --seed 1 --incidents 300000 -o "$WORK/town" -q || { echo "FAIL: safer-town"; exit 1; }
T="$WORK/town"

# on_terminal OUT COMMAND...: runs COMMAND with stderr on a pseudo-terminal; what it drew goes to OUT.
on_terminal() {
    local out="$1"; shift
    "$PY" - "$out" "$@" <<'PY'
import os, pty, subprocess, sys
out, args = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # the child closed the terminal
        break
    if not chunk:
        break
    data += chunk
open(out, "wb").write(data)
sys.exit(p.wait())
PY
}

# --- On a terminal: bars with percentages ----------------------------------------------------
on_terminal "$WORK/tty.txt" "$SAFER" ingest --crimes "$T/crimes" -o "$WORK/tty.gpkg" || fail "ingest on a terminal: $(cat "$WORK/tty.txt")"
# Each redraw starts with a carriage return: split on them to see the frames.
tr '\r' '\n' <"$WORK/tty.txt" >"$WORK/tty-frames.txt"
for stage in "reading 12 incident files" "reprojecting" "writing layer incidents"; do
    frames=$(grep -E "^safer: $stage.* \[[#-]{30}\] +[0-9]+%" "$WORK/tty-frames.txt" | grep -oE "[0-9]+%" | sort -un | tr '\n' ' ')
    [ -n "$frames" ] && pass "on a terminal, '$stage' draws a bar: $frames" || fail "no bar for '$stage'"
done
middle=$(grep -E "^safer: writing layer incidents.* \[#+-*\] +([1-9]|[1-9][0-9])%" "$WORK/tty-frames.txt" | head -1)
[ -n "$middle" ] && pass "the write shows a percentage on its way: '${middle##*] }'" || fail "no percentage between 0 and 100 while writing"
grep -qE "^safer: writing layer incidents \([0-9]+ features\): done in [0-9.]+ s" "$WORK/tty-frames.txt" &&
    pass "each stage ends with its time on the same line" || fail "no 'done in' for the write"
grep -q $'\x1b\[K' "$WORK/tty.txt" && pass "each frame clears the rest of the line" || fail "no erase-line on the terminal"

# Statistics and density: the long stages of hotspots and kde too.
on_terminal "$WORK/hot.txt" "$SAFER" hotspots --crimes "$T/crimes" --grid 100 --permutations 999 -o "$WORK/hot.gpkg" ||
    fail "hotspots on a terminal: $(tr '\r' '\n' <"$WORK/hot.txt" | tail -3)"
tr '\r' '\n' <"$WORK/hot.txt" >"$WORK/hot-frames.txt"
for stage in "Gi\* with 999 permutations" "local Moran's I with 999 permutations" "writing layer hotspot_grid"; do
    grep -qE "^safer: $stage.* \[[#-]{30}\] +[0-9]+%" "$WORK/hot-frames.txt" && pass "hotspots: '$stage' has a bar" || fail "hotspots: no bar for '$stage'"
done
on_terminal "$WORK/kde.txt" "$SAFER" kde --crimes "$T/crimes" --bandwidth 200 --cell 5 -o "$WORK/kde.gpkg" || fail "kde on a terminal"
tr '\r' '\n' <"$WORK/kde.txt" >"$WORK/kde-frames.txt"
for stage in "estimating the density" "writing raster kde_all"; do
    grep -qE "^safer: $stage.* \[[#-]{30}\] +[0-9]+%" "$WORK/kde-frames.txt" && pass "kde: '$stage' has a bar" || fail "kde: no bar for '$stage'"
done

# The newer commands: nearrepeat's permutations; site's sites, reviewed and written batch by batch
# under one stage (a layer appended in batches starts no stage of its own, which would end it).
on_terminal "$WORK/nr.txt" "$SAFER" nearrepeat --crimes "$T/crimes" --types Burglary --permutations 999 -o "$WORK/nr.gpkg" || fail "nearrepeat on a terminal"
tr '\r' '\n' <"$WORK/nr.txt" >"$WORK/nr-frames.txt"
grep -qE "^safer: 999 permutations of the times \[[#-]{30}\] +[0-9]+%" "$WORK/nr-frames.txt" && pass "nearrepeat: the permutations have a bar" || fail "nearrepeat: no bar for the permutations"
"$PY" "$(dirname "$0")/../../fixtures/make_sites.py" 40 3 "$WORK/sites.geojson" 451000 206000 455000 210000
"$SAFER" site --site "$WORK/sites.geojson" --crimes "$T/crimes" --radii 100,200 --batch-rows 2000 --no-pdf -o "$WORK/site.gpkg" --report "$WORK/site.html" \
    2>"$WORK/site-log.txt" || fail "site to a log: $(tail -3 "$WORK/site-log.txt")"
batches=$(sed -n 's/.*reviewed and written in \([0-9]*\) batches.*/\1/p' "$WORK/site-log.txt")
review=$(grep -cE "^safer: reviewing 40 sites and writing their layers: 0\.\.\.10\.\.\.20\.\.\.30\.\.\.40\.\.\.50\.\.\.60\.\.\.70\.\.\.80\.\.\.90\.\.\.100 - done in [0-9.]+ s$" "$WORK/site-log.txt")
[ "${batches:-0}" -gt 1 ] && [ "$review" = 1 ] && ! grep -q "writing layer site" "$WORK/site-log.txt" &&
    pass "site: $batches batches reviewed and written under one stage, 0 to 100 on one line" || fail "site's stages: $(grep -E "reviewing|writing layer" "$WORK/site-log.txt" | head -3)"

# --- In a log: one GDAL-style line a stage ------------------------------------------------------
"$SAFER" ingest --crimes "$T/crimes" -o "$WORK/log.gpkg" 2>"$WORK/log.txt" || fail "ingest to a log: $(cat "$WORK/log.txt")"
grep -qE "^safer: writing layer incidents \([0-9]+ features\): 0\.\.\.10\.\.\.20\.\.\.30\.\.\.40\.\.\.50\.\.\.60\.\.\.70\.\.\.80\.\.\.90\.\.\.100 - done in [0-9.]+ s$" "$WORK/log.txt" &&
    pass "in a log: '$(grep "writing layer incidents" "$WORK/log.txt")'" || fail "log line: $(grep "writing layer" "$WORK/log.txt")"
! grep -q $'\r' "$WORK/log.txt" && pass "no carriage returns in a log" || fail "carriage returns in the log"

# --- -q: nothing ------------------------------------------------------------------------------
on_terminal "$WORK/quiet.txt" "$SAFER" ingest -q --crimes "$T/crimes" -o "$WORK/quiet.gpkg" || fail "ingest -q"
[ ! -s "$WORK/quiet.txt" ] && pass "-q on a terminal: nothing at all" || fail "-q printed: $(head -c 300 "$WORK/quiet.txt")"
"$SAFER" hotspots -q --crimes "$T/crimes" --grid 100 --permutations 99 -o "$WORK/quiet-hot.gpkg" 2>"$WORK/quiet-log.txt" || fail "hotspots -q"
[ ! -s "$WORK/quiet-log.txt" ] && pass "-q in a log: nothing at all" || fail "-q printed: $(head -c 300 "$WORK/quiet-log.txt")"
finish
