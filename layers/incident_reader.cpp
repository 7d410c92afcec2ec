#include "layers/incident_reader.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <cctype>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "engine/errors.hpp"
#include "engine/hash_parts.hpp"
#include "engine/numbers.hpp"
#include "engine/text.hpp"
#include "engine/text_hash.hpp"
#include "layers/checksum.hpp"
#include "engine/grid.hpp"
#include "layers/crs.hpp"
#include "layers/csv.hpp"
#include "layers/gdal_session.hpp"
#include "layers/sources.hpp"

namespace safer::layers {

namespace {

// What one source produced, before merging in source order.
struct Chunk {
    Incidents incidents;
    CrimeTypes types;
    Rejects rejects;
    std::vector<uint64_t> row_hash; // per used row, for the duplicate check
    // Without text columns (IngestOptions::text_columns false), per used row: where the row
    // starts in its file, and whether it has a Crime ID (so is checked for duplicates).
    std::vector<uint64_t> row_offset;
    std::vector<uint8_t> has_id;
    uint64_t rows = 0;
    std::string crs;
    std::string format;
    std::string sha256; // of the file, if the byte reader took it while reading
    std::string stamp;  // of a plain file as read (ByteReader::stamp)
    std::exception_ptr error;
};

enum class Coord { ok, empty, nan };
Coord parse_coordinate(std::string_view text, double& value) {
    if (trim(text).empty()) return Coord::empty;
    const std::optional<double> v = parse_number(text);
    if (!v) return Coord::nan;
    value = *v;
    return Coord::ok;
}

// A row's fingerprint for the duplicate check: each field hashed (XXH3, engine/text_hash),
// combined in order. A byte-at-a-time hash took most of the reading time of a national year.
// Rows whose fingerprints match are then compared whole.
uint64_t hash_fields(const std::vector<std::string_view>& fields) {
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (std::string_view f : fields) {
        h ^= text_hash(f) + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
        h *= 0xBF58476D1CE4E5B9ULL;
    }
    return h ^ (h >> 31);
}

// A CSV row's fingerprint: XXH3 of its fields joined by commas, which for a row without quotes
// is its own bytes (one hash call instead of one per field). Rows whose fingerprints match are
// then compared field by field, so fields holding commas cannot make two rows one.
uint64_t row_fingerprint(const CsvReader& csv, const std::vector<std::string_view>& fields) {
    if (!csv.unquoted_record().empty()) return text_hash(csv.unquoted_record());
    thread_local std::string joined;
    joined.clear();
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i) joined += ',';
        joined += fields[i];
    }
    return text_hash(joined);
}

std::optional<size_t> find_column(const std::vector<std::string>& names, const std::vector<std::string_view>& wanted) {
    for (std::string_view w : wanted)
        for (size_t i = 0; i < names.size(); ++i)
            if (names[i] == w) return i;
    return std::nullopt;
}

std::optional<size_t> find_named(const std::vector<std::string>& names, const std::string& override_name,
                                 const std::vector<std::string_view>& wanted) {
    if (!override_name.empty()) {
        const std::string key = lower_trim(override_name);
        for (size_t i = 0; i < names.size(); ++i)
            if (names[i] == key) return i;
        return std::nullopt;
    }
    return find_column(names, wanted);
}

const std::vector<std::string_view> x_names = {"x", "easting", "longitude", "lon", "long", "lng"};
const std::vector<std::string_view> y_names = {"y", "northing", "latitude", "lat"};
const std::vector<std::string_view> month_names = {"month", "date", "crime_month", "period"};
const std::vector<std::string_view> type_names = {"crime type", "crime_type", "crimetype", "type", "category", "offence"};
const std::vector<std::string_view> id_names = {"crime id", "crime_id", "id"};
const std::vector<std::string_view> location_names = {"location", "street"};
const std::vector<std::string_view> lsoa_names = {"lsoa code", "lsoa_code", "lsoa11cd", "lsoa21cd"};
const std::vector<std::string_view> outcome_names = {"last outcome category", "outcome"};

bool is_lonlat_name(std::string_view name) {
    return name == "longitude" || name == "lon" || name == "long" || name == "lng" || name == "latitude" || name == "lat";
}

// Column positions of a CSV source, police.uk or generic.
struct Columns {
    size_t x, y, month, type;
    std::optional<size_t> id, location, lsoa, outcome, weight;
    size_t width;
    size_t required; // fields a row needs before padding empty trailing fields
};

struct RowSink {
    Chunk& chunk;
    const IngestOptions& options;
    uint32_t source;
    bool lonlat;
    const std::string& display;
    Month row_month{};       // of the row being read, once known
    uint64_t row_offset = 0; // byte offset of the row being read in its file

