#include "layers/output_files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>

#include "engine/errors.hpp"
#include "layers/gpkg_schema.hpp"
#include "layers/interrupt.hpp"
#include "layers/postgis.hpp"

#include <fmt/ranges.h>
#include <map>

namespace safer::layers {

namespace fs = std::filesystem;

void remove_quietly(const std::string& path) {
    std::error_code ec;
    fs::remove(path, ec);
    fs::remove(path + "-journal", ec);
    fs::remove(path + "-wal", ec);
    fs::remove(path + "-shm", ec);
}

// A write the disk could not take (a full disk on a file system that allocates late, an I/O
// error) shows here at the latest.
std::jthread start_writeback(const std::string& path) {
#ifdef SYNC_FILE_RANGE_WRITE
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    // On its own thread: the call queues every dirty page for writing, which took the caller
    // 10-20 ms on ext4 (the file system maps its delayed blocks first).
    return std::jthread([fd] {
        ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        ::close(fd);
    });
#else
    (void)path;
    return {};
#endif
}

void sync_path(const std::string& path, const std::string& output) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(fmt::format("{}: cannot open {} to flush it: {}", output, path, std::strerror(errno)));
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc != 0 && error != EINVAL && error != EROFS) // EINVAL/EROFS: the file system cannot sync this kind of file
        throw IoError(fmt::format("{}: writing the output failed: {}", output, std::strerror(error)));
}

namespace {

/// True unless the process `pid` is known not to run (kill(pid, 0) fails with ESRCH).
bool process_runs(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH); }

/// The pid at the end of a name like ".out.gpkg.tmp-1234" or "safer-1234", if it is one.
std::optional<long> trailing_pid(const std::string& name, const std::string& before) {
    const size_t at = name.rfind(before);
    if (at == std::string::npos) return std::nullopt;
    std::string digits = name.substr(at + before.size());
    for (const char* companion : {"-journal", "-wal", "-shm"})
        if (digits.ends_with(companion)) digits.resize(digits.size() - std::strlen(companion));
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stol(digits);
}

/// Removes ".NAME.tmp-PID" (and its SQLite companions) beside `path` for processes that no longer run.
void remove_stale_temporaries(const std::string& path) {
    const fs::path p(path);
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    std::string prefix = ".";
    prefix += p.filename().string();
    prefix += ".tmp-";
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with(prefix)) continue;
        const std::optional<long> pid = trailing_pid(name, ".tmp-");
        std::error_code rm;
        if (pid && !process_runs(*pid) && fs::is_regular_file(fs::symlink_status(it->path(), rm))) fs::remove(it->path(), rm);
    }
}

/// What is at `path` when it is not a regular file, in words; "" for a regular file or nothing.
std::string not_regular(const std::string& path) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(path, ec);
    switch (st.type()) {
    case fs::file_type::not_found:
    case fs::file_type::none:
    case fs::file_type::regular: return "";
    case fs::file_type::symlink: return fs::exists(path, ec) ? "a symbolic link" : "a symbolic link to nothing (dangling)";
    case fs::file_type::directory: return "a folder";
    case fs::file_type::character:
    case fs::file_type::block: return "a device";
    case fs::file_type::fifo: return "a named pipe (FIFO)";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file";
    }
}

struct ProcessTempDir {
    std::string path;
    void remove() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
    ~ProcessTempDir() { remove(); }
};
ProcessTempDir g_temp_dir;

} // namespace

void remove_process_temp_dir() { g_temp_dir.remove(); }

const std::string& process_temp_dir() {
    ProcessTempDir& dir = g_temp_dir;
    static std::once_flag once;
    std::call_once(once, [] {
        std::error_code ec;
        const fs::path base = fs::temp_directory_path(ec);
        if (ec) throw IoError(fmt::format("no folder for temporary files: {} (set TMPDIR)", ec.message()));
        for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            const std::optional<long> pid = name.starts_with("safer-") ? trailing_pid(name, "safer-") : std::nullopt;
            std::error_code rm;
            if (pid && *pid != static_cast<long>(::getpid()) && !process_runs(*pid) && fs::is_directory(fs::symlink_status(it->path(), rm)))
                fs::remove_all(it->path(), rm);
        }
        const fs::path mine = base / fmt::format("safer-{}", ::getpid());
        fs::remove_all(mine, ec); // a dead process's, whose pid this process now has
        if (::mkdir(mine.c_str(), 0700) != 0)
            throw IoError(fmt::format("{}: cannot make a folder for temporary files: {} (set TMPDIR)", mine.string(), std::strerror(errno)));
        dir.path = mine.string();
    });
    return dir.path;
}

std::string temporary_path(const std::string& path) {
    const fs::path p(path);
    return (p.parent_path() / fmt::format(".{}.tmp-{}", p.filename().string(), ::getpid())).string();
}

