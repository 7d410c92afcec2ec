#!/usr/bin/env bash
# Every input row accounted for, and the same outputs on every run, for each command that reads
# incidents (ingest, areas, kde, hotspots, bid, score, site, segments, accuracy, nearrepeat; add
# run_command lines for each new one).
#
# Accounting: for each input, the rows in the files (counted here independently, by Python's csv
# module) = the "read N rows" printed = used + rejected; the printed rejects by reason add up to
# the rejected; the rejects layer holds that many rows with the same counts by reason; and the
# incidents used show up whole in each command's own output (incidents layer, areas' all_count,
# the KDE incident count, the hotspot units' total; bid, score and site aggregate what they use, so
# for them the balance and the rejects layer are what is checked).
# Determinism: each command run twice on the same inputs and seed gives byte-identical outputs,
# or, where GeoPackage timestamps differ, identical contents table by table.
#
# Inputs: the generated town (as CSV folders and as a GeoPackage point layer, which takes the
# OGR reader), and every real incident file in ../shared/data: the 13 police.uk street files one
# by one and as a folder, and the 13 outcomes files (with --type-field "Outcome type").
# usage: accounting_test.sh SAFER SAFER_TOWN DATA_DIR WORK_DIR [quick]
#   quick (the sanitizer build): the town, the street folder and one outcomes file only.
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; DATA="$3"; WORK="$4"; MODE="${5:-full}"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

# Records (not blank lines, not the header) in CSV files, .csv.gz included, by Python's csv module.
csv_rows() {
    "$PY" - "$@" <<'PY'
import csv, gzip, sys
total = 0
for path in sys.argv[1:]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8", errors="surrogateescape") as f:
        records = [r for r in csv.reader(f) if r]
        total += max(0, len(records) - 1)
print(total)
PY
}

# check_run NAME EXPECTED_ROWS OUTPUT STDERR KIND: the accounting of one run.
check_run() {
    local name="$1" expected="$2" out="$3" err="$4" kind="$5"
    local summary n u r
    # The last such line: safer segments prints the study's, then the whole run's once the
    # incidents off the street network are rejected too.
    # Counts are printed with thousands separators ("1,000,442").
    summary=$(grep -o 'read [0-9,]* rows from [0-9]* files\?: [0-9,]* used\( (on a segment)\)\?, [0-9,]* rejected' "$err" | tail -n 1 | sed 's/\([0-9]\),\([0-9]\)/\1\2/g')
    if [ -z "$summary" ]; then fail "$name: no summary line: $(tail -n 3 "$err")"; return 1; fi
    read -r n u r < <(echo "$summary" | sed 's/read \([0-9]*\) rows.*: \([0-9]*\) used[a-z ()]*, \([0-9]*\) rejected/\1 \2 \3/')
    local problems=()
    [ "$n" -eq "$expected" ] || problems+=("read $n, the files hold $expected rows")
    [ $((u + r)) -eq "$n" ] || problems+=("$u used + $r rejected != $n read")
    # Printed reasons add up, and agree with the rejects layer reason by reason.
    local printed layer by_reason
    printed=$(sed -n 's/.*rejected *\([0-9,]*\)  .*(\([a-z_]*\))$/\2 \1/p' "$err" | tr -d , | sort)
    by_reason=$(echo "$printed" | awk '{s += $2} END {print s + 0}')
    [ "$by_reason" -eq "$r" ] || problems+=("reasons add up to $by_reason, not $r")
    layer=$(q "$out" "SELECT reason, COUNT(*) FROM rejects GROUP BY reason ORDER BY reason" | tr '|' ' ' | sort)
    [ "$layer" = "$printed" ] || problems+=("rejects layer by reason [$(echo $layer)] != printed [$(echo $printed)]")
    # The incidents used, whole, in the command's own output.
    local seen=""
    case "$kind" in
        ingest) seen=$(q "$out" "SELECT COUNT(*) FROM incidents") ;;
        areas) seen=$(q "$out" "SELECT SUM(all_count) FROM areas")
               local listed; listed=$(q "$out" "SELECT COUNT(*) FROM incidents")
               [ "$listed" -eq "$u" ] || problems+=("incidents layer $listed != $u used") ;;
        kde) seen=$(sed -n 's/^safer: \([0-9,]*\) incidents of .*/\1/p' "$err" | head -n 1 | tr -d ,) ;;
        hotspots) local total off; total=$(q "$out" "SELECT CAST(value AS INTEGER) FROM concentration WHERE measure = 'incidents'")
                  off=$(sed -n 's/^safer: \([0-9]*\) incidents lie in the study area but in edge cells.*/\1/p' "$err"); seen=$((total + ${off:-0})) ;;
        segments) seen=$(q "$out" "SELECT CAST(SUM(count) AS INTEGER) FROM segments") ;;
        nearrepeat) seen=$(q "$out" "SELECT SUM(incidents) FROM repeat_locations") ;;
    esac
    # bid, score, site and accuracy keep only aggregates or the incidents near a site: no total to compare.
    case "$kind" in bid|score|site|accuracy) ;; *) [ "$seen" = "$u" ] || problems+=("the $kind output holds $seen incidents, not the $u used") ;; esac
    if [ ${#problems[@]} -gt 0 ]; then fail "$name: $(IFS='; '; echo "${problems[*]}")"; return 1; fi
    pass "$name: $n rows = $u used + $r rejected ($(echo $printed | tr ' ' ':' | sed 's/:\([a-z]\)/, \1/g'))"
}

# Same outputs from two runs (the second into the same path, so the recorded command line is
# the same): byte for byte, or else table by table with timestamps left out.
same_outputs() {
    local a="$1" b="$2"
    cmp -s "$a" "$b" && { echo bytes; return 0; }
    local da db
    da=$(dump_without_timestamps "$a"); db=$(dump_without_timestamps "$b")
    [ "$da" = "$db" ] && { echo contents; return 0; }
    diff <(echo "$da") <(echo "$db") | head -n 10 >&2
    return 1
}
dump_without_timestamps() {
    case "$1" in
        # Timestamps: gpkg_contents.last_change, and the dates in the ISO 19139 metadata.
        *.gpkg) sqlite3 "$1" .dump | sed -E "s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/TIMESTAMP/g" ;;
        *) gdalinfo -checksum -mdd all "$1" ;;
    esac
}

