#!/usr/bin/env bash
# Walks fixtures/bad/cases.txt: each bad input with its expected exit code and message (see the
# table's header for what is checked).
# usage: bad_corpus_test.sh SAFER FIXTURES WORK_DIR [CASE_NAME...]
set -uo pipefail
SAFER="$1"; FIX="$2"; WORK="$3"; shift 3
ONLY=("$@")
BAD="$FIX/bad"
GEN="$WORK/gen"
rm -rf "$WORK"; mkdir -p "$WORK" "$GEN"
source "$(dirname "$0")/lib.sh"
cases=0
count() { sqlite3 "$1" "SELECT COUNT(*) FROM \"$2\""; }

# --- Files too large or too hostile to keep in the repository ---------------------------------
header="Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
row="c1,2021-03,F,F,-2.359000,51.381000,On or near High Street,E01014399,Bath 001A,Burglary,Under investigation,"
{ echo "$header"; head -c $((17 << 20)) /dev/zero | tr '\0' 'x'; echo; echo "$row"; } >"$GEN/csv-line-17MiB.csv"
# A quoted field opened and never closed within 16 MiB: one row lost, not the rest of the file.
{ echo "$header"; echo "$row"; printf 'c2,2021-03,F,F,-2.359,51.381,"open quote'; head -c $((17 << 20)) /dev/zero | tr '\0' '\n'; echo "${row/c1/c3}"; } >"$GEN/csv-open-quote-17MiB.csv"
# A zip bomb: 64 MiB of newlines, gzip-compressed, then zipped again (nested compression), a
# few kilobytes on disk. The limit (layers/sources.hpp) refuses it once it expands past 1,100
# times the archive's size.
mkdir -p "$GEN/bomb/2021-03"
head -c $((64 << 20)) /dev/zero | tr '\0' '\n' | gzip -9 >"$GEN/bomb/2021-03/2021-03-bomb-street.csv.gz"
(cd "$GEN/bomb" && zip -q -r "$GEN/zip-bomb.zip" 2021-03)
echo "zip bomb: $(stat -c %s "$GEN/zip-bomb.zip") bytes on disk, 64 MiB expanded"
# The same download saved twice under another name.
cp "$BAD/good.csv" "$GEN/good (1).csv"

# --- The table ---------------------------------------------------------------------------------
n=0
while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    IFS='|' read -r name code fragment args <<<"$line"
    name=$(echo "$name" | xargs); code=$(echo "$code" | xargs)
    fragment="${fragment# }"; fragment="${fragment% }"
    if [ ${#ONLY[@]} -gt 0 ] && [[ ! " ${ONLY[*]} " == *" $name "* ]]; then continue; fi
    n=$((n + 1)); cases=$((cases + 1))
    dir="$WORK/case-$n"; mkdir -p "$dir"
    out="$dir/out.gpkg"
    args="${args//\{BAD\}/$BAD}"; args="${args//\{GEN\}/$GEN}"; args="${args//\{OUT\}/$out}"
    eval "argv=($args)"
    "$SAFER" "${argv[@]}" >"$dir/stdout" 2>"$dir/stderr"
    got=$?
    err="$dir/stderr"
    if [ "$got" -ne "$code" ]; then fail "$name: exit $got, expected $code: $(head -c 2000 "$err")"; continue; fi
    if ! grep -qF -- "$fragment" "$err"; then fail "$name: stderr lacks '$fragment': $(head -c 2000 "$err")"; continue; fi
    if [ "$(tr -d '\000' <"$err" | wc -c)" -ne "$(wc -c <"$err")" ]; then fail "$name: a NUL byte in the message"; continue; fi
    if ls -A "$dir" | grep -q '\.tmp-'; then fail "$name: left a temporary file: $(ls -A "$dir")"; continue; fi
    if [ "$code" -ne 0 ]; then
        if [ -e "$out" ]; then fail "$name: exit $code but left an output at $out"; continue; fi
    else
        if [ ! -s "$out" ]; then fail "$name: exit 0 but no output"; continue; fi
        summary=$(grep -o 'read [0-9,]* rows from [0-9]* files\?: [0-9,]* used, [0-9,]* rejected' "$err" | head -n 1 | sed 's/\([0-9]\),\([0-9]\)/\1\2/g')
        if [ -n "$summary" ]; then
            read -r nread nused nrejected < <(echo "$summary" | sed 's/read \([0-9]*\) rows.*: \([0-9]*\) used, \([0-9]*\) rejected/\1 \2 \3/')
            layer_rejects=$(count "$out" rejects)
            if [ $((nused + nrejected)) -ne "$nread" ] || [ "$layer_rejects" != "$nrejected" ]; then
                fail "$name: $summary, rejects layer $layer_rejects"; continue
            fi
            if [[ "$args" == ingest* ]] && [ "$(count "$out" incidents)" != "$nused" ]; then fail "$name: incidents layer != $nused"; continue; fi
        fi
    fi
    pass "$name -> exit $code"
done <"$BAD/cases.txt"
[ "$cases" -ge 30 ] || [ ${#ONLY[@]} -gt 0 ] || fail "only $cases cases in $BAD/cases.txt; the corpus holds at least 30"
echo "$cases cases, $failures failed"
[ "$failures" -eq 0 ]
