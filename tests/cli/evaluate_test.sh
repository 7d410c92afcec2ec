#!/usr/bin/env bash
# safer evaluate from the command line: the synthetic town with an intervention of known effect
# (safer-town --intervention: 30 % of neighbourhood crimes in four LSOAs left out from 2023-01);
# the outputs (layers, the CSV's exact columns, the report's sentences); the same figures from
# polygons or LSOA codes and on every run; each method against R (fisher.test, poisson.test,
# glm + sandwich::vcovCL, the WDQ and WDD formulas) where R is installed; and the bad inputs, each
# refused with exit 1 (2 for usage), a clear message and nothing written.
# usage: evaluate_test.sh SAFER SAFER_TOWN WORK_DIR
set -uo pipefail
SAFER="$1"; TOWN_BIN="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"

"$TOWN_BIN" --seed 1 --months 24 --start 2022-01 --incidents 60000 --intervention 2023-01 -o "$WORK/town" -q || { fail "safer-town --intervention"; exit 1; }
T="$WORK/town"
CODES=$(sed -n 's/.* in LSOAs \([^ ]*\) (intervention.geojson).*/\1/p' "$T/intervention.txt")
[ -n "$CODES" ] && pass "safer-town --intervention names its LSOAs: $CODES" || fail "no LSOAs in intervention.txt"
grep -q "known effect is a fall of 30 %" "$T/intervention.txt" && pass "intervention.txt states the known effect" || fail "intervention.txt: $(cat "$T/intervention.txt")"
"$TOWN_BIN" --seed 1 -o "$WORK/plain-a" -q && "$TOWN_BIN" --seed 1 -o "$WORK/plain-b" -q --effect 0.5
diff -r "$WORK/plain-a" "$WORK/plain-b" >/dev/null && pass "safer-town without --intervention: the same town as before" || fail "--effect alone changed the town"

BASE=(evaluate --crimes "$T/crimes" --areas "$T/lsoas.geojson" --start 2023-01)
O="$WORK/out"; mkdir -p "$O"
if "$SAFER" "${BASE[@]}" --target "$T/intervention.geojson" -o "$O/e.gpkg" --csv "$O/e.csv" --report "$O/e.html" --no-pdf 2>"$WORK/e.err"; then
    pass "safer evaluate on the town (target polygons)"
else
    fail "safer evaluate: $(cat "$WORK/e.err")"; finish; exit 1
fi

# --- The CSV: exactly the agreed columns, one row per method ---------------------------------------
[ "$(head -1 "$O/e.csv")" = "method,estimate,ci_low,ci_high,p_value,note" ] && pass "CSV header: method,estimate,ci_low,ci_high,p_value,note" || fail "CSV header: $(head -1 "$O/e.csv")"
methods=$(/usr/bin/python3 -c 'import csv,sys; print(",".join(r["method"] for r in csv.DictReader(open(sys.argv[1]))))' "$O/e.csv")
[ "$methods" = "before_after,wdq,wdd,did,synthetic_control" ] && pass "CSV rows: $methods" || fail "CSV rows: $methods"
# The known effect: every method's interval holds -0.30 and none holds 0 on the town's 60,000 rows.
/usr/bin/python3 - "$O/e.csv" >"$WORK/effect.txt" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["method"] == "wdq": continue
    lo, hi = float(r["ci_low"]), float(r["ci_high"])
    print(r["method"], "holds" if lo <= -0.3 <= hi else "misses", "no-change-outside" if hi < 0 else "no-change-inside", r["estimate"], lo, hi)
PY
while read -r m holds zero est lo hi; do
    [ "$holds" = holds ] && pass "$m: the interval $lo to $hi holds the known -0.30 (estimate $est)" || fail "$m: interval $lo to $hi misses -0.30"
    [ "$zero" = no-change-outside ] && pass "$m: finds a fall beyond chance" || fail "$m: interval $lo to $hi holds no change"
done <"$WORK/effect.txt"
grep -q "It worked: neighbourhood crime in the target fell" "$O/e.html" && pass "report: 'It worked' when every method finds the fall" || fail "report verdict: $(grep -o 'answer in brief.\{0,300\}' "$O/e.html")"

