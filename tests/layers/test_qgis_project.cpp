// Issue 17: the QGIS project beside a GeoPackage, styles people can read (legends, aliases, rank
// labels, classes for zero-inflated fields), the output formats and progress.
#include <catch2/catch.hpp>
#include <cpl_conv.h>
#include <cpl_minixml.h>
#include <minizip/unzip.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "engine/errors.hpp"
#include "engine/periods.hpp"
#include "engine/progress.hpp"
#include "layers/output_files.hpp"
#include "layers/qgis_project.hpp"
#include "layers/qgis_styles.hpp"

using namespace safer;
using namespace safer::layers;
namespace fs = std::filesystem;

namespace {

struct Destroy {
    void operator()(CPLXMLNode* n) const { CPLDestroyXMLNode(n); }
};
using Tree = std::unique_ptr<CPLXMLNode, Destroy>;
Tree parse(const std::string& text) { return Tree(CPLParseXMLString(text.c_str())); }

std::vector<const CPLXMLNode*> all(const CPLXMLNode* root, const std::string& name) {
    std::vector<const CPLXMLNode*> found;
    const std::function<void(const CPLXMLNode*)> walk = [&](const CPLXMLNode* n) {
        for (; n; n = n->psNext) {
            if (n->eType == CXT_Element) {
                if (name == n->pszValue) found.push_back(n);
                walk(n->psChild);
            }
        }
    };
    walk(root);
    return found;
}

std::string attr(const CPLXMLNode* e, const char* name) { return CPLGetXMLValue(e, name, ""); }

class FakeValues final : public qgis::LayerValues {
public:
    std::map<std::string, std::vector<double>> numbers;
    std::vector<double> sorted_numbers(const std::string& field) const override {
        const auto f = numbers.find(field);
        return f == numbers.end() ? std::vector<double>{} : f->second;
    }
    std::vector<std::string> distinct(const std::string&, size_t) const override { return {}; }
};

qgis::Field numeric(std::string name, std::string description = {}) { return qgis::Field{std::move(name), true, false, std::move(description)}; }

/// stderr of `body`, captured through a temporary file.
std::string captured_stderr(const std::function<void()>& body) {
    std::fflush(stderr);
    const std::string path = (fs::temp_directory_path() / ("safer-progress-" + std::to_string(::getpid()))).string();
    const int saved = ::dup(2);
    FILE* file = std::fopen(path.c_str(), "w");
    ::dup2(::fileno(file), 2);
    body();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::fclose(file);
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(path);
    return text;
}

} // namespace

TEST_CASE("Legend numbers keep three significant figures: rates of 3.38 to 5.67 read so, not 3 to 6", "[layers][qgis][legend]") {
    // The case: a rate field spanning hundreds, whose middle classes are single figures.
    const std::vector<std::string> text = qgis::legend_numbers({0.5, 3.38, 5.67, 9.126, 250.4, 12345.6});
    CHECK(text == std::vector<std::string>{"0.5", "3.38", "5.67", "9.13", "250", "12,346"});
    // Values that would read alike get more figures until they do not; 0 reads 0, once.
    CHECK(qgis::legend_numbers({0, 1.2341, 1.2349}) == std::vector<std::string>{"0", "1.234", "1.235"});
    CHECK(qgis::legend_numbers({0.00012345, 0.5}) == std::vector<std::string>{"0.000123", "0.5"});
    CHECK(qgis::legend_numbers({-1234.6, -0.0}) == std::vector<std::string>{"-1,235", "0"});
}