    // Applies the per-row checks shared by every format; true when the row is used.
    bool take(uint64_t line, std::string_view month_text, bool month_is_date, std::string_view x_text,
              std::string_view y_text, std::string_view type, std::string_view id, std::string_view location,
              std::string_view lsoa, std::string_view outcome, uint64_t row_hash, std::string_view weight_text) {
        // police.uk's Month is YYYY-MM; a point CSV's month or date column may also hold YYYY-MM-DD.
        row_month = Month{};
        std::optional<DateValue> date;
        if (month_is_date) date = parse_date_value(month_text);
        else if (const std::optional<Month> m = Month::parse(trim(month_text))) date = DateValue{*m, no_day};
        if (!date)
            return reject(line, RejectReason::bad_month,
                          fmt::format("{} '{}'{}", month_is_date ? "date" : "Month", clip(month_text),
                                      month_is_date ? ": expected YYYY-MM or a calendar date YYYY-MM-DD" : ""));
        row_month = date->month;
        if (!options.window.contains(date->month)) return reject(line, RejectReason::outside_window, date->month.str());
        double x = 0, y = 0;
        const Coord cx = parse_coordinate(x_text, x);
        const Coord cy = parse_coordinate(y_text, y);
        if (cx == Coord::empty || cy == Coord::empty) return reject(line, RejectReason::no_location, std::string(clip(location)));
        if (cx == Coord::nan || cy == Coord::nan)
            return reject(line, RejectReason::not_a_number, fmt::format("'{}', '{}'", clip(x_text), clip(y_text)));
        double weight = 1;
        if (!options.weight_field.empty() && !parse_weight(line, weight_text, weight)) return false;
        return take_point(line, date->month, x, y, type, id, location, lsoa, outcome, row_hash, weight, date->day);
    }

    bool parse_weight(uint64_t line, std::string_view text, double& weight) {
        const Coord c = parse_coordinate(text, weight);
        if (c != Coord::ok || weight < 0)
            return reject(line, RejectReason::bad_weight, fmt::format("{} '{}'", options.weight_field, clip(text)));
        return true;
    }

    bool take_point(uint64_t line, Month month, double x, double y, std::string_view type, std::string_view id,
                    std::string_view location, std::string_view lsoa, std::string_view outcome, uint64_t row_hash,
                    double weight = 1, int32_t day = no_day) {
        if (x == 0 && y == 0) return reject(line, RejectReason::zero_coordinates, {});
        if (lonlat && (x < -180 || x > 180 || y < -90 || y > 90))
            return reject(line, RejectReason::out_of_range, fmt::format("longitude {}, latitude {}", x, y));
        Incidents& in = chunk.incidents;
        in.x.push_back(x);
        in.y.push_back(y);
        in.month.push_back(month);
        type = trim(type);
        if (type.empty()) type = "(blank)";
        // A column of free text taken for the type (an id, a description) would make a type of
        // every row; type ids would run out and the groups would mean nothing.
        if (chunk.types.size() >= max_crime_types && !chunk.types.find(type))
            throw InputError(fmt::format("{}: line {}: more than {} distinct crime types (the next is '{}'): is the type column the right one? "
                                         "Name it with --type-field",
                                         display, line, max_crime_types, clip(type)));
        in.type.push_back(chunk.types.intern(type));
        if (options.text_columns) {
            in.crime_id.push_back(trim(id));
            in.location.push_back(location);
            in.lsoa_code_source.push_back(trim(lsoa));
            in.outcome.push_back(outcome);
        } else {
            chunk.row_offset.push_back(row_offset);
            chunk.has_id.push_back(!trim(id).empty());
        }
        in.source.push_back(source);
        in.line.push_back(line);
        if (!options.weight_field.empty()) in.weight.push_back(weight);
        if (day != no_day || !in.day.empty()) { // the day column starts with the first dated row
            in.day.resize(in.x.size() - 1, no_day);
            in.day.push_back(day);
        }
        chunk.row_hash.push_back(row_hash);
        return true;
    }

    bool reject(uint64_t line, RejectReason reason, std::string detail) {
        chunk.rejects.add(source, line, reason, std::move(detail), row_month);
        return false;
    }

    static std::string_view clip(std::string_view s) { return s.substr(0, 80); }
};

std::string describe_header(const std::vector<std::string_view>& fields) {
    std::string s;
    for (size_t i = 0; i < fields.size() && i < 14; ++i) {
        if (i) s += ',';
        for (char c : fields[i].substr(0, 40)) s += static_cast<unsigned char>(c) < 0x20 ? '?' : c; // no control bytes in messages
    }
    return s;
}

