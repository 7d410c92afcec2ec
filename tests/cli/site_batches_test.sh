#!/usr/bin/env bash
# Command-line tests of `safer site` with many sites, streamed in batches (issue 15, item 23):
#   - the site layers of 40 sites in the synthetic town, written in several batches, equal those
#     main wrote before sites were streamed (a digest stored in fixtures/expected);
#   - 600 generated sites and their ~500,000 site-incident rows keep the peak RSS within 50 MB of
#     a run of 10 of the same sites (before streaming, the 600 added about 500 MB: some 900 bytes a
#     row);
#   - the layers hold every site and every site-incident row, ring by ring and distance by
#     distance, against a brute force over the incidents as safer ingest writes them (the sites are
#     axis-aligned squares, whose distance to a point is a closed formula), in Python with numpy;
#   - the report details exactly --report-sites sites and gives every site a summary row whose
#     counts match the brute force; a --report-sites over the report's budget is refused.
# usage: site_batches_test.sh SAFER SAFER_TOWN FIXTURES WORK_DIR [full|quick]
#   quick (sanitizer builds): no bound on peak RSS (the sanitizer's own memory swamps it).
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; FIX="$3"; WORK="$4"; MODE="${5:-full}"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
PY=/usr/bin/python3
TOWN_BOX=(451000 206000 455000 210000) # the synthetic town's extent, British National Grid

# --- The same layers as before streaming ---------------------------------------------------------
"$TOWN_BIN" --seed 6 -o "$WORK/town" -q
T="$WORK/town"
$PY "$FIX/make_sites.py" 40 3 "$WORK/sites-40.geojson" "${TOWN_BOX[@]}"
"$SAFER" site --site "$WORK/sites-40.geojson" --site-id ref --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" \
    --lighting "$T/lights.csv" --cctv "$T/cctv.csv" --paths "$T/paths.geojson" --gates "$T/gates.geojson" --streets "$T/streets.geojson" \
    --batch-rows 1000 --no-pdf -o "$WORK/golden.gpkg" --report "$WORK/golden.html" 2>"$WORK/golden.err" || fail "40 sites: $(cat "$WORK/golden.err")"
batches=$(sed -n 's/.*reviewed and written in \([0-9]*\) batches.*/\1/p' "$WORK/golden.err")
[ -n "$batches" ] && [ "$batches" -gt 10 ] && pass "40 sites written in $batches batches" || fail "batches: $(grep 'reviewed and written' "$WORK/golden.err")"
if [ "$MODE" = quick ]; then
    # The sanitizer build (clang) may place a camera view's edge an ulp from gcc's, so one site
    # can see one camera more than the stored digest says: compare the streamed layers with the
    # same build's run in one batch instead.
    "$SAFER" site --site "$WORK/sites-40.geojson" --site-id ref --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" \
        --lighting "$T/lights.csv" --cctv "$T/cctv.csv" --paths "$T/paths.geojson" --gates "$T/gates.geojson" --streets "$T/streets.geojson" \
        --batch-rows 100000000 --no-pdf -o "$WORK/one-batch.gpkg" --report "$WORK/one-batch.html" 2>"$WORK/one-batch.err" || fail "40 sites in one batch: $(cat "$WORK/one-batch.err")"
    if diff <($PY "$HERE/site_digest.py" "$WORK/one-batch.gpkg") <($PY "$HERE/site_digest.py" "$WORK/golden.gpkg"); then
        pass "site, site_rings, site_incidents, site_paths, site_segments, their descriptions and styles equal the same build's run in one batch"
    else
        fail "the site layers written in batches differ from those written in one batch"
    fi
elif diff <(grep -v '^#' "$FIX/expected/site-town-40-sites.digest") <($PY "$HERE/site_digest.py" "$WORK/golden.gpkg"); then
    pass "site, site_rings, site_incidents, site_paths, site_segments, their descriptions and styles equal what main wrote in one go"
else
    fail "the site layers differ from fixtures/expected/site-town-40-sites.digest"
fi
for t in site site_rings site_incidents site_paths; do
    [ "$(q "$WORK/golden.gpkg" "SELECT count(*) FROM $t")" = "$(q "$WORK/golden.gpkg" "SELECT count(*) FROM rtree_${t}_geom")" ] \
        && pass "$t: the spatial index holds every row" || fail "$t: spatial index count"
done

