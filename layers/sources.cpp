#include "layers/sources.hpp"

#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <minizip/unzip.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <stdexcept>

#include "engine/errors.hpp"
#include "engine/progress.hpp"
#include "layers/checksum.hpp"
#include "layers/gdal_session.hpp"

namespace safer::layers {

namespace fs = std::filesystem;

namespace {

bool ends_with_ci(std::string_view s, std::string_view suffix) {
    if (s.size() < suffix.size()) return false;
    for (size_t i = 0; i < suffix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
    return true;
}

bool is_csv_name(std::string_view name) { return ends_with_ci(name, ".csv") || ends_with_ci(name, ".csv.gz"); }
bool is_street_name(std::string_view name) {
    return ends_with_ci(name, "-street.csv") || ends_with_ci(name, "-street.csv.gz");
}

// Keep street files when a folder holds any: data.police.uk downloads put outcomes and
// stop-and-search files beside them, with other headers.
std::vector<SourceFile> keep_street_files(std::vector<SourceFile> files) {
    const bool any_street = std::any_of(files.begin(), files.end(), [](const SourceFile& f) { return is_street_name(f.display); });
    if (any_street) std::erase_if(files, [](const SourceFile& f) { return !is_street_name(f.display); });
    std::sort(files.begin(), files.end(), [](const SourceFile& a, const SourceFile& b) { return a.display < b.display; });
    return files;
}

/// The uncompressed size a gzip file records in its last four bytes (modulo 4 GiB); 0 if unreadable.
uint64_t gzip_recorded_size(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    unsigned char tail[4] = {0, 0, 0, 0};
    if (!f || std::fseek(f.get(), -4, SEEK_END) != 0 || std::fread(tail, 1, 4, f.get()) != 4) return 0;
    return tail[0] | (uint64_t{tail[1]} << 8) | (uint64_t{tail[2]} << 16) | (uint64_t{tail[3]} << 24);
}

SourceFile vsi_file_source(const std::string& path) {
    SourceFile s;
    s.display = path;
    s.path = path;
    s.file = path; // checksummed as the bytes GDAL gives
    s.kind = SourceFile::Kind::vsi;
    s.is_csv = ends_with_ci(path, ".csv") || ends_with_ci(path, ".csv.gz") || ends_with_ci(path, ".txt") ||
               (path.rfind("/vsigzip/", 0) == 0 && ends_with_ci(path, ".csv.gz"));
    VSIStatBufL st;
    if (VSIStatL(path.c_str(), &st) == 0 && !ends_with_ci(path, ".gz")) s.expected_bytes = static_cast<uint64_t>(st.st_size);
    return s;
}

/// The CSVs under a GDAL virtual folder (/vsizip/x.zip, or a zip on the network), found as
/// expand_sources finds them on disk.
std::vector<SourceFile> vsi_folder_sources(const std::string& folder) {
    ensure_gdal();
    const std::unique_ptr<char*, decltype(&CSLDestroy)> names(VSIReadDirRecursive(folder.c_str()), &CSLDestroy);
    std::vector<SourceFile> files;
    for (char** n = names.get(); n && *n; ++n) {
        const std::string name = *n;
        if (name.empty() || name.back() == '/' || !is_csv_name(name)) continue;
        files.push_back(vsi_file_source(folder + (folder.back() == '/' ? "" : "/") + name));
    }
    if (files.empty()) throw InputError(fmt::format("{}: holds no .csv or .csv.gz file", folder));
    return keep_street_files(std::move(files));
}

std::vector<SourceFile> vsi_sources(const std::string& path) {
    ensure_gdal();
    clear_gdal_error();
    VSIStatBufL st;
    if (VSIStatL(path.c_str(), &st) != 0) {
        const std::string why = gdal_message();
        throw InputError(fmt::format("{}: no such file or folder{}", path, why.empty() ? " (GDAL cannot reach it)" : " (" + why + ")"));
    }
    if (VSI_ISDIR(st.st_mode)) return vsi_folder_sources(path);
    if (ends_with_ci(path, ".zip")) return vsi_folder_sources("/vsizip/" + path); // a zip on the network, listed through GDAL
    return {vsi_file_source(path)};
}

SourceFile file_source(const std::string& path) {
    SourceFile s;
    s.display = path;
    s.path = path;
    s.file = path;
    s.kind = ends_with_ci(path, ".gz") ? SourceFile::Kind::gzip : SourceFile::Kind::plain;
    s.is_csv = ends_with_ci(path, ".csv") || ends_with_ci(path, ".csv.gz") || ends_with_ci(path, ".txt");
    std::error_code ec;
    if (s.kind == SourceFile::Kind::gzip) s.expected_bytes = gzip_recorded_size(path);
    else if (const auto size = fs::file_size(path, ec); !ec) s.expected_bytes = size;
    return s;
}

struct ZipCloser {
    void operator()(void* z) const noexcept { unzClose(z); }
};
using ZipHandle = std::unique_ptr<void, ZipCloser>;

ZipHandle open_zip(const std::string& path) {
    ZipHandle z(unzOpen64(path.c_str()));
    if (!z) {
        std::error_code ec;
        throw InputError(fmt::format("{}: cannot open as a zip archive: {}", path,
                                     fs::exists(path, ec) ? "no zip directory found (corrupt or truncated?)" : "no such file"));
    }
    return z;
}

std::vector<SourceFile> zip_sources(const std::string& path) {
    const ZipHandle z = open_zip(path);
    std::vector<SourceFile> files;
    int rc = unzGoToFirstFile(z.get());
    for (; rc == UNZ_OK; rc = unzGoToNextFile(z.get())) {
        unz_file_info64 info{};
        std::string name(4096, '\0');
        if (unzGetCurrentFileInfo64(z.get(), &info, name.data(), name.size(), nullptr, 0, nullptr, 0) != UNZ_OK)
            throw InputError(fmt::format("{}: cannot read the zip directory (corrupt?)", path));
        name.resize(std::min<size_t>(info.size_filename, name.size() - 1));
        if (name.empty() || name.back() == '/' || !is_csv_name(name)) continue;
        unz64_file_pos pos{};
        unzGetFilePos64(z.get(), &pos);
        SourceFile s;
        s.display = path + "/" + name;
        s.path = name;
        s.file = path;
        s.kind = SourceFile::Kind::zip;
        s.zip_dir_offset = pos.pos_in_zip_directory;
        s.zip_file_number = pos.num_of_file;
        s.expected_bytes = info.uncompressed_size;
        files.push_back(std::move(s));
    }
    if (rc != UNZ_END_OF_LIST_OF_FILE) throw InputError(fmt::format("{}: cannot read the zip directory (corrupt or truncated?)", path));
    if (files.empty()) throw InputError(fmt::format("{}: the zip archive holds no .csv or .csv.gz file", path));
    return keep_street_files(std::move(files));
}

// Size and modification time of a file on disk, to tell whether it changed while it was read.
struct FileStamp {
    bool regular = false; // pipes and devices have no size to compare
    long long size = 0;
    long long mtime_ns = 0;
    static FileStamp of(const struct stat& st) {
        FileStamp f;
        f.regular = S_ISREG(st.st_mode);
        f.size = static_cast<long long>(st.st_size);
        f.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
        return f;
    }
    static FileStamp of_path(const std::string& path) {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0 ? of(st) : FileStamp{};
    }
    bool operator==(const FileStamp&) const = default;
    std::string text() const { return regular ? fmt::format("{} bytes, modified {} ns", size, mtime_ns) : std::string(); }
};

void check_unchanged(const std::string& name, const FileStamp& before, const FileStamp& after) {
    if (!before.regular || before == after) return;
    throw IoError(fmt::format("{}: the file changed while it was being read ({} bytes when opened, {} now{}); "
                              "read it again once it is complete",
                              name, before.size, after.size, before.size == after.size ? ", modified" : ""));
}

// Refuses a decompressed stream that grows beyond the limits of sources.hpp.
void check_expansion(const std::string& name, unsigned long long total, long long compressed_size, const char* kind) {
    if (total > max_expanded_bytes)
        throw InputError(fmt::format("{}: expands beyond {} GiB; refusing it as a likely {} bomb", name, max_expanded_bytes >> 30, kind));
    if (total > expansion_ratio_floor && compressed_size > 0 &&
        total / static_cast<unsigned long long>(compressed_size) >= max_expansion_ratio)
        throw InputError(fmt::format("{}: expands to more than {} times the {} bytes of the compressed file, beyond what one "
                                     "layer of deflate can reach; refusing it as a likely {} bomb",
                                     name, max_expansion_ratio, compressed_size, kind));
}

class PlainReader final : public ByteReader {
public:
    PlainReader(const SourceFile& s, bool checksum) : m_name(s.display), m_checksum(checksum) {
        m_fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0) throw InputError(fmt::format("{}: cannot open: {}", m_name, std::strerror(errno)));
        struct stat st {};
        if (::fstat(m_fd, &st) == 0) m_opened = FileStamp::of(st);
    }
    ~PlainReader() override { ::close(m_fd); }
    size_t read(char* buffer, size_t size) override {
        for (;;) {
            const ssize_t n = ::read(m_fd, buffer, size);
            if (n > 0) {
                if (m_checksum) m_sha.update(buffer, static_cast<size_t>(n));
                m_read += n;
                return static_cast<size_t>(n);
            }
            if (n == 0) {
                if (!m_ended) {
                    // Appended to, cut short or rewritten while read: the rows and the checksum
                    // would describe no version of the file.
                    struct stat st {};
                    FileStamp now = m_opened;
                    if (::fstat(m_fd, &st) == 0) now = FileStamp::of(st);
                    if (m_opened.regular && m_opened.size > 0 && m_read != m_opened.size && now == m_opened) now.size = m_read;
                    check_unchanged(m_name, m_opened, now);
                    m_ended = true;
                    if (m_checksum) m_digest = m_sha.hex();
                }
                return 0;
            }
            if (errno != EINTR) throw IoError(fmt::format("{}: read failed: {}", m_name, std::strerror(errno)));
        }
    }
    // Checksummed from the bytes read, so the metadata costs no second pass over the file.
    std::string file_sha256() override { return m_digest; }
    std::string stamp() override { return m_opened.text(); }

private:
    std::string m_name;
    bool m_checksum;
    bool m_ended = false;
    int m_fd;
    FileStamp m_opened;
    long long m_read = 0;
    Sha256 m_sha;
    std::string m_digest;
};

class GzipReader final : public ByteReader {
public:
    explicit GzipReader(const SourceFile& s) : m_name(s.display), m_path(s.path) {
        m_opened = FileStamp::of_path(s.path);
        m_file = gzopen(s.path.c_str(), "rb");
        if (!m_file) throw InputError(fmt::format("{}: cannot open: {}", m_name, std::strerror(errno)));
        gzbuffer(m_file, 1 << 18);
    }
    ~GzipReader() override { gzclose(m_file); }
    size_t read(char* buffer, size_t size) override {
        const int n = gzread(m_file, buffer, static_cast<unsigned>(std::min<size_t>(size, 1u << 30)));
        int code = Z_OK;
        const char* message = gzerror(m_file, &code);
        if (n < 0 || (code != Z_OK && code != Z_STREAM_END))
            throw InputError(fmt::format("{}: corrupt or truncated gzip data: {}", m_name, message ? message : "unknown"));
        m_total += static_cast<unsigned long long>(n);
        check_expansion(m_name, m_total, m_opened.size, "gzip");
        if (n == 0 && size > 0) check_unchanged(m_name, m_opened, FileStamp::of_path(m_path));
        return static_cast<size_t>(n);
    }

private:
    std::string m_name;
    std::string m_path;
    FileStamp m_opened;
    gzFile m_file;
    unsigned long long m_total = 0;
};

class VsiReader final : public ByteReader {
public:
    explicit VsiReader(const SourceFile& s) : m_name(s.display), m_file_on_disk(s.file) {
        m_opened = FileStamp::of_path(s.file);
        ensure_gdal();
        clear_gdal_error();
        m_file = VSIFOpenL(s.path.c_str(), "rb");
        if (!m_file) throw InputError(fmt::format("{}: cannot open: {}", m_name, gdal_message()));
    }
    ~VsiReader() override { VSIFCloseL(m_file); }
    size_t read(char* buffer, size_t size) override {
        clear_gdal_error();
        const size_t n = VSIFReadL(buffer, 1, size, m_file);
        if (n < size && CPLGetLastErrorType() >= CE_Failure)
            throw InputError(fmt::format("{}: corrupt or truncated compressed data: {}", m_name, gdal_message()));
        m_total += n;
        m_sha.update(buffer, n);
        check_expansion(m_name, m_total, m_opened.size, "zip");
        if (n == 0 && size > 0) {
            check_unchanged(m_name, m_opened, FileStamp::of_path(m_file_on_disk));
            if (m_digest.empty()) m_digest = m_sha.hex();
        }
        return n;
    }
    // The SHA-256 of the bytes GDAL gave (a member of an archive, a file on the network): what
    // was read, recorded as the input's checksum.
    std::string file_sha256() override { return m_digest; }

private:
    std::string m_name;
    std::string m_file_on_disk;
    FileStamp m_opened;
    VSILFILE* m_file;
    unsigned long long m_total = 0;
    Sha256 m_sha;
    std::string m_digest;
};

// One member of a zip archive, inflated as it is read (minizip; nothing touches the disk).
class ZipMemberReader final : public ByteReader {
public:
    explicit ZipMemberReader(const SourceFile& s) : m_name(s.display), m_file_on_disk(s.file), m_zip(open_zip(s.file)) {
        m_opened = FileStamp::of_path(s.file);
        unz64_file_pos pos{s.zip_dir_offset, s.zip_file_number};
        if (unzGoToFilePos64(m_zip.get(), &pos) != UNZ_OK || unzOpenCurrentFile(m_zip.get()) != UNZ_OK)
            throw InputError(fmt::format("{}: cannot open the zip member (corrupt, encrypted or an unsupported compression method)", m_name));
        m_open = true;
    }
    ~ZipMemberReader() override {
        if (m_open) unzCloseCurrentFile(m_zip.get());
    }
    size_t read(char* buffer, size_t size) override {
        const int n = unzReadCurrentFile(m_zip.get(), buffer, static_cast<unsigned>(std::min<size_t>(size, 1u << 30)));
        if (n < 0)
            throw InputError(fmt::format("{}: corrupt or truncated compressed data{}", m_name, n == UNZ_CRCERROR ? " (CRC mismatch)" : ""));
        m_total += static_cast<unsigned long long>(n);
        check_expansion(m_name, m_total, m_opened.size, "zip");
        if (n == 0 && size > 0) check_unchanged(m_name, m_opened, FileStamp::of_path(m_file_on_disk));
        return static_cast<size_t>(n);
    }

private:
    std::string m_name;
    std::string m_file_on_disk;
    FileStamp m_opened;
    ZipHandle m_zip;
    bool m_open = false;
    unsigned long long m_total = 0;
};

// Gzip data read from another reader (a .csv.gz inside a zip), members one after another as gzip
// allows; bytes that do not start with the gzip magic pass through unchanged, as gzread does.
class GunzipReader final : public ByteReader {
public:
    GunzipReader(std::unique_ptr<ByteReader> inner, std::string name, long long size_on_disk)
        : m_inner(std::move(inner)), m_name(std::move(name)), m_size_on_disk(size_on_disk), m_in(1 << 18) {
        if (inflateInit2(&m_zs, 15 + 16) != Z_OK) throw InputError(fmt::format("{}: cannot start gzip decompression", m_name));
    }
    ~GunzipReader() override { inflateEnd(&m_zs); }
    size_t read(char* buffer, size_t size) override {
        if (!m_started) {
            m_started = true;
            refill();
            m_plain = !(m_zs.avail_in >= 2 && m_in[0] == 0x1f && m_in[1] == 0x8b);
        }
        if (m_plain) {
            if (m_zs.avail_in == 0 && !refill()) return 0;
            const size_t n = std::min<size_t>(size, m_zs.avail_in);
            std::memcpy(buffer, m_zs.next_in, n);
            m_zs.next_in += n, m_zs.avail_in -= static_cast<uInt>(n);
            return n;
        }
        const size_t want = std::min<size_t>(size, 1u << 30);
        m_zs.next_out = reinterpret_cast<Bytef*>(buffer);
        m_zs.avail_out = static_cast<uInt>(want);
        while (m_zs.avail_out > 0) {
            if (m_zs.avail_in == 0 && !refill()) {
                if (m_in_member) throw InputError(fmt::format("{}: corrupt or truncated gzip data: unexpected end of file", m_name));
                break;
            }
            m_in_member = true;
            const int rc = inflate(&m_zs, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                m_in_member = false;
                inflateReset(&m_zs); // another member may follow
            } else if (rc == Z_BUF_ERROR && m_zs.avail_in == 0) {
                continue; // needs more input
            } else if (rc != Z_OK) {
                throw InputError(fmt::format("{}: corrupt or truncated gzip data: {}", m_name, m_zs.msg ? m_zs.msg : "inflate failed"));
            }
        }
        const size_t n = want - m_zs.avail_out;
        m_total += n;
        check_expansion(m_name, m_total, m_size_on_disk, "zip");
        return n;
    }

private:
    bool refill() {
        const size_t n = m_inner->read(reinterpret_cast<char*>(m_in.data()), m_in.size());
        m_zs.next_in = m_in.data();
        m_zs.avail_in = static_cast<uInt>(n);
        return n > 0;
    }

