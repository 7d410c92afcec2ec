// GeoPackageWriter::append_table: a layer written in batches (as safer site streams its sites) is
// one layer holding every row in order, with its description and field descriptions written once,
// read back through GDAL's SQLite dialect rather than through the writer.
#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>

#include "engine/geos.hpp"
#include "layers/geopackage.hpp"
#include "layers/table.hpp"

using namespace safer;
using namespace safer::layers;

namespace {

/// A table "dots" of points (x, x + 1) for x in xs, with n = x, label "dot x" and value x / 2 (NULL
/// for x = 3).
Table dots(const std::vector<int>& xs, std::vector<geos::Geometry>& owned) {
    Table t;
    t.name = "dots";
    t.description = "Dots written in batches";
    t.geometry_kind = GeometryKind::point;
    std::vector<int64_t> n;
    std::vector<std::string> label;
    std::vector<double> value;
    for (int x : xs) {
        owned.push_back(geos::point(x, x + 1));
        t.geometry.push_back(owned.back().get());
        n.push_back(x), label.push_back("dot " + std::to_string(x)), value.push_back(x == 3 ? std::nan("") : x / 2.0);
    }
    t.columns.push_back(Column::integer("n", "The dot's number", n));
    t.columns.push_back(Column::text("label", "Its label", label));
    t.columns.push_back(Column::real("value", "Half its number (NULL for 3)", value));
    return t;
}

Table notes(const std::vector<std::string>& texts) {
    Table t;
    t.name = "notes";
    t.description = "Notes without geometry";
    t.columns.push_back(Column::text("note", "A note", texts));
    return t;
}

std::string sql_text(GDALDataset& ds, const std::string& sql) {
    OGRLayer* result = ds.ExecuteSQL(sql.c_str(), nullptr, "SQLITE");
    REQUIRE(result);
    std::string out;
    while (OGRFeatureUniquePtr f{result->GetNextFeature()}) {
        for (int i = 0; i < f->GetFieldCount(); ++i) out += std::string(i ? "," : "") + (f->IsFieldSetAndNotNull(i) ? f->GetFieldAsString(i) : "NULL");
        out += ";";
    }
    ds.ReleaseResultSet(result);
    return out;
}

} // namespace

TEST_CASE("GeoPackage: a layer appended in batches is one layer with every row in order, described once", "[geopackage]") {
    std::string dir_template = (std::filesystem::temp_directory_path() / "safer-append-XXXXXX").string();
    REQUIRE(mkdtemp(dir_template.data()));
    const std::filesystem::path dir = dir_template;
    const std::string path = (dir / "append.gpkg").string();
    {
        GeoPackageWriter writer(path, false, "EPSG:27700");
        std::vector<geos::Geometry> owned;
        writer.append_table(dots({1, 2}, owned));
        writer.append_table(dots({}, owned)); // an empty batch adds nothing
        writer.append_table(notes({"first"}));
        writer.append_table(dots({3, 4, 5}, owned));
        writer.append_table(notes({"second", "third"}));
        // Other columns than the layer has, and a name written whole, are a programming error.
        Table other = dots({6}, owned);
        other.columns.pop_back();
        CHECK_THROWS_AS(writer.append_table(other), std::logic_error);
        Table whole = notes({"whole"});
        whole.name = "whole";
        writer.write_table(whole);
        CHECK_THROWS_AS(writer.append_table(whole), std::logic_error);
        writer.commit();
    }
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
    REQUIRE(ds);
    CHECK(sql_text(*ds, "SELECT n, label, value, ST_X(geom), ST_Y(geom) FROM dots ORDER BY fid") ==
          "1,dot 1,0.5,1,2;2,dot 2,1,2,3;3,dot 3,NULL,3,4;4,dot 4,2,4,5;5,dot 5,2.5,5,6;");
    CHECK(sql_text(*ds, "SELECT note FROM notes ORDER BY fid") == "first;second;third;");
    // One row in gpkg_contents and one description per field, as for a layer written whole.
    CHECK(sql_text(*ds, "SELECT table_name, description FROM gpkg_contents WHERE table_name IN ('dots', 'notes') ORDER BY table_name") ==
          "dots,Dots written in batches;notes,Notes without geometry;");
    CHECK(sql_text(*ds, "SELECT column_name, description FROM gpkg_data_columns WHERE table_name = 'dots' ORDER BY column_name") ==
          "label,Its label;n,The dot's number;value,Half its number (NULL for 3);");
    // The spatial index holds every dot, at its point.
    CHECK(sql_text(*ds, "SELECT id, minx, miny FROM rtree_dots_geom ORDER BY id") == "1,1,2;2,2,3;3,3,4;4,4,5;5,5,6;");
    CHECK(sql_text(*ds, "SELECT count(*) FROM layer_styles WHERE f_table_name = 'dots' AND useAsDefault") == "1;");
    ds.reset();
    std::filesystem::remove_all(dir);
}
