#include "engine/near_repeat.hpp"

#include <fmt/core.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "engine/errors.hpp"
#include "engine/incidents.hpp"
#include "engine/permutation.hpp"

namespace safer::nearrepeat {

double KnoxResult::row_lower(size_t row) const {
    if (row == 0) return 0;
    return static_cast<double>(row - 1) * options.distance_band;
}
double KnoxResult::row_upper(size_t row) const {
    if (row == 0) return 0;
    if (row == rows() - 1) return std::numeric_limits<double>::infinity();
    return static_cast<double>(row) * options.distance_band;
}
int64_t KnoxResult::column_lower(size_t col) const { return static_cast<int64_t>(col) * options.time_band; }
int64_t KnoxResult::column_upper(size_t col) const {
    return col == cols() - 1 ? -1 : static_cast<int64_t>(col + 1) * options.time_band;
}

double distance(Metric metric, double dx, double dy) {
    return metric == Metric::euclidean ? std::sqrt(dx * dx + dy * dy) : std::fabs(dx) + std::fabs(dy);
}

namespace {

constexpr int max_bands = 20;
constexpr uint32_t min_permutations = 19;

void check(std::span<const double> x, std::span<const double> y, std::span<const int32_t> t, const KnoxOptions& o) {
    if (x.size() != y.size() || x.size() != t.size()) throw std::logic_error("knox_test: x, y and t differ in length");
    if (x.size() < 2) throw InputError(fmt::format("the Knox test needs pairs of incidents; there {} {}", x.size() == 1 ? "is" : "are", x.size()));
    if (!(std::isfinite(o.distance_band) && o.distance_band > 0))
        throw InputError(fmt::format("distance band {} m: expected a width in metres, more than 0", o.distance_band));
    if (o.time_band < 1) throw InputError(fmt::format("time band {}: expected a whole number of days or months, 1 or more", o.time_band));
    if (o.distance_bands < 1 || o.distance_bands > max_bands || o.time_bands < 1 || o.time_bands > max_bands)
        throw InputError(fmt::format("{} distance and {} time bands: each must be 1 to {}", o.distance_bands, o.time_bands, max_bands));
    if (o.permutations < min_permutations)
        throw InputError(fmt::format("{} permutations: at least {} are needed for a p-value of 0.05 (999 is usual)", o.permutations, min_permutations));
    for (size_t i = 0; i < x.size(); ++i)
        if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
            throw InputError(fmt::format("incident {}: a coordinate is not a finite number", i + 1));
}

/// The distance row of two distinct locations d > 0 apart: 1 + floor(d / w), or 0 when beyond
/// the last band (d >= S w).
int distance_row(double d, const KnoxOptions& o) {
    const double k = std::floor(d / o.distance_band);
    return k >= o.distance_bands ? 0 : static_cast<int>(k) + 1;
}

/// Times as 16-bit offsets from the first, so that one vector holds a time of each of 16
/// permutations (one AVX2 register, two SSE2 ones).
using Time16 = int16_t;
constexpr int64_t max_span = INT16_MAX - 1;
constexpr size_t batch = 16; // permutations counted together, one per 16-bit lane
/// GCC's vector extension: the compiler keeps these in registers and uses the vector compares.
using Lanes = int16_t __attribute__((vector_size(2 * batch)));

/// The incidents grouped by distinct location, and for each location and distance row 1..S the
/// slots of the incidents at locations after it in that row (pairs at the same place are the
/// location's own incidents). The structure is built once; each batch of permutations then runs
/// through it once, comparing 16 permutations' times of each pair in one vector.
struct PairStructure {
    size_t incidents = 0;
    size_t locations = 0;
    size_t rows = 0;                     // distance rows 1..S
    std::vector<uint32_t> start;         // incidents of location a are slots [start[a], start[a + 1])
    std::vector<uint32_t> slot_incident; // the incident in each slot
    std::vector<uint64_t> offset;        // partners of (a, row r): slots [offset[a * S + r - 1], offset[a * S + r])
    std::vector<uint32_t> slots;
    std::vector<uint64_t> row_pairs;     // incident pairs per distance row, rows 0..S (beyond not included)
};

PairStructure pair_structure(std::span<const double> x, std::span<const double> y, const KnoxOptions& o, size_t& locations) {
    const WeightedLocations loc = unique_locations(std::vector<double>(x.begin(), x.end()), std::vector<double>(y.begin(), y.end()));
    const size_t L = loc.x.size(), S = static_cast<size_t>(o.distance_bands);
    locations = L;
    PairStructure s;
    s.incidents = x.size();
    s.locations = L;
    s.rows = S;
    s.start.assign(L + 1, 0);
    for (size_t i = 0; i < x.size(); ++i) ++s.start[loc.location_of[i] + 1];
    std::partial_sum(s.start.begin(), s.start.end(), s.start.begin());
    s.slot_incident.resize(x.size());
    std::vector<uint32_t> next(s.start.begin(), s.start.end() - 1);
    for (size_t i = 0; i < x.size(); ++i) s.slot_incident[next[loc.location_of[i]]++] = static_cast<uint32_t>(i);

    // A grid of cells as wide as the largest band: a location's partners lie in its cell and the
    // eight around it. Cells are keys in a sorted list, so an empty county costs nothing.
    const double D = o.distance_band * o.distance_bands;
    const double x0 = *std::min_element(loc.x.begin(), loc.x.end()), y0 = *std::min_element(loc.y.begin(), loc.y.end());
    std::vector<std::pair<int64_t, uint32_t>> keyed(L);
    const auto cell_of = [&](double v, double origin) { return static_cast<int64_t>(std::floor((v - origin) / D)); };
    constexpr int64_t stride = int64_t{1} << 31;
    for (uint32_t a = 0; a < L; ++a) keyed[a] = {cell_of(loc.y[a], y0) * stride + cell_of(loc.x[a], x0), a};
    std::sort(keyed.begin(), keyed.end());
    const auto cell_range = [&](int64_t key) {
        const auto lo = std::lower_bound(keyed.begin(), keyed.end(), std::pair<int64_t, uint32_t>{key, 0});
        auto hi = lo;
        while (hi != keyed.end() && hi->first == key) ++hi;
        return std::make_pair(lo, hi);
    };

    // Each location's partners after it with their rows. The cells are scanned in one order and
    // each cell's locations are in id order, so the list is the same on every run.
    std::vector<std::vector<std::pair<uint8_t, uint32_t>>> lists(L);
    tbb::parallel_for(uint32_t{0}, static_cast<uint32_t>(L), [&](uint32_t a) {
        const int64_t cx = cell_of(loc.x[a], x0), cy = cell_of(loc.y[a], y0);
        auto& list = lists[a];
        for (int64_t dy = -1; dy <= 1; ++dy)
            for (int64_t dx = -1; dx <= 1; ++dx) {
                const auto [lo, hi] = cell_range((cy + dy) * stride + cx + dx);
                for (auto it = lo; it != hi; ++it) {
                    const uint32_t b = it->second;
                    if (b <= a) continue;
                    const int row = distance_row(distance(o.metric, loc.x[b] - loc.x[a], loc.y[b] - loc.y[a]), o);
                    if (row > 0) list.emplace_back(static_cast<uint8_t>(row), b);
                }
            }
    });
    s.row_pairs.assign(S + 1, 0);
    s.offset.assign(L * S + 1, 0);
    for (size_t a = 0; a < L; ++a) {
        const uint64_t na = loc.weight[a];
        s.row_pairs[0] += na * (na - 1) / 2;
        for (const auto& [row, b] : lists[a]) {
            s.offset[a * S + row] += loc.weight[b];
            s.row_pairs[row] += na * loc.weight[b];
        }
    }
    std::partial_sum(s.offset.begin(), s.offset.end(), s.offset.begin());
    s.slots.resize(s.offset.back());
    std::vector<uint64_t> at(S + 1);
    for (size_t a = 0; a < L; ++a) {
        for (size_t r = 1; r <= S; ++r) at[r] = s.offset[a * S + r - 1];
        for (const auto& [row, b] : lists[a])
            for (uint32_t k = s.start[b]; k < s.start[b + 1]; ++k) s.slots[at[row]++] = k;
        std::vector<std::pair<uint8_t, uint32_t>>().swap(lists[a]);
    }
    return s;
}

/// Counts, for `batch` permutations at once, the pairs within the bands in distance and time.
/// `tp` holds the times by slot, one lane a permutation (slot k's vector at tp + k * batch).
/// `within[(r * T + m) * batch + lane]` gets the pairs in distance row r (0..S) with |Δt| <
/// edge[m] (cumulative over m) in that lane's permutation. Each pair adds at most 1 to a lane, so
/// the 16-bit counters are added up into `within` before 65,535 pairs of a row have been counted.
// Compiled for AVX2 as well as the baseline, the processor picking at run time: the counts are
// integers, so both give the same table. No function takes or returns a vector: their ABI
// differs between the two.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void count_pairs(const PairStructure& s, const Time16* tp, const int32_t* edge, size_t T,
                                                                             uint64_t* within) {
    constexpr uint32_t lane_limit = 65535;
    const size_t S = s.rows, R = S + 1;
    Lanes count[max_bands + 1][max_bands]; // [row][m], counting down from 0 (a compare gives -1 where true)
    Lanes limit[max_bands];                // |Δt| < edge, clamped to the 16-bit range (|Δt| <= max_span)
    uint32_t room[max_bands + 1];
    for (size_t r = 0; r < R; ++r) {
        room[r] = lane_limit;
        for (size_t m = 0; m < T; ++m) count[r][m] = Lanes{};
    }
    for (size_t m = 0; m < T; ++m) limit[m] = Lanes{} + static_cast<Time16>(std::min<int32_t>(edge[m], INT16_MAX));
    std::fill(within, within + R * T * batch, 0);
    const auto add_up = [&](size_t r) {
        for (size_t m = 0; m < T; ++m) {
            for (size_t l = 0; l < batch; ++l) within[(r * T + m) * batch + l] += static_cast<uint16_t>(-count[r][m][l]);
            count[r][m] = Lanes{};
        }
        room[r] = lane_limit;
    };
    const auto load = [tp](Lanes& v, size_t slot) { std::memcpy(&v, tp + slot * batch, sizeof v); };
    const uint32_t* __restrict start = s.start.data();
    const uint64_t* __restrict offset = s.offset.data();
    const uint32_t* __restrict slots = s.slots.data();
    for (size_t a = 0; a < s.locations; ++a) {
        const size_t first = start[a], na = start[a + 1] - first;
        // The same place: the location's own pairs.
        for (size_t i = 0; i + 1 < na; ++i) {
            Lanes ti, tj;
            load(ti, first + i);
            for (size_t j = i + 1; j < na; ++j) {
                if (room[0] == 0) add_up(0);
                --room[0];
                load(tj, first + j);
                const Lanes d = ti - tj;
                const Lanes ad = d > -d ? d : -d;
                for (size_t m = 0; m < T; ++m) count[0][m] += ad < limit[m];
            }
        }
        for (size_t r = 1; r <= S; ++r) {
            const uint64_t from = offset[a * S + r - 1], to = offset[a * S + r];
            for (uint64_t k = from; k < to; ++k) {
                Lanes ti, tj;
                load(tj, slots[k]);
                for (size_t i = 0; i < na; ++i) {
                    if (room[r] == 0) add_up(r);
                    --room[r];
                    load(ti, first + i);
                    const Lanes d = ti - tj;
                    const Lanes ad = d > -d ? d : -d;
                    for (size_t m = 0; m < T; ++m) count[r][m] += ad < limit[m];
                }
            }
        }
    }
    for (size_t r = 0; r < R; ++r) add_up(r);
}

/// Pairs of incidents in each time column, whatever the distance: from the sorted times.
std::vector<uint64_t> column_pairs(std::span<const int32_t> t, const KnoxOptions& o) {
    std::vector<int32_t> sorted(t.begin(), t.end());
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size(), T = static_cast<size_t>(o.time_bands);
    std::vector<uint64_t> below(T + 1, 0); // pairs with |Δt| < edge c, c = 1..T
    for (size_t c = 1; c <= T; ++c) {
        const int64_t edge = static_cast<int64_t>(c) * o.time_band;
        size_t j = 0;
        for (size_t i = 0; i < n; ++i) {
            if (j < i + 1) j = i + 1;
            while (j < n && int64_t{sorted[j]} - sorted[i] < edge) ++j;
            below[c] += j - i - 1;
        }
    }
    std::vector<uint64_t> out(T + 1);
    for (size_t c = 0; c < T; ++c) out[c] = below[c + 1] - below[c];
    out[T] = static_cast<uint64_t>(n) * (n - 1) / 2 - below[T];
    return out;
}

/// The whole table from the cumulative counts within the bands (count_pairs) and the fixed row
/// and column totals.
std::vector<uint64_t> full_table(const std::vector<uint64_t>& within, const std::vector<uint64_t>& row_pairs, const std::vector<uint64_t>& col_pairs,
                                 uint64_t pairs, size_t rows, size_t cols) {
    std::vector<uint64_t> table(rows * cols, 0);
    const size_t S1 = rows - 1, T = cols - 1; // the beyond row and column
    for (size_t r = 0; r < S1; ++r) {
        for (size_t c = 0; c < T; ++c) table[r * cols + c] = within[r * T + c] - (c ? within[r * T + c - 1] : 0);
        table[r * cols + T] = row_pairs[r] - within[r * T + T - 1];
    }
    uint64_t rest = 0;
    for (size_t c = 0; c < T; ++c) {
        uint64_t column = 0;
        for (size_t r = 0; r < S1; ++r) column += table[r * cols + c];
        table[S1 * cols + c] = col_pairs[c] - column;
        rest += col_pairs[c];
    }
    uint64_t within_rows = 0;
    for (size_t r = 0; r < S1; ++r) within_rows += table[r * cols + T];
    table[S1 * cols + T] = pairs - rest - within_rows;
    return table;
}

} // namespace