void read_csv_source(const SourceFile& file, uint32_t source, const IngestOptions& options, Chunk& chunk, Progress* progress, bool checksum) {
    if (file.kind == SourceFile::Kind::plain && file.expected_bytes > 0) {
        // Room for the rows a plain file can hold (police.uk rows are over 100 bytes), so the
        // columns are not copied as they grow; memory reserved and not used costs nothing.
        const auto rows = static_cast<size_t>(file.expected_bytes / 100);
        chunk.incidents.reserve(rows, options.text_columns ? rows * 64 : 0, options.text_columns);
        chunk.row_hash.reserve(rows);
        if (!options.text_columns) chunk.row_offset.reserve(rows), chunk.has_id.reserve(rows);
    }
    auto input = ByteReader::open(file, progress, checksum);
    CsvReader csv(*input, file.display);
    std::vector<std::string_view> fields;
    if (!csv.next(fields)) throw InputError(fmt::format("{}: the file is empty; expected a header: {}", file.display, police_header));
    const std::vector<std::string> names = header_names(fields, file.display);

    Columns c{};
    c.width = names.size();
    bool police = false;
    const auto px = find_column(names, {"longitude"});
    const auto py = find_column(names, {"latitude"});
    const auto pm = find_column(names, {"month"});
    const auto pt = find_column(names, {"crime type"});
    const auto pid = find_column(names, {"crime id"});
    if (px && py && pm && pt && pid && options.x_field.empty() && options.weight_field.empty()) {
        police = true;
        c.x = *px, c.y = *py, c.month = *pm, c.type = *pt, c.id = pid;
        c.location = find_column(names, {"location"});
        c.lsoa = find_column(names, {"lsoa code"});
        c.outcome = find_column(names, {"last outcome category"});
        chunk.format = "police.uk street CSV";
        chunk.crs = "EPSG:4326";
    } else {
        const auto gx = find_named(names, options.x_field, x_names);
        const auto gy = find_named(names, options.y_field, y_names);
        const auto gm = find_named(names, options.month_field, month_names);
        const auto gt = find_named(names, options.type_field, type_names);
        if (!gx || !gy || !gm || !gt) {
            std::vector<std::string> missing;
            if (!gx) missing.push_back(options.x_field.empty() ? "x (x, easting, longitude, lon)" : "--x " + options.x_field);
            if (!gy) missing.push_back(options.y_field.empty() ? "y (y, northing, latitude, lat)" : "--y " + options.y_field);
            if (!gm) missing.push_back(options.month_field.empty() ? "month (month, date)" : "--month-field " + options.month_field);
            if (!gt) missing.push_back(options.type_field.empty() ? "crime type (crime type, type, category)" : "--type-field " + options.type_field);
            throw InputError(fmt::format(
                "{}: line 1: wrong header '{}': it is not police.uk's ({}) and lacks the {} column(s) of a point CSV",
                file.display, describe_header(fields), police_header, fmt::join(missing, ", ")));
        }
        c.x = *gx, c.y = *gy, c.month = *gm, c.type = *gt;
        c.id = find_column(names, id_names);
        c.location = find_column(names, location_names);
        c.lsoa = find_column(names, lsoa_names);
        c.outcome = find_column(names, outcome_names);
        if (!options.weight_field.empty()) {
            c.weight = find_column(names, {lower_trim(options.weight_field)});
            if (!c.weight)
                throw InputError(fmt::format("{}: line 1: no weight column '{}' (--weight); the columns are: {}", file.display,
                                             options.weight_field, describe_header(fields)));
        }
        chunk.format = "point CSV";
        chunk.crs = !options.input_crs.empty() ? options.input_crs : is_lonlat_name(names[c.x]) ? "EPSG:4326" : "EPSG:27700";
    }
    c.required = std::max({c.x, c.y, c.month, c.type}) + 1;
    RowSink sink{chunk, options, source, is_geographic(chunk.crs), file.display};
    const auto field = [&](std::optional<size_t> i) { return i && *i < fields.size() ? fields[*i] : std::string_view{}; };
    while (csv.next(fields)) {
        ++chunk.rows;
        sink.row_month = Month{};
        sink.row_offset = csv.record_offset();
        const uint64_t line = csv.line();
        if (csv.unclosed_quote()) {
            sink.reject(line, RejectReason::malformed_row, "a quoted field is never closed");
            continue;
        }
        if (fields.size() > c.width) {
            sink.reject(line, RejectReason::malformed_row, fmt::format("{} fields; the header has {}", fields.size(), c.width));
            continue;
        }
        // A NUL byte is not text: the row is damaged (and would be cut short in the outputs).
        if (std::any_of(fields.begin(), fields.end(), [](std::string_view f) { return f.find('\0') != std::string_view::npos; })) {
            sink.reject(line, RejectReason::malformed_row, "a NUL byte in the row; is this a text file?");
            continue;
        }
        if (fields.size() < c.required) {
            sink.reject(line, RejectReason::malformed_row, fmt::format("{} fields; the header has {}", fields.size(), c.width));
            continue;
        }
        const uint64_t h = row_fingerprint(csv, fields);
        sink.take(line, fields[c.month], !police, fields[c.x], fields[c.y], fields[c.type], field(c.id),
                  field(c.location), field(c.lsoa), field(c.outcome), h, field(c.weight));
    }
    chunk.sha256 = input->file_sha256();
    chunk.stamp = input->stamp();
}

std::string srs_identifier(const OGRSpatialReference* srs) {
    const char* authority = srs->GetAuthorityName(nullptr);
    const char* code = srs->GetAuthorityCode(nullptr);
    if (authority && code) return fmt::format("{}:{}", authority, code);
    char* wkt = nullptr;
    srs->exportToWkt(&wkt, nullptr);
    std::string out = wkt ? wkt : "";
    CPLFree(wkt);
    return out;
}

