// Words every report shares: a part of a whole worded for every count (never "1 of its 1
// burglaries"), lists ("Burglary and Robbery"), a description as a sentence of its own, and
// counts as a reader expects them ("147 of 1,380", never "147.0 of 1380").
#include <catch2/catch.hpp>

#include "layers/wording.hpp"

using namespace safer::layers;

namespace {
const Noun burglary{"burglary", "burglaries"};
const Verb lies{"lies", "lie", "does not lie"};
} // namespace

TEST_CASE("A part of a whole reads right when the whole is 1: its only burglary, never 1 of its 1 burglaries", "[wording]") {
    CHECK(part_of_whole(1, 1, "its", burglary, lies) == "its only burglary lies");
    CHECK(part_of_whole(0, 1, "its", burglary, lies) == "its only burglary does not lie");
    CHECK(part_of_whole(0, 0, "its", burglary, lies) == "no burglary lies");
    CHECK(part_of_whole(1, 1, "the", {"light read", "lights read"}, {"reaches", "reach", "does not reach"}) == "the only light read reaches");
}

TEST_CASE("A part of a whole of several keeps K of its N, the verb agreeing with K", "[wording]") {
    CHECK(part_of_whole(3, 12, "its", burglary, lies) == "3 of its 12 burglaries lie");
    CHECK(part_of_whole(1, 12, "its", burglary, lies) == "1 of its 12 burglaries lies");
    CHECK(part_of_whole(0, 12, "its", burglary, lies) == "none of its 12 burglaries lie");
    CHECK(part_of_whole(12, 12, "its", burglary, lies) == "all 12 of its burglaries lie");
    CHECK(part_of_whole(2, 2, "its", burglary, lies) == "both its burglaries lie");
    CHECK(part_of_whole(1, 2, "its", burglary, lies) == "1 of its 2 burglaries lies");
    CHECK(part_of_whole(1234, 5678, "the", {"camera read", "cameras read"}, {"sees", "see", "does not see"}) == "1,234 of the 5,678 cameras read see");
    // Without a verb, a noun phrase: the bid's "hot at 99 % (Gi*) in both its LSOAs".
    CHECK(part_of_whole(2, 2, "its", {"LSOA", "LSOAs"}, {}) == "both its LSOAs");
    CHECK(part_of_whole(2, 3, "its", {"LSOA", "LSOAs"}, {}) == "2 of its 3 LSOAs");
    CHECK(part_of_whole(3, 3, "its", {"LSOA", "LSOAs"}, {}) == "all 3 of its LSOAs");
}

TEST_CASE("Lists read as a reader says them: A, B and C", "[wording]") {
    CHECK(and_list({}).empty());
    CHECK(and_list({"Burglary"}) == "Burglary");
    CHECK(and_list({"Burglary", "Robbery"}) == "Burglary and Robbery");
    CHECK(and_list({"Burglary", "Robbery", "Vehicle crime"}) == "Burglary, Robbery and Vehicle crime");
}

TEST_CASE("A description becomes a sentence of its own, not an aside in parentheses", "[wording]") {
    CHECK(as_sentence("Neighbourhood crime (Home Office Safer Streets): burglary, robbery, theft from the person, vehicle crime") ==
          "Neighbourhood crime (Home Office Safer Streets): burglary, robbery, theft from the person, vehicle crime.");
    CHECK(as_sentence("mine (Burglary, Robbery)") == "Mine (Burglary, Robbery).");
    CHECK(as_sentence("Counted by hand.") == "Counted by hand.");
    CHECK(as_sentence("").empty());
}

TEST_CASE("Counts are whole numbers with thousands separators, with a decimal only when taken in part", "[wording]") {
    CHECK(count_number(147.0) == "147");
    CHECK(count_number(1380) == "1,380");
    CHECK(count_number(1400.8) == "1,400.8");
    CHECK(count_number(12345.26) == "12,345.3");
    CHECK(count_number(649.97) == "649.97");     // one decimal would show a whole 650.0
    // A sum of parts that is whole up to the last bits of a double: 3 tied cells of 1 incident each, a third taken 3 times.
    CHECK(count_number(1.0 / 3 + 1.0 / 3 + 1.0 / 3 + 646) == "647");
    CHECK(is_whole(1.0 / 3 * 3));
    CHECK_FALSE(is_whole(0.5));
}
