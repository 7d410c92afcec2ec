#include "engine/lsoa_codes.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <unordered_map>

namespace safer {

bool is_lsoa2021_only(std::string_view code) {
    if (code.size() != 9) return false;
    int number = 0;
    const auto [ptr, ec] = std::from_chars(code.data() + 3, code.data() + 9, number);
    if (ec != std::errc() || ptr != code.data() + 9) return false;
    return code.starts_with("E01") && number > 33768;
}

SourceCodeCheck check_source_codes(const Incidents& incidents, const std::vector<int32_t>& area_of, const Areas& areas) {
    if (!incidents.has_text()) throw std::logic_error("check_source_codes: the incidents were read without their LSOA codes");
    SourceCodeCheck check;
    std::unordered_map<std::string_view, int32_t> index;
    for (size_t a = 0; a < areas.size(); ++a) index.emplace(areas.code[a], static_cast<int32_t>(a));
    for (size_t i = 0; i < incidents.size(); ++i) {
        const std::string_view code = incidents.lsoa_code_source[i];
        if (code.empty() || area_of[i] < 0) continue;
        ++check.with_code;
        const auto it = index.find(code);
        if (it == index.end()) {
            ++check.unknown;
            if (is_lsoa2021_only(code)) ++check.unknown_2021_only;
            if (check.unknown_examples.size() < 5 &&
                std::find(check.unknown_examples.begin(), check.unknown_examples.end(), code) == check.unknown_examples.end())
                check.unknown_examples.emplace_back(code);
        } else if (it->second == area_of[i]) {
            ++check.agree;
        } else {
            ++check.disagree;
        }
    }
    return check;
}

} // namespace safer
