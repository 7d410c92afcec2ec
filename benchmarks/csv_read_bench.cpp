// Is OGR's CSV driver, row by row, fast enough to read police.uk files, or do we need our own
// tokenizer? Both read the same file: SAFER_BENCH_CSV (a plain police.uk street CSV).
#include <benchmark/benchmark.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "layers/csv.hpp"
#include "layers/gdal_session.hpp"
#include "layers/sources.hpp"

namespace {
std::string bench_file() {
    const char* f = std::getenv("SAFER_BENCH_CSV");
    return f ? f : "";
}

void safer_csv_reader(benchmark::State& state) {
    using namespace safer::layers;
    SourceFile source{.display = bench_file(), .path = bench_file(), .file = bench_file(), .kind = SourceFile::Kind::plain, .is_csv = true};
    for (auto _ : state) {
        auto in = ByteReader::open(source);
        CsvReader csv(*in, source.display);
        std::vector<std::string_view> fields;
        int64_t rows = 0;
        size_t bytes = 0;
        while (csv.next(fields)) {
            ++rows;
            bytes += fields.size() > 4 ? fields[4].size() : 0;
        }
        --rows; // the header is a record too; OGR does not count it
        benchmark::DoNotOptimize(bytes);
        state.counters["rows"] = static_cast<double>(rows);
        state.SetItemsProcessed(state.items_processed() + rows);
    }
}

void ogr_csv_driver(benchmark::State& state) {
    safer::layers::ensure_gdal();
    for (auto _ : state) {
        const char* options[] = {"X_POSSIBLE_NAMES=Longitude", "Y_POSSIBLE_NAMES=Latitude", nullptr};
        GDALDatasetUniquePtr ds(GDALDataset::Open(bench_file().c_str(), GDAL_OF_VECTOR, nullptr, options));
        OGRLayer* layer = ds->GetLayer(0);
        int64_t rows = 0;
        size_t bytes = 0;
        for (auto& f : *layer) {
            ++rows;
            bytes += std::strlen(f->GetFieldAsString(4));
        }
        benchmark::DoNotOptimize(bytes);
        state.counters["rows"] = static_cast<double>(rows);
        state.SetItemsProcessed(state.items_processed() + rows);
    }
}
} // namespace

BENCHMARK(safer_csv_reader)->Unit(benchmark::kMillisecond);
BENCHMARK(ogr_csv_driver)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