# --- The layers --------------------------------------------------------------------------------------
G="$O/e.gpkg"
[ "$(q "$G" "SELECT group_concat(role) FROM (SELECT role FROM evaluation_areas ORDER BY fid)")" = "target,buffer,control" ] && pass "evaluation_areas: target, buffer, control" || fail "evaluation_areas roles"
[ "$(q "$G" "SELECT count(*) FROM evaluation_months")" = 24 ] && pass "evaluation_months: 24 months" || fail "evaluation_months rows"
[ "$(q "$G" "SELECT count(*) FROM evaluation_results")" = 5 ] && pass "evaluation_results: 5 rows" || fail "evaluation_results rows"
w=$(q "$G" "SELECT sum(weight) FROM synthetic_control_weights")
close "$w" 1 1e-9 && pass "synthetic_control_weights: the shares sum to 1 ($w)" || fail "weights sum to $w"
# The months add up to the areas' counts, and the target's count before is the report's.
tb=$(q "$G" "SELECT before FROM evaluation_areas WHERE role = 'target'"); ta=$(q "$G" "SELECT after FROM evaluation_areas WHERE role = 'target'")
[ "$(q "$G" "SELECT sum(target) FROM evaluation_months WHERE period = 'before'")" = "$tb" ] && pass "evaluation_months sum to evaluation_areas (target before $tb)" || fail "months do not sum to $tb"
# Independently: the town's neighbourhood crimes in the intervention LSOAs, counted by police.uk's own LSOA codes.
counts=$(/usr/bin/python3 - "$T/crimes" "$CODES" <<'PY'
import csv, glob, sys
codes = set(sys.argv[2].split(","))
types = {"Burglary", "Robbery", "Theft from the person", "Vehicle crime"}
before = after = 0
for f in glob.glob(sys.argv[1] + "/*/*.csv"):
    seen = set()
    for r in csv.DictReader(open(f)):
        if r["LSOA code"] in codes and r["Crime type"] in types:
            key = tuple(r.values())
            if r["Crime ID"] and key in seen: continue  # exact duplicates, as safer rejects them
            seen.add(key)
            if r["Month"] < "2023-01": before += 1
            else: after += 1
print(before, after)
PY
)
[ "$counts" = "${tb%.*} ${ta%.*}" ] && pass "the target's counts ($counts) equal a count of the crime files by police.uk's LSOA codes" || fail "target counts ${tb%.*} ${ta%.*}, crime files say $counts"
grep -qF "In the target, ${tb%.*} neighbourhood crimes were recorded in the 12 months before the start (2022-01 to 2022-12)" "$O/e.html" \
    && pass "report: names the target's count before, ${tb%.*}" || fail "report lacks the target's count sentence"
grep -q "<svg" "$O/e.html" && grep -q "synthetic control" "$O/e.html" && grep -q "start</text>" "$O/e.html" \
    && pass "report: monthly chart of target, control and synthetic control with the start marked" || fail "report chart"
grep -qF "Weighted Displacement Quotient" "$O/e.html" && grep -qF "Bowers &amp; Johnson (2003)" "$O/e.html" && grep -qF "Wheeler &amp; Ratcliffe (2018)" "$O/e.html" \
    && grep -qF "Abadie, Diamond &amp; Hainmueller (2010)" "$O/e.html" && pass "report: every method with its citation" || fail "report citations"

# --- The same figures from LSOA codes, and on every run ----------------------------------------------
"$SAFER" "${BASE[@]}" -q --target "$CODES" -o "$O/codes.gpkg" --csv "$O/codes.csv" 2>/dev/null
cut -d, -f1-5 "$O/e.csv" >"$WORK/a.txt"; cut -d, -f1-5 "$O/codes.csv" >"$WORK/b.txt"
cmp -s "$WORK/a.txt" "$WORK/b.txt" && pass "target as LSOA codes: the same estimates, intervals and p as the polygons" || fail "codes and polygons differ: $(diff "$WORK/a.txt" "$WORK/b.txt" | head -4)"
"$SAFER" "${BASE[@]}" -q --target "$T/intervention.geojson" -o "$O/again.gpkg" --csv "$O/again.csv" 2>/dev/null
cmp -s "$O/e.csv" "$O/again.csv" && pass "the same run twice: the same CSV, byte for byte" || fail "CSV differs between runs"
for t in evaluation_areas evaluation_months synthetic_control_weights evaluation_results; do
    [ "$(sqlite3 "$G" "SELECT * FROM $t")" = "$(sqlite3 "$O/again.gpkg" "SELECT * FROM $t")" ] && pass "the same run twice: $t identical" || fail "$t differs between runs"
done
"$SAFER" "${BASE[@]}" -q --target "$T/intervention.geojson" --seed 2 -o "$O/seed2.gpkg" --csv "$O/seed2.csv" 2>/dev/null
[ "$(grep ^synthetic "$O/e.csv" | cut -d, -f5)" != "" ] && pass "--seed is recorded and used ($(q "$O/seed2.gpkg" "SELECT count(*) FROM evaluation_results") rows with seed 2)" || fail "seed"

# --- Against R: the same counts through R's own functions -------------------------------------------
if command -v Rscript >/dev/null && Rscript -e 'library(sandwich)' >/dev/null 2>&1; then
    sqlite3 -csv -header "$G" "SELECT month, period, target, buffer, control FROM evaluation_months ORDER BY month" >"$WORK/months.csv"
    Rscript - "$WORK/months.csv" "$O/e.csv" >"$WORK/r.txt" 2>&1 <<'R'
