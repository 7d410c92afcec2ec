#include <catch2/catch.hpp>

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/errors.hpp"
#include "layers/incident_reader.hpp"

using namespace safer;
using namespace safer::layers;

namespace {
const std::string fixtures = SAFER_FIXTURES;
const std::string every_reason = fixtures + "/csv/crimes-17rows-every-reject-reason-bom-crlf.csv";

IngestResult read(const std::vector<std::string>& paths, IngestOptions options = {}) {
    Progress quiet(true);
    return read_incidents(paths, options, quiet);
}

std::string temp_dir(const char* name) {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("safer-test-{}-{}", name, ::getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}
} // namespace

TEST_CASE("police.uk reader: every kind of bad row is counted by reason (fixture worked by hand)", "[layers][police]") {
    IngestOptions options;
    options.window.from = Month::parse("2021-01");
    const IngestResult r = read({every_reason}, options);
    CHECK(r.rows_read == 17);
    CHECK(r.incidents.size() == 7);
    CHECK(r.rejects.total() == 10);
    CHECK(r.rejects.count(RejectReason::malformed_row) == 2);
    for (RejectReason reason : {RejectReason::bad_month, RejectReason::outside_window, RejectReason::no_location,
                                RejectReason::not_a_number, RejectReason::zero_coordinates, RejectReason::out_of_range,
                                RejectReason::outside_crs_area, RejectReason::duplicate_row})
        CHECK(r.rejects.count(reason) == 1);
    std::vector<uint64_t> reject_lines;
    for (const Reject& j : r.rejects.items()) reject_lines.push_back(j.line);
    CHECK(reject_lines == std::vector<uint64_t>{5, 6, 7, 8, 9, 10, 11, 12, 13, 19});
    CHECK(r.incidents.line == std::vector<uint64_t>{2, 3, 4, 14, 15, 16, 17});
    CHECK(r.incidents.location[3] == "On or near \"The Crescent\", Bath");
    CHECK(r.incidents.outcome[3] == "Unable to prosecute suspect");
    CHECK(r.types.name(r.incidents.type[5]) == "Vehicle crime");
    const auto unknown = r.unknown_types();
    REQUIRE(unknown.size() == 1);
    CHECK(unknown[0].first == "Fraud");
    CHECK(unknown[0].second == 1);
    // Reprojected to British National Grid: -2.359, 51.381 is in Bath, about (375,000, 165,000).
    CHECK(r.incidents.x[0] == Approx(375100).margin(1500));
    CHECK(r.incidents.y[0] == Approx(165000).margin(1500));
}

TEST_CASE("police.uk reader: without a window, the old month is used", "[layers][police]") {
    const IngestResult r = read({every_reason});
    CHECK(r.rows_read == 17);
    CHECK(r.incidents.size() == 8);
    CHECK(r.rejects.count(RejectReason::outside_window) == 0);
}

TEST_CASE("police.uk reader: a file, its .csv.gz, a folder and a zip give the same incidents", "[layers][police]") {
    const std::string dir = temp_dir("sources");
    const std::string month_dir = dir + "/tree/2021-03";
    std::filesystem::create_directories(month_dir);
    std::filesystem::copy_file(every_reason, month_dir + "/2021-03-test-street.csv");
    std::filesystem::copy_file(every_reason, month_dir + "/2021-03-test-outcomes.csv"); // must be ignored
    REQUIRE(std::system(fmt::format("gzip -c '{}' > '{}/crimes.csv.gz'", every_reason, dir).c_str()) == 0);
    REQUIRE(std::system(fmt::format("cd '{}/tree' && zip -q -r ../crimes.zip 2021-03", dir).c_str()) == 0);
    const IngestResult plain = read({every_reason});
    for (const std::string& source : {dir + "/crimes.csv.gz", dir + "/tree", dir + "/crimes.zip"}) {
        INFO(source);
        const IngestResult r = read({source});
        CHECK(r.sources.size() == 1);
        CHECK(r.rows_read == plain.rows_read);
        CHECK(r.incidents.x == plain.incidents.x);
        CHECK(r.incidents.line == plain.incidents.line);
    }
    // The same file twice, by one name or two (a symlinked folder), is refused: its rows without a
    // Crime ID (lines 3 and 4, anti-social behaviour) cannot be told from real repeats.
    CHECK_THROWS_AS(read({every_reason, every_reason}), UsageError);
    std::filesystem::create_directory_symlink(dir + "/tree", dir + "/link");
    CHECK_THROWS_AS(read({dir + "/tree", dir + "/link"}), UsageError);
    // The same bytes under another name (a download saved twice) are refused naming both files.
    std::filesystem::copy_file(every_reason, dir + "/copy (1).csv");
    try {
        read({every_reason, dir + "/copy (1).csv"});
        FAIL("the same bytes twice were read");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("copy (1).csv") && Catch::Contains("same bytes"));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("police.uk reader: without text columns, duplicates are found by reading both rows again", "[layers][police]") {
    const std::string dir = temp_dir("lean");
    const std::string second = dir + "/2021-04-more-street.csv";
    {
        std::ofstream f(second, std::ios::binary);
        f << "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n"
             // line 2: a record over two lines (a quoted location holding a comma and a newline)
             "c1,2021-04,Force,Force,-2.361000,51.383000,\"On or near \"\"The Row\"\",\nBath\",E01014399,Bath 001A,Burglary,Under investigation,\n"
             // line 4: the same row again: a duplicate of line 2
             "c1,2021-04,Force,Force,-2.361000,51.383000,\"On or near \"\"The Row\"\",\nBath\",E01014399,Bath 001A,Burglary,Under investigation,\n"
             // line 6: reported by another force: a different row
             "c1,2021-04,Other,Force,-2.361000,51.383000,\"On or near \"\"The Row\"\",\nBath\",E01014399,Bath 001A,Burglary,Under investigation,\n"
             // line 8: the first file's line 2 (CRLF there, LF here): a duplicate across files
             "a1,2021-03,Force,Force,-2.359000,51.381000,On or near High Street,E01014399,Bath 001A,Burglary,Under investigation,\n"
             // line 9: the same Crime ID with another outcome: a different row
             "a1,2021-03,Force,Force,-2.359000,51.381000,On or near High Street,E01014399,Bath 001A,Burglary,Court result unavailable,\n"
             // lines 10 and 11: anti-social behaviour without a Crime ID, twice: both kept
             ",2021-04,Force,Force,-2.361000,51.383000,On or near Park,E01014399,Bath 001A,Anti-social behaviour,,\n"
             ",2021-04,Force,Force,-2.361000,51.383000,On or near Park,E01014399,Bath 001A,Anti-social behaviour,,\n";
    }
    IngestOptions full, lean;
    lean.text_columns = false;
    const IngestResult a = read({every_reason, second}, full);
    const IngestResult b = read({every_reason, second}, lean);
    CHECK(a.incidents.has_text());
    CHECK_FALSE(b.incidents.has_text());
    CHECK(b.incidents.crime_id.size() == 0);
    // By hand: the first file's line 5 repeats its line 2; this file's line 4 repeats its line 2
    // and its line 8 the first file's line 2. Lines 6, 9, 10 and 11 stay.
    for (const IngestResult* r : {&a, &b}) {
        std::vector<std::pair<uint64_t, std::string>> duplicates;
        for (const Reject& j : r->rejects.items())
            if (j.reason == RejectReason::duplicate_row) duplicates.emplace_back(j.line, j.detail);
        CHECK(duplicates == std::vector<std::pair<uint64_t, std::string>>{{5, "same as " + every_reason + " line 2"},
                                                                          {4, "same as " + second + " line 2"},
                                                                          {8, "same as " + every_reason + " line 2"}});
        CHECK(r->incidents.size() == 8 + 5);
    }
    CHECK(a.incidents.line == b.incidents.line);
    CHECK(a.incidents.source == b.incidents.source);
    CHECK(a.incidents.x == b.incidents.x);
    CHECK(a.incidents.y == b.incidents.y);
    CHECK(a.incidents.month == b.incidents.month);
    CHECK(a.incidents.type == b.incidents.type);
    // A compressed source cannot be read again at an offset: the text is then kept.
    REQUIRE(std::system(fmt::format("gzip -c '{}' > '{}/more.csv.gz'", second, dir).c_str()) == 0);
    const IngestResult c = read({every_reason, dir + "/more.csv.gz"}, lean);
    CHECK(c.incidents.has_text());
    CHECK(c.rejects.count(RejectReason::duplicate_row) == 3);
    std::filesystem::remove_all(dir);
}

namespace {
std::string sha256sum(const std::string& path, const std::string& dir) {
    const std::string out = dir + "/sha256sum.txt";
    REQUIRE(std::system(fmt::format("sha256sum '{}' > '{}'", path, out).c_str()) == 0);
    std::ifstream f(out);
    std::string digest;
    f >> digest;
    return digest;
}
} // namespace

TEST_CASE("police.uk reader: checksums taken after reading are sha256sum's, and a file changed since is refused", "[layers][police]") {
    const std::string dir = temp_dir("later");
    const std::string second = dir + "/2021-04-second-street.csv";
    {
        std::ofstream f(second, std::ios::binary);
        f << "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n"
             "z1,2021-04,Force,Force,-2.361000,51.383000,On or near Park,E01014399,Bath 001A,Burglary,,\n";
    }
    IngestOptions options;
    options.checksums_later = true;
    const IngestResult r = read({every_reason, second}, options);
    REQUIRE(r.later);
    CHECK(r.sources[0].sha256.empty()); // not taken while reading
    CHECK(r.file_checksums() == std::vector<std::pair<std::string, std::string>>{{every_reason, sha256sum(every_reason, dir)},
                                                                                  {second, sha256sum(second, dir)}});
    // The same bytes under two names are still refused (files of one size are checksummed at once).
    std::filesystem::copy_file(second, dir + "/copy.csv");
    CHECK_THROWS_AS(read({second, dir + "/copy.csv"}, options), InputError);
    // A file changed after it was read: its checksum would describe other rows.
    const SourceFile file = source_file(second);
    const auto reader = ByteReader::open(file, nullptr, false);
    char buffer[4096];
    while (reader->read(buffer, sizeof buffer) > 0) {
    }
    CHECK(reader->file_sha256().empty());
    const std::string stamp = reader->stamp();
    {
        std::ofstream f(second, std::ios::app);
        f << "z2,2021-04,Force,Force,-2.361000,51.383000,On or near Park,E01014399,Bath 001A,Robbery,,\n";
    }
    DeferredSha256 later({{second, stamp}});
    CHECK_THROWS_AS(later.get(second), IoError);
    std::filesystem::remove_all(dir);
}

TEST_CASE("police.uk reader: bad files fail with the file named", "[layers][police]") {
    const std::string dir = temp_dir("bad");
    const auto expect_error = [&](const std::vector<std::string>& paths, const std::string& fragment) {
        try {
            read(paths);
            FAIL("no error for " << paths.front());
        } catch (const InputError& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(fragment) != std::string::npos);
        }
    };
    expect_error({dir + "/missing.csv"}, "no such file");
    std::filesystem::create_directories(dir + "/empty");
    expect_error({dir + "/empty"}, "holds no .csv");
    std::ofstream(dir + "/header.csv") << "a,b,c\n1,2,3\n";
    expect_error({dir + "/header.csv"}, "wrong header");
    REQUIRE(std::system(fmt::format("gzip -c '{}' | head -c 300 > '{}/cut.csv.gz'", every_reason, dir).c_str()) == 0);
    expect_error({dir + "/cut.csv.gz"}, "truncated");
    std::ofstream(dir + "/empty.csv") << "";
    expect_error({dir + "/empty.csv"}, "empty");
    std::filesystem::remove_all(dir);
}

TEST_CASE("Point CSV: named x/y/month/type columns in British National Grid", "[layers][points]") {
    const std::string dir = temp_dir("points");
    std::ofstream(dir + "/points.csv") << "id,easting,northing,date,offence\n"
                                          "1,375100,165000,2021-03-14,Burglary\n"
                                          "2,375200,165100,2021-04,robbery\n"
                                          "3,,165100,2021-04,Robbery\n"
                                          "4,375200,165100,14/03/2021,Robbery\n";
    const IngestResult r = read({dir + "/points.csv"});
    CHECK(r.sources[0].format == "point CSV");
    CHECK(r.sources[0].crs == "EPSG:27700");
    CHECK(r.incidents.size() == 2);
    CHECK(r.incidents.x[0] == Approx(375100).margin(1e-6));
    CHECK(r.incidents.month[0].str() == "2021-03");
    CHECK(r.rejects.count(RejectReason::no_location) == 1);
    CHECK(r.rejects.count(RejectReason::bad_month) == 1);
    std::filesystem::remove_all(dir);
}

TEST_CASE("Point CSV: a date column gives each incident its day; months stay months, and impossible dates are rejected", "[layers][points]") {
    const std::string dir = temp_dir("dates");
    std::ofstream(dir + "/dated.csv") << "x,y,date,type\n"
                                         "375100,165000,2021-03-14,Burglary\n"
                                         "375100,165000,2021-03-15T22:10:00,Burglary\n"
                                         "375100,165000,2021-02-30,Burglary\n"
                                         "375100,165000,14/03/2021,Burglary\n";
    std::ofstream(dir + "/months.csv") << "x,y,month,type\n375200,165000,2021-04,Burglary\n";
    const IngestResult r = read({dir + "/dated.csv", dir + "/months.csv"});
    CHECK(r.rows_read == 5);
    REQUIRE(r.incidents.size() == 3);
    REQUIRE(r.incidents.day.size() == 3);
    CHECK(r.incidents.day[0] == 18700); // (date(2021, 3, 14) - date(1970, 1, 1)).days
    CHECK(r.incidents.day[1] == 18701);
    CHECK(r.incidents.day[2] == no_day); // a month only
    CHECK(r.incidents.month[2].str() == "2021-04");
    CHECK(r.rejects.count(RejectReason::bad_month) == 2);
    for (const Reject& j : r.rejects.items()) CHECK(j.detail.find("calendar date YYYY-MM-DD") != std::string::npos);
    // Without any dated row there is no day column at all.
    CHECK(read({dir + "/months.csv"}).incidents.day.empty());
    // Two rows with one Crime ID, one month and different days are two incidents, not duplicates.
    std::ofstream(dir + "/ids.csv") << "crime id,x,y,date,type\nA1,375100,165000,2021-03-14,Burglary\nA1,375100,165000,2021-03-16,Burglary\n";
    CHECK(read({dir + "/ids.csv"}).incidents.size() == 2);
    std::filesystem::remove_all(dir);
}

TEST_CASE("OGR point layer: GeoJSON incidents are read with their CRS", "[layers][points]") {
    const std::string dir = temp_dir("ogr");
    std::ofstream(dir + "/points.geojson") << R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"month":"2021-03","crime_type":"Burglary"},"geometry":{"type":"Point","coordinates":[-2.359,51.381]}},
{"type":"Feature","properties":{"month":"2021-03","crime_type":"Burglary"},"geometry":{"type":"LineString","coordinates":[[-2.359,51.381],[-2.36,51.38]]}},
{"type":"Feature","properties":{"month":"2021-03","crime_type":"Burglary"},"geometry":null}]})";
    const IngestResult r = read({dir + "/points.geojson"});
    CHECK(r.rows_read == 3);
    CHECK(r.incidents.size() == 1);
    CHECK(r.rejects.count(RejectReason::not_a_point) == 1);
    CHECK(r.rejects.count(RejectReason::no_location) == 1);
    const IngestResult csv = read({every_reason});
    CHECK(r.incidents.x[0] == Approx(csv.incidents.x[0]).margin(0.01));
    std::filesystem::remove_all(dir);
}
