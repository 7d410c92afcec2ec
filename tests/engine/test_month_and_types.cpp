#include <catch2/catch.hpp>

#include <map>

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

TEST_CASE("Dates are days since 1970-01-01 and parse only as calendar dates", "[engine][month]") {
    // Python: (date(y, m, d) - date(1970, 1, 1)).days
    CHECK(Day::from(1970, 1, 1).index == 0);
    CHECK(Day::from(2021, 3, 14).index == 18700);
    CHECK(Day::from(2000, 2, 29).index == 11016);
    CHECK(Day::from(1900, 1, 1).index == -25567);
    CHECK(Day::from(2024, 12, 31).index == 20088);
    CHECK(Day{18718}.str() == "2021-04-01");
    CHECK(Day{-25567}.str() == "1900-01-01");
    CHECK(Day{11016}.month().str() == "2000-02");
    for (int d = -30000; d < 30000; d += 7) { // civil() inverts from()
        const Day::Civil c = Day{d}.civil();
        CHECK(Day::from(c.year, c.month, c.day).index == d);
    }
    const auto v = parse_date_value("2021-03-14");
    REQUIRE(v);
    CHECK(v->month.str() == "2021-03");
    CHECK(v->day == 18700);
    CHECK(parse_date_value(" 2021-03 ")->day == no_day);
    CHECK(parse_date_value("2021-03-14T23:59:00Z")->day == 18700);
    CHECK(parse_date_value("2021-03-14 08:30:00")->day == 18700);
    CHECK(parse_date_value("2024-02-29")->day == Day::from(2024, 2, 29).index);
    for (const char* bad : {"2021-02-29", "2021-02-30", "2021-04-31", "2021-03-00", "2021-03-1", "14/03/2021", "2021-03-14x", "2021/03/14",
                            "1899-12-31", "", "2021-13-01"})
        CHECK_FALSE(parse_date_value(bad));
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

TEST_CASE("Crime groups are named by what they count: a type, a name that says it, or '<name> crime'", "[types]") {
    std::map<std::string, std::string> phrase;
    for (const CrimeGroup& g : builtin_crime_groups()) phrase[g.name] = crime_phrase(g);
    // The six built-in groups, worked out from their definitions: the four of several types take
    // "crime" after their name; the three of one type are that type.
    CHECK(phrase.at("neighbourhood") == "neighbourhood crime");
    CHECK(phrase.at("acquisitive") == "acquisitive crime");
    CHECK(phrase.at("all") == "all crime");
    CHECK(phrase.at("violence") == "violence and sexual offences");
    CHECK(phrase.at("asb") == "anti-social behaviour");
    CHECK(phrase.at("damage") == "criminal damage and arson");
    // A project file's own groups.
    CHECK(crime_phrase(CrimeGroup{"burglary", "Burglary", {"Burglary"}, false}) == "burglary");
    CHECK(crime_phrase(CrimeGroup{"street", "Street crime", {"Robbery", "Theft from the person"}, false}) == "street crime");
    CHECK(crime_phrase(CrimeGroup{"Drug offences", "Drugs and weapons", {"Drugs", "Possession of weapons"}, false}) == "Drug offences");
    CHECK(crime_phrase(CrimeGroup{"Other crime", "", {"Other crime", "Public order"}, false}) == "Other crime");
}