    std::unique_ptr<ByteReader> m_inner;
    std::string m_name;
    long long m_size_on_disk;
    std::vector<Bytef> m_in;
    z_stream m_zs{};
    bool m_started = false, m_plain = false, m_in_member = false;
    unsigned long long m_total = 0;
};

} // namespace

bool is_vsi_path(const std::string& path) { return path.rfind("/vsi", 0) == 0; }

bool input_exists(const std::string& path) {
    if (!is_vsi_path(path)) {
        std::error_code ec;
        return fs::exists(path, ec);
    }
    ensure_gdal();
    VSIStatBufL st;
    return VSIStatL(path.c_str(), &st) == 0;
}

SourceFile source_file(const std::string& path) { return is_vsi_path(path) ? vsi_file_source(path) : file_source(path); }

std::vector<SourceFile> expand_sources(const std::vector<std::string>& arguments) {
    std::vector<SourceFile> out;
    for (const std::string& arg : arguments) {
        if (is_vsi_path(arg)) {
            for (auto& f : vsi_sources(arg)) out.push_back(std::move(f));
            continue;
        }
        std::error_code ec;
        const fs::file_status status = fs::status(arg, ec);
        if (ec || !fs::exists(status)) throw InputError(fmt::format("{}: no such file or folder", arg));
        if (fs::is_directory(status)) {
            std::vector<SourceFile> files;
            for (auto it = fs::recursive_directory_iterator(arg, fs::directory_options::follow_directory_symlink, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (it->is_regular_file() && is_csv_name(it->path().filename().string()))
                    files.push_back(file_source(it->path().string()));
            }
            if (ec) throw InputError(fmt::format("{}: cannot list the folder: {}", arg, ec.message()));
            if (files.empty()) throw InputError(fmt::format("{}: the folder holds no .csv or .csv.gz file", arg));
            for (auto& f : keep_street_files(std::move(files))) out.push_back(std::move(f));
        } else if (ends_with_ci(arg, ".zip")) {
            for (auto& f : zip_sources(arg)) out.push_back(std::move(f));
        } else {
            out.push_back(file_source(arg));
        }
    }
    return out;
}

namespace {

/// Counts the bytes another reader gives on a Progress.
class CountingReader final : public ByteReader {
public:
    CountingReader(std::unique_ptr<ByteReader> inner, Progress* progress) : m_inner(std::move(inner)), m_progress(progress) {}
    size_t read(char* buffer, size_t size) override {
        const size_t n = m_inner->read(buffer, size);
        m_progress->advance(n);
        return n;
    }
    std::string file_sha256() override { return m_inner->file_sha256(); }
    std::string stamp() override { return m_inner->stamp(); }

private:
    std::unique_ptr<ByteReader> m_inner;
    Progress* m_progress;
};

} // namespace

namespace {
class PlainRangeReader final : public ByteReader {
public:
    PlainRangeReader(const SourceFile& s, uint64_t offset) : m_offset(offset) {
        m_fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0) throw InputError(fmt::format("{}: cannot open: {}", s.display, std::strerror(errno)));
        m_name = s.display;
    }
    ~PlainRangeReader() override { ::close(m_fd); }
    size_t read(char* buffer, size_t size) override {
        for (;;) {
            const ssize_t n = ::pread(m_fd, buffer, size, static_cast<off_t>(m_offset));
            if (n >= 0) {
                m_offset += static_cast<uint64_t>(n);
                return static_cast<size_t>(n);
            }
            if (errno != EINTR) throw InputError(fmt::format("{}: read failed: {}", m_name, std::strerror(errno)));
        }
    }

private:
    int m_fd = -1;
    uint64_t m_offset;
    std::string m_name;
};
} // namespace

std::unique_ptr<ByteReader> ByteReader::open_at(const SourceFile& source, uint64_t offset) {
    if (source.kind != SourceFile::Kind::plain) throw std::logic_error("open_at: only a plain file can be read from an offset");
    return std::make_unique<PlainRangeReader>(source, offset);
}

std::unique_ptr<ByteReader> ByteReader::open(const SourceFile& source, Progress* progress, bool checksum) {
    std::unique_ptr<ByteReader> reader = source.kind == SourceFile::Kind::plain ? std::make_unique<PlainReader>(source, checksum) : open(source);
    if (!progress) return reader;
    return std::make_unique<CountingReader>(std::move(reader), progress);
}

std::unique_ptr<ByteReader> ByteReader::open(const SourceFile& source) {
    switch (source.kind) {
    case SourceFile::Kind::plain: return std::make_unique<PlainReader>(source, true);
    case SourceFile::Kind::gzip: return std::make_unique<GzipReader>(source);
    case SourceFile::Kind::vsi: {
        auto file = std::make_unique<VsiReader>(source);
        // A .csv.gz inside an archive or on the network; /vsigzip/ paths are inflated by GDAL.
        if (!ends_with_ci(source.path, ".gz") || source.path.rfind("/vsigzip/", 0) == 0) return file;
        return std::make_unique<GunzipReader>(std::move(file), source.display, 0);
    }
    case SourceFile::Kind::zip: {
        auto member = std::make_unique<ZipMemberReader>(source);
        if (!ends_with_ci(source.path, ".gz")) return member;
        return std::make_unique<GunzipReader>(std::move(member), source.display, FileStamp::of_path(source.file).size);
    }
    }
    return nullptr;
}

struct DeferredSha256::Impl {
    std::vector<File> files;
    std::vector<std::string> digest, error;
    std::atomic<bool> stop{false};
    std::thread thread;
    std::mutex mutex;
    bool joined = false;

