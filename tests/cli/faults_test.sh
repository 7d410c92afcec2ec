#!/usr/bin/env bash
# Fault injection: each fault must end in a clear message and a non-zero exit, with nothing at
# the final path (or the previous file there, unchanged) and no temporary file left behind.
#   - the output folder is not writable (a read-only tmpfs; a file where a folder should be;
#     /proc; another user);
#   - the disk fills up during the write (a small tmpfs, several sizes, so the write fails at
#     different stages: layers, SQLite bulk rows, CSV and GeoTIFF outputs);
#   - SIGINT, SIGTERM and SIGHUP while the output is being written (sent by this script);
#   - an input truncated, appended to or rewritten while it is being read (the process is
#     stopped with SIGSTOP mid-read, the file changed, then SIGCONT);
#   - GDAL without the driver needed (GDAL_SKIP).
# tmpfs mounts are made in a private mount namespace (unshare -m as root, unshare -rm otherwise),
# so nothing outlives the test; where namespaces are not allowed those checks are skipped and say so.
# usage: faults_test.sh SAFER SAFER_TOWN WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"

# No temporary output (.NAME.tmp-PID, or its SQLite companions) left in a folder.
no_temp() { ! ls -A "$1" 2>/dev/null | grep -q '\.tmp-'; }
# Runs a command expecting exit code $1 and stderr containing $2, then checks that $3 (the
# output) does not exist or has the SHA-256 $4, and that its folder holds no temporary file.
expect_fault() {
    local code="$1" fragment="$2" output="$3" previous="$4"; shift 4
    "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
    local got=$?
    local what="$* -> exit $code"
    if [ "$got" -ne "$code" ]; then fail "$what: exited $got: $(head -c 1500 "$WORK/err.txt")"; return; fi
    if ! grep -qF -- "$fragment" "$WORK/err.txt"; then fail "$what: stderr lacks '$fragment': $(head -c 1500 "$WORK/err.txt")"; return; fi
    if [ -z "$previous" ] && [ -e "$output" ]; then fail "$what: left an output at $output"; return; fi
    if [ -n "$previous" ] && [ "$(sha256sum <"$output" | cut -d' ' -f1)" != "$previous" ]; then fail "$what: the previous $output changed"; return; fi
    if ! no_temp "$(dirname "$output")"; then fail "$what: left a temporary file: $(ls -A "$(dirname "$output")")"; return; fi
    pass "$what ($(grep -m1 'error' "$WORK/err.txt" | cut -c1-160))"
}
sha() { sha256sum <"$1" | cut -d' ' -f1; }

"$TOWN_BIN" --seed 11 -o "$WORK/town" -q || { fail "safer-town"; exit 1; }
T="$WORK/town"
CRIMES="$T/crimes"
"$SAFER" ingest -q --crimes "$CRIMES/2023-01" -o "$WORK/previous.gpkg" 2>/dev/null || fail "making the previous output"
PREV_SHA=$(sha "$WORK/previous.gpkg")

# --- Namespaces for tmpfs mounts ---------------------------------------------------------------
NS=(unshare -m)
[ "$(id -u)" -eq 0 ] || NS=(unshare -rm)
# in_tmpfs OPTIONS DIR SCRIPT: runs the shell SCRIPT with a tmpfs (mount OPTIONS) at DIR, in a
# private mount namespace; SCRIPT sees $SAFER, $WORK and the other exported variables.
in_tmpfs() {
    local options="$1" dir="$2" script="$3"
    mkdir -p "$dir"
    "${NS[@]}" sh -c 'mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; eval "$3"' sh "$options" "$dir" "$script"
}
export SAFER WORK CRIMES PREV_SHA T
can_mount=0
in_tmpfs size=1m "$WORK/probe" 'true' 2>/dev/null && can_mount=1
[ $can_mount -eq 1 ] || skip "tmpfs checks: cannot make a private mount namespace here (${NS[*]} failed)"

