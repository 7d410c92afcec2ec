// libFuzzer target: the CSV tokenizer (layers/csv.hpp) that reads police.uk and population files.
// Invariants: it never reads out of bounds (ASan), returns only InputError for bad input, gives
// the same records, fields, line numbers and flags however the bytes arrive, numbers records
// on strictly increasing lines, and never yields more field bytes than it was given.
#include <string>
#include <vector>

#include "engine/errors.hpp"
#include "layers/csv.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

struct Record {
    std::vector<std::string> fields;
    uint64_t line;
    bool unclosed;
    bool operator==(const Record&) const = default;
};

struct Parsed {
    std::vector<Record> records;
    std::string error;
};

Parsed parse(const uint8_t* data, size_t size, size_t piece) {
    safer::fuzz::MemoryReader in(data, size, piece);
    safer::layers::CsvReader csv(in, "fuzz.csv");
    std::vector<std::string_view> fields;
    Parsed out;
    size_t field_bytes = 0;
    try {
        while (csv.next(fields)) {
            if (fields.empty()) safer::fuzz::fail("a record with no fields");
            if (!out.records.empty() && csv.line() <= out.records.back().line) safer::fuzz::fail("line numbers do not increase");
            Record r{{}, csv.line(), csv.unclosed_quote()};
            for (std::string_view f : fields) {
                field_bytes += f.size();
                r.fields.emplace_back(f);
            }
            out.records.push_back(std::move(r));
        }
    } catch (const safer::InputError& e) {
        out.error = e.what();
    }
    if (field_bytes > size) safer::fuzz::fail("more field bytes than input bytes");
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const size_t piece = 1 + data[0] % 17; // small pieces: records straddle many refills
    const Parsed whole = parse(data + 1, size - 1, size);
    const Parsed pieces = parse(data + 1, size - 1, piece);
    if (!(whole.records == pieces.records) || whole.error != pieces.error)
        safer::fuzz::fail("the records depend on how the bytes arrive (piece " + std::to_string(piece) + ")");
    return 0;
}
