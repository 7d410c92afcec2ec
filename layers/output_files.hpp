#pragma once
// Writing outputs atomically: every file a command writes goes to a temporary file beside its
// final path and is renamed into place only when it is complete, flushed to the disk first, so
// a path holds either what it held before or the whole new file.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace safer::layers {

/// Fails early, before any work, if `path` exists and `overwrite` is false (UsageError), if it
/// exists and is anything but a regular file (a device, pipe, socket, folder or symbolic link,
/// dangling or not: UsageError even with `overwrite`, as only regular files are ever replaced),
/// or if its folder does not exist or is not writable (IoError). For PG:... it connects and
/// checks the database and schema (layers/postgis.hpp).
void check_output_path(const std::string& path, bool overwrite);

/// What an output holds, which decides the file names it may take.
enum class OutputKind : uint8_t {
    geopackage,      // -o: the command's layers: a vector format of output_formats() or PG:...
    geopackage_tiff, // safer kde -o: also a GeoTIFF (.tif, .tiff)
    csv,             // .csv
    html,            // .html, .htm
    pdf,             // .pdf
};

/// A format -o writes layers in, and what it can hold. output_formats() is the one list of them:
/// check_outputs, the layer writer and the help text all read it.
struct OutputFormat {
    OutputFormat(std::string name_, std::string driver_, std::vector<std::string> extensions_, std::vector<std::string> names_)
        : name(std::move(name_)), driver(std::move(driver_)), extensions(std::move(extensions_)), names(std::move(names_)) {}
    std::string name;                    // in messages: "GeoPackage", "FlatGeobuf"
    std::string driver;                  // GDAL's driver: "GPKG", "FlatGeobuf", "ESRI Shapefile", ...
    std::vector<std::string> extensions; // the first is the usual one; none for PostGIS (PG:...)
    std::vector<std::string> names;      // what --format takes besides the driver, lower case
    bool several_layers = false;         // else only the command's main layer is written
    bool rasters = false;
    bool tables = false;                 // layers without geometry (rejects, concentration)
    bool styles = false;                 // holds QGIS styles itself (layer_styles); else a .qml beside the file
    bool crs = true;                     // records the CRS
    size_t field_name_limit = 0;         // the longest field name it keeps (Shapefile: 10); 0 any
    std::vector<std::string> companions; // files beside it (Shapefile: .shx, .dbf, .prj, .cpg)
    bool is_geopackage() const { return driver == "GPKG"; }
    bool is_postgis() const { return driver == "PostgreSQL"; }
};
const std::vector<OutputFormat>& output_formats();
/// The format of a layer output: `format` (--format: a driver or one of `names`, any case) if
/// given, else a PG: connection or the path's extension; null if neither names one.
const OutputFormat* output_format(const std::string& path, const std::string& format = {});
/// "GeoPackage (.gpkg), FlatGeobuf (.fgb), ...": the formats as help and messages list them.
std::string output_formats_text();

struct OutputPath {
    OutputPath() = default;
    OutputPath(std::string option_, std::string path_, OutputKind kind_ = OutputKind::geopackage)
        : option(std::move(option_)), path(std::move(path_)), kind(kind_) {}
    std::string option; // "-o", "--csv", "--report", or what the path was derived from
    std::string path;
    OutputKind kind = OutputKind::geopackage;
    // Layer outputs (geopackage, geopackage_tiff) only:
    std::string format;       // --format; empty: from the extension
    std::string main_layer;   // what a one-layer format holds (empty: the first layer with geometry)
    bool rasters = false;     // the command writes rasters here
    bool raster_main = false; // its main layer is a raster (safer kde): a vector format cannot hold it
    bool table_main = false;  // its main layer has no geometry (safer accuracy): only CSV of the one-layer formats holds it
    bool project = true;      // a GeoPackage gets a QGIS project beside it (project_path)
};
/// Where the QGIS project of a GeoPackage (or GeoTIFF) goes: the same folder and name, .qgz.
std::string project_path(const std::string& data_path);
/// Where the default QGIS style of a one-layer file goes: the same folder and name, .qml (QGIS
/// loads it as the layer's style).
std::string style_path(const std::string& data_path);
/// Checks a command's outputs together, before any work: each is named (UsageError for a missing
/// -o), its extension (or --format) suits what it holds (UsageError listing the formats it
/// takes), a format that cannot hold the command's main layer is refused, no two name the same
/// file, none is one of `inputs` (the files and folders the command reads), and each can be
/// written (check_output_path), with the files that go beside it (a GeoPackage's QGIS project, a
/// Shapefile's .dbf and the others, a one-layer file's .qml). Also removes the temporaries that
/// safer runs killed outright (SIGKILL, power loss) left beside these outputs.
/// Returns what the formats chosen will not hold, to be said before the work starts.
std::vector<std::string> check_outputs(const std::vector<OutputPath>& outputs, const std::vector<std::string>& inputs, bool overwrite);

/// Where an output is written before it is moved into place: ".NAME.tmp-PID" beside `path`. A
/// temporary whose process no longer runs is removed by the next run writing the same output.
std::string temporary_path(const std::string& path);
/// Writes `content` to the temporary file `temp` (IoError naming `path`, and no file left, if the
/// disk cannot take it).
void write_temporary(const std::string& temp, const std::string& path, const std::string& content);
/// Moves a finished temporary file to `to`, flushed to the disk first, then the rename too.
/// UsageError if `to` exists and `overwrite` is false.
void rename_into_place(const std::string& from, const std::string& to, bool overwrite);
/// Flushes a file to the disk (IoError naming `output` if the disk could not take it).
void sync_path(const std::string& path, const std::string& output);
/// Asks the system to start writing `path`'s pages to the disk now, on a thread of its own (a
/// hint: the flush before the rename then has less left to wait for); the thread is joined when
/// the result is destroyed. Nothing happens where the system cannot do it.
std::jthread start_writeback(const std::string& path);
/// This process's folder for temporaries that belong to no output (the GeoPackage staged for a
/// PostGIS write, a browser profile): "safer-PID" under TMPDIR (else /tmp), made on first use,
/// removed at exit. Its name is its lock: the first call removes the folders of safer processes
/// that no longer run (killed outright), so nothing of theirs is ever mistaken for a live run's.
const std::string& process_temp_dir();
/// Removes that folder now, at the end of a run whose exit runs no destructors.
void remove_process_temp_dir();
/// Removes a file and SQLite's -journal, -wal and -shm companions, ignoring errors.
void remove_quietly(const std::string& path);

/// Files that belong together (a command's CSVs and report beside its GeoPackage): stage() writes
/// each to a temporary file beside its path, and commit() renames them all into place. A rename
/// needs no space, so a disk that fills up, or any failure before commit(), leaves none of them
/// at its path and every previous file as it was. What is not committed is removed when the
/// object goes, or when the run is interrupted.
class StagedFiles {
public:
    explicit StagedFiles(bool overwrite);
    ~StagedFiles();
    StagedFiles(const StagedFiles&) = delete;
    StagedFiles& operator=(const StagedFiles&) = delete;
    /// Writes `content` to a temporary file beside `path` (IoError if it cannot, naming `path`).
    void stage(const std::string& path, const std::string& content);
    /// Takes a file already written at `temp` (beside `path`, by a writer of its own) into the set.
    void adopt(const std::string& path, const std::string& temp);
    /// Moves every staged file into place, in the order staged.
    void commit();

private:
    struct File;
    bool m_overwrite;
    std::vector<std::unique_ptr<File>> m_files;
};

} // namespace safer::layers
