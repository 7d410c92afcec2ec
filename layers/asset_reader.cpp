#include "layers/asset_reader.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "engine/errors.hpp"
#include "engine/numbers.hpp"
#include "engine/text.hpp"
#include "layers/crs.hpp"
#include "layers/csv.hpp"
#include "layers/gdal_session.hpp"
#include "layers/sources.hpp"

namespace safer::layers {

namespace {

namespace fs = std::filesystem;

// ---- Rows: one record of any source, fields by lower-case name, geometry in the working CRS.

struct Row {
    std::string where; // "file: line 12" or "file: feature 12"
    uint64_t number = 0;
    std::unordered_map<std::string, std::string> fields;
    geos::Geometry geometry;
};

const std::vector<std::string_view> x_names = {"x", "easting", "longitude", "lon", "long", "lng"};
const std::vector<std::string_view> y_names = {"y", "northing", "latitude", "lat"};

bool is_lonlat_name(std::string_view n) { return n == "longitude" || n == "lon" || n == "long" || n == "lng"; }

bool lower_ends_with(const std::string& path, std::string_view suffix) {
    const std::string p = lower_trim(path);
    return p.size() >= suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_csv_path(const std::string& path) { return lower_ends_with(path, ".csv") || lower_ends_with(path, ".csv.gz"); }

std::optional<size_t> find_column(const std::vector<std::string>& names, const std::string& wanted, const std::vector<std::string_view>& candidates) {
    if (!wanted.empty()) {
        const std::string key = lower_trim(wanted);
        for (size_t i = 0; i < names.size(); ++i)
            if (names[i] == key) return i;
        return std::nullopt;
    }
    for (std::string_view c : candidates)
        for (size_t i = 0; i < names.size(); ++i)
            if (names[i] == c) return i;
    return std::nullopt;
}

std::vector<Row> read_csv_rows(const std::string& path, const AssetOptions& options, AssetReport& report) {
    if (!input_exists(path)) throw InputError(fmt::format("{}: no such file", path));
    const SourceFile file = source_file(path);
    auto input = ByteReader::open(file);
    CsvReader csv(*input, path);
    std::vector<std::string_view> fields;
    if (!csv.next(fields)) throw InputError(fmt::format("{}: the file is empty; expected a header with x and y columns", path));
    const std::vector<std::string> names = header_names(fields, path);
    const auto cx = find_column(names, options.x_field, x_names);
    const auto cy = find_column(names, options.y_field, y_names);
    if (!cx || !cy)
        throw InputError(fmt::format("{}: line 1: no {} column; the columns are: {}. Name them with --asset-x and --asset-y", path,
                                     !cx ? (options.x_field.empty() ? "x (x, easting, longitude, lon)" : "'" + options.x_field + "'")
                                         : (options.y_field.empty() ? "y (y, northing, latitude, lat)" : "'" + options.y_field + "'"),
                                     fmt::join(names, ", ")));
    report.format = "point CSV";
    report.crs = !options.input_crs.empty() ? options.input_crs : is_lonlat_name(names[*cx]) ? "EPSG:4326" : "EPSG:27700";
    std::vector<Row> rows;
    std::vector<double> xs, ys;
    while (csv.next(fields)) {
        Row row;
        row.number = csv.line();
        row.where = fmt::format("{}: line {}", path, row.number);
        if (csv.unclosed_quote()) throw InputError(fmt::format("{}: a quoted field is never closed", row.where));
        if (fields.size() > names.size()) throw InputError(fmt::format("{}: {} fields; the header has {}", row.where, fields.size(), names.size()));
        for (size_t i = 0; i < fields.size(); ++i) row.fields.emplace(names[i], std::string(trim(fields[i])));
        const auto number = [&](size_t column, const char* what) {
            const std::string text = column < fields.size() ? std::string(trim(fields[column])) : std::string();
            if (text.empty()) throw InputError(fmt::format("{}: no {} ({} is empty)", row.where, what, names[column]));
            const std::optional<double> v = parse_number(text);
            if (!v) throw InputError(fmt::format("{}: {} '{}' in column {} is not a number", row.where, what, text.substr(0, 40), names[column]));
            return *v;
        };
        xs.push_back(number(*cx, "x coordinate"));
        ys.push_back(number(*cy, "y coordinate"));
        rows.push_back(std::move(row));
    }
    if (report.crs != options.working_crs) {
        std::vector<double> lon = xs, lat = ys;
        if (is_geographic(report.crs)) {
            for (size_t i = 0; i < xs.size(); ++i)
                if (xs[i] < -180 || xs[i] > 180 || ys[i] < -90 || ys[i] > 90)
                    throw InputError(fmt::format("{}: longitude {}, latitude {} is out of range", rows[i].where, xs[i], ys[i]));
        }
        CrsTransform(report.crs, options.working_crs).transform(xs, ys);
        for (size_t i = 0; i < xs.size(); ++i)
            if (std::isnan(xs[i]))
                throw InputError(fmt::format("{}: ({}, {}) cannot be transformed from {} to {}", rows[i].where, lon[i], lat[i], report.crs, options.working_crs));
    }
    for (size_t i = 0; i < rows.size(); ++i) rows[i].geometry = geos::point(xs[i], ys[i]);
    report.features = rows.size();
    return rows;
}

void parse_hstore(const std::string& text, std::unordered_map<std::string, std::string>& out) {
    // "key"=>"value","key2"=>"value2", with \" and \\ escaped inside quotes.
    size_t i = 0;
    const auto quoted = [&](std::string& s) {
        while (i < text.size() && text[i] != '"') ++i;
        if (i >= text.size()) return false;
        ++i;
        s.clear();
        while (i < text.size() && text[i] != '"') {
            if (text[i] == '\\' && i + 1 < text.size()) ++i;
            s += text[i++];
        }
        if (i >= text.size()) return false;
        ++i;
        return true;
    };
    std::string key, value;
    while (i < text.size()) {
        if (!quoted(key)) break;
        while (i < text.size() && (text[i] == '=' || text[i] == '>' || text[i] == ' ')) ++i;
        if (text.compare(i, 4, "NULL") == 0) {
            i += 4;
            value.clear();
        } else if (!quoted(value)) {
            break;
        }
        out.emplace(lower_trim(key), value);
    }
}

std::vector<Row> read_ogr_rows(const std::string& path, const AssetOptions& options, AssetReport& report, const char* osm_layer) {
    ensure_gdal();
    clear_gdal_error();
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds) throw InputError(fmt::format("{}: cannot open as a vector layer: {}", path, gdal_message().empty() ? "no such file or unknown format" : gdal_message()));
    if (ds->GetLayerCount() < 1) throw InputError(fmt::format("{}: holds no vector layer", path));
    const std::string driver = ds->GetDriver() ? ds->GetDriver()->GetDescription() : "OGR";
    report.format = driver;
    OGRLayer* layer = nullptr;
    if (driver == "OSM") {
        layer = ds->GetLayerByName(osm_layer);
        if (!layer) throw InputError(fmt::format("{}: the OSM file has no '{}' layer", path, osm_layer));
    } else {
        layer = ds->GetLayer(0);
    }
    report.layer = layer->GetName();
    const LayerTransform lt = layer_transform(*layer, path, options.input_crs, options.working_crs, "name it with --asset-crs");
    report.crs = lt.crs;
    OGRCoordinateTransformation* transform = lt.transform.get();
    const OGRFeatureDefn* defn = layer->GetLayerDefn();
    std::vector<std::string> names;
    for (int i = 0; i < defn->GetFieldCount(); ++i) names.push_back(lower_trim(defn->GetFieldDefn(i)->GetNameRef()));
    std::vector<Row> rows;
    uint64_t number = 0;
    layer->ResetReading();
    for (auto& feature : *layer) {
        Row row;
        row.number = ++number;
        row.where = fmt::format("{}: feature {}", path, number);
        // Every field of the layer's schema is present (empty when unset), so a layer with a
        // highway field tells a feature without one apart from a layer that has none.
        for (int i = 0; i < defn->GetFieldCount(); ++i)
            row.fields.emplace(names[static_cast<size_t>(i)], feature->IsFieldSetAndNotNull(i) ? std::string(trim(feature->GetFieldAsString(i))) : std::string());
        if (auto it = row.fields.find("other_tags"); it != row.fields.end()) parse_hstore(it->second, row.fields);
        if (auto it = row.fields.find("osm_id"); it != row.fields.end()) row.where += fmt::format(" (OSM id {})", it->second);
        OGRGeometry* g = feature->GetGeometryRef();
        if (g && !g->IsEmpty()) {
            if (g->transform(transform) != OGRERR_NONE) throw InputError(fmt::format("{}: cannot reproject to {}", row.where, options.working_crs));
            std::vector<unsigned char> wkb(g->WkbSize());
            g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
            row.geometry = geos::from_wkb(wkb.data(), wkb.size());
        }
        rows.push_back(std::move(row));
    }
    if (CPLGetLastErrorType() >= CE_Failure && !gdal_message().empty())
        throw InputError(fmt::format("{}: reading features failed: {}", path, gdal_message()));
    report.features = rows.size();
    return rows;
}

std::vector<Row> read_rows(const std::string& path, const AssetOptions& options, AssetReport& report, const char* osm_layer) {
    check_crs(options.working_crs, "--working-crs");
    if (!options.input_crs.empty()) check_crs(options.input_crs, "--asset-crs");
    report.path = path;
    return is_csv_path(path) ? read_csv_rows(path, options, report) : read_ogr_rows(path, options, report, osm_layer);
}

// ---- Field helpers ------------------------------------------------------------------------------

/// The first non-empty field among the candidates, with the name it came from.
const std::string* field(const Row& row, const std::vector<std::string_view>& candidates, std::string* name = nullptr) {
    for (std::string_view c : candidates) {
        auto it = row.fields.find(std::string(c));
        if (it != row.fields.end() && !it->second.empty()) {
            if (name) *name = it->first;
            return &it->second;
        }
    }
    return nullptr;
}

std::string lower_field(const Row& row, std::string_view name) {
    auto it = row.fields.find(std::string(name));
    return it == row.fields.end() ? std::string() : lower_trim(it->second);
}

bool has_field(const Row& row, std::string_view name) { return row.fields.count(std::string(name)) > 0; }

/// A number, allowing a trailing unit of metres or degrees ("6 m", "45°").
std::optional<double> number_field(const Row& row, const std::vector<std::string_view>& candidates, const char* what, AssetReport& report) {
    std::string name;
    const std::string* text = field(row, candidates, &name);
    if (!text) return std::nullopt;
    std::string t(trim(*text));
    for (std::string_view unit : {"metres", "meters", "m", "deg", "degrees", "\xc2\xb0"})
        if (t.size() > unit.size() && t.compare(t.size() - unit.size(), unit.size(), unit) == 0) {
            t = std::string(trim(std::string_view(t).substr(0, t.size() - unit.size())));
            break;
        }
    const std::optional<double> v = parse_number(t);
    if (!v) throw InputError(fmt::format("{}: {} '{}' (field {}) is not a number", row.where, what, text->substr(0, 40), name));
    ++report.fields_used[fmt::format("{} from {}", what, name)];
    return *v;
}

/// Compass points (N, NNE, ... NW) as degrees; OSM's camera:direction allows them.
std::optional<double> compass_point(const std::string& text) {
    static const char* points[] = {"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"};
    std::string up;
    for (char c : trim(text)) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (int i = 0; i < 16; ++i)
        if (up == points[i]) return 22.5 * i;
    return std::nullopt;
}

std::string describe(const Row& row, const std::vector<std::string_view>& id_names) {
    const std::string* id = field(row, id_names);
    return id ? fmt::format("{} ({})", row.where, *id) : row.where;
}

int geometry_type(const GEOSGeometry* g) { return GEOSGeomTypeId_r(geos::context(), g); }

const char* type_name(int type) {
    switch (type) {
    case GEOS_POINT: return "a point";
    case GEOS_LINESTRING: return "a line";
    case GEOS_LINEARRING: return "a ring";
    case GEOS_POLYGON: return "a polygon";
    case GEOS_MULTIPOINT: return "a multipoint";
    case GEOS_MULTILINESTRING: return "a multiline";
    case GEOS_MULTIPOLYGON: return "a multipolygon";
    default: return "a geometry collection";
    }
}

/// The point of a point feature (a multipoint of one point is accepted).
bool point_of(const Row& row, double& x, double& y, const char* what) {
    if (!row.geometry) throw InputError(fmt::format("{}: the {} has no location (no geometry)", row.where, what));
    const GEOSGeometry* g = row.geometry.get();
    int type = geometry_type(g);
    if (type == GEOS_MULTIPOINT && GEOSGetNumGeometries_r(geos::context(), g) == 1) {
        g = GEOSGetGeometryN_r(geos::context(), g, 0);
        type = GEOS_POINT;
    }
    if (type != GEOS_POINT) throw InputError(fmt::format("{}: the {} is {}, not a point", row.where, what, type_name(type)));
    GEOSGeomGetX_r(geos::context(), g, &x);
    GEOSGeomGetY_r(geos::context(), g, &y);
    if (!std::isfinite(x) || !std::isfinite(y)) throw InputError(fmt::format("{}: the {}'s coordinates are not finite numbers", row.where, what));
    return true;
}

const std::unordered_set<std::string> path_highways = {"footway", "path", "pedestrian", "steps", "cycleway", "bridleway"};
/// highway values that are not a way anyone walks or drives today.
const std::unordered_set<std::string> unbuilt_highways = {"proposed", "construction", "abandoned", "disused", "razed", "planned"};

} // namespace

std::string hstore_value(const std::string& hstore, const std::string& key) {
    std::unordered_map<std::string, std::string> m;
    parse_hstore(hstore, m);
    auto it = m.find(lower_trim(key));
    return it == m.end() ? std::string() : it->second;
}

std::vector<LightRecord> read_lights(const std::string& path, const AssetOptions& options, AssetReport& report) {
    std::vector<Row> rows = read_rows(path, options, report, "points");
    std::vector<LightRecord> out;
    const bool osm = report.format == "OSM";
    for (const Row& row : rows) {
        const std::string highway = lower_field(row, "highway");
        if ((osm || has_field(row, "highway")) && highway != "street_lamp" && !(highway.empty() && !osm)) {
            ++report.left_out[osm ? "OSM node that is not highway=street_lamp" : "highway is not street_lamp"];
            continue;
        }
        LightRecord l;
        l.feature = row.number;
        point_of(row, l.x, l.y, "light");
        l.height = number_field(row, {"height_m", "height", "mounting_height", "column_height", "light:height", "lamp_height"}, "height", report);
        l.radius = number_field(row, {"radius_m", "radius", "light_radius", "lit_radius", "light:radius"}, "radius", report);
        if (l.height && !(*l.height > 0)) throw InputError(fmt::format("{}: mounting height {} m: it must be more than 0", row.where, *l.height));
        if (l.radius && !(*l.radius > 0)) throw InputError(fmt::format("{}: light radius {} m: it must be more than 0", row.where, *l.radius));
        std::string working_name;
        if (const std::string* w = field(row, {"working", "status", "operational", "in_service", "lit"}, &working_name)) {
            const std::string v = lower_trim(*w);
            static const std::unordered_set<std::string> yes = {"1", "yes", "y", "true", "t", "working", "on", "ok", "in service", "lit", "operational"};
            static const std::unordered_set<std::string> no = {"0", "no", "n", "false", "f", "not working", "off", "faulty", "broken", "out", "dark", "unlit", "out of service"};
            if (no.count(v)) {
                ++report.left_out["not working (" + working_name + ")"];
                continue;
            }
            if (!yes.count(v))
                throw InputError(fmt::format("{}: {} '{}' is neither working (1, yes, true, working) nor not (0, no, false, not working)", row.where,
                                             working_name, w->substr(0, 40)));
        }
        out.push_back(l);
    }
    report.used = out.size();
    return out;
}

std::vector<CameraRecord> read_cameras(const std::string& path, const AssetOptions& options, AssetReport& report) {
    std::vector<Row> rows = read_rows(path, options, report, "points");
    std::vector<CameraRecord> out;
    const bool osm = report.format == "OSM";
    const std::vector<std::string_view> id_names = {"camera_id", "id", "ref", "name"};
    for (const Row& row : rows) {
        const std::string man_made = lower_field(row, "man_made");
        if ((osm && man_made != "surveillance") || (!osm && !man_made.empty() && man_made != "surveillance")) {
            ++report.left_out[osm ? "OSM node that is not man_made=surveillance" : "man_made is not surveillance"];
            continue;
        }
        if (lower_field(row, "surveillance:type") == "guard") {
            ++report.left_out["surveillance:type=guard (a person, not a camera)"];
            continue;
        }
        CameraRecord c;
        c.feature = row.number;
        const std::string where = describe(row, id_names);
        if (const std::string* id = field(row, id_names)) c.id = *id;
        point_of(row, c.x, c.y, "camera");
        std::string bearing_name;
        const std::vector<std::string_view> bearing_names = {"bearing_deg", "bearing", "camera:direction", "direction", "azimuth", "heading"};
        if (const std::string* b = field(row, bearing_names, &bearing_name); b && compass_point(*b)) {
            c.bearing = compass_point(*b);
            ++report.fields_used[fmt::format("bearing from {} (compass point)", bearing_name)];
        } else {
            c.bearing = number_field(row, bearing_names, "bearing", report);
        }
        c.fov = number_field(row, {"fov_deg", "fov", "field_of_view", "hfov", "view_angle", "camera:fov"}, "field of view", report);
        c.range = number_field(row, {"range_m", "range", "view_range", "camera:range"}, "range", report);
        if (c.bearing && !(*c.bearing >= 0 && *c.bearing <= 360))
            throw InputError(fmt::format("{}: bearing {} is outside 0-360 degrees (compass bearing, 0 = north, clockwise)", where, *c.bearing));
        if (c.fov && !(*c.fov > 0 && *c.fov <= 360))
            throw InputError(fmt::format("{}: field of view {} degrees: it must be more than 0 and at most 360", where, *c.fov));
        if (c.range && !(*c.range > 0)) throw InputError(fmt::format("{}: range {} m: it must be more than 0", where, *c.range));
        out.push_back(c);
    }
    report.used = out.size();
    return out;
}

std::vector<FeatureRecord> read_gates(const std::string& path, const AssetOptions& options, AssetReport& report) {
    std::vector<Row> rows = read_rows(path, options, report, "points");
    std::vector<FeatureRecord> out;
    const bool osm = report.format == "OSM";
    for (Row& row : rows) {
        const std::string barrier = lower_field(row, "barrier");
        if ((osm && barrier != "gate") || (!osm && !barrier.empty() && barrier != "gate")) {
            ++report.left_out[osm ? "OSM node that is not barrier=gate" : "barrier is not gate"];
            continue;
        }
        if (!row.geometry) throw InputError(fmt::format("{}: the gate has no location (no geometry)", row.where));
        const int type = geometry_type(row.geometry.get());
        if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION)
            throw InputError(fmt::format("{}: the gate is {}; a gate is a point or a line", row.where, type_name(type)));
        if (type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING) {
            double length = 0;
            GEOSLength_r(geos::context(), row.geometry.get(), &length);
            if (!(length > 0)) throw InputError(fmt::format("{}: the gate line has zero length (all its points are the same)", row.where));
        }
        FeatureRecord f;
        f.feature = row.number;
        if (const std::string* id = field(row, {"gate_id", "id", "ref", "name", "osm_id"})) f.id = *id;
        f.geometry = std::move(row.geometry);
        out.push_back(std::move(f));
    }
    report.used = out.size();
    return out;
}