KnoxResult knox_test(std::span<const double> x, std::span<const double> y, std::span<const int32_t> t, const KnoxOptions& o, Progress* progress) {
    check(x, y, t, o);
    KnoxResult r;
    r.options = o;
    r.incidents = x.size();
    r.pairs = static_cast<uint64_t>(x.size()) * (x.size() - 1) / 2;
    r.first_time = *std::min_element(t.begin(), t.end());
    r.last_time = *std::max_element(t.begin(), t.end());
    if (int64_t{r.last_time} - r.first_time > max_span)
        throw InputError(fmt::format("the incidents span {} {}: at most {} can be tested at once", int64_t{r.last_time} - r.first_time,
                                     o.unit == TimeUnit::days ? "days" : "months", max_span));
    const size_t rows = r.rows(), cols = r.cols(), S1 = rows - 1;

    if (progress) progress->begin("pairing incidents within the distance bands", 1);
    const PairStructure s = pair_structure(x, y, o, r.locations);
    if (progress) progress->end();
    r.row_pairs = s.row_pairs;
    uint64_t in_bands = 0;
    for (uint64_t p : s.row_pairs) in_bands += p;
    r.row_pairs.push_back(r.pairs - in_bands);
    r.column_pairs = column_pairs(t, o);

    const size_t T = static_cast<size_t>(o.time_bands);
    std::vector<int32_t> edge(T);
    for (size_t m = 0; m < T; ++m) edge[m] = static_cast<int32_t>(m + 1) * o.time_band;
    // 16-bit times from the first, by slot.
    std::vector<Time16> slot_time(x.size());
    for (size_t k = 0; k < x.size(); ++k) slot_time[k] = static_cast<Time16>(t[s.slot_incident[k]] - r.first_time);

    // The table of one lane of a batch's counts.
    const auto table_of = [&](const std::vector<uint64_t>& within, size_t lane) {
        std::vector<uint64_t> w(S1 * T);
        for (size_t k = 0; k < S1 * T; ++k) w[k] = within[k * batch + lane];
        return full_table(w, r.row_pairs, r.column_pairs, r.pairs, rows, cols);
    };
    std::vector<uint64_t> within(S1 * T * batch);
    {
        std::vector<Time16> observed_times(x.size() * batch);
        for (size_t k = 0; k < x.size(); ++k) std::fill_n(observed_times.begin() + static_cast<std::ptrdiff_t>(k * batch), batch, slot_time[k]);
        count_pairs(s, observed_times.data(), edge.data(), T, within.data());
    }
    const std::vector<uint64_t> observed = table_of(within, 0);

    // Each permutation shuffles the times over the slots (the locations stay) with its own random
    // stream, seeded by (seed, permutation), so batches and threads change nothing; 16 of them
    // are counted together, one a lane.
    const uint32_t n_perm = o.permutations;
    const uint32_t batches = (n_perm + batch - 1) / batch;
    std::vector<std::vector<uint64_t>> simulated(n_perm);
    struct Scratch {
        std::vector<Time16> shuffled, lanes;
        std::vector<uint64_t> within;
    };
    tbb::enumerable_thread_specific<Scratch> scratch;
    if (progress) progress->begin(fmt::format("{} permutations of the times", n_perm), n_perm);
    tbb::parallel_for(tbb::blocked_range<uint32_t>(0, batches, 1), [&](const tbb::blocked_range<uint32_t>& range) {
        Scratch& sc = scratch.local();
        sc.lanes.assign(x.size() * batch, 0);
        sc.within.resize(S1 * T * batch);
        for (uint32_t b = range.begin(); b != range.end(); ++b) {
            const uint32_t first = b * batch, count = std::min<uint32_t>(batch, n_perm - first);
            for (uint32_t l = 0; l < count; ++l) {
                sc.shuffled = slot_time;
                hotspots::detail::UnitRng rng(o.seed, first + l);
                for (size_t k = x.size() - 1; k > 0; --k) std::swap(sc.shuffled[k], sc.shuffled[rng.below(static_cast<uint32_t>(k + 1))]);
                for (size_t k = 0; k < x.size(); ++k) sc.lanes[k * batch + l] = sc.shuffled[k];
            }
            count_pairs(s, sc.lanes.data(), edge.data(), T, sc.within.data());
            for (uint32_t l = 0; l < count; ++l) simulated[first + l] = table_of(sc.within, l);
            if (progress) progress->advance(count);
        }
    });
    if (progress) progress->end();

    r.cells.resize(rows * cols);
    for (size_t k = 0; k < rows * cols; ++k) {
        KnoxCell& c = r.cells[k];
        c.observed = observed[k];
        double sum = 0;
        c.min = UINT64_MAX;
        for (const auto& table : simulated) {
            const uint64_t v = table[k];
            sum += static_cast<double>(v);
            c.at_least += v >= c.observed;
            c.min = std::min(c.min, v);
            c.max = std::max(c.max, v);
        }
        c.expected = sum / n_perm;
        c.knox_ratio = c.expected > 0 ? static_cast<double>(c.observed) / c.expected : std::numeric_limits<double>::quiet_NaN();
        c.p_value = (c.at_least + 1.0) / (n_perm + 1.0);
    }
    return r;
}

