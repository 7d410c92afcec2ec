// Reading guardianship assets: CSVs, GeoJSON in another CRS, OSM XML, the intervention table,
// and bad input that must stop the run naming the feature.
#include <catch2/catch.hpp>

#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/errors.hpp"
#include "layers/asset_reader.hpp"
#include "layers/crs.hpp"
#include "layers/intervention_table.hpp"

using namespace safer;
using namespace safer::layers;

namespace {

std::string temp_dir(const char* name) {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("safer-test-{}-{}", name, ::getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("Lights in three CRSs and two formats land on the same ground", "[score]") {
    const std::string dir = temp_dir("assets-crs");
    // Three lights in lon/lat, and the same lights projected by PROJ to Web Mercator, written as
    // GeoJSON in EPSG:3857, and to British National Grid as an eastings CSV.
    std::vector<double> lon = {-2.5866, -2.5901, -2.6010}, lat = {51.4545, 51.4561, 51.4490};
    std::vector<double> mx = lon, my = lat, ex = lon, ey = lat;
    CrsTransform("EPSG:4326", "EPSG:3857").transform(mx, my);
    CrsTransform("EPSG:4326", "EPSG:27700").transform(ex, ey);
    std::string csv_lonlat = "longitude,latitude,height_m\n", csv_bng = "easting,northing,height\n";
    std::string geojson = R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[)";
    for (size_t i = 0; i < lon.size(); ++i) {
        csv_lonlat += fmt::format("{:.7f},{:.7f},6\n", lon[i], lat[i]);
        csv_bng += fmt::format("{:.4f},{:.4f},6\n", ex[i], ey[i]);
        geojson += fmt::format(R"({}{{"type":"Feature","properties":{{"highway":"street_lamp","height":"6 m"}},"geometry":{{"type":"Point","coordinates":[{:.4f},{:.4f}]}}}})",
                               i ? "," : "", mx[i], my[i]);
    }
    geojson += "]}";
    AssetReport r1, r2, r3;
    const auto a = read_lights(write(dir, "lonlat.csv", csv_lonlat), AssetOptions{}, r1);
    const auto b = read_lights(write(dir, "bng.csv", csv_bng), AssetOptions{}, r2);
    const auto c = read_lights(write(dir, "mercator.geojson", geojson), AssetOptions{}, r3);
    CHECK(r1.crs == "EPSG:4326");
    CHECK(r2.crs == "EPSG:27700");
    CHECK(r3.crs == "EPSG:3857");
    REQUIRE(a.size() == 3);
    REQUIRE(b.size() == 3);
    REQUIRE(c.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        CHECK(a[i].x == Approx(b[i].x).margin(0.001));
        CHECK(a[i].y == Approx(b[i].y).margin(0.001));
        CHECK(c[i].x == Approx(b[i].x).margin(0.01));
        CHECK(c[i].y == Approx(b[i].y).margin(0.01));
        CHECK(*a[i].height == 6);
        CHECK(*c[i].height == 6); // "6 m"
    }
    // Bristol is at about (358,000, 173,000) on the National Grid.
    CHECK(b[0].x == Approx(358900).margin(2000));
    CHECK(b[0].y == Approx(173300).margin(2000));
}

TEST_CASE("Lights: the working flag leaves broken lights out; bad values name the line", "[score]") {
    const std::string dir = temp_dir("assets-lights");
    AssetReport r;
    const auto lights = read_lights(write(dir, "l.csv", "x,y,working,radius_m\n400000,200000,1,\n400010,200000,no,\n400020,200000,yes,12\n"), AssetOptions{}, r);
    REQUIRE(lights.size() == 2);
    CHECK(r.left_out.begin()->second == 1);
    CHECK(*lights[1].radius == 12);
    CHECK(error_of([&] { read_lights(write(dir, "h.csv", "x,y,height\n400000,200000,6\n400000,200000,-2\n"), AssetOptions{}, r); })
              .find("h.csv: line 3: mounting height -2 m") != std::string::npos);
    CHECK(error_of([&] { read_lights(write(dir, "w.csv", "x,y,working\n400000,200000,maybe\n"), AssetOptions{}, r); }).find("line 2: working 'maybe'") !=
          std::string::npos);
    CHECK(error_of([&] { read_lights(write(dir, "e.csv", "x,y\n400000,\n"), AssetOptions{}, r); }).find("line 2: no y coordinate") != std::string::npos);
    CHECK(error_of([&] { read_lights(write(dir, "n.csv", "name,value\na,1\n"), AssetOptions{}, r); }).find("no x (x, easting, longitude, lon) column") !=
          std::string::npos);
}

TEST_CASE("Cameras: a bearing outside 0-360 or a field of view of 0 stops the run naming the camera", "[score]") {
    const std::string dir = temp_dir("assets-cctv");
    AssetReport r;
    const auto ok = read_cameras(write(dir, "ok.csv", "camera_id,easting,northing,bearing_deg,fov_deg,range_m\nC1,400000,200000,90,60,40\nC2,400100,200000,,,\n"),
                                 AssetOptions{}, r);
    REQUIRE(ok.size() == 2);
    CHECK(*ok[0].bearing == 90);
    CHECK_FALSE(ok[1].bearing.has_value());
    const std::string bearing = error_of([&] {
        read_cameras(write(dir, "bearing.csv", "camera_id,easting,northing,bearing_deg,fov_deg\nC1,400000,200000,90,60\nC7,400000,200000,400,60\n"), AssetOptions{}, r);
    });
    CHECK(bearing.find("bearing.csv: line 3 (C7): bearing 400 is outside 0-360 degrees") != std::string::npos);
    const std::string fov = error_of([&] {
        read_cameras(write(dir, "fov.csv", "camera_id,easting,northing,bearing_deg,fov_deg\nC9,400000,200000,90,0\n"), AssetOptions{}, r);
    });
    CHECK(fov.find("fov.csv: line 2 (C9): field of view 0 degrees: it must be more than 0") != std::string::npos);
    CHECK(error_of([&] { read_cameras(write(dir, "neg.csv", "id,x,y,bearing\nC,400000,200000,-5\n"), AssetOptions{}, r); }).find("bearing -5 is outside") !=
          std::string::npos);
    CHECK(error_of([&] { read_cameras(write(dir, "range.csv", "id,x,y,range\nC,400000,200000,0\n"), AssetOptions{}, r); }).find("range 0 m") != std::string::npos);
}

TEST_CASE("Paths: a line of zero length stops the run naming the feature", "[score]") {
    const std::string dir = temp_dir("assets-paths");
    const std::string head = R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[)";
    const std::string good = R"({"type":"Feature","properties":{"highway":"service","service":"alley","name":"Back Lane"},"geometry":{"type":"LineString","coordinates":[[400000,200000],[400100,200000]]}})";
    const std::string street = R"({"type":"Feature","properties":{"highway":"residential"},"geometry":{"type":"LineString","coordinates":[[400000,199950],[400000,200050]]}})";
    const std::string zero = R"({"type":"Feature","properties":{"highway":"footway"},"geometry":{"type":"LineString","coordinates":[[400050,200050],[400050,200050]]}})";
    AssetReport r;
    const auto lines = read_paths(write(dir, "ok.geojson", head + good + "," + street + "]}"), AssetOptions{}, r);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].kind == "alley");
    CHECK(lines[0].is_path);
    CHECK(lines[0].name == "Back Lane");
    CHECK_FALSE(lines[1].is_path);
    const std::string e = error_of([&] { read_paths(write(dir, "zero.geojson", head + good + "," + zero + "]}"), AssetOptions{}, r); });
    CHECK(e.find("zero.geojson: feature 2: the path has zero length") != std::string::npos);
    const std::string p = error_of([&] {
        read_paths(write(dir, "point.geojson", head + R"({"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[400000,200000]}}]})"), AssetOptions{}, r);
    });
    CHECK(p.find("feature 1: the path is a point, not a line") != std::string::npos);
}

