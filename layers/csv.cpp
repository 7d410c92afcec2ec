#include "layers/csv.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "engine/errors.hpp"
#include "engine/text.hpp"

namespace safer::layers {

CsvReader::CsvReader(ByteReader& input, std::string name, size_t buffer_bytes) : m_input(input), m_name(std::move(name)) {
    m_buffer.resize(std::max<size_t>(buffer_bytes, 64));
}

// Moves the unread tail to the front and reads more; grows the buffer when one record fills it.
bool CsvReader::fill() {
    if (m_eof) return false;
    if (m_pos > 0) {
        std::memmove(m_buffer.data(), m_buffer.data() + m_pos, m_end - m_pos);
        m_consumed += m_pos;
        m_end -= m_pos;
        m_pos = 0;
    }
    if (m_end == m_buffer.size()) {
        if (m_buffer.size() >= max_record_bytes)
            throw InputError(fmt::format("{}: line {}: a record longer than {} MiB; is this a CSV file?", m_name,
                                         m_line, max_record_bytes >> 20));
        m_buffer.resize(m_buffer.size() * 2);
    }
    const size_t n = m_input.read(m_buffer.data() + m_end, m_buffer.size() - m_end);
    if (n == 0) {
        m_eof = true;
        return false;
    }
    m_end += n;
    return true;
}

void CsvReader::split_simple(char* begin, char* end, std::vector<std::string_view>& fields) {
    char* p = begin;
    for (;;) {
        char* comma = static_cast<char*>(std::memchr(p, ',', static_cast<size_t>(end - p)));
        if (!comma) {
            fields.emplace_back(p, static_cast<size_t>(end - p));
            return;
        }
        fields.emplace_back(p, static_cast<size_t>(comma - p));
        p = comma + 1;
    }
}

// Unescapes in place: an unescaped field is never longer than its raw bytes.
void CsvReader::split_quoted(char* begin, char* end, std::vector<std::string_view>& fields) {
    char* p = begin;
    for (;;) {
        char* out = p;
        char* field_start = p;
        if (p < end && *p == '"') {
            ++p;
            for (;;) {
                if (p >= end) break;
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *out++ = '"';
                        p += 2;
                        continue;
                    }
                    ++p; // closing quote
                    break;
                }
                *out++ = *p++;
            }
            // Text between a closing quote and the next comma is kept, as spreadsheets do.
            while (p < end && *p != ',') *out++ = *p++;
        } else {
            while (p < end && *p != ',') {
                *out++ = *p++;
            }
        }
        fields.emplace_back(field_start, static_cast<size_t>(out - field_start));
        if (p >= end) return;
        ++p; // comma
        if (p == end) {
            fields.emplace_back(); // a trailing comma: one more, empty field
            return;
        }
    }
}

