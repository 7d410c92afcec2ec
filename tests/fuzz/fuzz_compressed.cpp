// libFuzzer target: the byte readers of layers/sources.cpp on hostile compressed files: raw
// bytes as a .csv.gz (zlib through GzipReader) or as a .zip (expand_sources lists it with
// GDAL's /vsizip/, VsiReader reads each .csv or .csv.gz member), then the CSV tokenizer over
// what comes out. The first byte picks the container.
// Invariants: only safer::Error escapes; no read reports more bytes than the buffer holds.
#include <string>
#include <vector>

#include "engine/errors.hpp"
#include "layers/csv.hpp"
#include "layers/sources.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace safer;

namespace {
void drain(const layers::SourceFile& source) {
    auto reader = layers::ByteReader::open(source);
    std::vector<char> buffer(4096);
    uint64_t total = 0;
    for (;;) {
        const size_t n = reader->read(buffer.data(), buffer.size());
        if (n > buffer.size()) fuzz::fail("read() returned more than the buffer");
        if (n == 0) break;
        total += n;
        if (total > (64u << 20)) break; // enough: the expansion limit itself is 64 GiB
    }
    auto again = layers::ByteReader::open(source);
    layers::CsvReader csv(*again, source.display);
    std::vector<std::string_view> fields;
    size_t records = 0;
    while (csv.next(fields) && ++records < 100000) {
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const bool zip = data[0] & 1;
    // A new name for each input: GDAL keeps the listing of each archive it opened by name, and a
    // file rewritten within the same second at the same size could be read from that memory.
    fuzz::TempFile file(zip ? ".zip" : ".csv.gz");
    file.write(data + 1, size - 1);
    try {
        for (const layers::SourceFile& s : layers::expand_sources({file.path()})) drain(s);
    } catch (const safer::Error&) {
    }
    return 0;
}