TEST_CASE("OSM: lamps, cameras, gates, alleys and streets from the usual tags", "[score]") {
    const std::string dir = temp_dir("assets-osm");
    const std::string osm = write(dir, "town.osm", R"(<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="safer test">
  <node id="1" lat="51.4500" lon="-2.5900"><tag k="highway" v="street_lamp"/><tag k="height" v="8"/></node>
  <node id="2" lat="51.4501" lon="-2.5901"><tag k="highway" v="street_lamp"/></node>
  <node id="3" lat="51.4502" lon="-2.5902"><tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="camera"/><tag k="camera:direction" v="NE"/></node>
  <node id="4" lat="51.4503" lon="-2.5903"><tag k="barrier" v="gate"/></node>
  <node id="5" lat="51.4504" lon="-2.5904"><tag k="amenity" v="bench"/></node>
  <node id="10" lat="51.4510" lon="-2.5910"/>
  <node id="11" lat="51.4510" lon="-2.5920"/>
  <node id="12" lat="51.4520" lon="-2.5920"/>
  <way id="100"><nd ref="10"/><nd ref="11"/><tag k="highway" v="service"/><tag k="service" v="alley"/><tag k="name" v="Back Lane"/></way>
  <way id="101"><nd ref="11"/><nd ref="12"/><tag k="highway" v="residential"/><tag k="name" v="High Street"/></way>
  <way id="102"><nd ref="10"/><nd ref="12"/><tag k="highway" v="footway"/></way>
  <way id="103"><nd ref="10"/><nd ref="12"/><tag k="waterway" v="stream"/></way>
</osm>
)");
    AssetReport lr, cr, gr, pr;
    const auto lights = read_lights(osm, AssetOptions{}, lr);
    CHECK(lr.format == "OSM");
    REQUIRE(lights.size() == 2);
    CHECK(*lights[0].height == 8); // from other_tags
    const auto cameras = read_cameras(osm, AssetOptions{}, cr);
    REQUIRE(cameras.size() == 1);
    CHECK(*cameras[0].bearing == 45); // camera:direction=NE
    const auto gates = read_gates(osm, AssetOptions{}, gr);
    CHECK(gates.size() == 1);
    const auto paths = read_paths(osm, AssetOptions{}, pr);
    REQUIRE(paths.size() == 3);
    std::map<std::string, bool> kinds;
    for (const auto& p : paths) kinds[p.kind] = p.is_path;
    CHECK(kinds.at("alley"));
    CHECK(kinds.at("footway"));
    CHECK_FALSE(kinds.at("residential"));
    CHECK(pr.left_out.size() == 1); // the stream
    CHECK(hstore_value(R"("surveillance:type"=>"camera","camera:direction"=>"NE")", "camera:direction") == "NE");
    CHECK(hstore_value(R"("name"=>"a \"quoted\" name")", "name") == "a \"quoted\" name");
}