# --- Many sites: memory, every row, the report -----------------------------------------------------
"$TOWN_BIN" --seed 15 --incidents 40000 -o "$WORK/town40k" -q
T="$WORK/town40k"
$PY "$FIX/make_sites.py" 600 15 "$WORK/sites-600.geojson" "${TOWN_BOX[@]}"
$PY - "$WORK/sites-600.geojson" "$WORK/sites-10.geojson" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["features"] = d["features"][:10]
json.dump(d, open(sys.argv[2], "w"))
PY
ARGS=(--site-id ref --crimes "$T/crimes" --radii 100,300 --batch-rows 20000 --report-sites 7 --no-pdf)
for n in 10 600; do
    /usr/bin/time -f %M -o "$WORK/rss-$n.txt" "$SAFER" site --site "$WORK/sites-$n.geojson" "${ARGS[@]}" -o "$WORK/many-$n.gpkg" --report "$WORK/many-$n.html" \
        2>"$WORK/many-$n.err" || fail "$n sites: $(cat "$WORK/many-$n.err")"
done
rows=$(q "$WORK/many-600.gpkg" "SELECT count(*) FROM site_incidents")
small=$(tail -1 "$WORK/rss-10.txt"); large=$(tail -1 "$WORK/rss-600.txt")
if [ "$MODE" = quick ]; then
    skip "peak RSS bound (sanitizer build): 10 sites $((small / 1024)) MB, 600 sites $((large / 1024)) MB"
else
    # Streamed, 600 sites hold at most one batch (20,000 rows, about 8 MB) and a summary row each
    # beyond what 10 sites hold; 50 MB leaves room for GDAL and the allocator. Held all at once,
    # $rows rows at some 900 bytes each would add about 500 MB.
    [ "$large" -le $((small + 50 * 1024)) ] && pass "600 sites, $rows site-incident rows: peak RSS $((large / 1024)) MB, within 50 MB of 10 sites' $((small / 1024)) MB" \
        || fail "peak RSS $((large / 1024)) MB for 600 sites against $((small / 1024)) MB for 10 (bound: +50 MB)"
fi

"$SAFER" ingest -q --crimes "$T/crimes" -o "$WORK/inc.gpkg" 2>/dev/null
ogr2ogr -f CSV "$WORK/inc.csv" "$WORK/inc.gpkg" incidents -lco GEOMETRY=AS_XY -select month 2>/dev/null
sqlite3 -csv "$WORK/many-600.gpkg" "SELECT site_id, ring, distance_m FROM site_incidents" >"$WORK/site_incidents.csv"
sqlite3 -csv "$WORK/many-600.gpkg" "SELECT site_id, ring, count FROM site_rings" >"$WORK/site_rings.csv"
sqlite3 -csv "$WORK/many-600.gpkg" "SELECT site_id FROM site ORDER BY fid" >"$WORK/site.csv"
$PY - "$WORK/sites-600.geojson" "$WORK/inc.csv" "$WORK" "$WORK/many-600.html" <<'PY' >"$WORK/brute.txt"
# Brute force: every incident's distance to every square site by the closed formula, rings at
# 100 and 300 m; compared with the layers and with the report's summary rows.
import csv, json, re, sys
import numpy as np
sites_path, inc_path, work, html_path = sys.argv[1:5]
sites = [(f["properties"]["ref"], f["geometry"]["coordinates"][0]) for f in json.load(open(sites_path))["features"]]
xy = np.array([(float(r["X"]), float(r["Y"])) for r in csv.DictReader(open(inc_path))])
x, y = xy[:, 0], xy[:, 1]
expected = {}
for ref, ring in sites:
    xs = [p[0] for p in ring]; ys = [p[1] for p in ring]
    dx = np.maximum.reduce([min(xs) - x, np.zeros_like(x), x - max(xs)])
    dy = np.maximum.reduce([min(ys) - y, np.zeros_like(y), y - max(ys)])
    d = np.hypot(dx, dy)
    expected[ref] = (np.sort(d[d <= 100]), np.sort(d[(d > 100) & (d <= 300)]))
got = {ref: ([], []) for ref, _ in sites}
for site_id, ring, dist in csv.reader(open(f"{work}/site_incidents.csv")):
    got[site_id][int(ring) - 1].append(float(dist))
