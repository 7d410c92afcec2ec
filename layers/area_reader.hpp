#pragma once
// Reading area polygons (LSOAs or any polygons) and joining population to them.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/areas.hpp"
#include "engine/progress.hpp"

namespace safer::layers {

struct AreaOptions {
    std::string code_field; // empty: detect (LSOA21CD, LSOA11CD, lsoa_code, code, ...)
    std::string name_field; // empty: detect (LSOA21NM, LSOA11NM, lsoa_name, name, ...)
    std::string working_crs = "EPSG:27700";
    std::string input_crs;  // for a layer that declares no CRS
    /// A study area needs no codes: when no code field is found, features are numbered
    /// ("000001", ...) in reading order instead of failing.
    bool codes_optional = false;
};

struct AreaReport {
    std::string path;
    std::string code_field;
    std::string name_field;
    std::string vintage; // "2011" or "2021" when the code field says (LSOA11CD, LSOA21CD), else ""
    std::vector<std::string> repaired; // codes of polygons made valid with GEOS MakeValid
};

/// Reads every polygon feature, reprojects it to the working CRS, repairs invalid polygons and
/// sorts the areas by code. Throws InputError naming the feature for an empty or non-polygon
/// geometry, a missing or repeated code, or a layer with no code field.
Areas read_areas(const std::string& path, const AreaOptions& options, AreaReport& report, Progress& progress);

struct PopulationOptions {
    std::string code_field;        // empty: detect ("LSOA code (2011)", "LSOA11CD", "code", ...)
    std::string population_field;  // empty: detect ("Total population...", "population", ...)
    std::string households_field;  // empty: a column named like "households", if any
};

struct PopulationReport {
    std::string path;
    std::string code_column, population_column, households_column;
    uint64_t rows = 0;
    size_t matched = 0;
    std::vector<std::string> areas_without; // area codes the file does not give
    size_t codes_not_in_areas = 0;          // file codes that name no area (normal for a national file)
};

/// Reads a population CSV (.csv or .csv.gz; a UTF-8 BOM and quoted numbers with thousands
/// separators, as in the IoD 2019 denominators, are fine) and joins it to `areas` by code.
/// Throws InputError when no code matches any area.
void join_population(Areas& areas, const std::string& path, const PopulationOptions& options, PopulationReport& report);

} // namespace safer::layers