# --- 1. The output folder is not writable ----------------------------------------------------
if [ $can_mount -eq 1 ]; then
    # A read-only file system stops root too.
    in_tmpfs ro,size=1m "$WORK/ro" '"$SAFER" ingest --crimes "$CRIMES" -o "$WORK/ro/out.gpkg" 2>"$WORK/ro.err"; echo $? >"$WORK/ro.code"; ls -A "$WORK/ro" >"$WORK/ro.list"'
    if [ "$(cat "$WORK/ro.code")" = 3 ] && grep -qF "is not writable" "$WORK/ro.err" && [ ! -s "$WORK/ro.list" ]; then
        pass "read-only folder: exit 3, $(grep -m1 error "$WORK/ro.err")"
    else
        fail "read-only folder: exit $(cat "$WORK/ro.code"), $(cat "$WORK/ro.err"), left: $(cat "$WORK/ro.list")"
    fi
fi
touch "$WORK/a-file"
expect_fault 3 "is a file, not a folder" "$WORK/a-file/out.gpkg" "" "$SAFER" ingest --crimes "$CRIMES" -o "$WORK/a-file/out.gpkg"
mkdir -p "$WORK/a-folder.gpkg"
expect_fault 3 "is a folder" "$WORK/a-folder.gpkg/x" "" "$SAFER" ingest --crimes "$CRIMES" -o "$WORK/a-folder.gpkg" --overwrite
expect_fault 3 "/proc" "/proc/safer-out.gpkg" "" "$SAFER" ingest --crimes "$CRIMES" -o /proc/safer-out.gpkg
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    mkdir -p "$WORK/root-only"; chmod 755 "$WORK/root-only"
    chmod o+rx "$WORK" 2>/dev/null
    # As nobody: the inputs must be readable by nobody, the folder is not writable.
    if setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$(ls "$CRIMES"/2023-01/*.csv | head -n 1)" 2>/dev/null &&
       setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$SAFER" 2>/dev/null; then
        expect_fault 3 "is not writable" "$WORK/root-only/out.gpkg" "" \
            setpriv --reuid=nobody --regid=nogroup --clear-groups "$SAFER" ingest --crimes "$CRIMES" -o "$WORK/root-only/out.gpkg"
    else
        skip "as nobody: nobody cannot read the inputs or run $SAFER here"
    fi
else
    skip "as another user: needs root and setpriv"
fi

# --- 2. The disk fills up during the write ------------------------------------------------------
if [ $can_mount -eq 1 ]; then
    "$SAFER" ingest -q --crimes "$CRIMES" -o "$WORK/full-size.gpkg" 2>/dev/null
    full=$(stat -c %s "$WORK/full-size.gpkg")
    prev=$(stat -c %s "$WORK/previous.gpkg")
    echo "complete ingest output: $full bytes; previous output: $prev bytes"
    # tmpfs sizes between the previous file alone and the previous file plus a complete new one:
    # the write fails at different stages (first layer, later features, the rejects bulk insert,
    # closing). --overwrite: the previous file must survive.
    # Never room for the whole new file beside the previous one: each size must fail.
    for room in 8 64 256 $((full / 1024 / 2)) $((full / 1024 - 64)); do
        size=$(( prev / 1024 + room ))
        in_tmpfs "size=${size}k" "$WORK/full" '
            cp "$WORK/previous.gpkg" "$WORK/full/out.gpkg"
            "$SAFER" ingest --crimes "$CRIMES" -o "$WORK/full/out.gpkg" --overwrite 2>"$WORK/full.err"; echo $? >"$WORK/full.code"
            sha256sum <"$WORK/full/out.gpkg" | cut -d" " -f1 >"$WORK/full.sha"; ls -A "$WORK/full" >"$WORK/full.list"'
        code=$(cat "$WORK/full.code")
        # One line, of a readable length, saying the disk is full (not SQLite's statement).
        if [ "$code" = 3 ] && grep -qiE "full|no space" "$WORK/full.err" && [ "$(cat "$WORK/full.sha")" = "$PREV_SHA" ] &&
           [ "$(cat "$WORK/full.list")" = out.gpkg ] && [ "$(grep -c 'error' "$WORK/full.err")" = 1 ] &&
           [ "$(grep 'error' "$WORK/full.err" | wc -c)" -lt 400 ]; then
            pass "disk full (${size} KiB tmpfs): exit 3, previous output intact: $(grep -m1 error "$WORK/full.err" | cut -c1-150)"
        else
            fail "disk full (${size} KiB tmpfs): exit $code, $(head -c 600 "$WORK/full.err"), files: $(tr '\n' ' ' <"$WORK/full.list")"
        fi
    done
    # The areas CSV (a plain stream) and a GeoTIFF (GDAL's GTiff driver) on a full disk.
    in_tmpfs size=64k "$WORK/full-csv" '
        "$SAFER" areas --crimes "$CRIMES" --areas "$T/lsoas.geojson" -o "$WORK/full-csv/a.gpkg" --csv "$WORK/full-csv/a.csv" 2>"$WORK/fc.err"; echo $? >"$WORK/fc.code"
        ls -A "$WORK/full-csv" >"$WORK/fc.list"'
    if [ "$(cat "$WORK/fc.code")" = 3 ] && [ ! -s "$WORK/fc.list" ]; then pass "disk full, areas with --csv: exit 3, nothing left: $(grep -m1 error "$WORK/fc.err" | cut -c1-150)"
    else fail "disk full, areas --csv: exit $(cat "$WORK/fc.code"), $(head -c 600 "$WORK/fc.err"), left: $(tr '\n' ' ' <"$WORK/fc.list")"; fi
    in_tmpfs size=48k "$WORK/full-tif" '
        "$SAFER" kde --crimes "$CRIMES" --bandwidth 300 --cell 5 -o "$WORK/full-tif/k.tif" 2>"$WORK/ft.err"; echo $? >"$WORK/ft.code"
        ls -A "$WORK/full-tif" >"$WORK/ft.list"'
    if [ "$(cat "$WORK/ft.code")" = 3 ] && [ ! -s "$WORK/ft.list" ]; then pass "disk full, kde GeoTIFF: exit 3, nothing left: $(grep -m1 error "$WORK/ft.err" | cut -c1-150)"
    else fail "disk full, kde GeoTIFF: exit $(cat "$WORK/ft.code"), $(head -c 600 "$WORK/ft.err"), left: $(tr '\n' ' ' <"$WORK/ft.list")"; fi
    # safer bid (without assets) writes a GeoPackage, a QGIS style, three CSVs and a report, all to
    # temporary files before any is moved into place: a disk that fills at any of these sizes
    # leaves none of them, and the message names the full disk.
    mkdir -p "$WORK/bid-ok"
    "$SAFER" bid -q --crimes "$CRIMES" --areas "$T/lsoas.geojson" --population "$T/population.csv" --min-population 1500 \
        --max-population 8000 -o "$WORK/bid-ok/b.gpkg" --report "$WORK/bid-ok/b.html" || fail "bid on the town"
    gpkg_kb=$(( $(stat -c %s "$WORK/bid-ok/b.gpkg") / 1024 ))
    # The last two: room for the finished GeoPackage alone, but not with the CSVs and the report
    # staged beside it, so its final commit fails.
    for size in 100 200 500 $((gpkg_kb + 40)) $((gpkg_kb + 80)); do
        in_tmpfs "size=${size}k" "$WORK/full-bid" '
            "$SAFER" bid --crimes "$CRIMES" --areas "$T/lsoas.geojson" --population "$T/population.csv" --min-population 1500 \
                --max-population 8000 -o "$WORK/full-bid/b.gpkg" --report "$WORK/full-bid/b.html" 2>"$WORK/fb.err"; echo $? >"$WORK/fb.code"
            ls -A "$WORK/full-bid" >"$WORK/fb.list"'
        if [ "$(cat "$WORK/fb.code")" = 3 ] && [ ! -s "$WORK/fb.list" ] && grep -qiE "full|no space" "$WORK/fb.err"; then
            pass "disk full (${size} KiB), bid: exit 3, none of its 6 outputs left: $(grep -m1 error "$WORK/fb.err" | cut -c1-150)"
        else
            fail "disk full (${size} KiB), bid: exit $(cat "$WORK/fb.code"), $(head -c 600 "$WORK/fb.err"), left: $(tr '\n' ' ' <"$WORK/fb.list")"
        fi
    done
fi

# --- 3. Interrupted while writing --------------------------------------------------------------
"$TOWN_BIN" --seed 12 --incidents 400000 -o "$WORK/big" -q || fail "safer-town --incidents 400000"
# A job started with & in a script ignores SIGINT (POSIX shells set it so), and safer keeps an
# ignored SIGINT ignored: start it with SIGINT at its default, as from a terminal.
background() { env --default-signal=INT "$@" & }
# interrupt SIGNAL EXPECTED_CODE [--overwrite]: starts an ingest, waits for its temporary output
# to appear and grow, sends the signal.
interrupt() {
    local signal="$1" expected="$2" overwrite="${3:-}" dir="$WORK/sig-$1"
    rm -rf "$dir"; mkdir -p "$dir"
    [ -n "$overwrite" ] && cp "$WORK/previous.gpkg" "$dir/out.gpkg"
    background "$SAFER" ingest --crimes "$WORK/big/crimes" -o "$dir/out.gpkg" $overwrite 2>"$dir/err"
    local pid=$! temp="" tries=0
    while [ $tries -lt 6000 ] && kill -0 $pid 2>/dev/null; do
        temp=$(ls -A "$dir" | grep '\.tmp-[0-9]*$' | head -n 1)
        [ -n "$temp" ] && [ "$(stat -c %s "$dir/$temp" 2>/dev/null || echo 0)" -gt 100000 ] && break
        sleep 0.01; tries=$((tries + 1))
    done
    if [ -z "$temp" ]; then kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null; fail "SIG$signal: never saw the temporary output"; return; fi
    kill -"$signal" $pid
    wait $pid; local code=$?
    local left; left=$(ls -A "$dir" | grep -v '^err$' | tr '\n' ' ')
    local what="SIG$signal mid-write${overwrite:+ with a previous output}"
    if [ "$code" -ne "$expected" ]; then fail "$what: exit $code, expected $expected: $(tail -n 3 "$dir/err")"; return; fi
    if ! grep -qF "interrupted; the unfinished output was removed" "$dir/err"; then fail "$what: no message: $(tail -n 3 "$dir/err")"; return; fi
    if [ -n "$overwrite" ]; then
        [ "$left" = "out.gpkg " ] && [ "$(sha "$dir/out.gpkg")" = "$PREV_SHA" ] || { fail "$what: left $left or changed the previous output"; return; }
    else
        [ -z "$left" ] || { fail "$what: left $left"; return; }
    fi
    pass "$what: exit $code, temporary file removed${overwrite:+, previous output intact}"
}
interrupt INT 130
interrupt TERM 143
interrupt HUP 129
interrupt INT 130 --overwrite
# Interrupted before any output exists (while reading): ends at once, nothing written.
background "$SAFER" ingest --crimes "$WORK/big/crimes" -o "$WORK/early.gpkg" 2>"$WORK/early.err"
pid=$!; sleep 0.2; kill -INT $pid; wait $pid; code=$?
[ $code -eq 130 ] && [ ! -e "$WORK/early.gpkg" ] && no_temp "$WORK" && pass "SIGINT while reading: exit 130, nothing written" \
    || fail "SIGINT while reading: exit $code, $(tail -n 2 "$WORK/early.err")"

# --- 4. An input truncated or changed while it is read ---------------------------------------------
cat "$WORK"/big/crimes/*/*.csv >"$WORK/one-big.csv.orig"
# change_while_reading NAME COMMAND...: starts an ingest of $WORK/one-big.csv, stops it once it
# has read part of the file, applies COMMAND to the file, lets it go on.
change_while_reading() {
    local name="$1"; shift
    local attempt
    for attempt in 1 2 3 4 5; do
        cp "$WORK/one-big.csv.orig" "$WORK/one-big.csv"
        local size; size=$(stat -c %s "$WORK/one-big.csv")
        "$SAFER" ingest --crimes "$WORK/one-big.csv" -o "$WORK/changed.gpkg" 2>"$WORK/changed.err" &
        local pid=$! pos="" fd="" tries=0
        while [ $tries -lt 20000 ] && kill -0 $pid 2>/dev/null; do
            fd=$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -F "$WORK/one-big.csv" | awk '{print $9}' | head -n 1)
            if [ -n "$fd" ]; then
                pos=$(sed -n 's/^pos:\s*//p' "/proc/$pid/fdinfo/$fd" 2>/dev/null)
                [ -n "$pos" ] && [ "$pos" -gt 0 ] && break
            fi
            tries=$((tries + 1))
        done
        kill -STOP $pid 2>/dev/null
        pos=$(sed -n 's/^pos:\s*//p' "/proc/$pid/fdinfo/$fd" 2>/dev/null)
        if [ -n "$pos" ] && [ "$pos" -gt 0 ] && [ "$pos" -lt "$size" ]; then
            "$@"
            kill -CONT $pid; wait $pid; local code=$?
            if [ $code -eq 3 ] && grep -qF "one-big.csv: the file changed while it was being read" "$WORK/changed.err" &&
               [ ! -e "$WORK/changed.gpkg" ] && no_temp "$WORK"; then
                pass "$name while read (stopped at byte $pos of $size): exit 3, $(grep -m1 error "$WORK/changed.err" | cut -c1-140)"
            else
                fail "$name while read: exit $code, $(tail -n 2 "$WORK/changed.err")"
            fi
            rm -f "$WORK/changed.gpkg"
            return
        fi
        kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$WORK/changed.gpkg"
    done
    fail "$name while read: could not stop the reader mid-file in 5 attempts"
}
change_while_reading "truncated" truncate -s 1000000 "$WORK/one-big.csv"
change_while_reading "appended to" sh -c "tail -n 1000 '$WORK/one-big.csv.orig' >>'$WORK/one-big.csv'"
change_while_reading "rewritten in place" sh -c "printf 'X' | dd of='$WORK/one-big.csv' bs=1 seek=5000000 conv=notrunc status=none"

# --- 5. GDAL without a driver -------------------------------------------------------------------------
expect_fault 3 "GDAL's GPKG driver is not available" "$WORK/nodrv.gpkg" "" env GDAL_SKIP=GPKG "$SAFER" ingest --crimes "$CRIMES" -o "$WORK/nodrv.gpkg"
expect_fault 3 "GDAL's GTiff driver is not available" "$WORK/nodrv.tif" "" env GDAL_SKIP=GTiff "$SAFER" kde --crimes "$CRIMES" -o "$WORK/nodrv.tif"
expect_fault 1 "no GDAL vector driver recognises it" "$WORK/nodrv2.gpkg" "" env GDAL_SKIP=GeoJSON "$SAFER" areas --crimes "$CRIMES" --areas "$T/lsoas.geojson" -o "$WORK/nodrv2.gpkg"
mkdir -p "$WORK/empty"
expect_fault 3 "PROJ cannot open its database" "$WORK/noproj.gpkg" "" env PROJ_DATA="$WORK/empty" PROJ_LIB="$WORK/empty" "$SAFER" ingest --crimes "$CRIMES" -o "$WORK/noproj.gpkg"

finish
