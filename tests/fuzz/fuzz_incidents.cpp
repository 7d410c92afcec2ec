// libFuzzer target: the whole incident reader (layers/incident_reader.cpp) on one CSV file: the
// header detection (police.uk or point CSV), the row checks in their documented order,
// reprojection and the duplicate check. The first byte picks options (month window, weight
// column, lon/lat or eastings, gzip), the rest is the file.
// Invariants: only safer::Error escapes; rows read = incidents used + rows rejected; every
// incident's month is inside the window and its coordinates are finite; every reject names a
// line of the file.
#include <zlib.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/errors.hpp"
#include "layers/incident_reader.hpp"
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
    if (flags & 0x08) { // the same bytes, gzip-compressed: the gzip reader on valid streams
        gzFile f = gzopen(gz.path().c_str(), "wb1");
        if (!f) fuzz::fail("gzopen");
        if (size && gzwrite(f, data, static_cast<unsigned>(size)) != static_cast<int>(size)) fuzz::fail("gzwrite");
        gzclose(f);
        path = gz.path();
    } else {
        path = csv.write(data, size);
    }
    layers::IngestOptions options;
    if (flags & 0x01) options.window = {Month::parse("2021-03"), Month::parse("2021-06")};
    if (flags & 0x02) options.weight_field = "w";
    if (flags & 0x04) options.input_crs = "EPSG:27700";
    if (flags & 0x10) options.x_field = "x", options.y_field = "y";
    Progress quiet(true);
    layers::IngestResult r;
    try {
        r = layers::read_incidents({path}, options, quiet);
    } catch (const safer::Error&) {
        return 0; // refused with a message and an exit code: fine
    }
    if (r.incidents.size() + r.rejects.total() != r.rows_read)
        fuzz::fail(std::to_string(r.rows_read) + " rows read but " + std::to_string(r.incidents.size()) + " used and " +
                   std::to_string(r.rejects.total()) + " rejected");
    uint64_t by_reason = 0;
    for (size_t k = 0; k < reject_reason_count; ++k) by_reason += r.rejects.count(static_cast<RejectReason>(k));
    if (by_reason != r.rejects.total()) fuzz::fail("reject counts by reason do not add up");
    const Incidents& in = r.incidents;
    for (size_t i = 0; i < in.size(); ++i) {
        if (!std::isfinite(in.x[i]) || !std::isfinite(in.y[i])) fuzz::fail("an incident with a non-finite coordinate");
        if (!options.window.contains(in.month[i]) || !in.month[i].valid()) fuzz::fail("an incident outside the month window");
        if (in.line[i] < 2) fuzz::fail("an incident on the header line");
        if (!in.weight.empty() && !(in.weight[i] >= 0)) fuzz::fail("a negative or NaN weight");
        if (in.type[i] >= r.types.size()) fuzz::fail("a crime type id out of range");
    }
    for (const Reject& j : r.rejects.items())
        if (j.line < 2 || j.source != 0) fuzz::fail("a reject that names no line of the file");
    return 0;
}