TEST_CASE("Natural breaks are Fisher's optimal partition: the least squared deviation of any split", "[layers][qgis][legend]") {
    // Three obvious groups.
    CHECK(qgis::natural_breaks({1, 2, 3, 10, 11, 12, 20, 21, 22}, 3) == std::vector<double>{3, 12, 22});
    // Against every split of small random samples, found by brute force.
    std::mt19937 rng(17);
    for (int trial = 0; trial < 40; ++trial) {
        // Distinct values: with ties, an optimal split may part equal values, which breaks by
        // value cannot say.
        std::vector<double> pool(60);
        for (size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<double>(i) / 2.0;
        std::shuffle(pool.begin(), pool.end(), rng);
        std::vector<double> x(pool.begin(), pool.begin() + 3 + static_cast<std::ptrdiff_t>(rng() % 9));
        std::sort(x.begin(), x.end());
        const int k = 1 + static_cast<int>(rng() % 4);
        const auto ssd = [&](size_t i, size_t j) { // x[i..j)
            double mean = 0, s = 0;
            for (size_t m = i; m < j; ++m) mean += x[m];
            mean /= static_cast<double>(j - i);
            for (size_t m = i; m < j; ++m) s += (x[m] - mean) * (x[m] - mean);
            return s;
        };
        // Brute force: every choice of k - 1 cut positions.
        double best = 1e300;
        const size_t n = x.size();
        const size_t classes = std::min<size_t>(static_cast<size_t>(k), n);
        std::vector<size_t> cuts(classes - 1);
        const std::function<void(size_t, size_t)> choose = [&](size_t c, size_t from) {
            if (c == cuts.size()) {
                double total = 0;
                size_t start = 0;
                for (size_t cut : cuts) total += ssd(start, cut), start = cut;
                best = std::min(best, total + ssd(start, n));
                return;
            }
            for (size_t p = from; p < n; ++p) cuts[c] = p, choose(c + 1, p + 1);
        };
        choose(0, 1);
        const std::vector<double> breaks = qgis::natural_breaks(x, k);
        REQUIRE(breaks.back() == x.back());
        // The classes the breaks make: values up to each break.
        double total = 0;
        size_t start = 0;
        for (double b : breaks) {
            size_t end = start;
            while (end < n && x[end] <= b) ++end;
            if (end > start) total += ssd(start, end);
            start = end;
        }
        CHECK(total == Approx(best).margin(1e-9));
    }
}

TEST_CASE("A zero-inflated field gets 0 as its own class and natural breaks above it", "[layers][qgis][legend]") {
    FakeValues values;
    // 8 of 16 cells are 0; the rest four pairs, which natural breaks keep together.
    values.numbers["lighting_unguarded"] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 10, 11, 30, 31, 100, 101};
    qgis::LayerInfo grid{"score_grid", qgis::Shape::polygon, {numeric("cell_id"), numeric("lighting_unguarded")}, {}, {}};
    grid.fields[0].integer = true;
    const auto styles = qgis::vector_styles(grid, values);
    REQUIRE_FALSE(styles.empty());
    const Tree tree = parse(styles[0].qml);
    REQUIRE(tree);
    const auto ranges = all(tree.get(), "range");
    REQUIRE(ranges.size() == 5); // 0; then {1, 2}, {10, 11}, {30, 31}, {100, 101}
    CHECK(attr(ranges[0], "label") == "0");
    CHECK(attr(ranges[0], "upper") == "0");
    CHECK(attr(ranges[1], "label") == "1 – 2");
    CHECK(attr(ranges[1], "lower") == "0"); // so that every value above 0 falls in a class
    CHECK(attr(ranges[2], "label") == "2 – 11");
    CHECK(attr(ranges[3], "label") == "11 – 31");
    CHECK(attr(ranges[4], "label") == "31 – 101");
    CHECK(attr(CPLGetXMLNode(tree.get(), "=qgis.renderer-v2.classificationMethod"), "id") == "Jenks");
    // The 0 cells of a grid are not drawn, so the map beneath shows.
    CHECK(styles[0].description.find("not drawn") != std::string::npos);
}

