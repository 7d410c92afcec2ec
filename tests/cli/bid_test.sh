#!/usr/bin/env bash
# Command-line tests of `safer bid`: rates and ratios on the real Avon and Somerset data against an
# independent computation (Python's csv module over the IoD 2019 file), contiguous clusters within
# the population limits, determinism, the report rendered by headless Chromium, and bad input.
# usage: bid_test.sh SAFER SAFER_TOWN DATA_DIR WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; DATA="$3"; WORK="$4"
rm -rf "$WORK"; mkdir -p "$WORK"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
expect() { # exit code, stderr fragment, path that must not exist afterwards, command...
    local code="$1" fragment="$2" output="$3"; shift 3
    "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
    local got=$?
    if [ "$got" -ne "$code" ]; then fail "$* exited $got, expected $code: $(cat "$WORK/err.txt")"; return; fi
    if ! grep -qF -- "$fragment" "$WORK/err.txt"; then fail "$*: stderr lacks '$fragment': $(cat "$WORK/err.txt")"; return; fi
    if [ -n "$output" ] && [ -e "$output" ]; then fail "$*: left an output file $output"; return; fi
    pass "$* -> exit $code"
}
PY=/usr/bin/python3
AS="$DATA/avon-and-somerset"
POP="$DATA/england/imd2019/File_6_-_IoD2019_Population_Denominators.csv.gz"
IMD="$DATA/england/imd2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"

# --- Real data ----------------------------------------------------------------------------------
"$SAFER" bid --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" \
    --imd "$IMD" --compare-by "Local Authority District name (2019)" -o "$WORK/as.gpkg" --report "$WORK/as.html" 2>"$WORK/as.err" \
    || fail "bid on the real data: $(cat "$WORK/as.err")"
grep -qF "2021-04 to 2022-03" "$WORK/as.err" && pass "the last 12 months: 2021-04 to 2022-03" || fail "window: $(grep 'incidents in' "$WORK/as.err")"
# Independent: rate = 1000 count / population from the IoD file; ratio = rate / the district's
# rate, the district's rate = 1000 sum(count) / sum(population) over its LSOAs.
$PY - "$WORK/as_areas.csv" "$POP" <<'PY' && pass "real data: rates and district ratios equal an independent computation" || fail "real data rates/ratios"
import csv, gzip, io, sys, math
areas = list(csv.DictReader(open(sys.argv[1], newline="")))
pop, lad = {}, {}
with gzip.open(sys.argv[2], "rt", encoding="utf-8-sig", newline="") as f:
    for row in csv.DictReader(f):
        pop[row["LSOA code (2011)"]] = float(row["Total population: mid 2015 (excluding prisoners)"].replace(",", ""))
        lad[row["LSOA code (2011)"]] = row["Local Authority District name (2019)"]
assert len(areas) == 1005, len(areas)
tot = {}
for a in areas:
    c, p = float(a["neighbourhood_count"]), pop[a["code"]]
    t = tot.setdefault(lad[a["code"]], [0.0, 0.0]); t[0] += c; t[1] += p
bad = 0
for a in areas:
    c, p = float(a["neighbourhood_count"]), pop[a["code"]]
    rate = 1000 * c / p
    district = 1000 * tot[lad[a["code"]]][0] / tot[lad[a["code"]]][1]
    if abs(float(a["population"]) - p) > 1e-9 or abs(float(a["neighbourhood_rate"]) - rate) > 1e-9 * max(1, rate) \
       or abs(float(a["neighbourhood_ratio"]) - rate / district) > 1e-9 * max(1, rate / district) or a["compare_group"] != lad[a["code"]]:
        bad += 1
        print("mismatch", a["code"], a["neighbourhood_rate"], rate, a["neighbourhood_ratio"], rate / district, file=sys.stderr)
