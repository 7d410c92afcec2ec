# Shared by tools/demo and tools/test: install missing Debian packages, configure and build.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

install_packages() {
    local wanted missing=()
    wanted=$(grep -v '^\s*#' "$ROOT/tools/packages.txt" | grep -v '^\s*$')
    for p in $wanted; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "all $(echo "$wanted" | wc -l) Debian packages from tools/packages.txt are installed"
        return
    fi
    say "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed for: ${missing[*]}"
}

configure_and_build() {
    local build_dir="$1"; shift
    say "configuring $build_dir (Release, warnings as errors)"
    cmake -S "$ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAFER_WERROR=ON "$@" >/dev/null \
        || die "cmake configure failed"
    say "building with $JOBS jobs"
    cmake --build "$build_dir" -j "$JOBS" || die "build failed"
}
