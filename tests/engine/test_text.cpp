// UTF-8 checking and repair (engine/text.hpp), against byte sequences worked out from RFC 3629's
// table of well-formed sequences (its section 4).
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "engine/text.hpp"

using safer::is_utf8;
using safer::to_utf8;

TEST_CASE("UTF-8: well-formed sequences pass", "[text]") {
    CHECK(is_utf8(""));
    CHECK(is_utf8("Anti-social behaviour"));
    CHECK(is_utf8("\xc2\xa3" "431,185"));          // £
    CHECK(is_utf8("caf\xc3\xa9"));                 // é
    CHECK(is_utf8("\xe2\x82\xac"));                // €
    CHECK(is_utf8("\xef\xbb\xbf" "Crime ID"));     // the BOM
    CHECK(is_utf8("\xf0\x9f\x9a\x93"));            // U+1F693, four bytes
    CHECK(is_utf8("\xf4\x8f\xbf\xbf"));            // U+10FFFF, the last code point
}

TEST_CASE("UTF-8: ill-formed sequences fail", "[text]") {
    CHECK_FALSE(is_utf8("caf\xe9"));               // Latin-1 é
    CHECK_FALSE(is_utf8("\x80"));                  // a lone continuation byte
    CHECK_FALSE(is_utf8("\xc0\xaf"));              // overlong '/'
    CHECK_FALSE(is_utf8("\xe0\x80\xaf"));          // overlong, three bytes
    CHECK_FALSE(is_utf8("\xed\xa0\x80"));          // U+D800, a surrogate
    CHECK_FALSE(is_utf8("\xf4\x90\x80\x80"));      // U+110000, beyond Unicode
    CHECK_FALSE(is_utf8("\xe2\x82"));              // cut short
    CHECK_FALSE(is_utf8("\xff"));
}

TEST_CASE("UTF-8: repair replaces each bad byte with U+FFFD and keeps the rest", "[text]") {
    const std::string fffd = "\xef\xbf\xbd";
    CHECK(to_utf8("Burglary") == "Burglary");
    CHECK(to_utf8("caf\xe9") == "caf" + fffd);
    CHECK(to_utf8("\xc2\xa3" "1\xff" "2") == "\xc2\xa3" "1" + fffd + "2");
    CHECK(to_utf8("\xe2\x82") == fffd + fffd); // a cut-short sequence: each byte replaced
    CHECK(to_utf8("a\xed\xa0\x80z") == "a" + fffd + fffd + fffd + "z");
    CHECK(is_utf8(to_utf8("\xf0\x9f\x9a\x93\xf0\x9f\x9a")));
}

TEST_CASE("Thousands separators: every third digit from the point, sign and decimals kept", "[text]") {
    using safer::grouped;
    CHECK(grouped(0) == "0");
    CHECK(grouped(999) == "999");
    CHECK(grouped(1000) == "1,000");
    CHECK(grouped(12345678) == "12,345,678");
    CHECK(grouped(431185) == "431,185");
    CHECK(grouped(-1234.5, 1) == "-1,234.5");
    CHECK(grouped(-123) == "-123"); // no separator after the sign
    CHECK(grouped(1234.56, 2) == "1,234.56");
    CHECK(grouped(std::nan("")) == "n/a");
}
