#pragma once
// Writing outputs atomically: every file a command writes goes to a temporary file beside its
// final path and is renamed into place only when it is complete, flushed to the disk first, so
// a path holds either what it held before or the whole new file.
#include <cstdint>
#include <memory>
#include <string>
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
    geopackage,      // -o: a GeoPackage (.gpkg) or PG:...
    geopackage_tiff, // safer kde -o: also a GeoTIFF (.tif, .tiff)
    csv,             // .csv
    html,            // .html, .htm
    pdf,             // .pdf
};
struct OutputPath {
    std::string option; // "-o", "--csv", "--report", or what the path was derived from
    std::string path;
    OutputKind kind = OutputKind::geopackage;
};
/// Checks a command's outputs together, before any work: each is named (UsageError for a missing
/// -o), its extension suits what it holds (UsageError listing the formats it takes), no two name
/// the same file, none is one of `inputs` (the files and folders the command reads), and each
/// can be written (check_output_path). Also removes the temporaries that safer runs killed
/// outright (SIGKILL, power loss) left beside these outputs.
void check_outputs(const std::vector<OutputPath>& outputs, const std::vector<std::string>& inputs, bool overwrite);

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
/// This process's folder for temporaries that belong to no output (the GeoPackage staged for a
/// PostGIS write, a browser profile): "safer-PID" under TMPDIR (else /tmp), made on first use,
/// removed at exit. Its name is its lock: the first call removes the folders of safer processes
/// that no longer run (killed outright), so nothing of theirs is ever mistaken for a live run's.
const std::string& process_temp_dir();
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
