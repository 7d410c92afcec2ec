#include "layers/area_reader.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <optional>
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

std::optional<int> pick_field(const OGRFeatureDefn* defn, const std::string& wanted, const std::vector<std::string_view>& candidates) {
    if (!wanted.empty()) {
        const int i = defn->GetFieldIndex(wanted.c_str());
        return i >= 0 ? std::optional<int>(i) : std::nullopt;
    }
    for (std::string_view c : candidates)
        for (int i = 0; i < defn->GetFieldCount(); ++i)
            if (lower_trim(defn->GetFieldDefn(i)->GetNameRef()) == c) return i;
    return std::nullopt;
}

const std::vector<std::string_view> code_candidates = {
    "lsoa21cd", "lsoa11cd", "lsoa01cd", "lsoa_code", "lsoacode", "dz2011_code", "datazone", "code", "geo_code", "area_code", "areacode"};
const std::vector<std::string_view> name_candidates = {
    "lsoa21nm", "lsoa11nm", "lsoa01nm", "lsoa_name", "lsoaname", "name", "geo_label", "area_name", "areaname"};

geos::Geometry to_geos(const OGRGeometry& g) {
    std::vector<unsigned char> wkb(g.WkbSize());
    g.exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    return geos::from_wkb(wkb.data(), wkb.size());
}

// Size and modification time of a regular file (0, 0 for anything else), to tell whether it
// changed while it was read.
std::pair<long long, long long> file_stamp(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {0, 0};
    return {static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
}

// "29,199": thousands separators, as in the IoD files.
} // namespace

Areas read_areas(const std::string& path, const AreaOptions& options, AreaReport& report, Progress& progress) {
    ensure_gdal();
    report.path = path;
    const auto stamp = file_stamp(path);
    clear_gdal_error();
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds) {
        std::error_code ec;
        const char* why = !input_exists(path) ? "no such file or folder" : "no GDAL vector driver recognises it";
        throw InputError(fmt::format("{}: cannot open as a polygon layer: {}", path, gdal_message().empty() ? why : gdal_message()));
    }
    if (ds->GetLayerCount() < 1) throw InputError(fmt::format("{}: holds no vector layer", path));
    OGRLayer* layer = ds->GetLayer(0);
    if (layer->GetFeatureCount(TRUE) == 0) throw InputError(fmt::format("{}: the layer holds no polygons: it has no features", path));
    const OGRFeatureDefn* defn = layer->GetLayerDefn();
    const auto code_field = pick_field(defn, options.code_field, code_candidates);
    if (!code_field && !(options.codes_optional && options.code_field.empty())) {
        std::vector<std::string> names;
        for (int i = 0; i < defn->GetFieldCount(); ++i) names.emplace_back(defn->GetFieldDefn(i)->GetNameRef());
        throw InputError(fmt::format("{}: {}; the layer's fields are: {}. Name the code field with --area-id", path,
                                     options.code_field.empty() ? "no area code field (LSOA21CD, LSOA11CD, lsoa_code, code, ...)"
                                                                : "no field named '" + options.code_field + "'",
                                     names.empty() ? "(none)" : fmt::format("{}", fmt::join(names, ", "))));
    }
    const auto name_field = pick_field(defn, options.name_field, name_candidates);
    if (!options.name_field.empty() && !name_field)
        throw InputError(fmt::format("{}: no field named '{}' (--area-name)", path, options.name_field));
    report.code_field = code_field ? defn->GetFieldDefn(*code_field)->GetNameRef() : "(feature number)";
    report.name_field = name_field ? defn->GetFieldDefn(*name_field)->GetNameRef() : "";
    const std::string code_lower = lower_trim(report.code_field);
    report.vintage = code_lower == "lsoa11cd" ? "2011" : code_lower == "lsoa21cd" ? "2021" : "";

    const LayerTransform lt = layer_transform(*layer, path, options.input_crs, options.working_crs, "name it with --crs");
    OGRCoordinateTransformation* transform = lt.transform.get();

    Areas unsorted;
    std::vector<std::string> repaired;
    const GIntBig total = layer->GetFeatureCount();
    progress.begin(fmt::format("reading areas from {}", path), total > 0 ? static_cast<uint64_t>(total) : 0);
    uint64_t number = 0;
    for (auto& feature : *layer) {
        ++number;
        const std::string code = code_field ? std::string(trim(feature->GetFieldAsString(*code_field))) : fmt::format("{:06}", number);
        const std::string where = fmt::format("{}: feature {}{}", path, number, code.empty() ? "" : " (" + code + ")");
        if (code.empty()) throw InputError(fmt::format("{}: empty area code in field {}", where, report.code_field));
        OGRGeometry* g = feature->GetGeometryRef();
        if (!g || g->IsEmpty()) throw InputError(fmt::format("{}: empty or missing geometry", where));
        const auto type = wkbFlatten(g->getGeometryType());
        if (type != wkbPolygon && type != wkbMultiPolygon)
            throw InputError(fmt::format("{}: geometry is a {}, not a polygon", where, g->getGeometryName()));
        if (g->transform(transform) != OGRERR_NONE)
            throw InputError(fmt::format("{}: cannot reproject to {}", where, options.working_crs));
        geos::Geometry geometry = to_geos(*g);
        GEOSContextHandle_t ctx = geos::context();
        if (GEOSisValid_r(ctx, geometry.get()) != 1) {
            GEOSMakeValidParams* params = GEOSMakeValidParams_create_r(ctx);
            GEOSMakeValidParams_setMethod_r(ctx, params, GEOS_MAKE_VALID_STRUCTURE);
            GEOSMakeValidParams_setKeepCollapsed_r(ctx, params, 0);
            geometry = geos::checked(GEOSMakeValidWithParams_r(ctx, geometry.get(), params), "MakeValid");
            GEOSMakeValidParams_destroy_r(ctx, params);
            if (GEOSisEmpty_r(ctx, geometry.get()))
                throw InputError(fmt::format("{}: the polygon is invalid and collapses to nothing when repaired", where));
            repaired.push_back(code);
        }
        unsorted.code.push_back(code);
        unsorted.name.push_back(name_field ? std::string(trim(feature->GetFieldAsString(*name_field))) : code);
        unsorted.geometry.push_back(std::move(geometry));
        progress.advance(1);
    }
    progress.end();
    if (CPLGetLastErrorType() >= CE_Failure)
        throw InputError(fmt::format("{}: reading features failed after feature {}: {}", path, number, gdal_message()));
    if (file_stamp(path) != stamp)
        throw IoError(fmt::format("{}: the file changed while it was being read; read it again once it is complete", path));
    if (unsorted.size() == 0) throw InputError(fmt::format("{}: the layer holds no polygons", path));

    std::vector<size_t> order(unsorted.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return unsorted.code[a] < unsorted.code[b]; });
    Areas areas;
    for (size_t k = 0; k < order.size(); ++k) {
        const size_t i = order[k];
        if (k > 0 && unsorted.code[i] == areas.code.back())
            throw InputError(fmt::format("{}: area code {} appears on more than one feature; codes must be unique", path, unsorted.code[i]));
        areas.code.push_back(std::move(unsorted.code[i]));
        areas.name.push_back(std::move(unsorted.name[i]));
        areas.geometry.push_back(std::move(unsorted.geometry[i]));
    }
    areas.population.assign(areas.size(), std::nan(""));
    areas.households.assign(areas.size(), std::nan(""));
    std::sort(repaired.begin(), repaired.end());
    report.repaired = std::move(repaired);
    return areas;
}