    void run() {
        // The lowest priority: this thread takes a core only when the analysis leaves it idle
        // (SCHED_IDLE; where that is refused, nice 19, which still takes a little of a busy core).
        sched_param idle{};
        if (::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &idle) != 0) ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
        std::vector<char> buffer(size_t{1} << 20);
        for (size_t i = 0; i < files.size() && !stop; ++i) {
            const int fd = ::open(files[i].path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                error[i] = fmt::format("{}: cannot open it again to checksum it: {}", files[i].path, std::strerror(errno));
                continue;
            }
            struct stat st {};
            const FileStamp before = ::fstat(fd, &st) == 0 ? FileStamp::of(st) : FileStamp{};
            Sha256 sha;
            for (;;) {
                const ssize_t n = ::read(fd, buffer.data(), buffer.size());
                if (n > 0) {
                    sha.update(buffer.data(), static_cast<size_t>(n));
                    if (stop) break;
                    continue;
                }
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) error[i] = fmt::format("{}: read failed: {}", files[i].path, std::strerror(errno));
                break;
            }
            const FileStamp after = ::fstat(fd, &st) == 0 ? FileStamp::of(st) : FileStamp{};
            ::close(fd);
            if (error[i].empty() && (before.text() != files[i].stamp || after != before))
                error[i] = fmt::format("{}: the file changed after it was read ({} when read, {} now); run again once it is complete",
                                       files[i].path, files[i].stamp, after.text());
            if (error[i].empty()) digest[i] = sha.hex();
        }
    }
    void join() {
        std::lock_guard lock(mutex);
        if (!joined && thread.joinable()) thread.join();
        joined = true;
    }
};

DeferredSha256::DeferredSha256(std::vector<File> files) : m_impl(std::make_unique<Impl>()) {
    m_impl->files = std::move(files);
    m_impl->digest.resize(m_impl->files.size());
    m_impl->error.resize(m_impl->files.size());
    m_impl->thread = std::thread([impl = m_impl.get()] { impl->run(); });
}

DeferredSha256::~DeferredSha256() {
    m_impl->stop = true;
    m_impl->join();
}

bool DeferredSha256::has(const std::string& path) const {
    return std::any_of(m_impl->files.begin(), m_impl->files.end(), [&](const File& f) { return f.path == path; });
}

std::string DeferredSha256::get(const std::string& path) {
    m_impl->join();
    for (size_t i = 0; i < m_impl->files.size(); ++i) {
        if (m_impl->files[i].path != path) continue;
        if (!m_impl->error[i].empty()) throw IoError(m_impl->error[i]);
        return m_impl->digest[i];
    }
    throw std::logic_error("DeferredSha256::get: " + path + " was not given");
}

} // namespace safer::layers