TEST_CASE("Every style gives each field its alias and the layer its fields' descriptions", "[layers][qgis][aliases]") {
    CHECK(qgis::field_alias("neighbourhood_rate") == "Neighbourhood crimes per 1,000 residents");
    CHECK(qgis::field_alias("violence_rank") == "Violence rate rank (1 = highest)");
    CHECK(qgis::field_alias("gi_z") == "Gi* z-score");
    CHECK(qgis::field_alias("lighting_unguarded") == "Unguarded lighting pressure");
    CHECK(qgis::field_alias("path_m_100m") == "Path m 100m");
    CHECK(qgis::field_alias("lit_boundary_m") == "Lit boundary (m)");
    FakeValues values;
    values.numbers["neighbourhood_rate"] = {1, 2, 3, 4, 5};
    qgis::LayerInfo areas{"areas", qgis::Shape::polygon, {qgis::Field{"code", false, false, "Area code"}, numeric("neighbourhood_rate", "neighbourhood incidents per 1,000 residents")},
                          {}, "Areas with crime counts"};
    for (const auto& style : qgis::vector_styles(areas, values)) {
        const Tree tree = parse(style.qml);
        REQUIRE(tree);
        const auto aliases = all(tree.get(), "alias");
        REQUIRE(aliases.size() == 2);
        CHECK(attr(aliases[1], "field") == "neighbourhood_rate");
        CHECK(attr(aliases[1], "name") == "Neighbourhood crimes per 1,000 residents");
        const std::string abstract = CPLGetXMLValue(tree.get(), "=qgis.resourceMetadata.abstract", "");
        CHECK(abstract.find("Areas with crime counts") == 0);
        CHECK(abstract.find("Neighbourhood crimes per 1,000 residents (neighbourhood_rate): neighbourhood incidents per 1,000 residents") != std::string::npos);
    }
    const Tree table = parse(qgis::table_qml(qgis::LayerInfo{"rejects", qgis::Shape::none, {qgis::Field{"reason", false, false, "Why"}}, {}, {}}));
    REQUIRE(table);
    CHECK(attr(all(table.get(), "alias").at(0), "name") == "Reason");
}

TEST_CASE("Target areas are labelled by rank on the map", "[layers][qgis]") {
    FakeValues values;
    qgis::LayerInfo targets{"target_areas", qgis::Shape::polygon, {numeric("rank"), numeric("rate")}, {}, {}};
    targets.fields[0].integer = true;
    const auto styles = qgis::vector_styles(targets, values);
    REQUIRE_FALSE(styles.empty());
    const Tree tree = parse(styles[0].qml);
    CHECK(attr(CPLGetXMLNode(tree.get(), "=qgis"), "labelsEnabled") == "1");
    const CPLXMLNode* text = CPLGetXMLNode(tree.get(), "=qgis.labeling.settings.text-style");
    REQUIRE(text);
    CHECK(attr(text, "fieldName") == "'#' || \"rank\"");
    CHECK(attr(text, "isExpression") == "1");
}

TEST_CASE("The density legend names its units and never shows 0 twice", "[layers][qgis][legend]") {
    // Most cells tiny, so the median of the positive ones is well under 1 while the top is 500:
    // a legend rounded to the span shows the median as "0" beside the transparent 0.
    std::vector<float> cells(1000, 0.0f);
    for (size_t i = 500; i < 990; ++i) cells[i] = 0.02f + static_cast<float>(i - 500) * 1e-4f;
    for (size_t i = 990; i < 1000; ++i) cells[i] = static_cast<float>(50 * (i - 989));
    const Tree tree = parse(qgis::density_raster_qml(cells, "incidents per km2"));
    REQUIRE(tree);
    const auto items = all(tree.get(), "item");
    REQUIRE(items.size() >= 4);
    std::vector<std::string> numbers;
    for (const CPLXMLNode* i : items) numbers.push_back(attr(i, "label").substr(0, attr(i, "label").find(' ')));
    CHECK(std::count(numbers.begin(), numbers.end(), "0") == 1);
    CHECK(attr(items.front(), "label") == "0 incidents per km² (transparent)");
    CHECK(attr(items.back(), "label") == "500 incidents per km² (highest)");
    // The median of the positive cells, the 500th of 1,000 sorted: 0.02 + 250 x 0.0001.
    CHECK(attr(items[1], "label") == "0.045 (median of cells above 0)");
}