void read_ogr_source(const SourceFile& file, uint32_t source, const IngestOptions& options, Chunk& chunk) {
    ensure_gdal();
    clear_gdal_error();
    GDALDatasetUniquePtr ds(GDALDataset::Open(file.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds) throw InputError(fmt::format("{}: cannot open as a vector layer: {}", file.display, gdal_message()));
    if (ds->GetLayerCount() < 1) throw InputError(fmt::format("{}: holds no vector layer", file.display));
    OGRLayer* layer = ds->GetLayer(0);
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    std::vector<std::string> names;
    for (int i = 0; i < defn->GetFieldCount(); ++i) names.push_back(lower_trim(defn->GetFieldDefn(i)->GetNameRef()));
    const auto gm = find_named(names, options.month_field, month_names);
    const auto gt = find_named(names, options.type_field, type_names);
    if (!gm || !gt)
        throw InputError(fmt::format("{}: layer '{}' needs a month field (month, date) and a crime type field "
                                     "(crime type, type, category); it has: {}",
                                     file.display, layer->GetName(), fmt::join(names, ", ")));
    const auto gid = find_column(names, id_names);
    const auto gloc = find_column(names, location_names);
    const auto glsoa = find_column(names, lsoa_names);
    const auto gout = find_column(names, outcome_names);
    std::optional<size_t> gweight;
    if (!options.weight_field.empty()) {
        gweight = find_column(names, {lower_trim(options.weight_field)});
        if (!gweight)
            throw InputError(fmt::format("{}: layer '{}' has no weight field '{}' (--weight); it has: {}", file.display,
                                         layer->GetName(), options.weight_field, fmt::join(names, ", ")));
    }
    const OGRSpatialReference* srs = layer->GetSpatialRef();
    if (srs)
        chunk.crs = srs_identifier(srs);
    else if (!options.input_crs.empty())
        chunk.crs = options.input_crs;
    else
        throw InputError(fmt::format("{}: layer '{}' has no CRS; name it with --crs", file.display, layer->GetName()));
    chunk.format = ds->GetDriver() ? ds->GetDriver()->GetDescription() : "OGR";
    RowSink sink{chunk, options, source, is_geographic(chunk.crs), file.display};
    const bool month_is_date = gm && (defn->GetFieldDefn(static_cast<int>(*gm))->GetType() == OFTDate ||
                                      defn->GetFieldDefn(static_cast<int>(*gm))->GetType() == OFTDateTime);
    const auto text = [](OGRFeature& f, std::optional<size_t> i) -> std::string {
        return i && f.IsFieldSetAndNotNull(static_cast<int>(*i)) ? f.GetFieldAsString(static_cast<int>(*i)) : std::string();
    };
    uint64_t number = 0;
    for (auto& feature : *layer) {
        ++chunk.rows;
        const uint64_t line = ++number;
        std::optional<DateValue> date;
        if (month_is_date && feature->IsFieldSetAndNotNull(static_cast<int>(*gm))) {
            int year = 0, mon = 0, day = 0, hour = 0, minute = 0, tz = 0;
            float second = 0;
            if (feature->GetFieldAsDateTime(static_cast<int>(*gm), &year, &mon, &day, &hour, &minute, &second, &tz) &&
                year >= 1900 && year <= 2999 && mon >= 1 && mon <= 12 && day >= 1 && day <= Day::days_in_month(year, mon))
                date = DateValue{Month::from(year, mon), Day::from(year, mon, day).index};
        } else {
            date = parse_date_value(text(*feature, gm));
        }
        sink.row_month = date ? date->month : Month{};
        if (!date) {
            sink.reject(line, RejectReason::bad_month, fmt::format("{} '{}': expected YYYY-MM or a calendar date YYYY-MM-DD", names[*gm], text(*feature, gm)));
            continue;
        }
        const std::optional<Month> month = date->month;
        if (!options.window.contains(*month)) {
            sink.reject(line, RejectReason::outside_window, month->str());
            continue;
        }
        const OGRGeometry* g = feature->GetGeometryRef();
        if (!g || g->IsEmpty()) {
            sink.reject(line, RejectReason::no_location, "no geometry");
            continue;
        }
        if (wkbFlatten(g->getGeometryType()) != wkbPoint) {
            sink.reject(line, RejectReason::not_a_point, g->getGeometryName());
            continue;
        }
        const auto* p = g->toPoint();
        if (!std::isfinite(p->getX()) || !std::isfinite(p->getY())) {
            sink.reject(line, RejectReason::not_a_number, {});
            continue;
        }
        const std::string type = text(*feature, gt), id = text(*feature, gid), loc = text(*feature, gloc),
                          lsoa = text(*feature, glsoa), outcome = text(*feature, gout);
        const uint64_t h = hash_fields({month->str(), std::to_string(date->day), fmt::format("{:.17g},{:.17g}", p->getX(), p->getY()), type, id, loc, lsoa, outcome});
        double weight = 1;
        if (gweight && !sink.parse_weight(line, text(*feature, gweight), weight)) continue;
        sink.take_point(line, *month, p->getX(), p->getY(), type, id, loc, lsoa, outcome, h, weight, date->day);
    }
    if (CPLGetLastErrorType() >= CE_Failure)
        throw InputError(fmt::format("{}: reading features failed: {}", file.display, gdal_message()));
}

// Same row, field for field (the hash matched; this rules out a collision).
bool same_row(const Incidents& in, size_t a, size_t b) {
    return in.crime_id[a] == in.crime_id[b] && in.month[a] == in.month[b] && in.x[a] == in.x[b] && in.y[a] == in.y[b] &&
           in.type[a] == in.type[b] && in.location[a] == in.location[b] &&
           in.lsoa_code_source[a] == in.lsoa_code_source[b] && in.outcome[a] == in.outcome[b] && in.day_of(a) == in.day_of(b);
}

// A row of a plain CSV file read again from its byte offset, as the reader split it. Its
// fingerprint must be the one taken while reading: otherwise the file changed in between.
struct RecordAgain {
    std::unique_ptr<ByteReader> input;
    std::unique_ptr<CsvReader> csv;
    std::vector<std::string_view> fields;
};
void read_record_again(const SourceFile& file, uint64_t offset, uint64_t line, uint64_t fingerprint, RecordAgain& out) {
    out.input = ByteReader::open_at(file, offset);
    out.csv = std::make_unique<CsvReader>(*out.input, file.display, 4096); // one row, not a megabyte
    if (!out.csv->next(out.fields) || row_fingerprint(*out.csv, out.fields) != fingerprint)
        throw InputError(fmt::format("{}: line {}: the file changed while safer read it (the row is not the one read); run again", file.display, line));
}

// Same row, field for field, read again from the files (without text columns): every field of
// the two CSV rows equal, so every column the reader takes from them is equal too.
bool same_record(const std::vector<SourceFile>& files, const Incidents& in, const std::vector<uint64_t>& offset,
                 const std::vector<uint64_t>& fingerprint, size_t a, size_t b) {
    if (in.month[a] != in.month[b] || in.x[a] != in.x[b] || in.y[a] != in.y[b] || in.type[a] != in.type[b]) return false;
    RecordAgain ra, rb;
    read_record_again(files[in.source[a]], offset[a], in.line[a], fingerprint[a], ra);
    read_record_again(files[in.source[b]], offset[b], in.line[b], fingerprint[b], rb);
    return ra.fields == rb.fields;
}

} // namespace

