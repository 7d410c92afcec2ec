#include "engine/crime_types.hpp"

#include <cctype>

namespace safer {

std::string crime_type_key(std::string_view raw) {
    size_t begin = 0;
    size_t end = raw.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(raw[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(raw[end - 1]))) --end;
    std::string key(raw.substr(begin, end - begin));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

CrimeTypes::CrimeTypes() {
    for (std::string_view name : known_crime_types) intern(name);
}

CrimeTypeId CrimeTypes::intern(std::string_view raw) {
    std::string key = crime_type_key(raw);
    if (auto it = m_by_key.find(key); it != m_by_key.end()) return it->second;
    const auto id = static_cast<CrimeTypeId>(m_names.size());
    size_t begin = raw.find_first_not_of(" \t");
    size_t end = raw.find_last_not_of(" \t");
    m_names.emplace_back(begin == std::string_view::npos ? std::string_view{} : raw.substr(begin, end - begin + 1));
    m_by_key.emplace(std::move(key), id);
    return id;
}

const CrimeTypeId* CrimeTypes::find(std::string_view raw) const {
    auto it = m_by_key.find(crime_type_key(raw));
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
