#include <catch2/catch.hpp>
#include <cpl_minixml.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>

#include "engine/errors.hpp"
#include "layers/postgis.hpp"
#include "layers/qgis_styles.hpp"

using namespace safer::layers;

namespace {

/// Values served from memory, as the GeoPackage's SQLite tables serve them to the chooser.
class FakeValues final : public qgis::LayerValues {
public:
    std::map<std::string, std::vector<double>> numbers;
    std::map<std::string, std::vector<std::string>> texts;
    std::vector<double> sorted_numbers(const std::string& field) const override {
        const auto f = numbers.find(field);
        return f == numbers.end() ? std::vector<double>{} : f->second;
    }
    std::vector<std::string> distinct(const std::string& field, size_t) const override {
        const auto f = texts.find(field);
        return f == texts.end() ? std::vector<std::string>{} : f->second;
    }
};

qgis::LayerInfo layer(std::string name, qgis::Shape shape, std::vector<std::string> numeric, std::vector<std::string> text = {}) {
    qgis::LayerInfo info{std::move(name), shape, {}, {}, {}};
    for (auto& f : numeric) info.fields.push_back(qgis::Field{f, true, f == "gi_bin" || f == "cell_id" || f == "top_pct", {}});
    for (auto& f : text) info.fields.push_back(qgis::Field{f, false, false, {}});
    return info;
}

struct XmlDeleter {
    void operator()(CPLXMLNode* n) const { CPLDestroyXMLNode(n); }
};

/// The QML parsed (GDAL's XML parser): null if it is not well-formed.
std::unique_ptr<CPLXMLNode, XmlDeleter> parse(const std::string& qml) {
    const std::string body = qml.substr(qml.find('\n') + 1); // the DOCTYPE line
    return std::unique_ptr<CPLXMLNode, XmlDeleter>(CPLParseXMLString(body.c_str()));
}

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
    return n;
}

} // namespace

TEST_CASE("Quantile breaks are QGIS's: interpolated order statistics, then the maximum", "[layers][qgis]") {
    const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    // (n - 1) i / 5 = 1.8, 3.6, 5.4, 7.2: 2 + 0.8, 4 + 0.6, 6 + 0.4, 8 + 0.2.
    const std::vector<double> b = qgis::quantile_breaks(v, 5);
    REQUIRE(b.size() == 5);
    CHECK(b[0] == Approx(2.8));
    CHECK(b[1] == Approx(4.6));
    CHECK(b[2] == Approx(6.4));
    CHECK(b[3] == Approx(8.2));
    CHECK(b[4] == 10);
}

