#include "engine/crime_types.hpp"

#include <fmt/core.h>

#include <cstring>

#include "engine/errors.hpp"

#include "engine/text.hpp"

namespace safer {

CrimeTypes::CrimeTypes() {
    for (std::string_view name : known_crime_types) intern(name);
}

CrimeTypeId CrimeTypes::intern(std::string_view raw) {
    for (const auto& [spelling, id] : m_spellings)
        if (spelling == raw) return id;
    std::string key = lower_trim(raw);
    CrimeTypeId id = 0;
    if (auto it = m_by_key.find(key); it != m_by_key.end()) {
        id = it->second;
    } else {
        if (m_names.size() >= max_crime_types)
            throw InputError(fmt::format("more than {} distinct crime types (the next is '{}'): is the type column the right one? Name it with "
                                         "--type-field",
                                         max_crime_types, key.substr(0, 60)));
        id = static_cast<CrimeTypeId>(m_names.size());
        m_names.emplace_back(trim(raw));
        m_by_key.emplace(std::move(key), id);
    }
    if (m_spellings.size() < 64) m_spellings.emplace_back(raw, id);
    return id;
}

const CrimeTypeId* CrimeTypes::find(std::string_view raw) const {
    auto it = m_by_key.find(lower_trim(raw));
    return it == m_by_key.end() ? nullptr : &it->second;
}

std::vector<CrimeGroup> builtin_crime_groups() {
    return {
        {"neighbourhood", "Neighbourhood crime (Home Office Safer Streets): burglary, robbery, theft from the person, vehicle crime",
         {"Burglary", "Robbery", "Theft from the person", "Vehicle crime"}, false},
        {"acquisitive", "Acquisitive crime: neighbourhood crime plus bicycle theft, shoplifting and other theft",
         {"Burglary", "Robbery", "Theft from the person", "Vehicle crime", "Bicycle theft", "Shoplifting", "Other theft"}, false},
        {"violence", "Violence and sexual offences", {"Violence and sexual offences"}, false},
        {"asb", "Anti-social behaviour", {"Anti-social behaviour"}, false},
        {"damage", "Criminal damage and arson", {"Criminal damage and arson"}, false},
        {"all", "Every crime type, including any type not known to safer", {}, true},
    };
}

std::string crime_phrase(const CrimeGroup& group) {
    const auto lower_first = [](std::string text) {
        if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
        return text;
    };
    if (!group.all_types && group.types.size() == 1) return lower_first(group.types.front());
    const std::string name = lower_trim(group.name);
    for (const char* ending : {"crime", "crimes", "offences", "offence", "behaviour"})
        if (name.size() >= std::strlen(ending) && name.compare(name.size() - std::strlen(ending), std::string::npos, ending) == 0) return group.name;
    return group.name + " crime";
}

GroupMembership::GroupMembership(const std::vector<CrimeGroup>& groups, const CrimeTypes& types)
    : m_group_count(groups.size()), m_type_count(types.size()), m_member(groups.size() * types.size(), 0) {
    for (size_t g = 0; g < groups.size(); ++g) {
        if (groups[g].all_types) {
            for (size_t t = 0; t < m_type_count; ++t) m_member[g * m_type_count + t] = 1;
            continue;
        }
        for (const std::string& type : groups[g].types) {
            if (const CrimeTypeId* id = types.find(type)) m_member[g * m_type_count + *id] = 1;
        }
    }
}

} // namespace safer
