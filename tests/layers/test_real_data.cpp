// Real data: 13 months of police.uk street-level crime for Avon and Somerset, the force's 1,005
// LSOA 2011 boundaries and the IoD 2019 population denominators (../shared/data; SOURCES.md).
#include <catch2/catch.hpp>

#include <boost/geometry/algorithms/covered_by.hpp>
#include <boost/geometry/algorithms/within.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/geometry/io/wkt/read.hpp>
#include <cmath>
#include <numeric>

#include "engine/area_index.hpp"
#include "engine/area_stats.hpp"
#include "engine/lsoa_codes.hpp"
#include "layers/area_reader.hpp"
#include "layers/incident_reader.hpp"

using namespace safer;
using namespace safer::layers;

namespace {
const std::string data = SAFER_DATA_DIR;
const std::string crimes = data + "/avon-and-somerset/crime/street";
const std::string lsoas = data + "/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson";
const std::string population = data + "/england/imd2019/File_6_-_IoD2019_Population_Denominators.csv.gz";

namespace bg = boost::geometry;
using BPoint = bg::model::d2::point_xy<double>;
using BMultiPolygon = bg::model::multi_polygon<bg::model::polygon<BPoint>>;

BMultiPolygon to_boost(const GEOSGeometry* g) {
    GEOSWKTWriter* writer = GEOSWKTWriter_create_r(geos::context());
    GEOSWKTWriter_setRoundingPrecision_r(geos::context(), writer, 17);
    char* wkt = GEOSWKTWriter_write_r(geos::context(), writer, g);
    std::string text = wkt;
    GEOSFree_r(geos::context(), wkt);
    GEOSWKTWriter_destroy_r(geos::context(), writer);
    BMultiPolygon mp;
    if (text.rfind("POLYGON", 0) == 0) {
        bg::model::polygon<BPoint> p;
        bg::read_wkt(text, p);
        mp.push_back(p);
    } else {
        bg::read_wkt(text, mp);
    }
    return mp;
}
} // namespace

TEST_CASE("Real data: all 13 months of Avon and Somerset are read and every row accounted for", "[real]") {
    Progress quiet(true);
    const IngestResult r = read_incidents({crimes}, IngestOptions{}, quiet);
    CHECK(r.sources.size() == 13);
    CHECK(r.rows_read == 179878);                                   // SOURCES.md
    CHECK(r.rejects.count(RejectReason::no_location) == 11433);     // SOURCES.md
    CHECK(r.rejects.count(RejectReason::duplicate_row) == 70);      // 84 exact repeats with a Crime ID, 14 of them without location (sort | uniq -c)
    CHECK(r.incidents.size() + r.rejects.total() == r.rows_read);
    CHECK(r.unknown_types().empty());
    // Crime-type totals of SOURCES.md, less rejected rows, cannot exceed the published totals.
    std::vector<uint64_t> by_type(r.types.size(), 0);
    for (CrimeTypeId t : r.incidents.type) ++by_type[t];
    CHECK(by_type[*r.types.find("Burglary")] <= 7246);
    CHECK(by_type[*r.types.find("Anti-social behaviour")] <= 30521);
    CHECK(by_type[*r.types.find("Anti-social behaviour")] > 28000);

    SECTION("a month window keeps just those months") {
        IngestOptions o;
        o.window = {Month::parse("2021-04"), Month::parse("2021-05")};
        const IngestResult w = read_incidents({crimes}, o, quiet);
        CHECK(w.rows_read == 179878);
        CHECK(w.rejects.count(RejectReason::outside_window) == 179878 - 13095 - 14046); // SOURCES.md month rows
        for (Month m : w.incidents.month) REQUIRE((m.str() == "2021-04" || m.str() == "2021-05"));
    }
}

TEST_CASE("Real data: LSOA counts equal a brute-force point-in-polygon count with no index", "[real]") {
    Progress quiet(true);
    const IngestResult r = read_incidents({crimes}, IngestOptions{}, quiet);
    AreaReport report;
    Areas areas = read_areas(lsoas, AreaOptions{}, report, quiet);
    REQUIRE(areas.size() == 1005);
    CHECK(report.code_field == "LSOA11CD");
    CHECK(report.vintage == "2011");
    // Four of the file's 2011 LSOA polygons are invalid as published and are made valid on reading.
    CHECK(report.repaired == std::vector<std::string>{"E01014452", "E01014682", "E01015005", "E01029221"});

    PopulationReport pr;
    join_population(areas, population, PopulationOptions{}, pr);
    CHECK(pr.matched == 1005);
    CHECK(pr.areas_without.empty());
    CHECK(std::accumulate(areas.population.begin(), areas.population.end(), 0.0) == 1664090); // SOURCES.md

    const std::vector<int32_t> area_of = AreaIndex(areas).locate(r.incidents.x, r.incidents.y);
    std::vector<uint64_t> ours(areas.size(), 0);
    uint64_t outside = 0;
    for (int32_t a : area_of) a >= 0 ? ++ours[static_cast<size_t>(a)] : ++outside;
    CHECK(outside > 400);  // SOURCES.md: 501 located rows carry LSOAs outside the force
    CHECK(outside < 600);

    // Five LSOAs: the busiest, a repaired self-intersecting one, a MultiPolygon-heavy rural one and two others.
    const size_t busiest = static_cast<size_t>(std::max_element(ours.begin(), ours.end()) - ours.begin());
    std::vector<std::string> codes = {areas.code[busiest], "E01014452", "E01014399", "E01014682", "E01029221"};
    for (const std::string& code : codes) {
        const size_t a = static_cast<size_t>(std::find(areas.code.begin(), areas.code.end(), code) - areas.code.begin());
        REQUIRE(a < areas.size());
        const BMultiPolygon polygon = to_boost(areas.geometry[a].get());
        uint64_t covered = 0, within = 0;
        for (size_t i = 0; i < r.incidents.size(); ++i) {
            const BPoint p(r.incidents.x[i], r.incidents.y[i]);
            covered += bg::covered_by(p, polygon);
            within += bg::within(p, polygon);
        }
        INFO(code << ": ours " << ours[a] << ", covered_by " << covered << ", within " << within);
        CHECK(ours[a] > 0);
        CHECK(ours[a] == covered);
        CHECK(ours[a] == within);
    }

    const SourceCodeCheck check = check_source_codes(r.incidents, area_of, areas);
    CHECK(check.unknown_2021_only == 0); // all codes are 2011 (SOURCES.md)
    CHECK(check.agree > check.with_code * 9 / 10);
}
