#pragma once
// A layer to write, column by column: the shape every analysis result takes on its way out
// (hotspot units, target areas, recommendations, site rings...). Geometry, if any, is GEOS.
#include <geos_c.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace safer::layers {

struct Column {
    enum class Type : uint8_t { integer, real, text };
    std::string name;
    std::string description; // for gpkg_data_columns and the README
    Type type = Type::real;
    std::vector<int64_t> integers;
    std::vector<double> reals; // NaN is written as NULL
    std::vector<std::string> texts;
    std::vector<uint8_t> null; // optional, per row: 1 = NULL (integers and texts)

    static Column integer(std::string name, std::string description, std::vector<int64_t> values, std::vector<uint8_t> null = {}) {
        Column c;
        c.name = std::move(name);
        c.description = std::move(description);
        c.type = Type::integer;
        c.integers = std::move(values);
        c.null = std::move(null);
        return c;
    }
    static Column real(std::string name, std::string description, std::vector<double> values) {
        Column c;
        c.name = std::move(name);
        c.description = std::move(description);
        c.type = Type::real;
        c.reals = std::move(values);
        return c;
    }
    static Column text(std::string name, std::string description, std::vector<std::string> values, std::vector<uint8_t> null = {}) {
        Column c;
        c.name = std::move(name);
        c.description = std::move(description);
        c.type = Type::text;
        c.texts = std::move(values);
        c.null = std::move(null);
        return c;
    }
    size_t size() const { return type == Type::integer ? integers.size() : type == Type::real ? reals.size() : texts.size(); }
    bool is_null(size_t row) const {
        if (type == Type::real) return std::isnan(reals[row]);
        return !null.empty() && null[row] != 0;
    }
};

enum class GeometryKind : uint8_t { none, point, line, polygon };

struct Table {
    std::string name;
    std::string description;
    GeometryKind geometry_kind = GeometryKind::none;
    std::vector<const GEOSGeometry*> geometry; // one per row when geometry_kind != none (not owned)
    std::vector<Column> columns;

    size_t rows() const { return columns.empty() ? geometry.size() : columns.front().size(); }
};

} // namespace safer::layers
