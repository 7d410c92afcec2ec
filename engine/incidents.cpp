#include "engine/incidents.hpp"

#include <algorithm>
#include <bit>
#include <unordered_map>

namespace safer {

void StringColumn::append(const StringColumn& other) {
    const uint64_t offset = m_chars.size();
    m_chars.append(other.m_chars);
    m_ends.reserve(m_ends.size() + other.m_ends.size());
    for (uint64_t end : other.m_ends) m_ends.push_back(offset + end);
}

void Incidents::append(const Incidents& other, const CrimeTypes& other_types, CrimeTypes& types) {
    x.insert(x.end(), other.x.begin(), other.x.end());
    y.insert(y.end(), other.y.begin(), other.y.end());
    month.insert(month.end(), other.month.begin(), other.month.end());
    std::vector<CrimeTypeId> remap(other_types.size());
    for (size_t t = 0; t < other_types.size(); ++t) remap[t] = types.intern(other_types.name(static_cast<CrimeTypeId>(t)));
    type.reserve(type.size() + other.type.size());
    for (CrimeTypeId t : other.type) type.push_back(remap[t]);
    crime_id.append(other.crime_id);
    location.append(other.location);
    lsoa_code_source.append(other.lsoa_code_source);
    outcome.append(other.outcome);
    source.insert(source.end(), other.source.begin(), other.source.end());
    line.insert(line.end(), other.line.begin(), other.line.end());
}

void Incidents::keep(const std::vector<uint8_t>& flags) {
    Incidents kept;
    const size_t n = static_cast<size_t>(std::count(flags.begin(), flags.end(), uint8_t{1}));
    kept.x.reserve(n), kept.y.reserve(n), kept.month.reserve(n), kept.type.reserve(n);
    kept.source.reserve(n), kept.line.reserve(n);
    for (size_t i = 0; i < size(); ++i) {
        if (!flags[i]) continue;
        kept.x.push_back(x[i]);
        kept.y.push_back(y[i]);
        kept.month.push_back(month[i]);
        kept.type.push_back(type[i]);
        kept.crime_id.push_back(crime_id[i]);
        kept.location.push_back(location[i]);
        kept.lsoa_code_source.push_back(lsoa_code_source[i]);
        kept.outcome.push_back(outcome[i]);
        kept.source.push_back(source[i]);
        kept.line.push_back(line[i]);
    }
    *this = std::move(kept);
}

namespace {
struct PointKey {
    uint64_t x;
    uint64_t y;
    bool operator==(const PointKey&) const = default;
};
struct PointKeyHash {
    size_t operator()(const PointKey& k) const noexcept {
        // splitmix64 finaliser over both words.
        uint64_t h = k.x * 0x9E3779B97F4A7C15ULL ^ (k.y + 0x632BE59BD9B4E019ULL + (k.x << 6) + (k.x >> 2));
        h ^= h >> 31;
        h *= 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 27;
        return static_cast<size_t>(h);
    }
};
} // namespace

WeightedLocations unique_locations(const std::vector<double>& x, const std::vector<double>& y) {
    WeightedLocations out;
    out.location_of.resize(x.size());
    std::unordered_map<PointKey, uint32_t, PointKeyHash> index;
    index.reserve(x.size() / 4 + 16);
    for (size_t i = 0; i < x.size(); ++i) {
        // +0.0 and -0.0 are the same place.
        const PointKey key{std::bit_cast<uint64_t>(x[i] + 0.0), std::bit_cast<uint64_t>(y[i] + 0.0)};
        auto [it, inserted] = index.try_emplace(key, static_cast<uint32_t>(out.x.size()));
        if (inserted) {
            out.x.push_back(x[i]);
            out.y.push_back(y[i]);
            out.weight.push_back(0);
        }
        out.weight[it->second] += 1;
        out.location_of[i] = it->second;
    }
    return out;
}

} // namespace safer