TEST_CASE("A style follows the field names a Shapefile cut", "[layers][qgis][formats]") {
    FakeValues values;
    values.numbers["neighbourhood_rate"] = {1, 2, 3, 4, 5};
    qgis::LayerInfo areas{"areas", qgis::Shape::polygon, {numeric("neighbourhood_rate")}, {}, {}};
    const std::string qml = qgis::vector_styles(areas, values).at(0).qml;
    const std::string renamed = qgis::rename_fields(qml, {{"neighbourhood_rate", "neighbourh"}});
    const Tree tree = parse(renamed);
    REQUIRE(tree);
    CHECK(attr(CPLGetXMLNode(tree.get(), "=qgis.renderer-v2"), "attr") == "neighbourh");
    CHECK(attr(all(tree.get(), "alias").at(0), "field") == "neighbourh");
    CHECK(renamed.find("attr=\"neighbourhood_rate\"") == std::string::npos);
}

TEST_CASE("Periods: a month and a quarter as the months they cover", "[engine][periods]") {
    const auto month = period_span("2023-04");
    REQUIRE(month);
    CHECK(first_day(month->first) == "2023-04-01");
    CHECK(first_day(month->after) == "2023-05-01");
    const auto q4 = period_span("2023-Q4");
    REQUIRE(q4);
    CHECK(first_day(q4->first) == "2023-10-01");
    CHECK(first_day(q4->after) == "2024-01-01");
    CHECK_FALSE(period_span("all"));
    CHECK_FALSE(period_span("2023-Q5"));
}