void join_population(Areas& areas, const std::string& path, const PopulationOptions& options, PopulationReport& report) {
    report.path = path;
    const std::vector<SourceFile> files = expand_sources({path});
    auto input = ByteReader::open(files.front());
    CsvReader csv(*input, path);
    std::vector<std::string_view> fields;
    if (!csv.next(fields)) throw InputError(fmt::format("{}: the population file is empty", path));
    const std::vector<std::string> names = header_names(fields, path);
    const auto find = [&](const std::string& wanted, auto&& test) -> std::optional<size_t> {
        if (!wanted.empty()) {
            for (size_t i = 0; i < names.size(); ++i)
                if (names[i] == lower_trim(wanted)) return i;
            throw InputError(fmt::format("{}: no column named '{}'", path, wanted));
        }
        for (size_t i = 0; i < names.size(); ++i)
            if (test(names[i])) return i;
        return std::nullopt;
    };
    const auto code = find(options.code_field, [](const std::string& n) {
        return n == "code" || n == "lsoa21cd" || n == "lsoa11cd" || n == "lsoa_code" || n.starts_with("lsoa code") || n == "geography code" || n == "area_code";
    });
    const auto population = find(options.population_field, [](const std::string& n) {
        return n == "population" || n == "total_population" || n == "usual_residents" || n.starts_with("total population") || n == "all ages";
    });
    const auto households = find(options.households_field, [](const std::string& n) { return n == "households" || n.starts_with("total households") || n == "household_count"; });
    if (!code) throw InputError(fmt::format("{}: no area code column (\"LSOA code (2011)\", LSOA21CD, code, ...); name it with --population-code", path));
    if (!population && !households)
        throw InputError(fmt::format("{}: no population column (\"Total population...\", population, ...); name it with --population-field", path));
    report.code_column = names[*code];
    report.population_column = population ? names[*population] : "";
    report.households_column = households ? names[*households] : "";

    std::unordered_map<std::string, size_t> area_index;
    for (size_t i = 0; i < areas.size(); ++i) area_index.emplace(areas.code[i], i);
    std::vector<uint64_t> seen(areas.size(), 0); // the line that gave each area its values
    while (csv.next(fields)) {
        ++report.rows;
        const size_t need = std::max({*code, population.value_or(0), households.value_or(0)}) + 1;
        if (fields.size() < need)
            throw InputError(fmt::format("{}: line {}: {} fields; the header has {}", path, csv.line(), fields.size(), names.size()));
        const auto it = area_index.find(std::string(trim(fields[*code])));
        if (it == area_index.end()) {
            ++report.codes_not_in_areas;
            continue;
        }
        if (seen[it->second])
            throw InputError(fmt::format("{}: lines {} and {} both give area {}; keep one row for each area", path, seen[it->second], csv.line(), it->first));
        const auto value = [&](size_t column) {
            const std::optional<double> v = parse_people(fields[column]);
            if (!v)
                throw InputError(fmt::format("{}: line {}: '{}' in column '{}' is not a count of people (a whole number from 0 to 100,000,000)", path,
                                             csv.line(), fields[column].substr(0, 40), names[column]));
            return *v;
        };
        if (population) areas.population[it->second] = value(*population);
        if (households) areas.households[it->second] = value(*households);
        seen[it->second] = csv.line();
    }
    for (size_t i = 0; i < areas.size(); ++i) {
        if (seen[i])
            ++report.matched;
        else
            report.areas_without.push_back(areas.code[i]);
    }
    if (report.matched == 0)
        throw InputError(fmt::format("{}: none of its {} codes (column '{}') matches any of the {} area codes (for example {}); "
                                     "are the areas and the population file of the same geography and year?",
                                     path, report.rows, report.code_column, areas.size(), areas.code.front()));
}

} // namespace safer::layers
