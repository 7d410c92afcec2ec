#pragma once
// Finding input files (files, folders, zips) and reading their bytes (plain, gzip, zip member).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace safer {
class Progress;
}

namespace safer::layers {

/// One input file as the user would name it, and how to open it.
struct SourceFile {
    enum class Kind { plain, gzip, vsi, zip };
    std::string display;  // path shown in messages and the rejects layer, e.g. "crimes.zip/2021-03/x.csv"
    std::string path;     // filesystem path, or a GDAL /vsi path for Kind::vsi
    std::string file;     // the file on disk that holds it (the zip, for a zip member)
    Kind kind = Kind::plain;
    bool is_csv = true;   // false: read as an OGR vector layer
    /// Kind::zip: the member's place in the archive (minizip's unz64_file_pos), so members GDAL
    /// cannot name ("../x.csv", "/x.csv", a name given twice) are read like any other.
    uint64_t zip_dir_offset = 0, zip_file_number = 0;
    /// About how many bytes reading it gives (its size; a gzip's recorded size, a zip member's
    /// uncompressed size), for progress; 0 if unknown.
    uint64_t expected_bytes = 0;
};

/// True for a GDAL virtual path (/vsizip/, /vsigzip/, /vsicurl/, /vsis3/, ...), which every input
/// takes as GDAL reads it: files inside archives or on the network, read without unpacking.
bool is_vsi_path(const std::string& path);
/// True if `path` names a file or folder, on disk or through GDAL's virtual file systems.
bool input_exists(const std::string& path);
/// One input file by its path (plain, .gz, or a GDAL virtual path), as expand_sources makes it.
SourceFile source_file(const std::string& path);

/// Expands `--crimes` arguments: a file stands for itself; a folder is searched recursively and a
/// .zip is listed (every member, by its place in the archive: names with "..", a leading "/",
/// backslashes or given twice included; nothing is extracted to disk), in both cases for `*.csv`
/// and `*.csv.gz`, taking only police.uk street files
/// (`*-street.csv`) when there are any, so outcomes and stop-and-search files beside them are
/// left alone. Sorted by path within each argument. GDAL virtual paths work the same way: a
/// /vsizip/ folder or a zip on the network (/vsicurl/https://.../x.zip) is listed through GDAL,
/// a file is read through GDAL (a .csv.gz inside it too). Throws InputError for a missing path
/// or a folder or zip with no CSV.
std::vector<SourceFile> expand_sources(const std::vector<std::string>& arguments);

/// Sequential bytes of one source. read() returns 0 at the end and throws InputError naming the
/// file when the data is corrupt (a truncated gzip, a bad zip member) or larger than allowed, and
/// IoError when the file on disk changed (size or modification time) while it was being read.
class ByteReader {
public:
    virtual ~ByteReader() = default;
    virtual size_t read(char* buffer, size_t size) = 0;
    /// SHA-256 of the file on disk, when this reader has read all of it itself (plain files,
    /// once read() has returned 0); "" otherwise.
    virtual std::string file_sha256() { return {}; }
    /// A plain file's size and modification time when it was opened ("" for other sources), to
    /// tell later whether it is still the file that was read (DeferredSha256).
    virtual std::string stamp() { return {}; }
    static std::unique_ptr<ByteReader> open(const SourceFile& source);
    /// As open(), with every byte read counted on `progress` (null: not counted). Without
    /// `checksum` a plain file is not checksummed while read (file_sha256() stays "").
    static std::unique_ptr<ByteReader> open(const SourceFile& source, Progress* progress, bool checksum = true);
    /// A plain file's bytes from `offset` on (to read one row again); no checksum.
    static std::unique_ptr<ByteReader> open_at(const SourceFile& source, uint64_t offset);
};

/// SHA-256 of plain files already read, taken on a thread of the lowest priority, so that it uses
/// a core the analysis leaves idle (safer kde's writing is mostly on one core) rather than
/// lengthening the reading, where it was a tenth of the work. get() waits for it.
class DeferredSha256 {
public:
    struct File {
        std::string path;
        std::string stamp; // ByteReader::stamp() of the reading
    };
    explicit DeferredSha256(std::vector<File> files);
    ~DeferredSha256();
    DeferredSha256(const DeferredSha256&) = delete;
    DeferredSha256& operator=(const DeferredSha256&) = delete;
    bool has(const std::string& path) const;
    /// The digest of `path`, one of the files given. IoError if the file is no longer the one
    /// that was read (its size or modification time changed).
    std::string get(const std::string& path);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Largest decompressed size accepted from one compressed member; beyond it the input is refused
/// as a likely zip bomb. 64 GiB is far more than a year of national police.uk data (about 2 GB).
inline constexpr unsigned long long max_expanded_bytes = 64ULL << 30;
/// Largest ratio of decompressed bytes to the size of the file on disk holding them (the .gz, or
/// the whole .zip), checked once more than expansion_ratio_floor bytes have come out. One
/// deflate layer cannot pass 1,032:1, so only nested compression (a .csv.gz inside a .zip) or a
/// crafted archive does: refused as a zip bomb long before max_expanded_bytes.
inline constexpr unsigned long long max_expansion_ratio = 1100;
inline constexpr unsigned long long expansion_ratio_floor = 16ULL << 20;

} // namespace safer::layers
