#!/usr/bin/env bash
# Hotspot statistics on 35,000 synthetic polygons (the benchmark town of ingest_assign.sh),
# against R's spdep where it is installed: queen contiguity (poly2nb, snap 0.1 m) and Gi*
# (localG, binary weights with self), on the same counts, with the largest difference in z.
# Also runs hotspot_bench (Google Benchmark) for the engine figures of issue 4.
# usage: benchmarks/hotspots_vs_spdep.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
WORK="${2:-$ROOT/out/bench}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_TESTS=OFF -DSAFER_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; exit 1; }
mkdir -p "$WORK"
if [ ! -f "$WORK/town/README.txt" ]; then
    "$BUILD/fixtures/safer-town" --seed 1 --areas 35000 --incidents 1000000 -o "$WORK/town" -q
fi
[ -f "$WORK/areas.gpkg" ] || ogr2ogr -f GPKG "$WORK/areas.gpkg" "$WORK/town/lsoas.geojson" -nln areas
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

for perms in 0 999; do
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$BUILD/tools/safer" hotspots --overwrite --crimes "$WORK/town/crimes" \
        --areas "$WORK/areas.gpkg" --permutations "$perms" -o "$WORK/hotspots-$perms.gpkg" 2>"$WORK/hotspots.err" \
        || { cat "$WORK/hotspots.err"; exit 1; }
    read -r wall kb <"$WORK/time.txt"
    printf 'safer hotspots, 35,000 areas, queen, %3d permutations: %6.2f s wall (1M rows read included), peak RSS %d MB\n' \
        "$perms" "$wall" "$((kb / 1024))"
    grep -E "spatial weights: done|Gi\*.*done|Moran.*done" "$WORK/hotspots.err" | sed 's/^safer: /    /'
done

if [ -x "$BUILD/benchmarks/hotspot_bench" ]; then
    "$BUILD/benchmarks/hotspot_bench" 2>/dev/null | grep -vE "^\s*$|CPU Caches|L[123] |Load Average|WARNING" || true
fi

if command -v Rscript >/dev/null && Rscript -e 'suppressMessages({library(sf); library(spdep)})' 2>/dev/null; then
    Rscript - "$WORK/hotspots-0.gpkg" <<'R'
suppressMessages({library(sf); library(spdep)})
path <- commandArgs(trailingOnly = TRUE)[1]
a <- st_read(path, "hotspot_areas", quiet = TRUE)
t0 <- Sys.time()
nb <- poly2nb(a, queen = TRUE, snap = 0.1)
t1 <- Sys.time()
g <- as.numeric(localG(a$count, nb2listw(include.self(nb), style = "B", zero.policy = TRUE), zero.policy = TRUE))
t2 <- Sys.time()
cat(sprintf("spdep 1.2-7: poly2nb (queen, snap 0.1 m) %.2f s; localG %.2f s; links %d (safer: see above)\n",
            as.numeric(t1 - t0, units = "secs"), as.numeric(t2 - t1, units = "secs"), sum(card(nb))))
cat(sprintf("largest |z(safer) - z(spdep)| over %d areas: %.2e\n", nrow(a), max(abs(a$gi_z - g))))
R
else
    echo "R with spdep and sf is not installed: no spdep comparison in this run"
fi