std::vector<std::pair<std::string, std::string>> IngestResult::file_checksums(bool wait) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const SourceSummary& s : sources) {
        if (std::any_of(out.begin(), out.end(), [&](const auto& f) { return f.first == s.file; })) continue;
        out.emplace_back(s.file, !s.sha256.empty() ? s.sha256 : !wait && later && later->has(s.file) ? std::string() : checksum_of(s.file));
    }
    return out;
}

std::string IngestResult::checksum_of(const std::string& file) const {
    for (const SourceSummary& s : sources)
        if (s.file == file && !s.sha256.empty()) return s.sha256;
    return later && later->has(file) ? later->get(file) : sha256_file(file);
}

std::vector<std::pair<std::string, uint64_t>> IngestResult::unknown_types() const {
    std::vector<uint64_t> counts(types.size(), 0);
    for (CrimeTypeId t : incidents.type) ++counts[t];
    std::vector<std::pair<std::string, uint64_t>> out;
    for (size_t t = known_crime_type_count; t < types.size(); ++t)
        if (counts[t]) out.emplace_back(std::string(types.name(static_cast<CrimeTypeId>(t))), counts[t]);
    return out;
}

namespace {

/// The working CRS's area of use as a box in the working CRS: the lon/lat box's edges, 64 points
/// each, transformed; their extremes. (A box in lon/lat is not a box in a projected CRS: its
/// bounding box holds it, with a margin at the corners.)
Extent projected_area_of_use(const AreaOfUse& area, const std::string& working_crs) {
    std::vector<double> x, y;
    constexpr int steps = 64;
    for (int i = 0; i <= steps; ++i) {
        const double t = static_cast<double>(i) / steps;
        const double lon = area.west + t * (area.east - area.west), lat = area.south + t * (area.north - area.south);
        x.insert(x.end(), {lon, lon, area.west, area.east});
        y.insert(y.end(), {area.south, area.north, lat, lat});
    }
    CrsTransform("EPSG:4326", working_crs).transform(x, y);
    Extent e;
    for (size_t k = 0; k < x.size(); ++k)
        if (std::isfinite(x[k]) && std::isfinite(y[k])) e.add(x[k], y[k]);
    return e;
}

// A file read twice counts its anti-social behaviour rows twice: they carry no Crime ID, so the
// duplicate check cannot tell the second reading from real repeats.
void refuse_repeated_files(const std::vector<SourceFile>& files) {
    std::map<std::string, const SourceFile*> seen;
    for (const SourceFile& f : files) {
        std::error_code ec;
        std::string key = std::filesystem::weakly_canonical(f.file, ec).string();
        if (ec) key = f.file;
        if (f.kind == SourceFile::Kind::vsi) {
            const size_t at = f.path.find(f.file);
            key += "|" + (at == std::string::npos ? f.path : f.path.substr(at + f.file.size()));
        } else if (f.kind == SourceFile::Kind::zip) {
            key += fmt::format("|member {}", f.zip_file_number); // two members of one name are two files
        }
        const auto [it, fresh] = seen.emplace(key, &f);
        if (!fresh)
            throw UsageError(fmt::format("--crimes: {} is given twice{}; each file is read once, or its rows would be counted twice", f.display,
                                         it->second->display == f.display ? "" : " (also as " + it->second->display + ")"));
    }
}

void refuse_repeated_contents(const std::vector<SourceFile>& files, std::vector<std::string>& sha256, const std::vector<uint8_t>& later) {
    // Files left to be checksummed after reading are compared by size first: only those of one
    // size with another file need their checksum now.
    std::map<uintmax_t, std::vector<size_t>> by_size;
    for (size_t i = 0; i < files.size(); ++i) {
        std::error_code ec;
        if (files[i].kind == SourceFile::Kind::plain)
            if (const uintmax_t size = std::filesystem::file_size(files[i].path, ec); !ec) by_size[size].push_back(i);
    }
    for (const auto& [size, same] : by_size)
        if (same.size() > 1)
            for (size_t i : same)
                if (later[i] && sha256[i].empty()) sha256[i] = sha256_file(files[i].path);
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < files.size(); ++i) {
        if (files[i].kind == SourceFile::Kind::vsi || files[i].kind == SourceFile::Kind::zip || sha256[i].empty()) continue;
        const auto [it, fresh] = seen.emplace(sha256[i], i);
        if (!fresh)
            throw InputError(fmt::format("{} and {} hold the same bytes (SHA-256 {}): the same file twice would count its rows twice "
                                         "(anti-social behaviour rows carry no Crime ID to tell them apart); give one of them",
                                         files[it->second].display, files[i].display, sha256[i].substr(0, 16)));
    }
}

} // namespace