TEST_CASE("The intervention table reads TOML over the defaults and refuses mistakes", "[score]") {
    const std::string dir = temp_dir("assets-costs");
    auto table = plan::default_interventions();
    read_interventions(write(dir, "costs.toml", "[lighting]\ncost = 2500\neffect = 0.2\n\n[target_hardening]\neffect = 0.3\ncrime_types = [\"Burglary\"]\n"), table);
    CHECK(table[0].unit_cost == 2500);
    CHECK(table[0].effect == 0.2);
    CHECK(table[3].effect == 0.3);
    CHECK(table[1].unit_cost == plan::default_interventions()[1].unit_cost); // untouched
    CHECK(error_of([&] { read_interventions(write(dir, "typo.toml", "[lighting]\ncosts = 2500\n"), table); }).find("typo.toml: line 2: lighting.costs: unknown key") !=
          std::string::npos);
    CHECK(error_of([&] { read_interventions(write(dir, "effect.toml", "[cctv]\neffect = 16\n"), table); }).find("16 is not a share between 0 and 1") !=
          std::string::npos);
    CHECK(error_of([&] { read_interventions(write(dir, "name.toml", "[lights]\ncost = 1\n"), table); }).find("[lights] is not an intervention") !=
          std::string::npos);
    CHECK(error_of([&] { read_interventions(write(dir, "bad.toml", "[cctv\n"), table); }).find("bad.toml: line 1") != std::string::npos);
    // The defaults written out read back unchanged.
    const auto defaults = plan::default_interventions();
    auto again = plan::default_interventions();
    for (auto& s : again) s.effect = 0.5;
    read_interventions(write(dir, "defaults.toml", interventions_toml(defaults)), again);
    for (size_t i = 0; i < defaults.size(); ++i) {
        CHECK(again[i].effect == defaults[i].effect);
        CHECK(again[i].effect_source == defaults[i].effect_source);
        CHECK(again[i].crime_types == defaults[i].crime_types);
    }
}
