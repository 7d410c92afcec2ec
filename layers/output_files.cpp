#include "layers/output_files.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/errors.hpp"
#include "layers/gpkg_schema.hpp"
#include "layers/interrupt.hpp"
#include "layers/postgis.hpp"

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
void sync_path(const std::string& path, const std::string& output) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(fmt::format("{}: cannot open {} to flush it: {}", output, path, std::strerror(errno)));
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc != 0 && error != EINVAL && error != EROFS) // EINVAL/EROFS: the file system cannot sync this kind of file
        throw IoError(fmt::format("{}: writing the output failed: {}", output, std::strerror(error)));
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
    if (!overwrite && fs::exists(to, ec)) throw UsageError(fmt::format("{}: already exists; pass --overwrite to replace it", to));
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
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw IoError(fmt::format("{}: is a folder; name the file to write", path));
    if (fs::exists(path, ec) && !overwrite) throw UsageError(fmt::format("{}: already exists; pass --overwrite to replace it", path));
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw IoError(fmt::format("{}: {} is a file, not a folder", path, dir.string()));
    if (!fs::is_directory(dir, ec)) throw IoError(fmt::format("{}: the folder {} does not exist", path, dir.string()));
    if (::access(dir.c_str(), W_OK) != 0) throw IoError(fmt::format("{}: the folder {} is not writable", path, dir.string()));
    // A GeoPackage another process is writing fails now, not after the work (commit() checks again).
    if (overwrite) ReplaceLock probe(path, 500);
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
