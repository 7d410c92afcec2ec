#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "layers/csv.hpp"

using namespace safer::layers;

namespace {
// Serves a string in small pieces, so records cross buffer refills.
class StringReader final : public ByteReader {
public:
    StringReader(std::string text, size_t piece) : m_text(std::move(text)), m_piece(piece) {}
    size_t read(char* buffer, size_t size) override {
        const size_t n = std::min({size, m_piece, m_text.size() - m_pos});
        std::memcpy(buffer, m_text.data() + m_pos, n);
        m_pos += n;
        return n;
    }

private:
    std::string m_text;
    size_t m_piece;
    size_t m_pos = 0;
};

std::vector<std::vector<std::string>> parse(const std::string& text, size_t piece = 1 << 20, std::vector<uint64_t>* lines = nullptr) {
    StringReader in(text, piece);
    CsvReader csv(in, "test.csv");
    std::vector<std::string_view> fields;
    std::vector<std::vector<std::string>> out;
    while (csv.next(fields)) {
        out.emplace_back(fields.begin(), fields.end());
        if (lines) lines->push_back(csv.line());
    }
    return out;
}
using Rows = std::vector<std::vector<std::string>>;
} // namespace

TEST_CASE("CSV: plain rows, CRLF, BOM and empty trailing fields", "[layers][csv]") {
    CHECK(parse("a,b,c\n1,2,3\n") == Rows{{"a", "b", "c"}, {"1", "2", "3"}});
    CHECK(parse("\xEF\xBB\xBF" "a,b\r\n1,\r\n") == Rows{{"a", "b"}, {"1", ""}});
    CHECK(parse("a,b,c\n,,\n") == Rows{{"a", "b", "c"}, {"", "", ""}});
    CHECK(parse("a\n1") == Rows{{"a"}, {"1"}}); // no final newline
    CHECK(parse("") == Rows{});
    CHECK(parse("\xEF\xBB\xBF") == Rows{});
    CHECK(parse("x") == Rows{{"x"}});
}

TEST_CASE("CSV: quoted fields hold commas, doubled quotes and newlines", "[layers][csv]") {
    std::vector<uint64_t> lines;
    const Rows rows = parse("h1,h2\n\"On or near \"\"The Crescent\"\", Bath\",x\n\"two\nlines\",y\nlast,\"\"\n", 1 << 20, &lines);
    REQUIRE(rows.size() == 4);
    CHECK(rows[1] == std::vector<std::string>{"On or near \"The Crescent\", Bath", "x"});
    CHECK(rows[2] == std::vector<std::string>{"two\nlines", "y"});
    CHECK(rows[3] == std::vector<std::string>{"last", ""});
    CHECK(lines == std::vector<uint64_t>{1, 2, 3, 5});
}

TEST_CASE("CSV: blank lines are skipped and line numbers still count them", "[layers][csv]") {
    std::vector<uint64_t> lines;
    CHECK(parse("a\n\n\r\nb\n", 1 << 20, &lines) == Rows{{"a"}, {"b"}});
    CHECK(lines == std::vector<uint64_t>{1, 4});
}

TEST_CASE("CSV: records crossing buffer refills parse the same", "[layers][csv]") {
    std::string text = "\xEF\xBB\xBF" "id,text,n\r\n";
    Rows expected;
    for (int i = 0; i < 3000; ++i) {
        const std::string quoted = i % 3 == 0 ? "\"q, \"\"" + std::to_string(i) + "\"\"\"" : "plain" + std::to_string(i);
        text += std::to_string(i) + "," + quoted + "," + std::string(static_cast<size_t>(i % 50), 'x') + "\r\n";
        expected.push_back({std::to_string(i), i % 3 == 0 ? "q, \"" + std::to_string(i) + "\"" : "plain" + std::to_string(i),
                            std::string(static_cast<size_t>(i % 50), 'x')});
    }
    for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, size_t{1} << 22}) {
        Rows rows = parse(text, piece);
        REQUIRE(rows.size() == 3001);
        rows.erase(rows.begin());
        CHECK(rows == expected);
    }
}

TEST_CASE("CSV: an unclosed quote costs its own line only, flagged", "[layers][csv]") {
    for (size_t piece : {size_t{1}, size_t{3}, size_t{1} << 20}) {
        StringReader in("a,b\n\"open,1\n2,3\n4,5\n", piece);
        CsvReader csv(in, "t.csv");
        std::vector<std::string_view> f;
        REQUIRE(csv.next(f));
        CHECK_FALSE(csv.unclosed_quote());
        REQUIRE(csv.next(f));
        CHECK(csv.unclosed_quote());
        CHECK(csv.line() == 2);
        CHECK(f == std::vector<std::string_view>{"open,1"});
        REQUIRE(csv.next(f)); // the rows after it are still read
        CHECK_FALSE(csv.unclosed_quote());
        CHECK(csv.line() == 3);
        CHECK(f == std::vector<std::string_view>{"2", "3"});
        REQUIRE(csv.next(f));
        CHECK(csv.line() == 4);
        CHECK_FALSE(csv.next(f));
    }
}

TEST_CASE("CSV: a quote inside an unquoted field is an ordinary character", "[layers][csv]") {
    std::vector<uint64_t> lines;
    // A stray inch mark must not join the rows after it into one record.
    CHECK(parse("a,b\nOn or near 5\" Street,1\n2,3\nx\"y\"z,\"q\"\"\"\n", 1 << 20, &lines) ==
          Rows{{"a", "b"}, {"On or near 5\" Street", "1"}, {"2", "3"}, {"x\"y\"z", "q\""}});
    CHECK(lines == std::vector<uint64_t>{1, 2, 3, 4});
    for (size_t piece : {size_t{1}, size_t{2}, size_t{5}})
        CHECK(parse("a,\"b\"\"\",c\n\"x\ny\"tail,z\n", piece) == Rows{{"a", "b\"", "c"}, {"x\nytail", "z"}});
}

TEST_CASE("CSV: a 100,000-character field is read whole", "[layers][csv]") {
    const std::string big(100000, 'z');
    CHECK(parse("a,b\n" + big + ",1\n", 4096) == Rows{{"a", "b"}, {big, "1"}});
}

TEST_CASE("CSV: fields of every length up to 40, commas at every place in a 16-byte block, split as by hand", "[layers][csv]") {
    // Rows of random fields (letters only, lengths 0 to 40), so commas fall at every offset of
    // the 16-byte blocks the splitter reads at a time, and rows end anywhere in a block.
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> length(0, 40), count(1, 20), letter('a', 'z');
    Rows expected;
    std::string text;
    for (int r = 0; r < 2000; ++r) {
        std::vector<std::string> row;
        const int n = count(rng);
        for (int f = 0; f < n; ++f) {
            std::string field(static_cast<size_t>(length(rng)), 'x');
            for (char& c : field) c = static_cast<char>(letter(rng));
            if (f) text += ',';
            text += field;
            row.push_back(std::move(field));
        }
        text += r % 2 ? "\r\n" : "\n";
        if (row.size() == 1 && row[0].empty()) continue; // a blank line is no record
        expected.push_back(std::move(row));
    }
    CHECK(parse(text) == expected);
    CHECK(parse(text, 7) == expected); // and across refills
}
