#include "engine/incidents.hpp"
#include "engine/hash_parts.hpp"
#include "engine/text_hash.hpp"

#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <numeric>

namespace safer {

void StringColumn::append(const StringColumn& other) {
    const uint64_t offset = m_chars.size();
    m_chars.append(other.m_chars);
    m_ends.reserve(m_ends.size() + other.m_ends.size());
    for (uint64_t end : other.m_ends) m_ends.push_back(offset + end);
}

uint32_t InternedColumn::intern(std::string_view s) {
    if (!m_plain) {
        if (m_slots.empty()) rehash(64);
        const size_t mask = m_slots.size() - 1;
        size_t slot = text_hash(s) & mask;
        for (; m_slots[slot] != 0; slot = (slot + 1) & mask)
            if (m_values[m_slots[slot] - 1] == s) return m_slots[slot] - 1;
    }
    const uint32_t id = static_cast<uint32_t>(m_values.size());
    m_values.push_back(s);
    if (m_plain) return id;
    if (m_values.size() * 2 > m_slots.size()) {
        rehash(m_slots.size() * 2); // keep the load under a half
    } else {
        const size_t mask = m_slots.size() - 1;
        size_t slot = text_hash(s) & mask;
        while (m_slots[slot] != 0) slot = (slot + 1) & mask;
        m_slots[slot] = id + 1;
    }
    return id;
}

void InternedColumn::rehash(size_t capacity) {
    m_slots.assign(capacity, 0);
    const size_t mask = capacity - 1;
    for (uint32_t v = 0; v < m_values.size(); ++v) {
        size_t slot = text_hash(m_values[v]) & mask;
        while (m_slots[slot] != 0) slot = (slot + 1) & mask;
        m_slots[slot] = v + 1;
    }
}

void InternedColumn::check_distinct() {
    // Free text rather than codes or snapped locations (more than half the rows distinct, past
    // the first 65,536): stop looking strings up.
    if (!m_plain && m_index.size() >= 65536 && m_values.size() * 2 > m_index.size()) {
        m_plain = true;
        m_slots = {};
    }
}

void InternedColumn::push_back(std::string_view s) {
    m_index.push_back(intern(s));
    check_distinct();
}

void InternedColumn::append(const InternedColumn& other) {
    m_index.reserve(m_index.size() + other.m_index.size());
    if (m_plain || other.m_plain) {
        m_plain = true;
        m_slots = {};
        const uint32_t offset = static_cast<uint32_t>(m_values.size());
        m_values.append(other.m_values);
        for (uint32_t v : other.m_index) m_index.push_back(offset + v);
        return;
    }
    std::vector<uint32_t> remap(other.m_values.size());
    for (size_t v = 0; v < remap.size(); ++v) remap[v] = intern(other.m_values[v]);
    for (uint32_t v : other.m_index) m_index.push_back(remap[v]);
    check_distinct();
}

void InternedColumn::keep(const std::vector<uint8_t>& flags) {
    size_t out = 0;
    for (size_t i = 0; i < m_index.size(); ++i)
        if (flags[i]) m_index[out++] = m_index[i];
    m_index.resize(out);
}

void InternedColumn::clear() {
    m_values.clear();
    m_index.clear();
    m_slots.clear();
    m_plain = false;
}

void Incidents::reserve(size_t rows, size_t crime_id_chars, bool text) {
    x.reserve(rows);
    y.reserve(rows);
    month.reserve(rows);
    type.reserve(rows);
    if (text) {
        crime_id.reserve(rows, crime_id_chars);
        location.reserve(rows);
        lsoa_code_source.reserve(rows);
        outcome.reserve(rows);
    }
    source.reserve(rows);
    line.reserve(rows);
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
    weight.insert(weight.end(), other.weight.begin(), other.weight.end());
    // Days: a source with dates appended to one without (or the reverse) leaves no_day beside them.
    if (!other.day.empty() || !day.empty()) {
        day.resize(x.size() - other.x.size(), no_day);
        if (other.day.empty()) day.resize(x.size(), no_day);
        else day.insert(day.end(), other.day.begin(), other.day.end());
    }
}

namespace {
/// Moves the kept elements to the front, in order, and drops the rest: no second copy.
template <typename T>
void compact(std::vector<T>& v, const std::vector<uint8_t>& flags) {
    size_t out = 0;
    for (size_t i = 0; i < v.size(); ++i)
        if (flags[i]) v[out++] = v[i];
    v.resize(out);
}
} // namespace

void StringColumn::keep(const std::vector<uint8_t>& flags) {
    uint64_t begin = 0, written = 0;
    size_t out = 0;
    for (size_t i = 0; i < m_ends.size(); ++i) {
        const uint64_t end = m_ends[i];
        if (flags[i]) {
            if (written != begin) std::memmove(m_chars.data() + written, m_chars.data() + begin, end - begin);
            written += end - begin;
            m_ends[out++] = written;
        }
        begin = end;
    }
    m_chars.resize(written);
    m_ends.resize(out);
}

namespace {
/// Inserts `removed[k]` at `positions[k]` (ascending, places in the restored vector), moving
/// the present elements up from the back so nothing is copied twice.
template <typename T>
void put_back_values(std::vector<T>& v, const std::vector<T>& removed, const std::vector<size_t>& positions) {
    if (removed.empty()) return;
    size_t src = v.size(), r = removed.size();
    v.resize(v.size() + removed.size());
    for (size_t dst = v.size(); dst-- > 0 && r > 0;) v[dst] = positions[r - 1] == dst ? removed[--r] : v[--src];
}
} // namespace

void StringColumn::put_back(const StringColumn& removed, const std::vector<size_t>& positions) {
    if (removed.size() == 0) return;
    const size_t kept = m_ends.size(), total = kept + removed.size();
    // The ends of the restored column, front to back.
    std::vector<uint64_t> ends(total);
    uint64_t at = 0;
    for (size_t dst = 0, src = 0, r = 0; dst < total; ++dst) {
        if (r < positions.size() && positions[r] == dst) {
            at += removed.m_ends[r] - (r == 0 ? 0 : removed.m_ends[r - 1]);
            ++r;
        } else {
            at += m_ends[src] - (src == 0 ? 0 : m_ends[src - 1]);
            ++src;
        }
        ends[dst] = at;
    }
    // Characters back to front: a kept string only moves up, past strings already moved.
    m_chars.resize(at);
    size_t src = kept, r = removed.size();
    for (size_t dst = total; dst-- > 0 && r > 0;) {
        const uint64_t begin = dst == 0 ? 0 : ends[dst - 1], length = ends[dst] - begin;
        if (positions[r - 1] == dst) {
            --r;
            std::memcpy(m_chars.data() + begin, removed.m_chars.data() + (r == 0 ? 0 : removed.m_ends[r - 1]), length);
        } else {
            --src;
            const uint64_t old_begin = src == 0 ? 0 : m_ends[src - 1];
            if (old_begin != begin) std::memmove(m_chars.data() + begin, m_chars.data() + old_begin, length);
        }
    }
    m_ends = std::move(ends);
}

void InternedColumn::put_back(const std::vector<uint32_t>& removed, const std::vector<size_t>& positions) {
    put_back_values(m_index, removed, positions);
}

RemovedRows Incidents::take_out(const std::vector<uint8_t>& flags) {
    RemovedRows r;
    for (size_t i = 0; i < size(); ++i) {
        if (flags[i]) continue;
        r.positions.push_back(i);
        r.x.push_back(x[i]);
        r.y.push_back(y[i]);
        if (!weight.empty()) r.weight.push_back(weight[i]);
        r.month.push_back(month[i]);
        r.type.push_back(type[i]);
        r.crime_id.push_back(crime_id[i]);
        r.location.push_back(location.id(i));
        r.lsoa_code_source.push_back(lsoa_code_source.id(i));
        r.outcome.push_back(outcome.id(i));
        r.source.push_back(source[i]);
        r.line.push_back(line[i]);
    }
    keep(flags);
    return r;
}

void Incidents::put_back(RemovedRows&& r) {
    put_back_values(x, r.x, r.positions);
    put_back_values(y, r.y, r.positions);
    if (!weight.empty() || !r.weight.empty()) put_back_values(weight, r.weight, r.positions);
    put_back_values(month, r.month, r.positions);
    put_back_values(type, r.type, r.positions);
    crime_id.put_back(r.crime_id, r.positions);
    location.put_back(r.location, r.positions);
    lsoa_code_source.put_back(r.lsoa_code_source, r.positions);
    outcome.put_back(r.outcome, r.positions);
    put_back_values(source, r.source, r.positions);
    put_back_values(line, r.line, r.positions);
    r = RemovedRows{};
}

void Incidents::keep(const std::vector<uint8_t>& flags) {
    // Column by column, the columns side by side: each pass is one sequential sweep.
    tbb::parallel_invoke([&] { compact(x, flags); }, [&] { compact(y, flags); }, [&] { compact(month, flags), compact(type, flags); },
                         [&] { crime_id.keep(flags); },
                         [&] { location.keep(flags), lsoa_code_source.keep(flags), outcome.keep(flags); },
                         [&] { compact(source, flags), compact(line, flags); },
                         [&] {
                             if (!weight.empty()) compact(weight, flags);
                             if (!day.empty()) compact(day, flags);
                         });
}

namespace {
uint64_t mix(uint64_t x, uint64_t y) {
    // splitmix64's finaliser over both words.
    uint64_t h = x * 0x9E3779B97F4A7C15ULL ^ (y + 0x632BE59BD9B4E019ULL + (x << 6) + (x >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    return h;
}
} // namespace

namespace {
WeightedLocations unique_locations_serial(const std::vector<double>& x, const std::vector<double>& y) {
    // Open addressing with linear probing over location numbers: police.uk data has a few
    // distinct points per hundred rows, and std::unordered_map's node per entry cost several
    // times more than the probing.
    constexpr uint32_t empty = UINT32_MAX;
    WeightedLocations out;
    out.location_of.resize(x.size());
    size_t capacity = 1024;
    std::vector<uint32_t> slots(capacity, empty);
    std::vector<uint64_t> kx, ky; // the keys of each location: the bits, with -0.0 made +0.0
    const auto insert = [&](uint64_t bx, uint64_t by, uint32_t id) {
        size_t s = mix(bx, by) & (capacity - 1);
        while (slots[s] != empty) s = (s + 1) & (capacity - 1);
        slots[s] = id;
    };
    for (size_t i = 0; i < x.size(); ++i) {
        const uint64_t bx = std::bit_cast<uint64_t>(x[i] + 0.0), by = std::bit_cast<uint64_t>(y[i] + 0.0);
        size_t s = mix(bx, by) & (capacity - 1);
        uint32_t id = empty;
        while (slots[s] != empty) {
            if (kx[slots[s]] == bx && ky[slots[s]] == by) {
                id = slots[s];
                break;
            }
            s = (s + 1) & (capacity - 1);
        }
        if (id == empty) {
            id = static_cast<uint32_t>(out.x.size());
            out.x.push_back(x[i]);
            out.y.push_back(y[i]);
            out.weight.push_back(0);
            kx.push_back(bx);
            ky.push_back(by);
            if (kx.size() * 2 > capacity) { // keep the load under a half
                capacity *= 2;
                slots.assign(capacity, empty);
                for (uint32_t k = 0; k < kx.size(); ++k) insert(kx[k], ky[k], k);
            } else {
                slots[s] = id;
            }
        }
        out.weight[id] += 1;
        out.location_of[i] = id;
    }
    return out;
}

} // namespace

WeightedLocations unique_locations(const std::vector<double>& x, const std::vector<double>& y) {
    const size_t n = x.size();
    if (n < (size_t{1} << 17)) return unique_locations_serial(x, y);
    // A million rows missed the cache at nearly every lookup of one table. The points are split
    // by hash into 256 parts in input order; each part, on any core, numbers its own locations
    // with a table small enough to stay in the cache. A location's first row is marked, and the
    // count of marks before it is its number: the same numbering, in order of first appearance,
    // as one pass over the rows.
    constexpr uint32_t empty = UINT32_MAX;
    constexpr size_t parts = HashParts::count, chunk = size_t{1} << 16;
    const size_t chunks = (n + chunk - 1) / chunk;
    const auto bits_x = [&](size_t i) { return std::bit_cast<uint64_t>(x[i] + 0.0); };
    const auto bits_y = [&](size_t i) { return std::bit_cast<uint64_t>(y[i] + 0.0); };
    std::vector<uint64_t> hash(n);
    tbb::parallel_for(size_t{0}, n, size_t{1} << 16, [&](size_t begin) {
        for (size_t i = begin; i < std::min(n, begin + (size_t{1} << 16)); ++i) hash[i] = mix(bits_x(i), bits_y(i));
    });
    HashParts split = split_by_hash(n, [&](size_t i) { return hash[i]; }, [](size_t) { return true; });
    const std::vector<uint32_t>& order = split.rows;
    const std::vector<size_t>& part_begin = split.begin;
    // Each part: its locations' first rows and counts, and each of its rows' location in it.
    std::vector<uint32_t> local(n);
    std::vector<uint8_t> first(n, 0);
    std::vector<std::vector<uint32_t>> first_row(parts), weight(parts);
    tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
        const size_t m = part_begin[p + 1] - part_begin[p];
        size_t capacity = 16;
        while (capacity < 2 * m) capacity *= 2;
        std::vector<uint32_t> slots(capacity, empty);
        std::vector<uint32_t>& firsts = first_row[p];
        std::vector<uint32_t>& w = weight[p];
        for (size_t k = part_begin[p]; k < part_begin[p + 1]; ++k) {
            const uint32_t i = order[k];
            const uint64_t bx = bits_x(i), by = bits_y(i);
            size_t s = hash[i] & (capacity - 1);
            uint32_t id = empty;
            for (; slots[s] != empty; s = (s + 1) & (capacity - 1))
                if (bits_x(firsts[slots[s]]) == bx && bits_y(firsts[slots[s]]) == by) {
                    id = slots[s];
                    break;
                }
            if (id == empty) {
                id = static_cast<uint32_t>(firsts.size());
                firsts.push_back(i);
                w.push_back(0);
                slots[s] = id;
                first[i] = 1;
            }
            ++w[id];
            local[i] = id;
        }
    });
    std::vector<uint32_t>().swap(split.rows); // `order` is done with
    // Numbers in order of first appearance: marks counted chunk by chunk, then within each.
    std::vector<uint32_t> number_at(n);
    std::vector<size_t> before(chunks + 1, 0);
    tbb::parallel_for(size_t{0}, chunks, [&](size_t c) {
        size_t k = 0;
        for (size_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) k += first[i];
        before[c + 1] = k;
    });
    std::partial_sum(before.begin(), before.end(), before.begin());
    WeightedLocations out;
    const size_t locations = before[chunks];
    out.x.resize(locations), out.y.resize(locations), out.weight.resize(locations), out.location_of.resize(n);
    tbb::parallel_for(size_t{0}, chunks, [&](size_t c) {
        size_t k = before[c];
        for (size_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i)
            if (first[i]) number_at[i] = static_cast<uint32_t>(k++);
    });
    // Each part's numbers, by its own: first_row[p] becomes the number of each of its locations,
    // so a row's number is one look-up in its part's small list, not two across the rows.
    tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
        for (size_t id = 0; id < first_row[p].size(); ++id) {
            const uint32_t i = first_row[p][id], g = number_at[i];
            out.x[g] = x[i], out.y[g] = y[i], out.weight[g] = weight[p][id];
            first_row[p][id] = g;
        }
    });
    const std::vector<std::vector<uint32_t>>& number_of = first_row;
    tbb::parallel_for(size_t{0}, chunks, [&](size_t c) {
        for (size_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) out.location_of[i] = number_of[hash[i] >> 56][local[i]];
    });
    return out;
}

} // namespace safer