RepeatLocations repeat_locations(std::span<const double> x, std::span<const double> y, std::span<const int32_t> t) {
    if (x.empty()) throw InputError("no incidents to count by location");
    const WeightedLocations loc = unique_locations(std::vector<double>(x.begin(), x.end()), std::vector<double>(y.begin(), y.end()));
    RepeatLocations r;
    r.incidents = x.size();
    r.locations.resize(loc.x.size());
    std::vector<uint8_t> seen(loc.x.size(), 0);
    for (size_t i = 0; i < x.size(); ++i) {
        RepeatLocation& l = r.locations[loc.location_of[i]];
        if (!seen[loc.location_of[i]]) {
            seen[loc.location_of[i]] = 1;
            l.x = loc.x[loc.location_of[i]], l.y = loc.y[loc.location_of[i]];
            l.first = static_cast<uint32_t>(i);
            l.first_time = l.last_time = t[i];
        }
        ++l.incidents;
        l.first_time = std::min(l.first_time, t[i]);
        l.last_time = std::max(l.last_time, t[i]);
    }
    // Most incidents first; equal counts in order of first appearance (the locations already are).
    std::stable_sort(r.locations.begin(), r.locations.end(), [](const RepeatLocation& a, const RepeatLocation& b) { return a.incidents > b.incidents; });
    r.by_size.assign(std::size(repeat_size_lower), 0);
    std::vector<double> counts;
    counts.reserve(r.locations.size());
    for (const RepeatLocation& l : r.locations) {
        counts.push_back(l.incidents);
        if (l.incidents >= 2) ++r.repeat_locations, r.repeat_incidents += l.incidents;
        size_t k = std::size(repeat_size_lower);
        while (k-- > 0)
            if (l.incidents >= repeat_size_lower[k]) break;
        ++r.by_size[k];
    }
    r.concentration = hotspots::concentration(counts);
    return r;
}

} // namespace safer::nearrepeat