bool CsvReader::next(std::vector<std::string_view>& fields) {
    fields.clear();
    m_unclosed_quote = false;
    m_unquoted_record = {};
    if (!m_started) {
        m_started = true;
        for (;;) { // UTF-8 byte-order marks; some tools write two
            while (m_end - m_pos < 3 && fill()) {
            }
            if (m_end - m_pos < 3 || std::memcmp(m_buffer.data() + m_pos, "\xEF\xBB\xBF", 3) != 0) break;
            m_pos += 3;
        }
        if (m_end - m_pos >= 2 && (std::memcmp(m_buffer.data() + m_pos, "\xFF\xFE", 2) == 0 ||
                                   std::memcmp(m_buffer.data() + m_pos, "\xFE\xFF", 2) == 0))
            throw InputError(fmt::format("{}: the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as "
                                         "UTF-8 CSV", m_name));
        return next(fields);
    }
    for (;;) {
        if (m_pos >= m_end) {
            if (!fill() && m_pos >= m_end) return false;
            continue;
        }
        char* data = m_buffer.data();
        char* start = data + m_pos;
        char* limit = data + m_end;
        char* newline = static_cast<char*>(std::memchr(start, '\n', static_cast<size_t>(limit - start)));
        if (!newline && !m_eof) {
            fill();
            continue;
        }
        char* record_end = newline ? newline : limit;
        // A carriage return alone ends a line too (classic Mac files, or one stray in a file), as
        // Python's csv module reads it; one before a line feed is part of CRLF.
        if (char* cr = static_cast<char*>(std::memchr(start, '\r', static_cast<size_t>(record_end - start))); cr && cr + 1 < record_end) {
            newline = cr;
            record_end = cr;
        }
        char* quote = static_cast<char*>(std::memchr(start, '"', static_cast<size_t>(record_end - start)));
        if (!quote) {
            char* content_end = record_end;
            if (content_end > start && content_end[-1] == '\r') --content_end;
            m_record_line = m_line++;
            m_record_offset = m_consumed + static_cast<uint64_t>(start - data);
            m_pos = static_cast<size_t>((newline ? newline + 1 : limit) - data);
            if (content_end == start) {
                fields.clear();
                continue; // blank line
            }
            split_simple(start, content_end, fields);
            m_unquoted_record = std::string_view(start, static_cast<size_t>(content_end - start));
            return true;
        }
        // Quotes: find the newline that ends the record outside any quoted field. A quote opens
        // a quoted field only at the start of a field; elsewhere it is an ordinary character (as
        // split_quoted reads it, and as Python's csv module does), so a stray inch mark in one
        // row cannot swallow the rows after it.
        enum class State { field_start, unquoted, quoted } state = State::field_start;
        uint64_t newlines = 0;
        bool need_more = false;
        char* p = start;
        for (; p < limit; ++p) {
            const char ch = *p;
            if (state == State::quoted) {
                if (ch == '"') {
                    if (p + 1 == limit && !m_eof) { // a doubled quote may straddle the refill
                        need_more = true;
                        break;
                    }
                    if (p + 1 < limit && p[1] == '"') ++p; // a doubled quote
                    else state = State::unquoted;        // closing; text up to the comma is kept
                } else if (ch == '\n') {
                    ++newlines;
                }
                continue;
            }
            if (ch == '\n') break;
            if (ch == '\r') { // a carriage return alone ends the record; before a line feed it is CRLF's
                if (p + 1 == limit && !m_eof) {
                    need_more = true;
                    break;
                }
                if (p + 1 == limit || p[1] != '\n') break;
                continue;
            }
            if (ch == ',') state = State::field_start;
            else if (ch == '"' && state == State::field_start) state = State::quoted;
            else state = State::unquoted;
        }
        // A quoted field still open at the end of the input, or longer than a record may be, is
        // never closed: the record is then its first line alone, flagged, and reading goes on
        // with the next line, so one open quote costs one row, not the rest of the file.
        const bool too_long = state == State::quoted && static_cast<size_t>(limit - start) >= max_record_bytes;
        if ((need_more || (p == limit && !m_eof)) && !too_long) {
            fill();
            continue;
        }
        m_unclosed_quote = state == State::quoted;
        if (m_unclosed_quote) {
            char* first_newline = static_cast<char*>(std::memchr(start, '\n', static_cast<size_t>(limit - start)));
            if (!first_newline && too_long)
                throw InputError(fmt::format("{}: line {}: a record longer than {} MiB; is this a CSV file?", m_name, m_line,
                                             max_record_bytes >> 20));
            p = first_newline ? first_newline : limit;
            newlines = 0;
        }
        char* content_end = p;
        if (content_end > start && content_end[-1] == '\r') --content_end;
        m_record_line = m_line;
        m_record_offset = m_consumed + static_cast<uint64_t>(start - data);
        m_line += newlines + 1;
        m_pos = static_cast<size_t>((p < limit ? p + 1 : limit) - data);
        split_quoted(start, content_end, fields);
        return true;
    }
}

std::vector<std::string> header_names(const std::vector<std::string_view>& fields, const std::string& path) {
    std::vector<std::string> names;
    for (std::string_view f : fields) {
        std::string name = lower_trim(f);
        if (!name.empty())
            for (size_t i = 0; i < names.size(); ++i)
                if (names[i] == name)
                    throw InputError(fmt::format("{}: line 1: the column '{}' appears twice (columns {} and {}); name each column once", path,
                                                 std::string(trim(f)), i + 1, names.size() + 1));
        names.push_back(std::move(name));
    }
    return names;
}

} // namespace safer::layers
