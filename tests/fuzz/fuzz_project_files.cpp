// libFuzzer target: the files a user writes by hand besides the crimes: the TOML intervention
// table of `--costs` (layers/intervention_table.cpp, toml++) and the point CSVs of street lights
// and CCTV cameras (layers/asset_reader.cpp). The first byte picks which: bit 0 the costs table,
// else bit 1 lights, else cameras; bit 2 names the coordinate columns easting/northing instead of
// detecting them. The rest is the file.
// Invariants: only safer::Error escapes. A table read has effects in [0, 1] and finite costs of 0
// or more, and writing it out (interventions_toml) and reading that back gives the same table.
// Lights and cameras read have finite coordinates and used = the records returned; a camera's
// bearing is in [0, 360] and its field of view in (0, 360]; heights, radii and ranges are more
// than 0. Text fields come back as valid UTF-8 after to_utf8 (what the writers store).
#include <cmath>
#include <string>
#include <vector>

#include "engine/errors.hpp"
#include "engine/interventions.hpp"
#include "engine/text.hpp"
#include "layers/asset_reader.hpp"
#include "layers/intervention_table.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace safer;

namespace {

void check_table(const std::vector<plan::InterventionSpec>& table) {
    for (const auto& s : table) {
        if (!(s.effect >= 0 && s.effect <= 1)) fuzz::fail("an effect outside [0, 1]: " + s.key);
        if (!(s.unit_cost >= 0) || !std::isfinite(s.unit_cost)) fuzz::fail("a cost that is negative or infinite: " + s.key);
        if (!is_utf8(to_utf8(s.label)) || !is_utf8(to_utf8(s.effect_source))) fuzz::fail("to_utf8 gave invalid UTF-8");
    }
}

void costs(const std::string& path) {
    std::vector<plan::InterventionSpec> table = plan::default_interventions();
    try {
        layers::read_interventions(path, table);
    } catch (const safer::Error&) {
        return;
    }
    check_table(table);
    // Round trip: the table written as TOML reads back the same.
    static fuzz::TempFile again(".toml");
    const std::string text = layers::interventions_toml(table);
    again.write(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    std::vector<plan::InterventionSpec> back = plan::default_interventions();
    try {
        layers::read_interventions(again.path(), back);
    } catch (const safer::Error& e) {
        fuzz::fail(std::string("the table written out does not read back: ") + e.what());
    }
    if (back.size() != table.size()) fuzz::fail("round trip changed the number of interventions");
    for (size_t i = 0; i < table.size(); ++i)
        if (back[i].key != table[i].key || back[i].effect != table[i].effect || back[i].unit_cost != table[i].unit_cost ||
            back[i].crime_types != table[i].crime_types || back[i].label != table[i].label || back[i].unit != table[i].unit)
            fuzz::fail("round trip changed " + table[i].key);
}

void assets(const std::string& path, bool lights, bool named) {
    layers::AssetOptions options;
    if (named) options.x_field = "easting", options.y_field = "northing";
    layers::AssetReport report;
    try {
        if (lights) {
            const auto records = layers::read_lights(path, options, report);
            if (report.used != records.size()) fuzz::fail("lights: used != records");
            for (const auto& l : records) {
                if (!std::isfinite(l.x) || !std::isfinite(l.y)) fuzz::fail("a light with a coordinate that is not finite");
                if ((l.height && !(*l.height > 0)) || (l.radius && !(*l.radius > 0))) fuzz::fail("a height or radius of 0 or less");
            }
        } else {
            const auto records = layers::read_cameras(path, options, report);
            if (report.used != records.size()) fuzz::fail("cameras: used != records");
            for (const auto& c : records) {
                if (!std::isfinite(c.x) || !std::isfinite(c.y)) fuzz::fail("a camera with a coordinate that is not finite");
                if (c.bearing && !(*c.bearing >= 0 && *c.bearing <= 360)) fuzz::fail("a bearing outside [0, 360]");
                if (c.fov && !(*c.fov > 0 && *c.fov <= 360)) fuzz::fail("a field of view outside (0, 360]");
                if (c.range && !(*c.range > 0)) fuzz::fail("a range of 0 or less");
                if (!is_utf8(to_utf8(c.id))) fuzz::fail("to_utf8 gave invalid UTF-8");
            }
        }
    } catch (const safer::Error&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t flags = data[0];
    ++data;
    --size;
    static fuzz::TempFile toml(".toml");
    static fuzz::TempFile csv(".csv");
    if (flags & 0x01) costs(toml.write(data, size));
    else assets(csv.write(data, size), (flags & 0x02) != 0, (flags & 0x04) != 0);
    return 0;
}