TEST_CASE("Tied quantile breaks are merged, so no class is empty", "[layers][qgis]") {
    const std::vector<double> tied = qgis::quantile_breaks({0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, 5);
    REQUIRE(tied.size() == 2);
    CHECK(tied[0] == Approx(1.2));
    CHECK(tied[1] == 3);
    CHECK(qgis::quantile_breaks({5, 5, 5}, 5) == std::vector<double>{5});
    CHECK(qgis::quantile_breaks({7}, 5) == std::vector<double>{7});
}

TEST_CASE("Hotspot layers default to Gi* bins in Esri's colours, with LISA and rates as alternatives", "[layers][qgis]") {
    FakeValues values;
    values.numbers["rate"] = {1, 2, 3, 4, 5, 6};
    values.numbers["gi_z"] = {-2, -1, 0, 1, 2, 3};
    const auto styles = qgis::vector_styles(layer("hotspot_grid", qgis::Shape::polygon, {"cell_id", "gi_z", "gi_bin", "rate"}, {"lisa_quadrant"}), values);
    REQUIRE(styles.size() == 4);
    CHECK(styles[0].name == "Gi* hot and cold spots");
    CHECK(styles[0].renderer == "categorizedSymbol");
    CHECK(styles[0].qml.find("attr=\"gi_bin\"") != std::string::npos);
    CHECK(count(styles[0].qml, "<category ") == 7);
    CHECK(styles[0].qml.find("label=\"Hot spot, 99 % confidence\"") != std::string::npos);
    CHECK(styles[0].qml.find("v=\"214,47,39,255\"") != std::string::npos); // Esri's hot 99 %
    CHECK(styles[0].qml.find("v=\"69,117,181,255\"") != std::string::npos); // and cold 99 %
    CHECK(styles[1].name == "LISA clusters");
    CHECK(styles[2].renderer == "graduatedSymbol");
    for (const auto& s : styles) CHECK(parse(s.qml));
}

TEST_CASE("Areas default to rate quantiles; the command's preferred field wins", "[layers][qgis]") {
    FakeValues values;
    values.numbers["neighbourhood_rate"] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    values.numbers["violence_rate"] = {1, 1, 2, 2, 3};
    auto areas = layer("areas", qgis::Shape::polygon, {"population", "neighbourhood_rate", "violence_rate", "gi_bin"}, {"code"});
    auto styles = qgis::vector_styles(areas, values);
    REQUIRE(styles.size() == 3);
    CHECK(styles[0].name == "neighbourhood_rate quantiles");
    CHECK(count(styles[0].qml, "<range ") == 5);
    CHECK(styles[0].qml.find("lower=\"1\" upper=\"2.8") != std::string::npos);
    CHECK(styles[1].name == "Gi* hot and cold spots");
    areas.preferred_field = "violence_rate";
    styles = qgis::vector_styles(areas, values);
    CHECK(styles[0].name == "violence_rate quantiles");
    for (const auto& s : styles) CHECK(parse(s.qml));
}

TEST_CASE("Areas without a population (no rates) show the neighbourhood count", "[layers][qgis]") {
    FakeValues values;
    values.numbers["neighbourhood_count"] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    values.numbers["all_count"] = {1, 2, 3};
    const auto styles = qgis::vector_styles(layer("areas", qgis::Shape::polygon, {"neighbourhood_rate", "all_rate", "neighbourhood_count", "all_count"}), values);
    REQUIRE_FALSE(styles.empty());
    CHECK(styles[0].name == "neighbourhood_count quantiles");
    CHECK(styles[0].renderer == "graduatedSymbol");
}

TEST_CASE("Coverage is semi-transparent, density classes nest, attribute tables get no style", "[layers][qgis]") {
    FakeValues values;
    const auto coverage = qgis::vector_styles(layer("lighting_coverage", qgis::Shape::polygon, {}), values);
    REQUIRE(coverage.size() == 1);
    CHECK(coverage[0].qml.find("<layerOpacity>0.5</layerOpacity>") != std::string::npos);
    const auto classes = qgis::vector_styles(layer("kde_all_classes", qgis::Shape::polygon, {"top_pct", "threshold"}), values);
    REQUIRE(classes.size() == 1);
    CHECK(classes[0].qml.find("enableorderby=\"1\"") != std::string::npos);
    CHECK(qgis::vector_styles(layer("rejects", qgis::Shape::none, {"line"}, {"reason"}), values).empty());
    const auto plain = qgis::vector_styles(layer("something_new", qgis::Shape::line, {"length"}), values);
    REQUIRE(plain.size() == 1);
    CHECK(plain[0].renderer == "singleSymbol");
    CHECK(plain[0].qml.find("<layerGeometryType>1</layerGeometryType>") != std::string::npos);
    for (const auto& s : {coverage[0], classes[0], plain[0]}) CHECK(parse(s.qml));
}

TEST_CASE("Recommendations are categorised by intervention with the known colours first", "[layers][qgis]") {
    FakeValues values;
    values.texts["intervention"] = {"cctv", "lighting", "wardens"};
    const auto styles = qgis::vector_styles(layer("recommendations", qgis::Shape::point, {}, {"intervention"}), values);
    REQUIRE(styles.size() == 1);
    const std::string& q = styles[0].qml;
    CHECK(q.find("value=\"lighting\"") < q.find("value=\"cctv\""));
    CHECK(q.find("value=\"cctv\"") < q.find("value=\"wardens\""));
    CHECK(parse(q));
}

TEST_CASE("Density rasters fade in from a transparent zero through the top 10, 5 and 1 % thresholds", "[layers][qgis]") {
    std::vector<float> cells(1000);
    for (size_t i = 0; i < cells.size(); ++i) cells[i] = i < 500 ? 0.0f : static_cast<float>(i - 499);
    const std::string qml = qgis::density_raster_qml(cells, "incidents per km2");
    const auto tree = parse(qml);
    REQUIRE(tree);
    const CPLXMLNode* shader = CPLGetXMLNode(tree.get(), "=qgis.pipe.rasterrenderer.rastershader.colorrampshader");
    REQUIRE(shader);
    // Cells 1..500 and 500 zeros: 0 transparent, the median of the positive cells 251, the 100th,
    // 50th and 10th highest of 1000 (top 10, 5, 1 %) 401, 451, 491, and the highest 500.
    const std::vector<std::string> expected = {"0", "251", "401", "451", "491", "500"};
    std::vector<std::string> got, alpha;
    for (const CPLXMLNode* c = shader->psChild; c; c = c->psNext)
        if (c->eType == CXT_Element && std::string(c->pszValue) == "item") {
            got.push_back(CPLGetXMLValue(c, "value", ""));
            alpha.push_back(CPLGetXMLValue(c, "alpha", ""));
        }
    CHECK(got == expected);
    REQUIRE(alpha.size() == expected.size());
    CHECK(alpha.front() == "0");
    CHECK(alpha.back() == "255");
    CHECK(std::string(CPLGetXMLValue(shader, "maximumValue", "")) == "500");
}

TEST_CASE("A sidecar style safer wrote is replaced; a user's own is left alone", "[layers][qgis]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("safer-sidecar-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string data = (dir / "kde.gpkg").string();
    const auto read = [](const std::string& path) {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string first = qgis::density_raster_qml({0, 1, 2, 3}, "first");
    const std::string second = qgis::density_raster_qml({0, 5, 6, 7}, "second");
    REQUIRE(first != second);
    CHECK(qgis::sidecar_style_path(data) == (dir / "kde.qml").string());
    CHECK(qgis::write_sidecar_style(data, first));
    CHECK(read((dir / "kde.qml").string()) == first);
    CHECK(qgis::write_sidecar_style(data, second)); // our own file: replaced
    CHECK(read((dir / "kde.qml").string()) == second);
    const std::string mine = "<qgis><!-- my own style --></qgis>\n";
    std::ofstream((dir / "mine.qml").string()) << mine;
    CHECK_FALSE(qgis::write_sidecar_style((dir / "mine.tif").string(), first));
    CHECK(read((dir / "mine.qml").string()) == mine);
    fs::remove_all(dir);
}

TEST_CASE("Fields of the design are described when the writer was given no description", "[layers][qgis]") {
    CHECK(qgis::known_field_description("violence_rate") == "violence incidents per 1,000 residents");
    CHECK(qgis::known_field_description("lit_share").find("0..1") != std::string::npos);
    CHECK(qgis::known_field_description("no_such_field").empty());
}

TEST_CASE("PG: outputs keep libpq's keywords, take the schema from active_schema and hide passwords", "[layers][postgis]") {
    const PostgisTarget t = parse_postgis_target("PG:dbname=crime host=db.example password='s e\\'cret' active_schema=safer");
    CHECK(t.schema == "safer");
    CHECK(t.conninfo.find("active_schema") == std::string::npos);
    CHECK(t.conninfo.find("connect_timeout=10") != std::string::npos);
    CHECK(t.display.find("cret") == std::string::npos);
    CHECK(t.display.find("dbname=crime") != std::string::npos);
    CHECK(parse_postgis_target("PG:dbname=x connect_timeout=3 active_schema=s").conninfo.find("connect_timeout=10") == std::string::npos);
    CHECK(parse_postgis_target("PG:postgresql://u@h/db active_schema=s2").schema == "s2");
    CHECK_THROWS_AS(parse_postgis_target("PG:dbname=x"), safer::UsageError);
    CHECK_THROWS_AS(parse_postgis_target("PG:dbname=x active_schema=public"), safer::UsageError);
    CHECK_THROWS_AS(parse_postgis_target("PG:dbname=x active_schema=Bad-Name"), safer::UsageError);
    CHECK_THROWS_AS(parse_postgis_target("PG:dbnme=x active_schema=s"), safer::UsageError);
    CHECK(hide_passwords("-o PG:host=h password=secret --schema s") == "-o PG:host=h password=*** --schema s");
    CHECK(hide_passwords("postgresql://me:secret@host/db") == "postgresql://me:***@host/db");
    CHECK(is_postgis_target("PG:dbname=x"));
    CHECK_FALSE(is_postgis_target("out.gpkg"));
}
