#!/usr/bin/env bash
# Installed like a tool (issue 17, 6): `cmake --install` puts safer and its man page (made from
# the program's own help at build time) under a prefix; --version names GDAL, GEOS and PROJ; each
# command's --help ends with examples; a mistyped command or option gets a suggestion.
# usage: install_test.sh BUILD_DIR WORK_DIR
set -uo pipefail
BUILD="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
PREFIX="$WORK/prefix"
cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 || { fail "cmake --install: $(cat "$WORK/install.log")"; finish; exit 1; }
SAFER="$PREFIX/bin/safer"
[ -x "$SAFER" ] && pass "cmake --install put safer in $PREFIX/bin" || fail "no $SAFER"
PAGE="$PREFIX/share/man/man1/safer.1"
[ -f "$PAGE" ] && pass "and its man page in share/man/man1" || fail "no man page at $PAGE"

# The page is the program's help: it renders without roff warnings and holds every command's.
groff -man -Tutf8 -ww -z "$PAGE" 2>"$WORK/groff.txt"
[ ! -s "$WORK/groff.txt" ] && pass "groff reads the page without a warning" || fail "groff: $(head -3 "$WORK/groff.txt")"
MANWIDTH=200 MANPAGER=cat man -l "$PAGE" >"$WORK/man.txt" 2>/dev/null
# The commands as safer --help lists them, so that a new command is held to the same.
COMMANDS=$("$SAFER" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }' | tr '\n' ' ')
[ "$(echo $COMMANDS | wc -w)" -ge 11 ] && pass "safer --help lists $(echo $COMMANDS | wc -w) commands: $COMMANDS" || fail "safer --help lists only: $COMMANDS"
for c in $COMMANDS; do
    grep -q "^ *safer $c\$" "$WORK/man.txt" && pass "man safer: a section for safer $c" || fail "man safer: no section for $c"
done
grep -q -- "--bandwidth" "$WORK/man.txt" && grep -q "safer kde --crimes out/town/crimes --types Burglary -o burglary.tif" "$WORK/man.txt" &&
    pass "the page holds the options and examples as --help prints them" || fail "the page lacks kde's options or examples"

# --version: the libraries as they run.
v=$("$SAFER" --version)
echo "$v" | grep -qE "^safer [0-9]+\.[0-9]+\.[0-9]+ \(GDAL [0-9.]+, GEOS [0-9.]+, PROJ [0-9.]+\)$" && pass "--version: $v" || fail "--version: $v"
[ "$(gdal-config --version 2>/dev/null || echo "$v")" != "" ] && echo "$v" | grep -q "GDAL $(gdal-config --version)" &&
    pass "--version names the GDAL that is installed ($(gdal-config --version))" || fail "--version's GDAL differs from gdal-config"

# Every command's --help ends with examples.
for c in $COMMANDS; do
    "$SAFER" "$c" --help >"$WORK/help-$c.txt" 2>&1
    last=$(grep -n "^Examples" "$WORK/help-$c.txt" | tail -1 | cut -d: -f1)
    # After the heading only examples: "  safer <command> ..." and their continuation lines.
    after=$(tail -n +"$((${last:-1} + 1))" "$WORK/help-$c.txt" | grep -c "^  safer $c ")
    other=$(tail -n +"$((${last:-1} + 1))" "$WORK/help-$c.txt" | grep -v "^  safer $c \|^      \|^$" | head -1)
    [ -n "$last" ] && [ "$after" -ge 1 ] && [ -z "$other" ] &&
        pass "safer $c --help ends with $after example(s)" || fail "safer $c --help does not end with examples: '$other'"
done

# A mistyped command or option: what was meant.
expect 2 "'kdee' is not a safer command; did you mean 'kde'?" "" "$SAFER" kdee --crimes x -o y.gpkg
expect 2 "'hotspot' is not a safer command; did you mean 'hotspots'?" "" "$SAFER" hotspot
expect 2 "'frobnicate' is not a safer command; the commands are ingest, kde" "" "$SAFER" frobnicate
expect 2 "(did you mean --bandwidth?)" "" "$SAFER" kde --crimes x.csv --bandwith 200 -o y.gpkg
finish
