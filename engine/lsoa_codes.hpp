#pragma once
// Comparing the LSOA codes police.uk writes on each row with the areas we assign.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/areas.hpp"
#include "engine/incidents.hpp"

namespace safer {

/// True for English LSOA codes that cannot be 2011 codes: E01033768 is the highest 2011 code
/// (the IoD 2019 files list all 32,844 2011 LSOAs), so a higher E01 code was created in 2021.
bool is_lsoa2021_only(std::string_view code);

struct SourceCodeCheck {
    uint64_t with_code = 0;      // assigned incidents whose row carries an LSOA code
    uint64_t agree = 0;          // ... and it equals the assigned area's code
    uint64_t disagree = 0;       // ... a code among the areas, but not the assigned one
    uint64_t unknown = 0;        // ... a code that names no area
    uint64_t unknown_2021_only = 0; // of `unknown`, codes that exist only in the 2021 set
    std::vector<std::string> unknown_examples; // up to 5 distinct codes
};

SourceCodeCheck check_source_codes(const Incidents& incidents, const std::vector<int32_t>& area_of, const Areas& areas);

} // namespace safer
