#!/usr/bin/env bash
# safer run: a project file's jobs in one process against the same commands run one by one (every
# table of every GeoPackage row by row, every CSV byte for byte), with jobs whose months, areas and
# assets differ; the project file and its SHA-256 in each output's metadata; a custom crime group
# counted by area against a count of the incidents layer in Python; and bad keys and bad values
# refused, each naming its line.
# usage: run_test.sh SAFER SAFER_TOWN WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"
PY=/usr/bin/python3
SAME="$(cd "$(dirname "$0")" && pwd)/same_tables.py"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1
"$TOWN_BIN" --seed 5 -o town -q || { fail "safer-town"; exit 1; }

# --- One run against the commands one by one ----------------------------------------------------
cat >project.toml <<'EOF'
title = "safer run test: the synthetic town"
output = "run"

[inputs]
crimes = ["town/crimes"]
areas = "town/lsoas.geojson"
population = "town/population.csv"
lighting = "town/lights.csv"
cctv = "town/cctv.csv"
paths = "town/paths.geojson"
streets = "town/streets.geojson"
gates = "town/gates.geojson"
site = "town/site.geojson"

[window]
from = "2023-01"
to = "2023-12"

[jobs.areas]
csv = true
incidents = true

[jobs.bid]
no_pdf = true
budget = 100000

[jobs.density]
command = "kde"
group = "neighbourhood"
bandwidth = 250
cell = 25

[jobs.everywhere]          # no study area: the incidents outside the areas too
command = "kde"
areas = false
bandwidth = 300
cell = 50

[jobs.cells]
command = "hotspots"
grid = 200
permutations = 99
areas = false
population = false

[jobs.spring]              # its own months, narrower than the project's
command = "areas"
from = "2023-03"
to = "2023-05"

[jobs.score]
budget = 50000

[jobs.site]
no_pdf = true

[jobs.streets]
command = "segments"
EOF
if "$SAFER" run project.toml 2>run.err; then pass "safer run: 9 jobs"; else fail "safer run: $(tail -5 run.err)"; fi
grep -qE "ran 9 jobs in .*: [0-9]+ incident rows read 1 time, areas read 1 time" run.err \
    && pass "the incidents and the areas were read once for 9 jobs" || fail "read more than once: $(grep 'ran ' run.err)"
"$SAFER" run --dry-run project.toml >commands.txt || fail "safer run --dry-run"
[ "$(wc -l <commands.txt)" -eq 9 ] && pass "--dry-run prints one command line a job" || fail "--dry-run: $(cat commands.txt)"
grep -q "^safer segments .*--streets town/streets.geojson .*-o run/streets.gpkg" commands.txt \
    && pass "a job gets the inputs its command takes, and its outputs named after it" || fail "segments job: $(grep segments commands.txt)"
grep "^safer kde.*everywhere" commands.txt | grep -q -- "--areas" && fail "areas = false still gave the job --areas" \
    || pass "areas = false keeps an input from a job"

# The same commands one by one, into another folder.
mkdir -p one
sed 's# run/# one/#g' commands.txt >one.txt
while read -r line; do
    eval "\"$SAFER\" ${line#safer } -q" 2>>one.err || fail "one by one: $line: $(tail -2 one.err)"