namespace {

std::vector<FeatureRecord> read_lines(const std::string& path, const AssetOptions& options, AssetReport& report, bool streets_only) {
    std::vector<Row> rows = read_rows(path, options, report, "lines");
    if (report.format == "point CSV") throw InputError(fmt::format("{}: a CSV of points cannot hold lines; give a line layer (GeoJSON, GeoPackage, shapefile, OSM)", path));
    std::vector<FeatureRecord> out;
    for (Row& row : rows) {
        FeatureRecord f;
        f.feature = row.number;
        if (const std::string* n = field(row, {"name", "street", "road_name", "distname"})) f.name = *n;
        if (const std::string* id = field(row, {"id", "osm_id", "ref"})) f.id = *id;
        const bool has_highway = has_field(row, "highway");
        const std::string highway = lower_field(row, "highway");
        if (has_highway && highway.empty()) { // OSM lines and layers with a highway field: railways, rivers, ...
            ++report.left_out["line that is not a highway (railway, waterway, ...)"];
            continue;
        }
        if (unbuilt_highways.count(highway)) {
            ++report.left_out[fmt::format("highway={}: not built", highway)];
            continue;
        }
        if (streets_only) {
            f.is_path = false;
            const std::string* road_class = has_highway ? nullptr : field(row, {"classifica", "class", "roadclassification", "road_class", "type", "kind"});
            f.kind = has_highway ? highway : road_class ? *road_class : "street";
        } else if (has_highway) {
            if (lower_field(row, "service") == "alley") {
                f.kind = "alley";
            } else if (path_highways.count(highway)) {
                f.kind = highway;
            } else {
                f.is_path = false;
                f.kind = highway;
            }
        } else {
            const std::string* k = field(row, {"service", "kind", "type", "class", "path_type"});
            f.kind = k ? lower_trim(*k) : "path";
        }
        if (!row.geometry) throw InputError(fmt::format("{}: the line has no geometry", row.where));
        const int type = geometry_type(row.geometry.get());
        if (type != GEOS_LINESTRING && type != GEOS_MULTILINESTRING)
            throw InputError(fmt::format("{}: the {} is {}, not a line", row.where, f.is_path ? "path" : "street", type_name(type)));
        double length = 0;
        GEOSLength_r(geos::context(), row.geometry.get(), &length);
        if (!(length > 0))
            throw InputError(fmt::format("{}: the {} has zero length (all its points are the same place); remove it or fix its geometry", row.where,
                                         f.is_path ? "path" : "street"));
        f.geometry = std::move(row.geometry);
        out.push_back(std::move(f));
    }
    report.used = out.size();
    return out;
}

} // namespace