print(f"checked {len(areas)} LSOAs in {len(tot)} districts", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
used=$(sed -n 's/.*2021-04 to 2022-03: \([0-9]*\) neighbourhood incidents.*/\1/p' "$WORK/as.err")
"$SAFER" areas -q --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --from 2021-04 --to 2022-03 -o "$WORK/as-areas.gpkg" 2>/dev/null
other=$(sqlite3 "$WORK/as-areas.gpkg" "SELECT SUM(neighbourhood_count) FROM areas")
[ -n "$used" ] && [ "$used" = "$other" ] && pass "real data: $used neighbourhood incidents, as safer areas counts them" || fail "totals $used vs $other"
# Clusters: within the population limits and at most 5 LSOAs.
bad=$(sqlite3 "$WORK/as.gpkg" "SELECT COUNT(*) FROM target_areas WHERE population < 1000 OR population > 10000 OR areas > 5")
n=$(sqlite3 "$WORK/as.gpkg" "SELECT COUNT(*) FROM target_areas")
[ "$bad" = 0 ] && [ "$n" -gt 0 ] && pass "real data: $n candidates within 1,000-10,000 residents and 5 LSOAs" || fail "limits: $bad of $n"
# Deterministic: the same run again gives the same tables.
"$SAFER" bid -q --crimes "$AS/crime/street" --areas "$AS/boundaries/lsoa_2011_avon_and_somerset.geojson" --population "$POP" \
    --imd "$IMD" --compare-by "Local Authority District name (2019)" -o "$WORK/as2.gpkg" --report "$WORK/as2.html" 2>/dev/null
cmp -s "$WORK/as_areas.csv" "$WORK/as2_areas.csv" && cmp -s "$WORK/as_target_areas.csv" "$WORK/as2_target_areas.csv" \
    && pass "same inputs, same tables" || fail "bid is not deterministic"

# --- The report in headless Chromium --------------------------------------------------------------
CHROMIUM=$(command -v chromium || true)
if [ -z "$CHROMIUM" ]; then
    fail "chromium is not installed (it is in tools/packages.txt): the report cannot be checked"
else
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 --window-size=1000,3000 \
        --screenshot="$WORK/as.png" "file://$WORK/as.html" >"$WORK/chromium.out" 2>"$WORK/chromium.err"
    [ -s "$WORK/as.png" ] && pass "Chromium rendered the report" || fail "no screenshot: $(tail -3 "$WORK/chromium.err")"
    grep -q "CONSOLE" "$WORK/chromium.err" && fail "console messages: $(grep CONSOLE "$WORK/chromium.err" | head -3)" || pass "no console errors"
    # Not blank, and in colour: the maps' reds and the outline's blue make the bands differ.
    stats=$(gdalinfo -stats "$WORK/as.png" 2>/dev/null | sed -n 's/.*STATISTICS_STDDEV=//p' | head -3 | tr '\n' ' ')
    echo "$stats" | awk '{ exit !($1 > 20 && $2 > 20 && $3 > 20) }' && pass "screenshot is not blank (band stddev $stats)" || fail "blank screenshot: $stats"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --dump-dom "file://$WORK/as.html" >"$WORK/dom.html" 2>/dev/null
    svgs=$(grep -o "<svg" "$WORK/dom.html" | wc -l); pngs=$(grep -o "data:image/png;base64" "$WORK/dom.html" | wc -l)
    [ "$svgs" -ge 6 ] && [ "$pngs" -ge 1 ] && pass "report holds $svgs SVG maps and charts and $pngs embedded raster" || fail "report: $svgs svg, $pngs png"
    grep -q "http" <(grep -o 'src="[^"]*"' "$WORK/as.html") && fail "the report loads something from the network" || pass "self-contained: nothing loaded from outside"
fi

# --- Bad input ---------------------------------------------------------------------------------
"$TOWN_BIN" --seed 4 -o "$WORK/town" -q
T="$WORK/town"
OUT="$WORK/bad.gpkg"
expect 1 "months requested beyond the data" "$OUT" "$SAFER" bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --months 24 -o "$OUT" --report "$WORK/bad.html"
grep -v '^SYN0000[1-3],' "$T/population.csv" >"$WORK/short-pop.csv"
expect 0 "3 of 40 areas have no (or zero) population" "" "$SAFER" bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$WORK/short-pop.csv" -o "$WORK/short.gpkg" --report "$WORK/short.html"
grep -q "Incomplete data" "$WORK/short.html" && pass "the report says the data is incomplete" || fail "incomplete data not flagged in the report"
[ "$(sqlite3 "$WORK/short.gpkg" "SELECT COUNT(*) FROM areas WHERE population IS NULL AND neighbourhood_rate IS NULL AND neighbourhood_rank IS NULL")" = 3 ] \
    && pass "no population: rate and rank left empty, never divided by zero" || fail "areas without population"
sed 's/^SYN00004,\([^,]*\),[0-9]*,/SYN00004,\1,0,/' "$T/population.csv" >"$WORK/zero-pop.csv"
expect 0 "1 of 40 areas have no (or zero) population" "" "$SAFER" bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$WORK/zero-pop.csv" -o "$WORK/zero.gpkg" --report "$WORK/zero.html"
printf 'easting,northing,month,crime type\n' >"$WORK/none.csv"
head -1 "$(ls "$T"/crimes/*/*.csv | head -1)" >"$WORK/asb.csv"
grep -h "Anti-social" "$T"/crimes/*/*.csv >>"$WORK/asb.csv"
expect 1 "the neighbourhood group has no incidents" "$OUT" "$SAFER" bid --crimes "$WORK/asb.csv" --areas "$T/lsoas.geojson" --population "$T/population.csv" -o "$OUT" --report "$WORK/bad.html"

echo "$failures failed"
[ "$failures" -eq 0 ]
