#!/usr/bin/env bash
# PostGIS output against a real server: Debian's PostgreSQL 15 and PostGIS 3, started here with
# initdb and pg_ctl in a temporary folder on a free loopback port (as the unprivileged user nobody
# when run as root), and stopped by pg_ctl on exit, whatever happens.
#   - `-o PG:... --schema S` writes the same layers as the GeoPackage output: each table read back
#     (ogr2ogr to CSV, geometries as WKT) equals the GeoPackage's; rasters have the same checksum;
#     descriptions are COMMENTs, styles are in layer_styles, the run is in run_metadata;
#   - QGIS loads every table with its default style (when QGIS is installed);
#   - the write is one transaction: a failure part-way leaves the previous schema as it was;
#   - bad input: an unreachable server fails within seconds, a schema that exists without
#     --overwrite, a schema safer did not write, a database without PostGIS: each a clear error.
# usage: postgis_test.sh SAFER SAFER_TOWN CHECKER WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; CHECKER="$3"; WORK="$4"
PY=/usr/bin/python3
PGBIN=/usr/lib/postgresql/15/bin
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"

if [ ! -x "$PGBIN/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
    echo "FAIL: PostgreSQL 15 and PostGIS 3 are not installed (postgresql-15 and postgresql-15-postgis-3 from tools/packages.txt)"
    exit 1
fi

# --- A server of our own --------------------------------------------------------------------------
PGROOT=$(mktemp -d /tmp/safer-pg.XXXXXX)
AS=()
if [ "$(id -u)" -eq 0 ]; then
    chown nobody:nogroup "$PGROOT" # PostgreSQL refuses to run as root
    AS=(runuser -u nobody --)
fi
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_server() {
    [ -f "$PGROOT/data/postmaster.pid" ] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate -w stop >/dev/null 2>&1
    [ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
    rm -rf "$PGROOT"
}
trap stop_server EXIT
start=$(date +%s.%N)
"${AS[@]}" "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --no-locale -N >"$WORK/initdb.log" 2>&1 \
    || { echo "FAIL: initdb: $(tail -5 "$WORK/initdb.log")"; exit 1; }
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 \
    -o "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null \
    || { echo "FAIL: pg_ctl start: $(tail -5 "$PGROOT/server.log")"; exit 1; }
pass "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, started in $(echo "$(date +%s.%N) - $start" | bc | cut -c1-4) s"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }
value() { psql_ -d "$1" -Atc "$2"; }
psql_ -d postgres -c "CREATE DATABASE safer" -c "CREATE DATABASE noraster" -c "CREATE DATABASE plain" || { echo "FAIL: createdb"; exit 1; }
psql_ -d safer -c "CREATE EXTENSION postgis" -c "CREATE EXTENSION postgis_raster" && psql_ -d noraster -c "CREATE EXTENSION postgis" \
    || { echo "FAIL: CREATE EXTENSION postgis"; exit 1; }
pass "PostGIS $(value safer "SELECT extversion FROM pg_extension WHERE extname = 'postgis'")"
DB="host=127.0.0.1 port=$PORT user=postgres dbname=safer"

"$TOWN_BIN" --seed 2 -o "$WORK/town" -q || { fail "safer-town"; exit 1; }
T="$WORK/town"

# --- The same layers as the GeoPackage ------------------------------------------------------------------
# Every table of a GeoPackage and of a schema as CSV rows ordered by fid, geometry as WKT.
dump() { # gpkg, table, source (the GeoPackage or PG:...)
    local cols
    cols=$(sqlite3 "$1" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('$2') WHERE pk = 0")
    ogr2ogr -f CSV -lco GEOMETRY=AS_WKT /vsistdout/ "$3" -sql "SELECT $cols FROM \"$2\" ORDER BY fid" 2>&1
}
same_layers() { # gpkg, schema, what
    local gpkg="$1" schema="$2" n=0 t
    for t in $(sqlite3 "$gpkg" "SELECT table_name FROM gpkg_contents WHERE data_type IN ('features', 'attributes') AND table_name <> 'layer_styles'"); do
        if ! diff <(dump "$gpkg" "$t" "$gpkg") <(dump "$gpkg" "$t" "PG:$DB active_schema=$schema") >"$WORK/diff.txt"; then
            fail "$3: table $t differs from the GeoPackage's: $(head -5 "$WORK/diff.txt")"
            return
        fi
        n=$((n + 1))
    done
    for t in $(sqlite3 "$gpkg" "SELECT table_name FROM gpkg_contents WHERE data_type = '2d-gridded-coverage'"); do
        a=$(gdalinfo -checksum "GPKG:$gpkg:$t" | grep Checksum)
        b=$(gdalinfo -checksum "PG:$DB schema='$schema' table='$t' mode=2" | grep Checksum)
        if [ -z "$a" ] || [ "$a" != "$b" ]; then fail "$3: raster $t: GeoPackage $a, PostGIS $b"; return; fi
        n=$((n + 1))
    done
    pass "$3: all $n layers read back from schema $schema equal the GeoPackage's"
}
run_both() { # name, schema, command and arguments (without -o)
    local name="$1" schema="$2"; shift 2
    "$SAFER" "$@" -q -o "$WORK/$name.gpkg" 2>"$WORK/$name.err" || { fail "$name to GeoPackage: $(cat "$WORK/$name.err")"; return 1; }
    "$SAFER" "$@" -q -o "PG:$DB" --schema "$schema" 2>"$WORK/$name.err" || { fail "$name to PostGIS: $(cat "$WORK/$name.err")"; return 1; }
}
run_both areas demo areas --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --incidents \
    && same_layers "$WORK/areas.gpkg" demo "safer areas --incidents"
run_both kde demo_kde kde --crimes "$T/crimes" --group neighbourhood --areas "$T/lsoas.geojson" --bandwidth 250 --cell 20 --by quarter \
    && same_layers "$WORK/kde.gpkg" demo_kde "safer kde --by quarter (4 rasters)"
run_both score demo_score score --crimes "$T/crimes" --lighting "$T/lights.csv" --cctv "$T/cctv.csv" --gates "$T/gates.geojson" \
    --paths "$T/paths.geojson" --streets "$T/streets.geojson" --areas "$T/lsoas.geojson" \
    && same_layers "$WORK/score.gpkg" demo_score "safer score (points, lines, polygons)"

# Descriptions, styles, metadata, indexes.
a=$(sqlite3 "$WORK/areas.gpkg" "SELECT description FROM gpkg_contents WHERE table_name = 'areas'")
b=$(value safer "SELECT obj_description('demo.areas'::regclass)")
[ -n "$a" ] && [ "$a" = "$b" ] && pass "layer description as COMMENT ON TABLE" || fail "table comment '$b' != '$a'"
a=$(sqlite3 "$WORK/areas.gpkg" "SELECT description FROM gpkg_data_columns WHERE table_name = 'areas' AND column_name = 'neighbourhood_rate'")
b=$(value safer "SELECT col_description('demo.areas'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'demo.areas'::regclass AND attname = 'neighbourhood_rate'))")
[ -n "$a" ] && [ "$a" = "$b" ] && pass "field descriptions as COMMENT ON COLUMN" || fail "column comment '$b' != '$a'"
a=$(sqlite3 "$WORK/areas.gpkg" "SELECT count(*) || ' ' || sum(useAsDefault) FROM layer_styles")
b=$(value safer "SELECT count(*) || ' ' || count(*) FILTER (WHERE useasdefault) FROM layer_styles WHERE f_table_catalog = 'safer' AND f_table_schema = 'demo' AND f_geometry_column = 'geom'")
[ "$a" = "$b" ] && pass "layer_styles: the GeoPackage's $a (styles, defaults) for schema demo" || fail "PG styles '$b' != GeoPackage '$a'"
b=$(value safer "SELECT string_agg(key, ',' ORDER BY key) FROM demo.run_metadata")
[ "$b" = "SAFER_COMMAND,SAFER_INPUT_SHA256,SAFER_PARAMETERS,SAFER_VERSION" ] && pass "run_metadata: $b" || fail "run_metadata keys: $b"
b=$(value safer "SELECT count(*) FROM pg_indexes WHERE schemaname = 'demo' AND indexdef LIKE '%USING gist (geom)%'")
[ "$b" = 2 ] && pass "GiST indexes on areas and incidents" || fail "$b GiST indexes in schema demo"
b=$(value safer "SELECT srid || ' ' || type FROM geometry_columns WHERE f_table_schema = 'demo' AND f_table_name = 'areas'")
[ "$b" = "27700 MULTIPOLYGON" ] && pass "demo.areas: geometry(MultiPolygon, 27700)" || fail "demo.areas geometry: $b"
b=$(value safer "SELECT srid || ' ' || num_bands || ' ' || array_to_string(pixel_types, ',') || ' ' || array_to_string(nodata_values, ',') FROM raster_columns WHERE r_table_schema = 'demo_kde' AND r_table_name = 'kde_neighbourhood_2023_q1'")
[ "$b" = "27700 1 32BF -9999" ] && pass "raster kde_neighbourhood_2023_q1 registered in raster_columns: $b" || fail "raster_columns: '$b'"
b=$(value safer "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'safer_staging%'")
[ "$b" = 0 ] && pass "no staging schema left over" || fail "$b staging schemas left"

# --- QGIS over the schemas ---------------------------------------------------------------------------------
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$WORK/xdg" HOME="$WORK/home"
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"
"$PY" "$CHECKER" "PG:$DB schema=demo" "PG:$DB schema=demo_kde" "PG:$DB schema=demo_score" >"$WORK/qgis.txt" 2>&1
status=$?
grep -v XDG_RUNTIME "$WORK/qgis.txt" | sed 's/^/    /'
if [ $status -eq 77 ]; then echo "SKIPPED: QGIS is not installed, so QGIS did not load the PostGIS layers (the rest of this test ran)"
elif [ $status -eq 0 ]; then pass "QGIS loads every PostGIS table valid, with its default style"
else fail "QGIS over the PostGIS schemas"; fi

# --- Bad input and transactions ------------------------------------------------------------------------------
expect_within() { # exit code, stderr fragment, seconds at most, command...
    local code="$1" fragment="$2" limit="$3"; shift 3
    local t0; t0=$(date +%s.%N)
    "$@" >/dev/null 2>"$WORK/err.txt"
    local got=$? took; took=$(echo "$(date +%s.%N) - $t0" | bc)
    if [ $got -ne "$code" ]; then fail "exit $got, expected $code: $(cat "$WORK/err.txt")"; return 1; fi
    if ! grep -qF -- "$fragment" "$WORK/err.txt"; then fail "stderr lacks '$fragment': $(cat "$WORK/err.txt")"; return 1; fi
    if [ "$(echo "$took > $limit" | bc)" = 1 ]; then fail "took $took s, more than $limit: $(cat "$WORK/err.txt")"; return 1; fi
    pass "exit $code in $(printf '%.1f' "$took") s: $(head -c 200 "$WORK/err.txt" | tr '\n' ' ')"
}
INGEST=(ingest -q --crimes "$T/crimes/2023-01")
tables() { value "$1" "SELECT string_agg(table_name || ':' || (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM $2.' || table_name, false, true, '')))[1]::text, ' ' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = '$2'"; }
before=$(tables safer demo)
expect_within 2 "schema 'demo' already exists; pass --overwrite" 10 "$SAFER" "${INGEST[@]}" -o "PG:$DB" --schema demo
[ "$(tables safer demo)" = "$before" ] && pass "schema demo unchanged" || fail "schema demo changed: $(tables safer demo)"
"$SAFER" "${INGEST[@]}" -o "PG:$DB" --schema demo --overwrite 2>"$WORK/err.txt" || fail "--overwrite: $(cat "$WORK/err.txt")"
after=$(tables safer demo)
[[ "$after" == incidents:*" rejects:"*" run_metadata:4" && "$after" != *areas* ]] && pass "--overwrite replaced schema demo whole: $after" \
    || fail "after --overwrite: $after"
[ "$(value safer "SELECT count(*) FROM layer_styles WHERE f_table_schema = 'demo' AND f_table_name = 'areas'")" = 0 ] \
    && pass "the replaced schema's styles went with it" || fail "styles of the old demo.areas remain"

# A failure part-way: the raster layer needs postgis_raster, which database noraster lacks. The
# vector layers are already copied when it fails; the transaction leaves the old schema intact.
NR="host=127.0.0.1 port=$PORT user=postgres dbname=noraster"
"$SAFER" areas -q --crimes "$T/crimes" --areas "$T/lsoas.geojson" -o "PG:$NR" --schema s 2>"$WORK/err.txt" || fail "areas to noraster: $(cat "$WORK/err.txt")"
before=$(tables noraster s)
expect_within 3 "CREATE EXTENSION postgis_raster" 60 "$SAFER" kde -q --crimes "$T/crimes" --bandwidth 250 --cell 20 -o "PG:$NR" --schema s --overwrite
[ "$(tables noraster s)" = "$before" ] && pass "the failed write left schema s as it was ($before)" || fail "schema s changed: $(tables noraster s)"
[ "$(value noraster "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'safer_staging%'")" = 0 ] && pass "and no staging schema behind" \
    || fail "a staging schema was left"
ls /tmp/.safer-postgis-* >/dev/null 2>&1 && fail "a temporary GeoPackage was left in /tmp" || pass "and no temporary GeoPackage"

psql_ -d safer -c "CREATE SCHEMA theirs" -c "CREATE TABLE theirs.keep (x int)"
expect_within 2 "safer did not write it" 10 "$SAFER" "${INGEST[@]}" -o "PG:$DB" --schema theirs --overwrite
[ "$(value safer "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'theirs'")" = 1 ] && pass "schema theirs untouched" || fail "schema theirs changed"
expect_within 2 "choose another name" 10 "$SAFER" "${INGEST[@]}" -o "PG:$DB" --schema public --overwrite
expect_within 3 "PostGIS is not installed" 10 "$SAFER" "${INGEST[@]}" -o "PG:host=127.0.0.1 port=$PORT user=postgres dbname=plain" --schema s
expect_within 3 "does not exist" 10 "$SAFER" "${INGEST[@]}" -o "PG:host=127.0.0.1 port=$PORT user=postgres dbname=nodb" --schema s
expect_within 2 "invalid connection option" 10 "$SAFER" "${INGEST[@]}" -o "PG:dbnme=x" --schema s
# Unreachable: nothing listening, and a server that accepts connections but never answers.
FREE=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_within 3 "cannot connect to the database" 5 "$SAFER" "${INGEST[@]}" -o "PG:host=127.0.0.1 port=$FREE dbname=x" --schema s
"$PY" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$WORK/listener.port" &
LISTENER=$!
for _ in $(seq 50); do [ -s "$WORK/listener.port" ] && break; sleep 0.1; done
SILENT=$(cat "$WORK/listener.port")
expect_within 3 "timeout expired" 6 "$SAFER" "${INGEST[@]}" -o "PG:host=127.0.0.1 port=$SILENT dbname=x connect_timeout=2" --schema s
expect_within 3 "timeout expired" 15 "$SAFER" "${INGEST[@]}" -o "PG:host=127.0.0.1 port=$SILENT dbname=x" --schema s
# Text that is not UTF-8 (a Latin-1 byte quoted in a reject's detail) still goes in, as U+FFFD.
# (With one good row: a run with nothing left to count fails.)
{ head -1 "$T/crimes/2023-01/2023-01-synthtown-street.csv"; printf 'x,2023-1\xe9,A,B,-2.5,51.4,On or near,E01,,Burglary,,\n'; grep -m1 ',-[0-9]' "$T/crimes/2023-01/2023-01-synthtown-street.csv"; } >"$WORK/latin1.csv"
"$SAFER" ingest -q --crimes "$WORK/latin1.csv" -o "PG:$DB" --schema latin1 2>"$WORK/err.txt" || fail "Latin-1 text: $(cat "$WORK/err.txt")"
b=$(value safer "SELECT detail FROM latin1.rejects WHERE reason = 'bad_month'")
[ "$b" = "Month '2023-1"$'\xef\xbf\xbd'"'" ] && pass "a byte that is not UTF-8 is written as U+FFFD: $b" || fail "Latin-1 detail: '$b'"
# Passwords stay out of what is recorded.
"$SAFER" "${INGEST[@]}" -o "PG:$DB password=hunter2" --schema pw 2>/dev/null
b=$(value safer "SELECT value FROM pw.run_metadata WHERE key = 'SAFER_COMMAND'")
[[ "$b" == *"password=***"* && "$b" != *hunter2* ]] && pass "the password is hidden in run_metadata" || fail "SAFER_COMMAND: $b"
# ... and out of what is shown: progress messages, and the command line a report records.
"$SAFER" bid --crimes "$T/crimes" --areas "$T/lsoas.geojson" --population "$T/population.csv" --min-population 1500 \
    --max-population 8000 -o "PG:$DB password=hunter2" --schema pwbid --report "$WORK/pw.html" 2>"$WORK/pw.err" || fail "bid to PostGIS: $(tail -3 "$WORK/pw.err")"
grep -q "password=\*\*\*" "$WORK/pw.err" && grep -q "password=\*\*\*" "$WORK/pw.html" && ! grep -q hunter2 "$WORK/pw.err" "$WORK/pw.html" \
    && pass "the password is hidden in messages and in the report" || fail "a password shown: $(grep -h -o '.\{20\}hunter2' "$WORK/pw.err" "$WORK/pw.html" | head -2)"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
