#!/usr/bin/env bash
# PostGIS as the shared store of a national analysis (issue 21, README "Past one machine"): a
# PostgreSQL 15 + PostGIS server of its own in a temporary folder (fsync off, as a scratch server),
# then, on the generated national year of benchmarks/national_run.sh, `safer areas` written to a
# schema (-o PG:... --schema), `safer ingest` of 1,000,000 rows written to another (the incidents
# layer), and SQL a national team would run there: every LSOA's rate percentile (percent_rank) and
# the monthly totals by force area; each timed.
# usage: benchmarks/postgis_national.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(realpath -m "${1:-$ROOT/build-bench}")"
WORK="$(mkdir -p "${2:-$ROOT/out/bench}" && cd "${2:-$ROOT/out/bench}" && pwd)"
PGBIN=/usr/lib/postgresql/15/bin
NATION="$WORK/national"
[ -f "$NATION/README.txt" ] || { echo "run benchmarks/national_run.sh first (it makes $NATION)"; exit 1; }
SMALL="$WORK/national-1000000"
[ -f "$SMALL/README.txt" ] || "$BUILD/fixtures/safer-town" --seed 1 --areas 35000 --incidents 1000000 --months 12 --start 2023-01 --forces 43 -o "$SMALL" -q
PGROOT=$(mktemp -d /tmp/safer-pg.XXXXXX)
AS=()
if [ "$(id -u)" -eq 0 ]; then chown nobody:nogroup "$PGROOT"; AS=(runuser -u nobody --); fi
PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_server() { [ -f "$PGROOT/data/postmaster.pid" ] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1; rm -rf "$PGROOT"; }
trap stop_server EXIT
"${AS[@]}" "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --no-locale -N >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 \
    -o "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }
psql_ -d postgres -c "CREATE DATABASE safer"
psql_ -d safer -c "CREATE EXTENSION postgis" -c "CREATE EXTENSION postgis_raster"
DB="PG:host=127.0.0.1 port=$PORT user=postgres dbname=safer"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
timed() { # label, command...
    local label="$1"; shift
    /usr/bin/time -f '%e %M' -o "$WORK/pg-time.txt" "$@" 2>"$WORK/pg.err" || { tail -5 "$WORK/pg.err"; exit 1; }
    read -r wall kb <"$WORK/pg-time.txt"
    printf '%-62s %7.2f s wall, peak RSS %5d MB\n' "$label" "$wall" "$((kb / 1024))"
}
timed "safer areas, national year (6.5 M rows) -> PostGIS schema y2023" \
    "$BUILD/tools/safer" areas -q --crimes "$NATION/crimes" --areas "$NATION/lsoas.geojson" --population "$NATION/population.csv" -o "$DB" --schema y2023
timed "safer areas, the same -> GeoPackage" \
    "$BUILD/tools/safer" areas -q --overwrite --crimes "$NATION/crimes" --areas "$NATION/lsoas.geojson" --population "$NATION/population.csv" -o "$WORK/pg-areas.gpkg"
timed "safer ingest, 1,000,000 rows -> PostGIS schema incidents1m" \
    "$BUILD/tools/safer" ingest -q --crimes "$SMALL/crimes" -o "$DB" --schema incidents1m
timed "safer ingest, the same -> GeoPackage" \
    "$BUILD/tools/safer" ingest -q --overwrite --crimes "$SMALL/crimes" -o "$WORK/pg-ingest.gpkg"
echo "rows in PostGIS: $(psql_ -d safer -Atc "SELECT (SELECT count(*) FROM y2023.areas) || ' areas, ' || (SELECT count(*) FROM y2023.area_months) || ' area_months rows, ' || (SELECT count(*) FROM incidents1m.incidents) || ' incidents'")"
sql() { # label, SQL
    local t0 t1; t0=$(date +%s.%N); psql_ -d safer -Atc "$2" >/dev/null; t1=$(date +%s.%N)
    printf '%-62s %7.2f s\n' "$1" "$(echo "$t1 - $t0" | bc)"
}
sql "SQL: every LSOA's rate percentile (percent_rank over 35,000)" \
    "CREATE TABLE y2023.pct AS SELECT code, percent_rank() OVER (ORDER BY neighbourhood_rate) FROM y2023.areas WHERE neighbourhood_rate IS NOT NULL"
sql "SQL: incidents per month and crime group (1 M points)" "SELECT month, crime_group, count(*) FROM incidents1m.incidents GROUP BY 1, 2"
sql "SQL: incidents within 1 km of a point (GiST index)" \
    "SELECT count(*) FROM incidents1m.incidents WHERE ST_DWithin(geom, ST_SetSRID(ST_MakePoint(510000, 265000), 27700), 1000)"