ok_rows = all(len(got[r][k]) == len(expected[r][k]) for r in expected for k in (0, 1))
worst = max((float(np.max(np.abs(np.sort(got[r][k]) - expected[r][k]))) for r in expected for k in (0, 1) if len(expected[r][k]) and len(got[r][k]) == len(expected[r][k])), default=0.0)
total = sum(len(expected[r][0]) + len(expected[r][1]) for r in expected)
rings = {(s, int(k)): float(c) for s, k, c in csv.reader(open(f"{work}/site_rings.csv"))}
ok_rings = all(rings.get((r, k + 1)) == len(expected[r][k]) for r in expected for k in (0, 1))
ids = [row[0] for row in csv.reader(open(f"{work}/site.csv"))]
print("sites", len(ids) == len(sites) and ids == [r for r, _ in sites])
print("rows", ok_rows, total)
print("distances", worst < 1e-6, worst)
print("rings", ok_rings)
html = open(html_path).read()
html = html[html.index('<table class="summary">'):]
html = html[:html.index("</table>")] # the summary table alone
td = r'<td(?: class="token")?>' # short cells (numbers, codes) are kept on one line
rows = re.findall(r'<tr>' + td + r'(?:<a href="#site-\d+">)?([^<]+)(?:</a>)?</td>' + td + r'[^<]*</td>' + td + r'([\d,]+)</td>' + td + r'([\d,]+)</td>', html)
summary = len(rows) == len(sites) and all(
    ref == r and int(near.replace(",", "")) == len(expected[r][0]) and int(last.replace(",", "")) == len(expected[r][0]) + len(expected[r][1])
    for (ref, near, last), (r, _) in zip(rows, sites))
print("summary", summary, len(rows))
PY
grep -q "^sites True" "$WORK/brute.txt" && pass "site holds every one of the 600 sites, in order" || fail "site layer: $(cat "$WORK/brute.txt")"
grep -q "^rows True $rows$" "$WORK/brute.txt" && pass "site_incidents holds every one of the $rows incidents within 300 m of a site (brute force), site by site and ring by ring" \
    || fail "site_incidents rows $rows: $(cat "$WORK/brute.txt")"
grep -q "^distances True" "$WORK/brute.txt" && pass "each row's distance_m equals the closed formula's" || fail "distances: $(grep distances "$WORK/brute.txt")"
grep -q "^rings True" "$WORK/brute.txt" && pass "site_rings counts equal the brute force" || fail "ring counts: $(cat "$WORK/brute.txt")"
grep -q "^summary True 600" "$WORK/brute.txt" && pass "the report's summary has a row for each of the 600 sites, with the brute-force counts within 100 and 300 m" \
    || fail "summary rows: $(grep summary "$WORK/brute.txt")"
H="$WORK/many-600.html"
[ "$(grep -c '<section id="site-' "$H")" = 7 ] && [ "$(grep -c '<h2>Site ' "$H")" = 7 ] && pass "the report details exactly 7 sites (--report-sites 7)" \
    || fail "detailed sections: $(grep -c '<section id="site-' "$H")"
grep -q "600 sites were reviewed. This report details the first 7 (in the order of --site; --report-sites sets how many); the summary table gives each of the 600 sites one row, and the GeoPackage layers site, site_rings and site_incidents hold all of them." "$H" \
    && pass "the report says how many sites there are and that the layers hold all of them" || fail "the report's sentence on the sites it details"
grep -q '<a href="#site-7">S00007</a>' "$H" && ! grep -q '<a href="#site-8">' "$H" && pass "detailed sites link from the summary to their section" || fail "summary links"
[ "$(grep -c '<h2>Site ' "$WORK/many-10.html")" = 7 ] && [ "$(grep -oE '<tr><td( class="token")?>' "$WORK/many-10.html" | wc -l)" -ge 10 ] && pass "10 sites: 7 detailed, 10 summary rows" || fail "10-site report"
if command -v chromium >/dev/null; then
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$WORK")" --enable-logging=stderr --v=0 --window-size=1200,2000 --screenshot="$WORK/many.png" "file://$H" >/dev/null 2>"$WORK/chromium.err"
    grep -q CONSOLE "$WORK/chromium.err" && fail "console messages" || pass "the report opens in Chromium without console errors"
fi

# --- The report's budget ------------------------------------------------------------------------
OUT="$WORK/budget.gpkg"
expect 2 "--report-sites 600: the detailed sections of the first 600 sites would take up to" "$OUT" "$SAFER" site --site "$WORK/sites-600.geojson" \
    --site-id ref --crimes "$T/crimes" --radii 100,2000 --report-sites 600 --no-pdf -o "$OUT" --report "$WORK/budget.html"
grep -q "give --report-sites [0-9]* or fewer" "$WORK/err.txt" && [ ! -e "$WORK/budget.html" ] && pass "the refusal names how many fit, and writes nothing" \
    || fail "budget refusal: $(cat "$WORK/err.txt")"

finish