void write_temporary(const std::string& temp, const std::string& path, const std::string& content) {
    std::ofstream out(temp, std::ios::binary);
    out << content;
    out.flush();
    if (!out) {
        out.close();
        std::error_code ec;
        fs::remove(temp, ec);
        throw IoError(fmt::format("{}: cannot write (disk full or not writable?)", path));
    }
}

void rename_into_place(const std::string& from, const std::string& to, bool overwrite) {
    std::error_code ec;
    if (!overwrite && fs::exists(fs::symlink_status(to, ec))) throw UsageError(fmt::format("{}: already exists; pass --overwrite to replace it", to));
    // Checked again at the last moment: something else may have appeared there during the run.
    if (const std::string what = not_regular(to); !what.empty())
        throw UsageError(fmt::format("{}: is {} now; safer only ever replaces regular files, so the output was not moved there", to, what));
    sync_path(from, to); // the bytes are on the disk before the name points at them
    fs::rename(from, to, ec);
    if (ec) throw IoError(fmt::format("{}: cannot move the finished output into place: {}", to, ec.message()));
    // And the rename itself, as far as the file system allows (the output is complete either way).
    const fs::path dir = fs::path(to).parent_path();
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

void check_output_path(const std::string& path, bool overwrite) {
    if (is_postgis_target(path)) {
        check_postgis_target(parse_postgis_target(path), overwrite);
        return;
    }
    if (path.empty()) throw UsageError("an output path is empty");
    std::error_code ec;
    if (fs::is_directory(fs::symlink_status(path, ec))) throw IoError(fmt::format("{}: is a folder; name the file to write", path));
    if (const std::string what = not_regular(path); !what.empty())
        throw UsageError(fmt::format("{}: is {}; safer only ever replaces regular files, so name a file (even with --overwrite)", path, what));
    if (fs::exists(fs::symlink_status(path, ec)) && !overwrite) throw UsageError(fmt::format("{}: already exists; pass --overwrite to replace it", path));
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw IoError(fmt::format("{}: {} is a file, not a folder", path, dir.string()));
    if (!fs::is_directory(dir, ec)) throw IoError(fmt::format("{}: the folder {} does not exist", path, dir.string()));
    if (::access(dir.c_str(), W_OK) != 0) throw IoError(fmt::format("{}: the folder {} is not writable", path, dir.string()));
    // A GeoPackage another process is writing fails now, not after the work (commit() checks again).
    if (overwrite) ReplaceLock probe(path, 500);
}

namespace {

std::string lower_extension(const std::string& path) {
    std::string e = fs::path(path).extension().string();
    for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

/// The extensions an output kind other than layers takes, and its words.
std::pair<std::vector<std::string>, const char*> formats_of(OutputKind kind) {
    switch (kind) {
    case OutputKind::geopackage:
    case OutputKind::geopackage_tiff: return {{}, ""}; // output_formats()
    case OutputKind::csv: return {{".csv"}, "a CSV file (.csv)"};
    case OutputKind::html: return {{".html", ".htm"}, "an HTML file (.html)"};
    case OutputKind::pdf: return {{".pdf"}, "a PDF (.pdf)"};
    }
    return {{}, ""};
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool is_geotiff_path(const std::string& path) {
    const std::string ext = lower_extension(path);
    return ext == ".tif" || ext == ".tiff";
}

/// A path with its extension replaced by `ext` (".qgz", ".dbf").
std::string with_extension(const std::string& path, const std::string& ext) {
    fs::path p(path);
    return (p.parent_path() / (p.stem().string() + ext)).string();
}

/// A path as a key for comparing files: absolute, normal, links in its folders resolved.
std::string file_key(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (ec) p = fs::absolute(path, ec).lexically_normal();
    return p.string();
}

} // namespace

const std::vector<OutputFormat>& output_formats() {
    static const std::vector<OutputFormat> formats = [] {
        std::vector<OutputFormat> f;
        OutputFormat gpkg{"GeoPackage", "GPKG", {".gpkg"}, {"gpkg", "geopackage"}};
        gpkg.several_layers = gpkg.rasters = gpkg.tables = gpkg.styles = true;
        f.push_back(gpkg);
        OutputFormat pg{"PostGIS", "PostgreSQL", {}, {"pg", "postgis", "postgresql"}};
        pg.several_layers = pg.rasters = pg.tables = pg.styles = true;
        f.push_back(pg);
        f.push_back(OutputFormat{"FlatGeobuf", "FlatGeobuf", {".fgb"}, {"fgb", "flatgeobuf"}});
        f.push_back(OutputFormat{"GeoJSON", "GeoJSON", {".geojson", ".json"}, {"geojson", "json"}});
        OutputFormat shp{"Shapefile", "ESRI Shapefile", {".shp"}, {"shp", "shapefile", "esri shapefile"}};
        shp.field_name_limit = 10;
        shp.companions = {".shx", ".dbf", ".prj", ".cpg"};
        f.push_back(shp);
        OutputFormat csv{"CSV", "CSV", {".csv"}, {"csv"}};
        csv.crs = false;
        f.push_back(csv);
        return f;
    }();
    return formats;
}

const OutputFormat* output_format(const std::string& path, const std::string& format) {
    const std::vector<OutputFormat>& formats = output_formats();
    if (!format.empty()) {
        const std::string wanted = lower(format);
        for (const OutputFormat& f : formats)
            if (lower(f.driver) == wanted || std::find(f.names.begin(), f.names.end(), wanted) != f.names.end()) return &f;
        return nullptr;
    }
    if (is_postgis_target(path)) return &formats[1];
    const std::string ext = lower_extension(path);
    for (const OutputFormat& f : formats)
        if (std::find(f.extensions.begin(), f.extensions.end(), ext) != f.extensions.end()) return &f;
    return nullptr;
}

std::string output_formats_text() {
    std::string text;
    for (const OutputFormat& f : output_formats())
        text += fmt::format("{}{} ({})", text.empty() ? "" : ", ", f.name, f.extensions.empty() ? "PG:\"dbname=...\"" : fmt::format("{}", fmt::join(f.extensions, ", ")));
    return text;
}

std::string project_path(const std::string& data_path) { return with_extension(data_path, ".qgz"); }

std::string style_path(const std::string& data_path) { return with_extension(data_path, ".qml"); }

namespace {

/// What `format` will not hold of what `o` asks of it, said before any work; UsageError when it
/// cannot hold the main layer at all.
std::vector<std::string> format_notes(const OutputPath& o, const OutputFormat& f) {
    std::vector<std::string> notes;
    if (f.several_layers) return notes;
    if (o.raster_main)
        throw UsageError(fmt::format("{} {}: {} holds no raster, and this command's result is a raster surface; write a GeoPackage (.gpkg) or a "
                                     "GeoTIFF (.tif), or a PostGIS database",
                                     o.option, o.path, f.name));
    if (o.table_main && f.driver != "CSV")
        throw UsageError(fmt::format("{} {}: {} holds layers with geometry, and this command's result{} is a table without one; write a GeoPackage "
                                     "(.gpkg), a CSV file (.csv) or a PostGIS database",
                                     o.option, o.path, f.name, o.main_layer.empty() ? "" : ", " + o.main_layer + ","));
    const std::string main = o.main_layer.empty() ? "the command's main layer" : "the " + o.main_layer + " layer";
    notes.push_back(fmt::format("{} {}: {} holds one layer, so it gets {} only; the others ({}) are not written: -o NAME.gpkg keeps every layer",
                                o.option, o.path, f.name, main,
                                o.table_main ? "the rejects" : fmt::format("{}the rejects and the tables without geometry", o.rasters ? "the rasters, " : "")));
    if (o.table_main) return notes; // a table: no style, no geometry, no CRS to lose
    notes.push_back(fmt::format("{} {}: {} holds no QGIS style; its default style goes beside it as {} (QGIS loads it with the layer)", o.option, o.path,
                                f.name, fs::path(style_path(o.path)).filename().string()));
    if (f.field_name_limit > 0)
        notes.push_back(fmt::format("{} {}: {} keeps field names of up to {} characters; GDAL cuts longer ones and keeps them apart "
                                    "(neighbourhood_count, neighbourhood_rate become neighbourh, neighbou_1), and the .qml style follows the "
                                    "names kept",
                                    o.option, o.path, f.name, f.field_name_limit));
    if (!f.crs)
        notes.push_back(fmt::format("{} {}: {} records no CRS: the geometry is written as WKT in the working CRS's coordinates (column WKT)", o.option,
                                    o.path, f.name));
    return notes;
}

} // namespace

std::vector<std::string> check_outputs(const std::vector<OutputPath>& given, const std::vector<std::string>& inputs, bool overwrite) {
    std::vector<OutputPath> outputs;
    std::vector<uint8_t> derived; // 1: a file that goes beside an output (its project, style, .dbf)
    std::vector<std::string> notes;
    const auto beside = [&](const OutputPath& o, const std::string& what, const std::string& path) {
        outputs.push_back({o.option + " (its " + what + ")", path, OutputKind::csv});
        derived.push_back(1);
    };
    for (const OutputPath& o : given) {
        if (o.path.empty()) throw UsageError(fmt::format("{} is required: name the file to write", o.option));
        outputs.push_back(o);
        derived.push_back(0);
        if (o.kind != OutputKind::geopackage && o.kind != OutputKind::geopackage_tiff) {
            if (is_postgis_target(o.path))
                throw UsageError(fmt::format("{} {}: a PostGIS database takes only the layers (-o); name a file", o.option, o.path));
            continue;
        }
        const bool tiff = o.kind == OutputKind::geopackage_tiff && o.format.empty() && is_geotiff_path(o.path);
        const OutputFormat* f = tiff ? nullptr : output_format(o.path, o.format);
        if (!tiff && !f) {
            if (!o.format.empty()) {
                std::vector<std::string> names;
                for (const OutputFormat& k : output_formats()) names.push_back(k.names.front());
                throw UsageError(fmt::format("--format {}: not a format safer writes; give one of {}", o.format, fmt::join(names, ", ")));
            }
            const std::string ext = lower_extension(o.path);
            throw UsageError(fmt::format("{} {}: {} is not a format safer writes; name it for one of {}{}", o.option, o.path,
                                         ext.empty() ? "a file without an extension" : "'" + ext + "'", output_formats_text(),
                                         o.kind == OutputKind::geopackage_tiff ? ", or a GeoTIFF (.tif)" : ""));
        }
        if (f && f->is_postgis()) {
            if (!is_postgis_target(o.path)) throw UsageError(fmt::format("--format {}: give -o PG:\"dbname=...\"", o.format));
            continue;
        }
        if (f && is_postgis_target(o.path)) throw UsageError(fmt::format("--format {}: -o {} is a PostGIS database", o.format, o.path));
        if (f) {
            const std::vector<std::string> said = format_notes(o, *f);
            notes.insert(notes.end(), said.begin(), said.end());
            for (const std::string& ext : f->companions) beside(o, ext, with_extension(o.path, ext));
            if (!f->styles && !o.table_main) beside(o, "QGIS style", style_path(o.path));
        }
        if (o.project && (tiff || (f && f->is_geopackage()))) beside(o, "QGIS project", project_path(o.path));
    }
    std::map<std::string, const OutputPath*> seen;
    std::map<std::string, std::string> input_keys;
    for (const std::string& in : inputs)
        if (!in.empty() && !is_postgis_target(in)) input_keys.emplace(file_key(in), in);
    for (size_t i = 0; i < outputs.size(); ++i) {
        const OutputPath& o = outputs[i];
        if (is_postgis_target(o.path)) continue;
        if (o.kind != OutputKind::geopackage && o.kind != OutputKind::geopackage_tiff && !derived[i]) {
            const auto [extensions, words] = formats_of(o.kind);
            const std::string ext = lower_extension(o.path);
            if (std::find(extensions.begin(), extensions.end(), ext) == extensions.end())
                throw UsageError(fmt::format("{} {}: {} is written as {}; name it with {}", o.option, o.path,
                                             ext.empty() ? "a file without an extension" : "'" + ext + "'", words,
                                             extensions.size() == 1 ? "that extension" : "one of " + fmt::format("{}", fmt::join(extensions, ", "))));
        }
        const std::string key = file_key(o.path);
        if (const auto it = seen.find(key); it != seen.end())
            throw UsageError(fmt::format("{} {} and {} {} name the same file; each output needs a file of its own", it->second->option, it->second->path,
                                         o.option, o.path));
        if (const auto it = input_keys.find(key); it != input_keys.end())
            throw UsageError(fmt::format("{} {}: that file is an input of this run ({}); writing it would destroy what is being read", o.option, o.path,
                                         it->second));
        seen.emplace(key, &o);
    }
    for (const OutputPath& o : outputs) {
        check_output_path(o.path, overwrite);
        if (!is_postgis_target(o.path)) remove_stale_temporaries(o.path);
    }
    return notes;
}

struct StagedFiles::File {
    std::string path, temp;
    InterruptCleanup cleanup;
    File(std::string p, std::string t) : path(std::move(p)), temp(std::move(t)), cleanup(temp) {}
};

StagedFiles::StagedFiles(bool overwrite) : m_overwrite(overwrite) {}

StagedFiles::~StagedFiles() {
    std::error_code ec;
    for (const auto& f : m_files)
        if (!f->temp.empty()) fs::remove(f->temp, ec);
}

void StagedFiles::stage(const std::string& path, const std::string& content) {
    check_output_path(path, m_overwrite);
    auto file = std::make_unique<File>(path, temporary_path(path));
    write_temporary(file->temp, path, content);
    m_files.push_back(std::move(file));
}

void StagedFiles::adopt(const std::string& path, const std::string& temp) { m_files.push_back(std::make_unique<File>(path, temp)); }

void StagedFiles::commit() {
    std::error_code ec;
    if (!m_overwrite)
        for (const auto& f : m_files)
            if (fs::exists(f->path, ec)) throw UsageError(fmt::format("{}: already exists; pass --overwrite to replace it", f->path));
    for (const auto& f : m_files) {
        rename_into_place(f->temp, f->path, m_overwrite);
        f->temp.clear();
        f->cleanup.release();
    }
}

} // namespace safer::layers
