// libFuzzer target: the population CSV reader (layers/area_reader.cpp join_population): column
// detection, quoted numbers with thousands separators, the join by code. The first byte picks
// .csv or .csv.gz and named columns; the rest is the file.
// Invariants: only safer::Error escapes; matched + areas without = areas; every population and
// household count joined is finite and not negative.
#include <zlib.h>

#include <cmath>
#include <string>

#include "engine/areas.hpp"
#include "engine/errors.hpp"
#include "layers/area_reader.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace safer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t flags = data[0];
    ++data;
    --size;
    static fuzz::TempFile csv(".csv");
    static fuzz::TempFile gz(".csv.gz");
    std::string path;
    if (flags & 0x01) {
        gzFile f = gzopen(gz.path().c_str(), "wb1");
        if (!f) fuzz::fail("gzopen");
        if (size && gzwrite(f, data, static_cast<unsigned>(size)) != static_cast<int>(size)) fuzz::fail("gzwrite");
        gzclose(f);
        path = gz.path();
    } else {
        path = csv.write(data, size);
    }
    Areas areas;
    for (const char* code : {"E01000001", "E01000002", "E01014399", "W01000001", "x"}) {
        areas.code.emplace_back(code);
        areas.name.emplace_back(code);
    }
    areas.population.assign(areas.size(), std::nan(""));
    areas.households.assign(areas.size(), std::nan(""));
    layers::PopulationOptions options;
    if (flags & 0x02) options.code_field = "code";
    if (flags & 0x04) options.population_field = "pop";
    if (flags & 0x08) options.households_field = "households";
    layers::PopulationReport report;
    try {
        layers::join_population(areas, path, options, report);
    } catch (const safer::Error&) {
        return 0;
    }
    if (report.matched + report.areas_without.size() != areas.size()) fuzz::fail("matched + areas without != areas");
    if (report.matched == 0) fuzz::fail("returned with no area matched");
    for (size_t i = 0; i < areas.size(); ++i) {
        for (double v : {areas.population[i], areas.households[i]})
            if (!std::isnan(v) && !(std::isfinite(v) && v >= 0)) fuzz::fail("a count that is infinite or negative");
    }
    return 0;
}
