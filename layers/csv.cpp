#include "layers/csv.hpp"

#include <fmt/core.h>

#include <cstring>

#include "engine/errors.hpp"

namespace safer::layers {

CsvReader::CsvReader(ByteReader& input, std::string name) : m_input(input), m_name(std::move(name)) {
    m_buffer.resize(1 << 20);
}

// Moves the unread tail to the front and reads more; grows the buffer when one record fills it.
bool CsvReader::fill() {
    if (m_eof) return false;
    if (m_pos > 0) {
        std::memmove(m_buffer.data(), m_buffer.data() + m_pos, m_end - m_pos);
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
    if (!m_started) {
        while (m_end < 3 && fill()) {
        }
        if (m_end >= 3 && std::memcmp(m_buffer.data(), "\xEF\xBB\xBF", 3) == 0) m_pos = 3; // UTF-8 byte-order mark
        m_started = true;
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
        char* quote = static_cast<char*>(std::memchr(start, '"', static_cast<size_t>(record_end - start)));
        if (!quote) {
            char* content_end = record_end;
            if (content_end > start && content_end[-1] == '\r') --content_end;
            m_record_line = m_line++;
            m_pos = static_cast<size_t>((newline ? newline + 1 : limit) - data);
            if (content_end == start) {
                fields.clear();
                continue; // blank line
            }
            split_simple(start, content_end, fields);
            return true;
        }
        // Quotes: find the newline that ends the record outside any quoted field.
        bool in_quotes = false;
        uint64_t newlines = 0;
        char* p = start;
        for (; p < limit; ++p) {
            if (*p == '"') in_quotes = !in_quotes; // a doubled quote toggles twice
            else if (*p == '\n') {
                if (!in_quotes) break;
                ++newlines;
            }
        }
        if (p == limit && !m_eof) {
            fill();
            continue;
        }
        m_unclosed_quote = in_quotes;
        char* content_end = p;
        if (content_end > start && content_end[-1] == '\r') --content_end;
        m_record_line = m_line;
        m_line += newlines + 1;
        m_pos = static_cast<size_t>((p < limit ? p + 1 : limit) - data);
        split_quoted(start, content_end, fields);
        return true;
    }
}

} // namespace safer::layers
