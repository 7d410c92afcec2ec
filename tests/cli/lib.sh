# Shared by the command-line test scripts (tests/cli/*_test.sh): source it once WORK is set.
# Each check prints "ok: ..." or "FAIL: ..."; finish prints the count and sets the exit status.
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
skip() { echo "SKIP: $*"; }
# expect CODE FRAGMENT OUTPUT COMMAND...: COMMAND exits CODE with FRAGMENT on stderr, and leaves
# nothing at OUTPUT (unless OUTPUT is "") and no temporary file beside it.
expect() {
    local code="$1" fragment="$2" output="$3"; shift 3
    "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
    local got=$?
    if [ "$got" -ne "$code" ]; then fail "$* exited $got, expected $code: $(cat "$WORK/err.txt")"; return; fi
    if ! grep -qF -- "$fragment" "$WORK/err.txt"; then fail "$*: stderr lacks '$fragment': $(cat "$WORK/err.txt")"; return; fi
    if [ -n "$output" ] && [ -e "$output" ]; then fail "$*: left an output file $output"; return; fi
    if [ -n "$output" ] && ls "$(dirname "$output")"/.*.tmp-* >/dev/null 2>&1; then fail "$*: left a temporary file"; return; fi
    pass "$* -> exit $code"
}
# close A B T: |A - B| <= T, A not empty (an empty query result never passes).
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= t) }'; }
# q FILE SQL: the result of SQL on a GeoPackage (SQLite).
q() { sqlite3 "$1" "$2"; }
finish() {
    echo "$failures failed"
    [ "$failures" -eq 0 ]
}
