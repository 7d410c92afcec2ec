#pragma once
// A streaming CSV tokenizer (RFC 4180): quoted fields holding commas, newlines and doubled
// quotes; CRLF or LF; a UTF-8 byte-order mark; empty trailing fields. Measured faster than
// OGR's CSV driver row by row (benchmarks/csv_read_bench.cpp), which matters for a year of
// national police.uk data.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "layers/sources.hpp"

namespace safer::layers {

class CsvReader {
public:
    /// `buffer_bytes`: how much is read at a time (the buffer grows for a longer record).
    CsvReader(ByteReader& input, std::string name, size_t buffer_bytes = size_t{1} << 20);

    /// Reads the next record into `fields` (views valid until the next call). Skips blank lines.
    /// Returns false at the end of the input.
    bool next(std::vector<std::string_view>& fields);

    /// 1-based line on which the last record started.
    uint64_t line() const { return m_record_line; }
    /// Byte offset in the input at which the last record started (for reading it again).
    uint64_t record_offset() const { return m_record_offset; }
    /// The last record's bytes, without its line end, when it held no quote (its fields joined
    /// by commas); empty after a record with quotes.
    std::string_view unquoted_record() const { return m_unquoted_record; }
    /// The last record opened a quoted field that was never closed (by the end of the input, or
    /// within max_record_bytes). Such a record is its first line alone; reading goes on with the
    /// next line. A quote that does not start a field is an ordinary character.
    bool unclosed_quote() const { return m_unclosed_quote; }
    const std::string& name() const { return m_name; }

    /// Records longer than this are refused as malformed input.
    static constexpr size_t max_record_bytes = 16u << 20;

private:
    bool fill();
    void split_simple(char* begin, char* end, std::vector<std::string_view>& fields);
    void split_quoted(char* begin, char* end, std::vector<std::string_view>& fields);

    ByteReader& m_input;
    std::string m_name;
    std::string m_buffer;
    size_t m_pos = 0;
    size_t m_end = 0;
    bool m_eof = false;
    bool m_started = false;
    uint64_t m_line = 1;
    uint64_t m_record_line = 0;
    uint64_t m_consumed = 0; // bytes of the input moved out of the buffer
    uint64_t m_record_offset = 0;
    std::string_view m_unquoted_record;
    bool m_unclosed_quote = false;
};

/// A header's column names, lower-cased and trimmed, for finding columns by name. InputError
/// naming `path` and the column when a name (other than an empty one) appears twice: which of
/// the two holds the values could only be guessed (two Longitude columns, one of them empty,
/// would put every incident at longitude 0).
std::vector<std::string> header_names(const std::vector<std::string_view>& fields, const std::string& path);

} // namespace safer::layers
