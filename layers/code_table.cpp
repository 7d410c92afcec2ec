#include "layers/code_table.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <unordered_map>

#include "engine/errors.hpp"
#include "engine/text.hpp"
#include "layers/csv.hpp"
#include "layers/sources.hpp"

namespace safer::layers {

std::vector<std::string> area_values(const CodeTable& table, const std::vector<std::string>& codes, size_t k) {
    std::vector<std::string> values;
    for (const std::string& code : codes) values.push_back(table.get(code, k).value_or(""));
    return values;
}

CodeTable read_code_table(const std::string& path, const std::vector<std::string>& wanted) {
    CodeTable t;
    t.path = path;
    const std::vector<SourceFile> files = expand_sources({path});
    auto input = ByteReader::open(files.front());
    CsvReader csv(*input, path);
    std::vector<std::string_view> fields;
    if (!csv.next(fields)) throw InputError(fmt::format("{}: the file is empty", path));
    const std::vector<std::string> names = header_names(fields, path);
    std::optional<size_t> code;
    for (size_t i = 0; i < names.size() && !code; ++i) {
        const std::string& n = names[i];
        if (n == "code" || n == "lsoa21cd" || n == "lsoa11cd" || n == "lsoa_code" || n.starts_with("lsoa code") || n == "area_code" || n == "geography code")
            code = i;
    }
    if (!code) throw InputError(fmt::format("{}: no area code column (\"LSOA code (2011)\", LSOA11CD, LSOA21CD, code, ...); the columns are: {}", path, fmt::join(names, ", ")));
    t.code_column = std::string(trim(fields[*code]));
    std::vector<size_t> index;
    for (const std::string& w : wanted) {
        const std::string key = lower_trim(w);
        std::optional<size_t> found;
        for (size_t i = 0; i < names.size() && !found; ++i)
            if (names[i] == key) found = i;
        for (size_t i = 0; i < names.size() && !found; ++i)
            if (names[i].find(key) != std::string::npos) found = i;
        if (!found) throw InputError(fmt::format("{}: no column '{}'; the columns are: {}", path, w, fmt::join(names, ", ")));
        index.push_back(*found);
        t.columns.emplace_back(trim(fields[*found]));
    }
    std::unordered_map<std::string, uint64_t> line_of;
    while (csv.next(fields)) {
        ++t.rows;
        std::vector<std::string> row;
        for (size_t i : index) {
            if (i >= fields.size() || *code >= fields.size())
                throw InputError(fmt::format("{}: line {}: {} fields; the header has {}", path, csv.line(), fields.size(), names.size()));
            row.emplace_back(trim(fields[i]));
        }
        const auto [it, fresh] = t.values.emplace(std::string(trim(fields[*code])), std::move(row));
        if (!fresh) throw InputError(fmt::format("{}: lines {} and {} both give area {}; keep one row for each area", path, line_of[it->first], csv.line(), it->first));
        line_of[it->first] = csv.line();
    }
    return t;
}

} // namespace safer::layers
