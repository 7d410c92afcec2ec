// libFuzzer target: the small hand-written parsers. The input is split into lines; each line
// goes to every parser:
//   Month::parse (YYYY-MM), CrimeTypes::intern/find (crime type names, matched ignoring case and
//   surrounding spaces), --from/--to (CrimeOptions::request), layer_name_part, --kernel and
//   --units names, --weights (parse_weights of command_hotspots.cpp) and --bandwidth/--cell
//   (parse_length of command_kde.cpp), and is_utf8/to_utf8 (engine/text.hpp).
// Invariants: no crash, no exception but UsageError where documented, and each parser's
// promises (round trips, stable ids, names fit for a layer).
#include <string>
#include <string_view>
#include <vector>

#include "engine/crime_types.hpp"
#include "engine/errors.hpp"
#include "engine/kde.hpp"
#include "engine/month.hpp"
#include "engine/text.hpp"
#include "tests/fuzz/fuzz_util.hpp"
#include "tools/options.hpp"

namespace safer::fuzz {
bool check_weights(const std::string& text);
bool check_length(const std::string& text);
} // namespace safer::fuzz

using namespace safer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> lines;
    for (size_t start = 0; start <= input.size();) {
        size_t end = input.find('\n', start);
        if (end == std::string_view::npos) end = input.size();
        lines.push_back(input.substr(start, end - start));
        start = end + 1;
    }
    CrimeTypes types;
    std::vector<CrimeTypeId> ids;
    for (std::string_view line : lines) {
        // to_utf8 (what the writers store): valid UTF-8, the identity on valid input, idempotent.
        const std::string fixed = to_utf8(line);
        if (!is_utf8(fixed)) fuzz::fail("to_utf8 gave invalid UTF-8");
        if (is_utf8(line) && fixed != line) fuzz::fail("to_utf8 changed valid UTF-8");
        if (to_utf8(fixed) != fixed) fuzz::fail("to_utf8 is not idempotent");
        if (const auto m = Month::parse(line)) {
            if (!m->valid() || m->str() != line) fuzz::fail("Month::parse does not round-trip");
            if (m->month() < 1 || m->month() > 12 || m->year() < 1900 || m->year() > 2999) fuzz::fail("a month out of range");
        }
        const CrimeTypeId id = types.intern(line);
        if (types.intern(line) != id) fuzz::fail("intern gives two ids for one spelling");
        const CrimeTypeId* found = types.find(line);
        if (!found || *found != id) fuzz::fail("find disagrees with intern");
        if (lower_trim(types.name(id)) != lower_trim(line)) fuzz::fail("the type's name is not the spelling met");
        if (id < known_crime_type_count && lower_trim(known_crime_types[id]) != lower_trim(line)) fuzz::fail("matched the wrong known type");
        ids.push_back(id);

        const std::string text(line);
        const std::string part = safer::layer_name_part(text);
        if (part.empty() || part.front() == '_' || part.back() == '_' || part.find("__") != std::string::npos)
            fuzz::fail("layer_name_part: '" + part + "'");
        for (char c : part)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) fuzz::fail("layer_name_part kept a character");

        (void)kde::parse_kernel(line);
        (void)kde::parse_units(line);
        fuzz::check_weights(text);
        fuzz::check_length(text);
    }
    // Interning every line again gives the same ids: the table does not shift.
    for (size_t i = 0; i < lines.size(); ++i)
        if (types.intern(lines[i]) != ids[i]) fuzz::fail("ids changed after more types were added");
    // --from and --to from the first two lines.
    tools::CrimeOptions crimes;
    crimes.from = lines.size() > 0 ? std::string(lines[0]) : "";
    crimes.to = lines.size() > 1 ? std::string(lines[1]) : "";
    try {
        const layers::IngestOptions o = crimes.request().ingest;
        if (o.window.from && o.window.to && *o.window.from > *o.window.to) fuzz::fail("--from after --to accepted");
    } catch (const UsageError&) {
    }
    return 0;
}