library(sandwich)
a <- commandArgs(TRUE); m <- read.csv(a[1]); r <- read.csv(a[2])
row <- function(k) r[r$method == k, ]
near <- function(name, x, y, tol = 1e-6) cat(if (isTRUE(abs(x - y) <= tol * max(1, abs(y)))) "ok:" else "FAIL:", name, x, "R", y, "\n")
pre <- m$period == "before"; T0 <- sum(m$target[pre]); T1 <- sum(m$target[!pre]); C0 <- sum(m$control[pre]); C1 <- sum(m$control[!pre])
D0 <- sum(m$buffer[pre]); D1 <- sum(m$buffer[!pre])
f <- fisher.test(matrix(c(T1, C1, T0, C0), 2))
near("before_after estimate against fisher.test", row("before_after")$estimate, f$estimate - 1, 2e-4)
near("before_after ci_low", row("before_after")$ci_low, f$conf.int[1] - 1, 2e-4)
near("before_after ci_high", row("before_after")$ci_high, f$conf.int[2] - 1, 2e-4)
near("before_after p", row("before_after")$p_value, f$p.value)
d <- data.frame(y = c(m$target, m$control), unit = rep(1:2, each = nrow(m)), month = rep(m$month, 2))
d$treat <- as.numeric(d$unit == 1 & rep(!pre, 2))
fit <- glm(y ~ factor(unit) + factor(month) + treat, family = poisson, data = d)
b <- coef(fit)[["treat"]]; se <- sqrt(vcovCL(fit, cluster = ~month, type = "HC0")["treat", "treat"]); df <- nrow(m) - 1
near("did estimate against glm", row("did")$estimate, exp(b) - 1)
near("did ci_low against glm + vcovCL + qt", row("did")$ci_low, exp(b - qt(0.975, df) * se) - 1)
near("did ci_high", row("did")$ci_high, exp(b + qt(0.975, df) * se) - 1)
near("did p", row("did")$p_value, 2 * pt(-abs(b / se), df))
wdq <- (D1 / C1 - D0 / C0) / (T1 / C1 - T0 / C0)
near("wdq by Bowers & Johnson's formula", row("wdq")$estimate, wdq)
wdd <- (T1 - T0 * C1 / C0) + (D1 - D0 * C1 / C0); expected <- T0 * C1 / C0
g <- c(T0 = -C1 / C0, T1 = 1, D0 = -C1 / C0, D1 = 1, C0 = (T0 + D0) * C1 / C0^2, C1 = -(T0 + D0) / C0)
se_wdd <- sqrt(sum(g^2 * c(T0, T1, D0, D1, C0, C1)))
near("wdd estimate (WDD / expected)", row("wdd")$estimate, wdd / expected)
near("wdd ci_low", row("wdd")$ci_low, (wdd - qnorm(0.975) * se_wdd) / expected)
near("wdd p", row("wdd")$p_value, 2 * pnorm(-abs(wdd / se_wdd)))
R
    while read -r line; do
        case "$line" in ok:*) pass "R: ${line#ok: }" ;; FAIL:*) fail "R: ${line#FAIL: }" ;; *) fail "R: $line" ;; esac
    done <"$WORK/r.txt"
    # Each place's own change against poisson.test.
    sqlite3 -csv "$G" "SELECT role, before, after, months_before, months_after, change, change_low, change_high, change_p FROM evaluation_areas" >"$WORK/areas.csv"
    Rscript -e 'a <- read.csv(commandArgs(TRUE)[1], header = FALSE); for (i in seq_len(nrow(a))) { t <- poisson.test(c(a$V3[i], a$V2[i]), c(a$V5[i], a$V4[i]));
        ok <- abs(c(t$estimate - 1, t$conf.int - 1, t$p.value) - c(a$V6[i], a$V7[i], a$V8[i], a$V9[i])) <= 1e-6; cat(if (all(ok)) "ok" else "FAIL", a$V1[i], "\n") }' \
        "$WORK/areas.csv" >"$WORK/r2.txt" 2>&1
    while read -r s role; do [ "$s" = ok ] && pass "R: $role's own change equals poisson.test" || fail "R: $role's change differs from poisson.test ($s $role)"; done <"$WORK/r2.txt"
else
    skip "R with the sandwich package is not installed (r-base-core, r-cran-sandwich): the comparisons with R's fisher.test, glm and vcovCL did not run"
fi