# run_command NAME KIND EXPECTED_ROWS ARGS...: runs `safer ARGS -o OUT` twice; checks the
# accounting of the first run and that the second gives the same output. ONCE=1 before it: one
# run, accounting only (the files one by one, whose determinism the folder runs cover).
run_command() {
    local name="$1" kind="$2" expected="$3"; shift 3
    local once="${ONCE:-0}"
    local dir="$WORK/$name"; mkdir -p "$dir"
    local out="$dir/out.gpkg"
    if ! "$SAFER" "$kind" "$@" -o "$out" 2>"$dir/err1"; then fail "$name: exit $?: $(tail -n 3 "$dir/err1")"; return; fi
    check_run "$name" "$expected" "$out" "$dir/err1" "$kind" || return
    [ "$once" = 1 ] && return
    mv "$out" "$dir/first.gpkg"
    mv "$dir/out.qgz" "$dir/first.qgz" # the QGIS project beside it is an output too
    if ! "$SAFER" "$kind" "$@" -o "$out" 2>"$dir/err2"; then fail "$name (second run): $(tail -n 3 "$dir/err2")"; return; fi
    local how
    if how=$(same_outputs "$dir/first.gpkg" "$out"); then pass "$name: two runs, identical outputs ($how)"; else fail "$name: two runs differ"; fi
    cmp -s "$dir/first.qgz" "$dir/out.qgz" && pass "$name: two runs, byte-identical QGIS projects" || fail "$name: the QGIS projects of two runs differ"
}