TEST_CASE("A project holds its layers grouped, styled, timed and in view", "[layers][qgis][project]") {
    qgis::Project p;
    p.title = "demo";
    p.crs = "EPSG:27700";
    qgis::ProjectLayer areas{"areas", "./demo.gpkg|layername=areas", "ogr", qgis::ProjectLayer::Kind::vector, qgis::Shape::polygon, "MultiPolygon",
                             "<qgis labelsEnabled=\"0\"><renderer-v2 type=\"singleSymbol\"/></qgis>", "Areas", Extent{0, 0, 1000, 1000}, {}, {}, {}, {}};
    qgis::ProjectLayer incidents{"incidents", "./demo.gpkg|layername=incidents", "ogr", qgis::ProjectLayer::Kind::vector, qgis::Shape::point, "Point", "",
                                 "Incidents", Extent{-50000, 0, 1000, 1000}, {}, {}, {}, {}};
    qgis::ProjectLayer kde{"kde_all_2023_04", "GPKG:./demo.gpkg:kde_all_2023_04", "gdal", qgis::ProjectLayer::Kind::raster, qgis::Shape::none, "", "",
                           "Density", Extent{-100, -100, 1100, 1100}, "2023-04-01", "2023-05-01", {}, {}};
    qgis::ProjectLayer periods{"hotspot_grid_periods", "./demo.gpkg|layername=hotspot_grid_periods", "ogr", qgis::ProjectLayer::Kind::vector,
                               qgis::Shape::polygon, "MultiPolygon", "", "", std::nullopt, {}, {}, "period_start", "period_end"};
    qgis::ProjectLayer rejects{"rejects", "./demo.gpkg|layername=rejects", "ogr", qgis::ProjectLayer::Kind::table, qgis::Shape::none, "", "", "", {}, {}, {}, {}, {}};
    p.layers = {areas, incidents, kde, periods, rejects};
    p.time_start = "2023-04-01";
    p.time_end = "2023-05-01";
    p.time_step_months = 1;
    const Tree tree = parse(qgis::project_qgs(p));
    REQUIRE(tree);
    // Groups in order, the layers in drawing order within them.
    std::vector<std::string> groups;
    for (const CPLXMLNode* g : all(CPLGetXMLNode(tree.get(), "=qgis.layer-tree-group")->psChild, "layer-tree-group")) groups.push_back(attr(g, "name"));
    CHECK(groups == std::vector<std::string>{"Hotspots", "Results", "Inputs"});
    std::map<std::string, std::string> checked, ids;
    for (const CPLXMLNode* l : all(tree.get(), "layer-tree-layer")) checked[attr(l, "name")] = attr(l, "checked"), ids[attr(l, "name")] = attr(l, "id");
    CHECK(checked["areas"] == "Qt::Checked");
    CHECK(checked["incidents"] == "Qt::Unchecked"); // inputs are a tick away
    CHECK(checked["hotspot_grid_periods"] == "Qt::Checked");
    // QGIS 3.22 ignores layer ids of 10 characters or fewer.
    for (const auto& [name, id] : ids) CHECK(id.size() > 10);
    // The view holds the study area but not the stray incident 50 km away.
    const CPLXMLNode* view = CPLGetXMLNode(tree.get(), "=qgis.ProjectViewSettings.DefaultViewExtent");
    REQUIRE(view);
    CHECK(CPLAtof(attr(view, "xmin").c_str()) == Approx(-100 - 0.05 * 1200));
    CHECK(CPLAtof(attr(view, "xmax").c_str()) == Approx(1100 + 0.05 * 1200));
    // Time: the raster's fixed range, the vector layer's expressions, the project's range by month.
    for (const CPLXMLNode* m : all(tree.get(), "maplayer")) {
        const std::string name = CPLGetXMLValue(m, "layername", "");
        if (name == "kde_all_2023_04") {
            CHECK(std::string(CPLGetXMLValue(m, "temporal.fixedRange.start", "")) == "2023-04-01T00:00:00.001Z");
            // QGIS 3.22 counts a frame touching either end of a fixed range as overlapping it: the
            // range starts a millisecond into the period and stops a millisecond before the next.
            CHECK(std::string(CPLGetXMLValue(m, "temporal.fixedRange.end", "")) == "2023-04-30T23:59:59.999Z");
        }
        if (name == "hotspot_grid_periods") {
            CHECK(std::string(CPLGetXMLValue(m, "temporal.mode", "")) == "4");
            CHECK(std::string(CPLGetXMLValue(m, "temporal.startExpression", "")) == "to_datetime(\"period_start\")");
        }
        if (name == "areas") CHECK(CPLGetXMLNode(m, "renderer-v2") != nullptr); // the style, adopted into the layer
    }
    CHECK(std::string(CPLGetXMLValue(tree.get(), "=qgis.ProjectTimeSettings.timeStepUnit", "")) == "mon");
    CHECK(std::string(CPLGetXMLValue(tree.get(), "=qgis.projectCrs.spatialrefsys.authid", "")) == "EPSG:27700");
    CHECK(std::string(CPLGetXMLValue(tree.get(), "=qgis.properties.SpatialRefSys.ProjectionsEnabled", "")) == "1");
}

