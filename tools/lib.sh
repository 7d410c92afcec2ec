# Shared by tools/demo and tools/test: install missing Debian packages, configure and build.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# install_packages [LIST]: the packages of LIST (default tools/packages.txt) that are missing;
# dies if they cannot be installed.
install_packages() {
    try_install_packages "${1:-$ROOT/tools/packages.txt}" || die "apt-get install failed for the packages of ${1:-tools/packages.txt}"
}

# try_install_packages LIST: as install_packages, but returns non-zero instead of dying (for the
# optional groups, such as tools/packages-qgis.txt).
try_install_packages() {
    local list="$1" wanted missing=()
    wanted=$(grep -v '^\s*#' "$list" | grep -v '^\s*$')
    for p in $wanted; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "all $(echo "$wanted" | wc -l) Debian packages from tools/$(basename "$list") are installed"
        return 0
    fi
    say "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q || return 1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

configure_and_build() {
    local build_dir="$1"; shift
    say "configuring $build_dir (Release, warnings as errors)"
    cmake -S "$ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_WERROR=ON "$@" >/dev/null \
        || die "cmake configure failed"
    say "building with $JOBS jobs"
    cmake --build "$build_dir" -j "$JOBS" || die "build failed"
}

# The sanitizer tree (tools/test, tools/fuzz): everything built with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer (any report is fatal), plus the libFuzzer targets of tests/fuzz.
SANITIZE_BUILD="$ROOT/build-sanitize"
configure_and_build_sanitized() {
    say "configuring $SANITIZE_BUILD (clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer targets)"
    cmake -S "$ROOT" -B "$SANITIZE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-16 \
        -DSAFER_SANITIZE=ON -DSAFER_FUZZ=ON "$@" >/dev/null || die "cmake configure of the sanitizer build failed"
    say "building the sanitizer tree with $JOBS jobs"
    local targets=()
    for t in ${SANITIZE_TARGETS:-}; do targets+=(--target "$t"); done # default: everything
    cmake --build "$SANITIZE_BUILD" -j "$JOBS" "${targets[@]}" || die "sanitizer build failed"
}
# Symbolized stack traces in sanitizer reports.
if [ -x /usr/bin/llvm-symbolizer-16 ]; then export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-16; fi