done <one.txt
for g in run/*.gpkg; do
    name=$(basename "$g")
    if out=$("$PY" "$SAME" "$g" "one/$name" 2>&1); then pass "$name: the same tables as the command alone ($(tail -1 <<<"$out"))"
    else fail "$name differs from the command alone: $out"; fi
done
for c in run/*.csv; do
    cmp -s "$c" "one/$(basename "$c")" && pass "$(basename "$c"): byte for byte the command's own" || fail "$(basename "$c") differs"
done
[ "$(ls run/*.gpkg | wc -l)" -eq 9 ] && pass "nine GeoPackages in the output folder" || fail "outputs: $(ls run)"

# --- The project file in every output's metadata ------------------------------------------------------
sha=$(sha256sum project.toml | cut -d' ' -f1)
ok=1
for g in run/*.gpkg; do
    job=$(basename "$g" .gpkg)
    md=$(ogrinfo -ro -so "$g" 2>/dev/null | tr -d '\r')
    grep -q "SAFER_PROJECT_SHA256=$sha" <<<"$md" && grep -q "SAFER_PROJECT_JOB=$job" <<<"$md" || { ok=0; fail "$g: no project SHA-256 or job in its metadata"; }
done
[ $ok -eq 1 ] && pass "every output records the project file's SHA-256 ($sha) and its job"
text=$(sqlite3 run/areas.gpkg "SELECT metadata FROM gpkg_metadata WHERE metadata LIKE '%SAFER_PROJECT%' AND md_standard_uri <> 'http://www.isotc211.org/2005/gmd'")
grep -qF 'command = "segments"' <<<"$text" && pass "the project file's text is in the metadata" || fail "project text missing from gpkg_metadata"
iso=$(sqlite3 run/bid.gpkg "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'http://www.isotc211.org/2005/gmd'")
grep -qF "project.toml (SHA-256 $sha)" <<<"$iso" && pass "the ISO 19139 lineage lists the project file with its SHA-256" || fail "ISO record lacks the project file"
grep -qF "project.toml" run/bid.html && pass "the bid report lists the project file among its inputs" || fail "bid report lacks the project file"

# --- Outputs are not replaced without --overwrite, and nothing runs ------------------------------------
touch -d '2001-01-01' run/areas.gpkg
expect 2 "run/areas.gpkg: already exists; pass --overwrite" "" "$SAFER" run project.toml
[ "$(stat -c %Y run/areas.gpkg)" = "$(date -d 2001-01-01 +%s)" ] && pass "the existing output is untouched" || fail "areas.gpkg was replaced"

# --- A custom crime group, counted by area, against the incidents layer in Python ---------------
cat >groups.toml <<'EOF'
output = "groups"
[inputs]
crimes = ["town/crimes"]
areas = "town/lsoas.geojson"
population = "town/population.csv"
[groups]
night_time = ["Violence and sexual offences", "public order", "Drugs"]
thefts = { types = ["Bicycle theft", "Other theft"], description = "Thefts that are not from the person" }
[jobs.areas]
incidents = true
[jobs.night_density]
command = "kde"
group = "night_time"
[jobs.night_bid]
command = "bid"
group = "night_time"
no_pdf = true
EOF
if "$SAFER" run -q groups.toml 2>groups.err; then pass "safer run with [groups]"; else fail "[groups]: $(cat groups.err)"; fi
"$PY" - groups/areas.gpkg <<'EOF' && pass "night_time_count and thefts_count of every area equal the incidents layer's count of their types (Python)" || fail "custom group counts"
import sqlite3, sys
from collections import Counter
con = sqlite3.connect(sys.argv[1])
groups = {"night_time": {"Violence and sexual offences", "Public order", "Drugs"}, "thefts": {"Bicycle theft", "Other theft"}}
for g, types in groups.items():
    expected = Counter(code for code, t in con.execute("SELECT area_code, crime_type FROM incidents") if t in types)
    got = {code: n for code, n in con.execute(f"SELECT code, {g}_count FROM areas")}
    assert sum(expected.values()) > 100, (g, sum(expected.values()))
    for code, n in got.items():
        assert n == expected.get(code, 0), (g, code, n, expected.get(code, 0))
    months = sum(n for (n,) in con.execute("SELECT count FROM area_months WHERE crime_group = ?", (g,)))
    assert months == sum(expected.values()), (g, months)
EOF
sqlite3 groups/night_density.gpkg "SELECT table_name FROM gpkg_contents" | grep -qx kde_night_time && pass "kde of a custom group: layer kde_night_time" \
    || fail "no kde_night_time layer"
grep -q "night_time crime" groups/night_bid.html 2>/dev/null || grep -q "night_time" groups/night_bid.html && pass "bid on a custom group" || fail "bid report lacks the group"

# --- Bad project files: each refused, naming its line, nothing written -----------------------------
bad() { # NAME LINE FRAGMENT, the file on stdin
    local name="$1" line="$2" fragment="$3"
    cat >"bad-$name.toml"
    expect 2 "bad-$name.toml: line $line" "" "$SAFER" run "bad-$name.toml"
    grep -qF -- "$fragment" "$WORK/err.txt" || fail "$name: message lacks '$fragment': $(cat "$WORK/err.txt")"
    [ ! -e "bad-out" ] || fail "$name: made the output folder"
}
head_lines='output = "bad-out"
[inputs]
crimes = ["town/crimes"]
areas = "town/lsoas.geojson"'
bad top-key 1 "no key 'outptu'" <<'EOF'
outptu = "x"
EOF
bad input-key 4 "[inputs] has no key 'crime'" <<EOF
output = "bad-out"
[inputs]
crimes = ["town/crimes"]
crime = "x.csv"
EOF
bad job-key 7 "no key 'bandwith': safer kde has no option --bandwith" <<EOF
$head_lines
[jobs.density]
command = "kde"
bandwith = 400
EOF
bad kernel 7 "--kernel: square not in" <<EOF
$head_lines
[jobs.density]
command = "kde"
kernel = "square"
EOF
bad flag 6 "--incidents is a switch: write true or false" <<EOF
$head_lines
[jobs.areas]
incidents = "yes"
EOF
bad list 7 "--bandwidth takes one value, not a list" <<EOF
$head_lines
[jobs.density]
command = "kde"
bandwidth = [300, 400]
EOF
bad month 6 "[window] from = \"2023-13\": expected a month as YYYY-MM" <<EOF
$head_lines
[window]
from = "2023-13"
EOF
bad crime-type 7 "'Burglery' is not a police.uk crime type" <<EOF
$head_lines
[groups]
homes = ["Burglary",
         "Burglery"]
EOF
bad command 6 "no command 'density'" <<EOF
$head_lines
[jobs.density]
command = "density"
EOF
bad syntax 6 "" <<EOF
$head_lines
[jobs.density]
bandwidth =
EOF
bad output-path 6 "a file name only" <<EOF
$head_lines
[jobs.areas]
output = "../elsewhere.gpkg"
EOF
bad crimes-in-job 6 "the crimes are named once for every job, in [inputs]" <<EOF
$head_lines
[jobs.areas]
crimes = ["other"]
EOF
bad group-name 6 "a built-in group has that name" <<EOF
$head_lines
[groups]
violence = ["Robbery"]
EOF
bad required 5 "--population is required" <<EOF
$head_lines
[jobs.bid]
no_pdf = true
EOF
# A value only the command can judge, after reading: said at its line; the jobs before it stand.
cat >bad-runtime.toml <<EOF
$head_lines
[jobs.areas]
[jobs.density]
command = "kde"
bandwidth = -5
EOF
expect 1 "job density (bad-runtime.toml: line 8, column 13): --bandwidth -5: must be more than 0 m (the jobs before it finished: areas)" "bad-out/density.gpkg" \
    "$SAFER" run bad-runtime.toml
[ -f bad-out/areas.gpkg ] && pass "the job before the failing one wrote its output" || fail "areas.gpkg missing after a later job failed"

# --- main's newer commands as jobs: evaluate, accuracy and nearrepeat, against each alone -------------
"$TOWN_BIN" --seed 5 --intervention 2023-07 -o town-int -q || fail "safer-town --intervention"
cat >later.toml <<'EOF'
output = "later"
[inputs]
crimes = ["town-int/crimes"]
areas = "town-int/lsoas.geojson"
population = "town-int/population.csv"
[jobs.evaluate]
target = "town-int/intervention.geojson"
start = "2023-07"
placebos = 99
no_pdf = true
csv = true
[jobs.accuracy]
train = "2023-01:2023-09"
test = "2023-10:2023-12"
csv = true
[jobs.nearrepeat]
types = "Burglary"
permutations = 99
csv = true
EOF
if "$SAFER" run -q later.toml 2>later.err; then pass "safer run: evaluate, accuracy and nearrepeat as jobs"; else fail "later jobs: $(tail -5 later.err)"; fi
"$SAFER" run --dry-run later.toml | sed 's# later/# later-one/#g' >later.txt
mkdir -p later-one
while read -r line; do
    eval "\"$SAFER\" ${line#safer } -q" 2>>later-one.err || fail "one by one: $line: $(tail -2 later-one.err)"
done <later.txt
for g in later/*.gpkg; do
    name=$(basename "$g")
    if out=$("$PY" "$SAME" "$g" "later-one/$name" 2>&1); then pass "$name: the same tables as the command alone ($(tail -1 <<<"$out"))"
    else fail "$name differs from the command alone: $out"; fi
done
for c in later/*.csv; do
    cmp -s "$c" "later-one/$(basename "$c")" && pass "$(basename "$c"): byte for byte the command's own" || fail "$(basename "$c") differs"
done
[ "$(ls later/*.gpkg | wc -l)" -eq 3 ] && pass "three GeoPackages from the newer commands" || fail "later outputs: $(ls later)"
# A job's own files (evaluate's target) are found beside the project file, as [inputs]' are, from
# any working folder; LSOA codes given as a target stay codes.
mkdir -p elsewhere
if (cd elsewhere && "$SAFER" run -q --overwrite ../later.toml 2>../later-elsewhere.err); then
    pass "safer run from another folder: the job's target file is found beside the project file"
else fail "run from another folder: $(tail -3 later-elsewhere.err)"; fi
cmp -s later/evaluate.csv later-one/evaluate.csv && pass "evaluate from another folder: the same estimates, byte for byte" || fail "evaluate from another folder differs"
sed 's#^target = .*#target = "E01000001"#' later.toml >codes.toml
(cd elsewhere && "$SAFER" run --dry-run ../codes.toml) | grep -q -- "--target E01000001 " && pass "a target of LSOA codes stays codes" || fail "codes target: $(cd elsewhere && "$SAFER" run --dry-run ../codes.toml | grep evaluate)"
finish
