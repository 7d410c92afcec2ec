#pragma once
// police.uk crime types and the groups analysts count them in.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace safer {

using CrimeTypeId = uint16_t;

/// The 14 crime types police.uk publishes today, plus "Public disorder and weapons", which it
/// used until May 2013. Matching ignores case and surrounding spaces.
inline constexpr std::string_view known_crime_types[] = {
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
    "Public disorder and weapons",
};
inline constexpr size_t known_crime_type_count = std::size(known_crime_types);

/// The table of crime types met in a run: the known ones first, then any unknown type, kept under
/// its own spelling (trimmed) so nothing is lost, and reported.
/// Distinct crime types a run may hold: police.uk has 14; the Home Office offence list a few
/// hundred. More means a column of free text was taken for the type.
inline constexpr size_t max_crime_types = 10'000;

class CrimeTypes {
public:
    CrimeTypes();
    /// The id of a type, adding it (under its own trimmed spelling) if it is new.
    CrimeTypeId intern(std::string_view raw);
    /// The id of a type if it is already in the table.
    const CrimeTypeId* find(std::string_view raw) const;
    std::string_view name(CrimeTypeId id) const { return m_names[id]; }
    bool is_known(CrimeTypeId id) const { return id < known_crime_type_count; }
    size_t size() const { return m_names.size(); }

private:
    std::vector<std::string> m_names;
    std::unordered_map<std::string, CrimeTypeId> m_by_key; // lower-cased, trimmed
    // Spellings met verbatim: a file spells each type one way, so most rows match here without
    // building a key (intern runs once per row).
    std::vector<std::pair<std::string, CrimeTypeId>> m_spellings;
};

/// A named set of crime types. `all_types` takes every type, unknown ones included.
struct CrimeGroup {
    std::string name;
    std::string description;
    std::vector<std::string> types; // spelled as in known_crime_types
    bool all_types = false;
};

/// The built-in groups: neighbourhood (the Safer Streets definition: burglary,
/// robbery, theft from the person, vehicle crime), acquisitive, violence, asb, damage, all.
std::vector<CrimeGroup> builtin_crime_groups();

/// The group as a reader names what it counts, for "evidence pack for ...", "Kernel density of
/// ...": a group of one crime type is that type ("violence and sexual offences", "anti-social
/// behaviour", not "violence crime" or "asb crime"); a name that already says what it counts
/// ("other crime", "drug offences") stays; any other is "<name> crime" ("neighbourhood crime",
/// "all crime").
std::string crime_phrase(const CrimeGroup& group);

/// Which types belong to which group, resolved against a CrimeTypes table.
class GroupMembership {
public:
    GroupMembership(const std::vector<CrimeGroup>& groups, const CrimeTypes& types);
    bool contains(size_t group, CrimeTypeId type) const { return m_member[group * m_type_count + type] != 0; }
    size_t group_count() const { return m_group_count; }

private:
    size_t m_group_count;
    size_t m_type_count;
    std::vector<uint8_t> m_member;
};

} // namespace safer
