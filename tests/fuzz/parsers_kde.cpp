// The --bandwidth/--cell parser of safer kde (tools/parsers.cpp).
#include "tests/fuzz/fuzz_util.hpp"
#include "tools/parsers.hpp"
#include "engine/errors.hpp"

#include <cmath>

namespace safer::fuzz {
/// --bandwidth/--cell TEXT: false when refused (UsageError). Aborts on a value that should not pass.
bool check_length(const std::string& text) {
    try {
        const std::optional<double> v = safer::tools::parse_length(text, "--bandwidth");
        if (!v && text != "auto") fail("'auto' result for another text");
        if (v && !std::isfinite(*v)) fail("a length that is not finite");
        return true;
    } catch (const safer::UsageError&) {
        return false;
    }
}
} // namespace safer::fuzz