# --- Bad inputs: exit 1, a clear message, nothing written --------------------------------------------
B="$WORK/bad"; mkdir -p "$B"
BAD=(evaluate --crimes "$T/crimes" --areas "$T/lsoas.geojson" --target "$CODES" -o "$B/out.gpkg" --csv "$B/out.csv" --report "$B/out.html")
expect 1 "--start 2021-06: the data cover 2022-01 to 2023-12, so the start must be after 2022-01" "$B/out.gpkg" "$SAFER" "${BAD[@]}" --start 2021-06
expect 1 "--start 2024-02: the data cover 2022-01 to 2023-12" "$B/out.gpkg" "$SAFER" "${BAD[@]}" --start 2024-02
expect 1 "only 5 months of data before the start (2022-01 to 2022-05); an evaluation needs at least 6" "$B/out.gpkg" "$SAFER" "${BAD[@]}" --start 2022-06
expect 1 "only 2 months of data from the start (2023-11 to 2023-12); an evaluation needs at least 3" "$B/out.gpkg" "$SAFER" "${BAD[@]}" --start 2023-11
FIRST=${CODES%%,*}
expect 1 "the control overlaps the target: 1 of its 2 areas ($FIRST) lies partly or wholly in it" "$B/out.gpkg" "$SAFER" "${BAD[@]}" --start 2023-01 --control "$FIRST,SYN00001"
# A neighbour of the target: an LSOA the 250 m ring reaches.
NEIGHBOUR=$(sqlite3 "$G" "SELECT 1" >/dev/null; /usr/bin/python3 - "$T/lsoas.geojson" "$CODES" <<'PY'
import json, sys
codes = set(sys.argv[2].split(","))
f = json.load(open(sys.argv[1]))["features"]
pts = {x["properties"]["LSOA21CD"]: {tuple(p) for ring in (x["geometry"]["coordinates"] if x["geometry"]["type"] == "Polygon" else [r for poly in x["geometry"]["coordinates"] for r in poly]) for p in ring} for x in f}
target = set().union(*(pts[c] for c in codes))
print(sorted(c for c in pts if c not in codes and pts[c] & target)[0])
PY
)
expect 1 "the control overlaps the buffer (250 m around the target): 1 of its 1 areas ($NEIGHBOUR) lies partly or wholly in it" "$B/out.gpkg" \
    "$SAFER" "${BAD[@]}" --start 2023-01 --control "$NEIGHBOUR"
expect 1 "the target recorded none of the neighbourhood crimes before the start (2022-01 to 2022-12)" "$B/out.gpkg" \
    "$SAFER" evaluate --crimes "$T/crimes" --areas "$T/lsoas.geojson" --target "POLYGON((440000 190000,440100 190000,440100 190100,440000 190100,440000 190000))" \
    --start 2023-01 -o "$B/out.gpkg" --csv "$B/out.csv" --report "$B/out.html"
expect 1 "--target: 1 of the codes given is not among the 40 areas: SYN99999" "$B/out.gpkg" "$SAFER" "${BAD[@]/$CODES/SYN99999}" --start 2023-01
[ ! -e "$B/out.csv" ] && [ ! -e "$B/out.html" ] && pass "no CSV or report left by any refused run" || fail "a refused run left a CSV or report"
# Usage: exit 2.
expect 2 "--buffer excludes --buffer-area" "$B/out.gpkg" "$SAFER" "${BAD[@]}" --start 2023-01 --buffer 100 --buffer-area "$T/site.geojson"
expect 2 "--target: LSOA codes need --areas" "$B/out.gpkg" "$SAFER" evaluate --crimes "$T/crimes" --target "$CODES" --control "$T/site.geojson" --start 2023-01 -o "$B/out.gpkg"
expect 2 "--control auto chooses LSOAs from --areas" "$B/out.gpkg" "$SAFER" evaluate --crimes "$T/crimes" --target "$T/intervention.geojson" --start 2023-01 -o "$B/out.gpkg"
expect 2 "--placebos 5: give 19 to 100000" "$B/out.gpkg" "$SAFER" "${BAD[@]}" --start 2023-01 --placebos 5
expect 2 "--start 2023-13: expected the intervention's first month as YYYY-MM" "$B/out.gpkg" "$SAFER" "${BAD[@]}" --start 2023-13
expect 2 "exists" "" "$SAFER" "${BASE[@]}" --target "$CODES" -o "$O/e.gpkg"

# --- The manual: every method with its formula and citation -----------------------------------------
help=$("$SAFER" evaluate --help)
for s in "Bowers & Johnson 2003" "WDQ = (Da/Ca - Db/Cb) / (Ra/Ca - Rb/Cb)" "Wheeler & Ratcliffe 2018" "WDD = (T1 - T0) - kT(C1 - C0)" \
         "Abadie, Diamond & Hainmueller (2010" "Fisher 1935" "log E[y] = place + month + b D" "method,estimate,ci_low,ci_high,p_value,note"; do
    grep -qF -- "$s" <<<"$help" && pass "--help: $s" || fail "--help lacks '$s'"
done
finish
