#pragma once
// Columns of a CSV keyed by area code: IMD deciles, local authority names, anything joined to
// areas by code (the IoD 2019 files, .csv or .csv.gz, BOM and quoted numbers handled).
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace safer::layers {

struct CodeTable {
    std::string path;
    std::string code_column;
    std::vector<std::string> columns;                                  // as asked for, in the file's spelling
    std::unordered_map<std::string, std::vector<std::string>> values; // code -> one value per column
    uint64_t rows = 0;

    /// The value of column `k` for `code`, if the file gives one.
    std::optional<std::string> get(const std::string& code, size_t k) const {
        auto it = values.find(code);
        if (it == values.end() || it->second[k].empty()) return std::nullopt;
        return it->second[k];
    }
};

/// Column `k` of `table` for each area, by its code ("" where the file gives none).
std::vector<std::string> area_values(const CodeTable& table, const std::vector<std::string>& codes, size_t k = 0);

/// Reads the code column (detected like the population file's: "LSOA code (2011)", LSOA11CD,
/// LSOA21CD, code, ...) and each wanted column. A wanted name matches a column whose lower-cased,
/// trimmed header equals it, or, if none does, contains it ("imd decile" finds "Index of Multiple
/// Deprivation (IMD) Decile" only by equality, so pass the words the header contains, e.g.
/// "(imd) decile"). Throws InputError naming the file for a missing column or a short row.
CodeTable read_code_table(const std::string& path, const std::vector<std::string>& wanted);

} // namespace safer::layers