std::vector<FeatureRecord> read_paths(const std::string& path, const AssetOptions& options, AssetReport& report) {
    return read_lines(path, options, report, false);
}

std::vector<FeatureRecord> read_streets(const std::string& path, const AssetOptions& options, AssetReport& report) {
    return read_lines(path, options, report, true);
}

std::vector<FeatureRecord> read_occluders(const std::string& path, const AssetOptions& options, AssetReport& report) {
    std::vector<Row> rows = read_rows(path, options, report, "multipolygons");
    if (report.format == "point CSV") throw InputError(fmt::format("{}: a CSV of points cannot hold building footprints; give a polygon layer", path));
    const bool osm = report.format == "OSM";
    std::vector<FeatureRecord> out;
    for (Row& row : rows) {
        if (osm && lower_field(row, "building").empty()) {
            ++report.left_out["OSM area that is not a building"];
            continue;
        }
        if (!row.geometry) throw InputError(fmt::format("{}: the footprint has no geometry", row.where));
        const int type = geometry_type(row.geometry.get());
        if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) throw InputError(fmt::format("{}: the footprint is {}, not a polygon", row.where, type_name(type)));
        FeatureRecord f;
        f.feature = row.number;
        f.geometry = std::move(row.geometry);
        out.push_back(std::move(f));
    }
    report.used = out.size();
    return out;
}

} // namespace safer::layers