TEST_CASE("A .qgz is the .qgs zipped, the same bytes every time", "[layers][qgis][project]") {
    const fs::path dir = fs::temp_directory_path() / ("safer-qgz-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string qgs = "<qgis version=\"3.22\"><title>t</title></qgis>\n";
    qgis::write_qgz((dir / "a.qgz").string(), "a.qgz", "a.qgs", qgs);
    qgis::write_qgz((dir / "b.qgz").string(), "b.qgz", "a.qgs", qgs);
    const auto bytes = [](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    CHECK(bytes(dir / "a.qgz") == bytes(dir / "b.qgz"));
    unzFile zip = unzOpen64((dir / "a.qgz").c_str());
    REQUIRE(zip);
    REQUIRE(unzLocateFile(zip, "a.qgs", 0) == UNZ_OK);
    REQUIRE(unzOpenCurrentFile(zip) == UNZ_OK);
    std::string out(qgs.size() + 10, '\0');
    const int n = unzReadCurrentFile(zip, out.data(), static_cast<unsigned>(out.size()));
    unzCloseCurrentFile(zip);
    unzClose(zip);
    CHECK(out.substr(0, static_cast<size_t>(n)) == qgs);
    fs::remove_all(dir);
}

TEST_CASE("One list of formats: -o's extension or --format picks the driver; one-layer formats say what they leave out", "[layers][formats]") {
    CHECK(output_format("x.gpkg")->driver == "GPKG");
    CHECK(output_format("x.FGB")->driver == "FlatGeobuf");
    CHECK(output_format("x.json")->driver == "GeoJSON");
    CHECK(output_format("x.shp")->driver == "ESRI Shapefile");
    CHECK(output_format("x.csv")->driver == "CSV");
    CHECK(output_format("PG:dbname=x")->driver == "PostgreSQL");
    CHECK(output_format("x.dat", "fgb")->driver == "FlatGeobuf");
    CHECK(output_format("x.dat", "ESRI Shapefile")->driver == "ESRI Shapefile");
    CHECK(output_format("x.kml") == nullptr);
    CHECK(output_format("x.gpkg", "dxf") == nullptr);
    const fs::path dir = fs::temp_directory_path() / ("safer-formats-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    OutputPath shp("-o", (dir / "hot.shp").string());
    shp.main_layer = "hotspot_grid";
    const std::vector<std::string> notes = check_outputs({shp}, {}, false);
    REQUIRE(notes.size() == 3);
    CHECK(notes[0].find("Shapefile holds one layer, so it gets the hotspot_grid layer only") != std::string::npos);
    CHECK(notes[1].find("goes beside it as hot.qml") != std::string::npos);
    CHECK(notes[2].find("up to 10 characters") != std::string::npos);
    // A file beside it in the way is refused like the output itself.
    std::ofstream(dir / "hot.dbf") << "x";
    CHECK_THROWS_AS(check_outputs({shp}, {}, false), UsageError);
    OutputPath kde("-o", (dir / "kde.geojson").string(), OutputKind::geopackage_tiff);
    kde.raster_main = true;
    CHECK_THROWS_WITH(check_outputs({kde}, {}, false), Catch::Contains("GeoJSON holds no raster"));
    // A command whose result is a table (safer accuracy): CSV holds it, without a style or a CRS
    // to lose; a format for layers with geometry is refused before any work.
    OutputPath table("-o", (dir / "accuracy.csv").string());
    table.main_layer = "accuracy";
    table.table_main = true;
    const std::vector<std::string> table_notes = check_outputs({table}, {}, false);
    REQUIRE(table_notes.size() == 1);
    CHECK(table_notes[0].find("CSV holds one layer, so it gets the accuracy layer only; the others (the rejects) are not written") != std::string::npos);
    table.path = (dir / "accuracy.fgb").string();
    CHECK_THROWS_WITH(check_outputs({table}, {}, false), Catch::Contains("FlatGeobuf holds layers with geometry, and this command's result, accuracy, is a table"));
    // A GeoPackage's project is checked with it.
    std::ofstream(dir / "demo.qgz") << "x";
    CHECK_THROWS_WITH(check_outputs({OutputPath("-o", (dir / "demo.gpkg").string())}, {}, false), Catch::Contains("demo.qgz: already exists"));
    fs::remove_all(dir);
}

TEST_CASE("Progress in a log is one GDAL-style line a stage; on a terminal a bar with its percentage", "[engine][progress]") {
    const std::string log = captured_stderr([] {
        Progress p(false, false);
        p.begin("counting", 40);
        for (int i = 0; i < 40; ++i) p.advance(1);
        p.end();
        p.begin("thinking", 0);
        p.end();
    });
    CHECK(log.find("safer: counting: 0...10...20...30...40...50...60...70...80...90...100 - done in ") == 0);
    CHECK(log.find("\nsafer: thinking: done in ") != std::string::npos);
    CHECK(log.find('\r') == std::string::npos);
    const std::string tty = captured_stderr([] {
        Progress p(false, true);
        p.begin("counting", 10);
        p.fraction(0.5);
        p.end();
    });
    CHECK(tty.find("\rsafer: counting [------------------------------]   0%") == 0);
    CHECK(tty.find("done in") != std::string::npos);
    const std::string quiet = captured_stderr([] {
        Progress p(true, true);
        p.begin("counting", 10);
        p.advance(10);
        p.end();
        p.info("said");
    });
    CHECK(quiet.empty());
}
