// The --weights parser of safer hotspots (tools/parsers.cpp).
#include "tests/fuzz/fuzz_util.hpp"
#include "tools/parsers.hpp"
#include "engine/errors.hpp"

#include <cmath>

namespace safer::fuzz {
/// --weights TEXT: false when refused (UsageError). Aborts on a spec that should not pass.
bool check_weights(const std::string& text) {
    try {
        const auto w = safer::tools::parse_weights(text);
        using Kind = decltype(w.kind);
        if (w.kind == Kind::distance && !(std::isfinite(w.distance) && w.distance > 0)) fail("distance weights with a bad band");
        if (w.kind == Kind::knn && !(w.k >= 1 && w.k <= 1000)) fail("knn weights with K out of 1..1000");
        if (w.kind == Kind::none && !text.empty()) fail("a non-empty spec parsed as none");
        return true;
    } catch (const safer::UsageError&) {
        return false;
    }
}
} // namespace safer::fuzz