# --- The town -----------------------------------------------------------------------------------
"$TOWN_BIN" --seed 21 -o "$WORK/town" -q || { fail "safer-town"; exit 1; }
T="$WORK/town"
town_rows=$(csv_rows "$T"/crimes/*/*.csv)
run_command town-ingest ingest "$town_rows" --crimes "$T/crimes"
run_command town-areas areas "$town_rows" --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --incidents
run_command town-kde kde "$town_rows" --crimes "$T/crimes" --group all --areas "$T/lsoas.geojson" --by quarter
run_command town-hotspots-grid hotspots "$town_rows" --crimes "$T/crimes" --group all --grid 250 --permutations 99 --seed 3
run_command town-hotspots-areas hotspots "$town_rows" --crimes "$T/crimes" --group all --areas "$T/lsoas.geojson" --permutations 99 --seed 3 --by quarter
run_command town-window ingest "$town_rows" --crimes "$T/crimes" --from 2023-03 --to 2023-05
# Training and test months with two months between them, rejected as outside_window.
run_command town-accuracy accuracy "$town_rows" --crimes "$T/crimes" --areas "$T/lsoas.geojson" --train 2023-01:2023-06 --test 2023-09:2023-12
run_command town-nearrepeat nearrepeat "$town_rows" --crimes "$T/crimes" --group all --permutations 99
ASSETS=(--lighting "$T/lights.csv" --cctv "$T/cctv.csv" --paths "$T/paths.geojson" --gates "$T/gates.geojson" --streets "$T/streets.geojson")
run_command town-bid bid "$town_rows" --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" \
    --min-population 1500 --max-population 8000 "${ASSETS[@]}" --budget 431185 --report "$WORK/town-bid.html" --overwrite
run_command town-score score "$town_rows" --crimes "$T/crimes" --areas "$T/lsoas.geojson" "${ASSETS[@]}" --budget 50000
run_command town-site site "$town_rows" --crimes "$T/crimes" --site "$T/site.geojson" --areas "$T/lsoas.geojson" \
    --population "$T/population.csv" "${ASSETS[@]}" --report "$WORK/town-site.html" --no-pdf --overwrite
run_command town-segments segments "$town_rows" --crimes "$T/crimes" --streets "$T/streets.geojson" --csv "$WORK/town-segments.csv" --overwrite
# The same rows as a GeoPackage point layer: the OGR reader (rows with no location have no geometry).
ogr2ogr -q -f GPKG "$WORK/town-points.gpkg" "$T"/crimes/2023-01/*.csv -nln crimes -a_srs EPSG:4326 \
    -oo X_POSSIBLE_NAMES=Longitude -oo Y_POSSIBLE_NAMES=Latitude -oo KEEP_GEOM_COLUMNS=NO -oo AUTODETECT_TYPE=NO 2>/dev/null \
    || fail "ogr2ogr of the town"
run_command town-ogr-layer ingest "$(csv_rows "$T"/crimes/2023-01/*.csv)" --crimes "$WORK/town-points.gpkg"

# --- The real data --------------------------------------------------------------------------------
STREET="$DATA/avon-and-somerset/crime/street"
OUTCOMES="$DATA/avon-and-somerset/crime/outcomes"
LSOAS="$DATA/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson"
POP="$DATA/england/imd2019/File_6_-_IoD2019_Population_Denominators.csv.gz"
street_rows=$(csv_rows "$STREET"/*.csv.gz)
run_command real-ingest ingest "$street_rows" --crimes "$STREET"
if [ "$MODE" = full ]; then
    run_command real-areas areas "$street_rows" --crimes "$STREET" --areas "$LSOAS" --population "$POP" --incidents
    run_command real-kde kde "$street_rows" --crimes "$STREET" --group all --areas "$LSOAS" --bandwidth 500 --cell 250
    run_command real-hotspots hotspots "$street_rows" --crimes "$STREET" --group all --areas "$LSOAS" --permutations 99 --seed 5
    run_command real-bid bid "$street_rows" --crimes "$STREET" --areas "$LSOAS" --population "$POP" \
        --lighting "$DATA/avon-and-somerset/assets/bristol/streetlights.csv.gz" --budget 431185 --report "$WORK/real-bid.html" --overwrite
    run_command real-segments segments "$street_rows" --crimes "$STREET" --streets "$DATA/avon-and-somerset/assets/bath-and-north-east-somerset/os_roads.geojson" \
        --areas "$DATA/avon-and-somerset/boundaries/lsoa_2011_by_lad/E06000022.json" --method continuous
    for f in "$STREET"/*.csv.gz; do
        m=$(basename "$f" | cut -c1-7)
        ONCE=1 run_command "real-street-$m" ingest "$(csv_rows "$f")" --crimes "$f"
    done
    for f in "$OUTCOMES"/*.csv.gz; do
        m=$(basename "$f" | cut -c1-7)
        ONCE=1 run_command "real-outcomes-$m" ingest "$(csv_rows "$f")" --crimes "$f" --type-field "Outcome type"
    done
else
    f=$(ls "$OUTCOMES"/*.csv.gz | head -n 1)
    run_command real-outcomes-first ingest "$(csv_rows "$f")" --crimes "$f" --type-field "Outcome type"
    echo "quick mode: the real street folder and one outcomes file only; the full run covers every file and command"
fi

finish
