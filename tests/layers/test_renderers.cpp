// The renderers' shared pieces: the CSV writer (read back with the project's own RFC 4180
// reader, a second implementation), spreadsheet formulas neutralised, and the HTML templates
// escaping every value they are given.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <regex>
#include <set>

#include "engine/numbers.hpp"
#include "layers/csv.hpp"
#include "layers/csv_writer.hpp"
#include "layers/templates.hpp"

using namespace safer;
using namespace safer::layers;

namespace {
class StringReader final : public ByteReader {
public:
    explicit StringReader(std::string text) : m_text(std::move(text)) {}
    size_t read(char* buffer, size_t size) override {
        const size_t n = std::min(size, m_text.size() - m_pos);
        std::memcpy(buffer, m_text.data() + m_pos, n);
        m_pos += n;
        return n;
    }

private:
    std::string m_text;
    size_t m_pos = 0;
};

std::vector<std::vector<std::string>> read_back(const std::string& text) {
    StringReader in(text);
    CsvReader csv(in, "written.csv");
    std::vector<std::string_view> fields;
    std::vector<std::vector<std::string>> rows;
    while (csv.next(fields)) rows.emplace_back(fields.begin(), fields.end());
    return rows;
}
} // namespace

TEST_CASE("CSV writer: fields with commas, quotes and line breaks read back unchanged", "[layers][csv_writer]") {
    const std::vector<std::string> fields{"plain", "On or near \"The Crescent\", Bath", "two\nlines", "cr\rhere", "", " spaced ", "£431,185"};
    const std::string line = csv_line(fields);
    // Quoted only where RFC 4180 needs it: comma, quote, CR or LF.
    CHECK(line.starts_with("plain,\"On or near \"\"The Crescent\"\", Bath\",\"two\nlines\",\"cr\rhere\",, spaced ,\"£431,185\"\n"));
    const auto rows = read_back("h1,h2,h3,h4,h5,h6,h7\n" + line);
    REQUIRE(rows.size() == 2);
    CHECK(rows[1] == fields);
}

TEST_CASE("CSV writer: numbers are the shortest text that reads back to the same double", "[layers][csv_writer]") {
    CHECK(csv_number(0.1) == "0.1");
    CHECK(csv_number(2.5) == "2.5");
    CHECK(csv_number(1000) == "1000");
    CHECK(csv_number(-3.75) == "-3.75");
    CHECK(csv_number(std::nan("")).empty());
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(-1e6, 1e6);
    for (int i = 0; i < 10000; ++i) {
        const double v = u(rng) / std::pow(10.0, i % 12);
        const auto back = parse_number(csv_number(v));
        REQUIRE(back.has_value());
        CHECK(*back == v);
    }
}

TEST_CASE("CSV writer: text cells a spreadsheet would run as formulas are neutralised", "[layers][csv_writer]") {
    // OWASP's list of formula triggers: =, +, -, @, tab and carriage return.
    CHECK(csv_text("=HYPERLINK(\"http://x\",\"y\")") == "'=HYPERLINK(\"http://x\",\"y\")");
    CHECK(csv_text("+1") == "'+1");
    CHECK(csv_text("-cmd") == "'-cmd");
    CHECK(csv_text("@SUM(A1)") == "'@SUM(A1)");
    CHECK(csv_text("\tx") == "'\tx");
    CHECK(csv_text("\rx") == "'\rx");
    CHECK(csv_text("Bristol 032A") == "Bristol 032A");
    CHECK(csv_text("") == "");
    // In a table only text cells are touched: a negative number stays a number.
    Table t;
    t.columns.push_back(Column::text("name", "", {"=1+1", "Bath"}));
    t.columns.push_back(Column::real("change", "", {-0.5, std::nan("")}));
    t.columns.push_back(Column::integer("rank", "", {-1, 2}, {0, 1}));
    CHECK(table_csv(t) == "name,change,rank\n'=1+1,-0.5,-1\nBath,,\n");
}

TEST_CASE("Templates: every value a template shows is HTML-escaped, except the drawings the code makes", "[layers][templates]") {
    // Every {{name}}, {{#section}} and {{^inverted}} of every template is given a hostile string:
    // a section renders once with it, and names inside resolve to it through the context stack.
    // {{{name}}} inserts trusted HTML: only the SVG maps and charts the code draws may use it.
    const std::set<std::string> trusted{"map", "chart", "charts", "density_map", "rate_map", "displacement_chart", "displacement_map", "overview_map", "hit_chart", "pai_chart"};
    const std::string hostile = "<script>alert('x')</script>&\"";
    const std::string escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;";
    const std::regex tag(R"(\{\{(\{|[#^/>&]?)\s*([A-Za-z0-9_.]+)\s*\}?\}\})");
    size_t values = 0;
    for (std::string_view name : template_names()) {
        INFO("template " << name);
        const std::string text(template_text(name));
        TemplateData data;
        for (std::sregex_iterator it(text.begin(), text.end(), tag), end; it != end; ++it) {
            const std::string kind = (*it)[1], key = (*it)[2];
            if (kind == "{") {
                CHECK(trusted.count(key) == 1);
                data.set(key, "<svg id=\"trusted\"></svg>");
            } else if (kind == "&") {
                FAIL("{{& " << key << "}} inserts a value unescaped");
            } else if (kind != ">" && kind != "/") {
                data.set(key, hostile);
                ++values;
            }
        }
        const std::string html = render_template(name, data);
        CHECK(html.find("<script>") == std::string::npos);
        if (text.find("{{") != std::string::npos && name != "report_style") CHECK(html.find(escaped) != std::string::npos);
    }
    CHECK(values > 50); // the reports name many values; the scan found them
}

TEST_CASE("Templates: the table partial escapes captions, headers and cells", "[layers][templates]") {
    const std::string html = render_template("table", table_data({"Area <code>", "Rate & ratio"}, {{"O'Brien Road", "<b>3</b>"}}, "Caption \"quoted\""));
    CHECK(html.find("Area &lt;code&gt;") != std::string::npos);
    CHECK(html.find("Rate &amp; ratio") != std::string::npos);
    CHECK(html.find("O&#39;Brien Road") != std::string::npos);
    CHECK(html.find("&lt;b&gt;3&lt;/b&gt;") != std::string::npos);
    CHECK(html.find("Caption &quot;quoted&quot;") != std::string::npos);
    CHECK(html.find("<b>") == std::string::npos);
}