IngestResult read_incidents(const std::vector<std::string>& arguments, const IngestOptions& options, Progress& progress) {
    check_working_crs(options.working_crs);
    if (!options.input_crs.empty()) check_crs(options.input_crs, "--crs");
    const std::vector<SourceFile> files = expand_sources(arguments);
    refuse_repeated_files(files);
    IngestResult result;
    // Without text columns a duplicate is confirmed by reading both rows again: plain files only.
    IngestOptions reading = options;
    reading.text_columns = options.text_columns || !std::all_of(files.begin(), files.end(), [](const SourceFile& f) {
        return f.is_csv && f.kind == SourceFile::Kind::plain;
    });
    const bool text = reading.text_columns;

    // Read the sources in parallel and merge each, in source order, as soon as it and those
    // before it are read: the result does not depend on timing, one core merges while the other
    // parses, and only a few sources' rows are held twice at any time.
    std::vector<uint64_t> row_hash;
    std::vector<uint64_t> row_offset; // without text columns: where each row starts in its file
    std::vector<uint8_t> has_id;      // without text columns: the row has a Crime ID
    std::vector<std::string> row_crs_of_source(files.size());
    {
        // Room for the rows the plain files can hold (police.uk rows are over 100 bytes), so the
        // merged columns are not copied to grow: reserved memory costs nothing until it is used.
        uint64_t bytes = 0;
        for (const SourceFile& f : files) {
            std::error_code ec;
            if (f.kind == SourceFile::Kind::plain) bytes += std::filesystem::file_size(f.path, ec);
        }
        const size_t rows = static_cast<size_t>(bytes / 100);
        result.incidents.reserve(rows, text ? rows * 64 : 0, text);
        row_hash.reserve(rows);
        if (!text) row_offset.reserve(rows), has_id.reserve(rows);
    }
    // Progress by bytes read where the sizes are known (plain, gzip and zip members), by file
    // otherwise; a stage's share never passes 100 % if a file gives more than expected.
    uint64_t total_bytes = 0;
    for (const SourceFile& f : files) total_bytes += f.is_csv && f.expected_bytes > 0 ? f.expected_bytes : 1;
    progress.begin(fmt::format("reading {} incident file{}", files.size(), files.size() == 1 ? "" : "s"), total_bytes);
    std::vector<std::string> sha256(files.size()), stamp(files.size());
    // Regular plain files may be checksummed after reading (IngestOptions::checksums_later).
    std::vector<uint8_t> later(files.size(), 0);
    for (size_t i = 0; i < files.size(); ++i) {
        std::error_code ec;
        later[i] = options.checksums_later && files[i].is_csv && files[i].kind == SourceFile::Kind::plain &&
                   std::filesystem::is_regular_file(files[i].path, ec);
    }
    size_t next_file = 0;
    std::exception_ptr error;
    tbb::parallel_pipeline(
        2 * static_cast<size_t>(tbb::this_task_arena::max_concurrency()) + 2,
        tbb::make_filter<void, size_t>(tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& fc) -> size_t {
                                           if (next_file == files.size() || error) {
                                               fc.stop();
                                               return 0;
                                           }
                                           return next_file++;
                                       }) &
            tbb::make_filter<size_t, std::pair<size_t, std::shared_ptr<Chunk>>>(
                tbb::filter_mode::parallel,
                [&](size_t i) {
                    auto chunk = std::make_shared<Chunk>();
                    const bool by_bytes = files[i].is_csv && files[i].expected_bytes > 0;
                    try {
                        if (files[i].is_csv)
                            read_csv_source(files[i], static_cast<uint32_t>(i), reading, *chunk, by_bytes ? &progress : nullptr, !later[i]);
                        else
                            read_ogr_source(files[i], static_cast<uint32_t>(i), reading, *chunk);
                    } catch (...) {
                        chunk->error = std::current_exception();
                    }
                    if (!by_bytes) progress.advance(1);
                    return std::make_pair(i, std::move(chunk));
                }) &
            tbb::make_filter<std::pair<size_t, std::shared_ptr<Chunk>>, void>(tbb::filter_mode::serial_in_order, [&](std::pair<size_t, std::shared_ptr<Chunk>> item) {
                const size_t i = item.first;
                Chunk& c = *item.second;
                if (error) return;
                if (c.error) {
                    error = c.error;
                    return;
                }
                result.sources.push_back(SourceSummary{files[i].display, c.format, c.crs, c.rows, files[i].file, c.sha256});
                sha256[i] = c.sha256;
                stamp[i] = c.stamp;
                result.rows_read += c.rows;
                result.incidents.append(c.incidents, c.types, result.types);
                result.rejects.append(c.rejects);
                row_hash.insert(row_hash.end(), c.row_hash.begin(), c.row_hash.end());
                row_offset.insert(row_offset.end(), c.row_offset.begin(), c.row_offset.end());
                has_id.insert(has_id.end(), c.has_id.begin(), c.has_id.end());
                row_crs_of_source[i] = c.crs;
            }));
    progress.end();
    if (error) std::rethrow_exception(error);
