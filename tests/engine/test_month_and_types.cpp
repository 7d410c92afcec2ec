#include <catch2/catch.hpp>

#include "engine/crime_types.hpp"
#include "engine/lsoa_codes.hpp"
#include "engine/month.hpp"

using namespace safer;

TEST_CASE("Months parse only as YYYY-MM and order as calendar months", "[engine][month]") {
    REQUIRE(Month::parse("2021-03"));
    CHECK(Month::parse("2021-03")->str() == "2021-03");
    CHECK(Month::parse("2021-12")->index - Month::parse("2021-01")->index == 11);
    CHECK(*Month::parse("2021-12") < *Month::parse("2022-01"));
    for (const char* bad : {"2021-13", "2021-00", "2021-3", "21-03", "2021/03", "", "2021-03-01", "abcd-ef"})
        CHECK_FALSE(Month::parse(bad));
    MonthWindow window{Month::parse("2021-03"), Month::parse("2021-05")};
    CHECK(window.contains(*Month::parse("2021-03")));
    CHECK(window.contains(*Month::parse("2021-05")));
    CHECK_FALSE(window.contains(*Month::parse("2021-06")));
}

TEST_CASE("Crime types match case-insensitively and unknown types are kept", "[engine][types]") {
    CrimeTypes types;
    CHECK(types.size() == 15);
    CHECK(types.intern("  vehicle CRIME ") == types.intern("Vehicle crime"));
    const CrimeTypeId fraud = types.intern("Fraud");
    CHECK_FALSE(types.is_known(fraud));
    CHECK(types.name(fraud) == "Fraud");
    CHECK(types.is_known(types.intern("public disorder and weapons")));
}

TEST_CASE("Built-in groups hold the Safer Streets neighbourhood crime types", "[engine][types]") {
    CrimeTypes types;
    const CrimeTypeId fraud = types.intern("Fraud");
    const auto groups = builtin_crime_groups();
    const GroupMembership m(groups, types);
    const auto id = [&](const char* t) { return *types.find(t); };
    REQUIRE(groups[0].name == "neighbourhood");
    for (const char* t : {"Burglary", "Robbery", "Theft from the person", "Vehicle crime"}) CHECK(m.contains(0, id(t)));
    for (const char* t : {"Shoplifting", "Bicycle theft", "Anti-social behaviour", "Violence and sexual offences"}) CHECK_FALSE(m.contains(0, id(t)));
    REQUIRE(groups[5].name == "all");
    CHECK(m.contains(5, fraud));
    CHECK_FALSE(m.contains(1, fraud));
}

TEST_CASE("2021-only LSOA codes are told from 2011 codes", "[engine][lsoa]") {
    CHECK_FALSE(is_lsoa2021_only("E01033768")); // the highest 2011 code
    CHECK(is_lsoa2021_only("E01033769"));
    CHECK(is_lsoa2021_only("E01035722"));
    CHECK_FALSE(is_lsoa2021_only("E01014399"));
    CHECK_FALSE(is_lsoa2021_only("W01001958"));
    CHECK_FALSE(is_lsoa2021_only("SYN00001"));
}