#ifdef __GLIBC__
    malloc_trim(0); // the sources' freed columns go back to the system, not kept in the heap beside the merged ones
#endif
    refuse_repeated_contents(files, sha256, later);
    std::vector<DeferredSha256::File> deferred;
    for (size_t i = 0; i < files.size(); ++i) {
        result.sources[i].sha256 = sha256[i]; // including those the check above had to take
        if (later[i] && sha256[i].empty() && !stamp[i].empty()) deferred.push_back({files[i].file, stamp[i]});
    }
    if (!deferred.empty()) result.later = std::make_shared<DeferredSha256>(std::move(deferred));

    // Reproject, source CRS by source CRS, distinct locations only; check each location against
    // the working CRS's area of use.
    Incidents& in = result.incidents;
    std::vector<uint8_t> keep(in.size(), 1);
    const AreaOfUse area = area_of_use(options.working_crs);
    std::map<std::string, std::vector<size_t>> rows_by_crs;
    const bool one_crs = std::all_of(row_crs_of_source.begin(), row_crs_of_source.end(),
                                     [&](const std::string& c) { return c == row_crs_of_source.front(); });
    if (one_crs && in.size() > 0)
        rows_by_crs[row_crs_of_source.front()]; // every row: no list of row numbers needed
    else
        for (size_t r = 0; r < in.size(); ++r) rows_by_crs[row_crs_of_source[in.source[r]]].push_back(r);
    for (auto& [crs, rows_of_crs] : rows_by_crs) {
        const std::vector<size_t>& rows = rows_of_crs; // clang 14 cannot capture a structured binding
        const bool all_rows = one_crs;
        const size_t n = all_rows ? in.size() : rows.size();
        const auto row = [&](size_t k) { return all_rows ? k : rows[k]; };
        const bool geographic = is_geographic(crs);
        // PROJ's set-up (look-ups in its database: tens of milliseconds) runs on another core
        // while this one finds the distinct locations.
        std::unique_ptr<CrsTransform> to_working, to_lonlat;
        tbb::task_group setup;
        if (crs != options.working_crs)
            setup.run([&] {
                to_working = std::make_unique<CrsTransform>(crs, options.working_crs);
                if (!geographic) to_lonlat = std::make_unique<CrsTransform>(crs, "EPSG:4326");
            });
        WeightedLocations loc;
        try {
            if (all_rows) {
                loc = unique_locations(in.x, in.y);
            } else {
                std::vector<double> xs(n), ys(n);
                for (size_t k = 0; k < n; ++k) xs[k] = in.x[row(k)], ys[k] = in.y[row(k)];
                loc = unique_locations(xs, ys);
            }
        } catch (...) {
            try {
                setup.wait();
            } catch (...) {
            }
            throw;
        }
        setup.wait(); // and PROJ's error, if it failed
        if (crs == options.working_crs) {
            // Already in the working CRS: nothing to transform. The area of use is checked against
            // its box in the working CRS, the lon/lat box's edges transformed once (a box a little
            // larger than the area, never smaller), instead of taking every point to lon/lat.
            const Extent box = projected_area_of_use(area, options.working_crs);
            if (result.transform_operation.empty()) result.transform_operation = fmt::format("none: the coordinates are already in {}", crs);
            for (size_t k = 0; k < n; ++k) {
                const uint32_t l = loc.location_of[k];
                if (!(loc.x[l] >= box.min_x && loc.x[l] <= box.max_x && loc.y[l] >= box.min_y && loc.y[l] <= box.max_y)) keep[row(k)] = 0;
            }
            continue;
        }
        progress.begin(fmt::format("reprojecting {} distinct locations from {} to {}", grouped(static_cast<double>(loc.x.size())), crs, options.working_crs),
                       loc.x.size() * (geographic ? 1 : 2));
        std::vector<double> lon = loc.x, lat = loc.y;
        if (!geographic) to_lonlat->transform(lon, lat, &progress);
        to_working->transform(loc.x, loc.y, &progress);
        if (result.transform_operation.empty()) result.transform_operation = to_working->operation();
        progress.end();
        tbb::parallel_for(tbb::blocked_range<size_t>(0, n, size_t{1} << 16), [&](const tbb::blocked_range<size_t>& range) {
            for (size_t k = range.begin(); k != range.end(); ++k) {
                const uint32_t l = loc.location_of[k];
                const size_t r = row(k);
                if (std::isnan(loc.x[l]) || std::isnan(lon[l]) || !area.contains(lon[l], lat[l])) {
                    keep[r] = 0;
                    continue;
                }
                in.x[r] = loc.x[l];
                in.y[r] = loc.y[l];
            }
        });
    }
    std::vector<int8_t> geographic_source(files.size(), -1); // looked up for sources with rejects only
    for (size_t r = 0; r < in.size(); ++r)
        if (!keep[r]) {
            int8_t& geographic = geographic_source[in.source[r]];
            if (geographic < 0) geographic = is_geographic(row_crs_of_source[in.source[r]]) ? 1 : 0;
            result.rejects.add(in.source[r], in.line[r], RejectReason::outside_crs_area,
                               fmt::format("longitude/x {}, latitude/y {}{}", in.x[r], in.y[r],
                                           geographic == 1 && area.contains(in.y[r], in.x[r])
                                               ? " (inside it with longitude and latitude swapped: are the columns swapped?)"
                                               : ""),
                               in.month[r]);
        }

    // An exact repeat of a row with a Crime ID is a duplicate. Rows without one (all anti-social
    // behaviour) are kept: two reports at one map point in one month are indistinguishable, not
    // duplicates.
    // Rows are split by the top bits of their fingerprint into 256 parts, in reading order; each
    // part, on any core, looks its rows up in an open-addressed table of its own (small enough to
    // stay in the cache; one table for a million rows missed it at every row), each fingerprint
    // chaining its rows. Equal rows have equal fingerprints, so they meet in one part, in reading
    // order: a repeat is compared with the kept rows of its fingerprint, at most one of which is
    // the same row (a second copy is never kept), the first copy, the one that stays.
    {
        constexpr uint32_t none = UINT32_MAX;
        const size_t n = in.size();
        if (n >= none) throw InputError(fmt::format("{} rows are more than safer can check for duplicates in one run", n));
        const auto eligible = [&](size_t r) { return keep[r] && (text ? !in.crime_id[r].empty() : has_id[r] != 0); };
        constexpr size_t parts = HashParts::count;
        const HashParts split = split_by_hash(n, [&](size_t r) { return row_hash[r]; }, eligible);
        const std::vector<uint32_t>& order = split.rows;
        const std::vector<size_t>& part_begin = split.begin;
        std::vector<std::vector<std::pair<uint32_t, uint32_t>>> repeats(parts); // (row, the earlier row it repeats)
        tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
            const uint32_t* rows = order.data() + part_begin[p];
            const size_t m = part_begin[p + 1] - part_begin[p];
            size_t capacity = 16;
            while (capacity < 2 * m) capacity *= 2;
            std::vector<uint32_t> head(capacity, none), next(m, none); // positions in `rows`
            for (size_t k = 0; k < m; ++k) {
                const uint32_t r = rows[k];
                const uint64_t h = row_hash[r];
                size_t s = (h ^ (h >> 29)) & (capacity - 1);
                while (head[s] != none && row_hash[rows[head[s]]] != h) s = (s + 1) & (capacity - 1);
                for (uint32_t e = head[s]; e != none; e = next[e]) {
                    const uint32_t earlier = rows[e];
                    if (!keep[earlier] || !(text ? same_row(in, earlier, r) : same_record(files, in, row_offset, row_hash, earlier, r))) continue;
                    keep[r] = 0; // only this part reads or writes its rows' flags
                    repeats[p].emplace_back(r, earlier);
                    break;
                }
                next[k] = head[s];
                head[s] = static_cast<uint32_t>(k);
            }
        });
        std::vector<std::pair<uint32_t, uint32_t>> all;
        for (const auto& part : repeats) all.insert(all.end(), part.begin(), part.end());
        std::sort(all.begin(), all.end());
        for (const auto& [r, earlier] : all)
            result.rejects.add(in.source[r], in.line[r], RejectReason::duplicate_row,
                               fmt::format("same as {} line {}", files[in.source[earlier]].display, in.line[earlier]), in.month[r]);
    }
    in.keep(keep);
    result.rejects.sort();
    return result;
}

} // namespace safer::layers
