#include <catch2/catch.hpp>
#include <cpl_conv.h>
#include <cpl_minixml.h>

#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "layers/qgis_styles.hpp"
#include "layers/xml.hpp"

using namespace safer::layers;

namespace {

struct Destroy {
    void operator()(CPLXMLNode* n) const { CPLDestroyXMLNode(n); }
};
using Tree = std::unique_ptr<CPLXMLNode, Destroy>;

/// GDAL's own XML reader; null if the text is not well-formed.
Tree parse(const std::string& text) { return Tree(CPLParseXMLString(text.c_str())); }

/// The value of attribute `name` of element `e`, or "(missing)".
std::string attr(const CPLXMLNode* e, const char* name) {
    for (const CPLXMLNode* c = e->psChild; c; c = c->psNext)
        if (c->eType == CXT_Attribute && std::string(c->pszValue) == name) return c->psChild ? c->psChild->pszValue : "";
    return "(missing)";
}

/// The child elements of `e` named `name`, in document order.
std::vector<const CPLXMLNode*> children(const CPLXMLNode* e, const char* name) {
    std::vector<const CPLXMLNode*> out;
    for (const CPLXMLNode* c = e ? e->psChild : nullptr; c; c = c->psNext)
        if (c->eType == CXT_Element && std::string(c->pszValue) == name) out.push_back(c);
    return out;
}

// Every character XML reserves, and text outside ASCII (Polish, a pound sign, an en dash).
const std::string reserved = "a & b < c > d \" e ' f";
const std::string polish = "Białowieża £5 – ✓";

class FakeValues final : public qgis::LayerValues {
public:
    std::map<std::string, std::vector<double>> numbers;
    std::map<std::string, std::vector<std::string>> texts;
    std::vector<double> sorted_numbers(const std::string& field) const override {
        const auto f = numbers.find(field);
        return f == numbers.end() ? std::vector<double>{} : f->second;
    }
    std::vector<std::string> distinct(const std::string& field, size_t) const override {
        const auto f = texts.find(field);
        return f == texts.end() ? std::vector<std::string>{} : f->second;
    }
};

} // namespace

TEST_CASE("XML: reserved characters are escaped in attributes and text, and read back unchanged", "[layers][xml]") {
    xml::Document doc("r");
    doc.root().attribute("a", reserved).child("t", reserved);
    const std::string text = doc.str();
    // Inside a double-quoted attribute &, <, > and " must be entities; ' may stay.
    CHECK(text.find("a=\"a &amp; b &lt; c &gt; d &quot; e ' f\"") != std::string::npos);
    // In text & and < must be entities (> too, as GDAL writes it); quotes may stay.
    CHECK(text.find(">a &amp; b &lt; c &gt; d \" e ' f</t>") != std::string::npos);
    const Tree tree = parse(text);
    REQUIRE(tree);
    CHECK(attr(tree.get(), "a") == reserved);
    CHECK(std::string(CPLGetXMLValue(tree.get(), "t", "")) == reserved);
}

TEST_CASE("XML: UTF-8 text is written as it is, in attributes and text", "[layers][xml]") {
    xml::Document doc("r");
    doc.root().attribute("name", polish).text(polish);
    const std::string text = doc.str();
    // The UTF-8 bytes themselves (the document is UTF-8), not character references.
    CHECK(text.find("name=\"" + polish + "\"") != std::string::npos);
    CHECK(text.find(">" + polish + "</r>") != std::string::npos);
    CHECK(text.find("&#") == std::string::npos);
    const Tree tree = parse(text);
    REQUIRE(tree);
    CHECK(attr(tree.get(), "name") == polish);
    CHECK(std::string(CPLGetXMLValue(tree.get(), nullptr, "")) == polish);
}

TEST_CASE("XML: the prolog comes first in order, elements nest, comments cannot hold --", "[layers][xml]") {
    xml::Document doc("qgis", xml::Prolog{true, "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>", "made -- by safer"});
    xml::Element root = doc.root();
    root.attribute("version", "3.22");
    xml::Element renderer = root.child("renderer-v2").attribute("type", "categorizedSymbol");
    renderer.child("categories").child("category").attribute("value", "1").attribute("label", "one");
    renderer.comment("no -- here");
    root.child("blendMode", "0");
    const std::string text = doc.str();

    CHECK(text.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<!-- made", 0) == 0);
    // "--" may only open and close a comment.
    for (size_t open = text.find("<!--"); open != std::string::npos; open = text.find("<!--", open + 4)) {
        const size_t close = text.find("-->", open + 4);
        REQUIRE(close != std::string::npos);
        CHECK(text.substr(open + 4, close - open - 4).find("--") == std::string::npos);
    }
    CHECK(text.find("<!-- no -  here -->") != std::string::npos);

    const Tree tree = parse(text);
    REQUIRE(tree);
    // The declaration, the DOCTYPE, the comment, then the root, as siblings.
    const CPLXMLNode* n = tree.get();
    REQUIRE(n);
    CHECK((n->eType == CXT_Element && std::string(n->pszValue) == "?xml"));
    n = n->psNext;
    REQUIRE(n);
    CHECK(n->eType == CXT_Literal);
    n = n->psNext;
    REQUIRE(n);
    CHECK(n->eType == CXT_Comment);
    n = n->psNext;
    REQUIRE(n);
    CHECK((n->eType == CXT_Element && std::string(n->pszValue) == "qgis"));
    CHECK(n->psNext == nullptr);

    CHECK(attr(n, "version") == "3.22");
    const CPLXMLNode* r = CPLGetXMLNode(n, "renderer-v2");
    REQUIRE(r);
    CHECK(attr(r, "type") == "categorizedSymbol");
    const auto cats = children(CPLGetXMLNode(r, "categories"), "category");
    REQUIRE(cats.size() == 1);
    CHECK(attr(cats[0], "value") == "1");
    CHECK(attr(cats[0], "label") == "one");
    CHECK(std::string(CPLGetXMLValue(n, "blendMode", "")) == "0");
    // The comment stayed inside renderer-v2.
    bool commented = false;
    for (const CPLXMLNode* c = r->psChild; c; c = c->psNext) commented = commented || c->eType == CXT_Comment;
    CHECK(commented);
}

TEST_CASE("XML: a document is move-only and owns its nodes", "[layers][xml]") {
    static_assert(!std::is_copy_constructible_v<xml::Document>);
    static_assert(!std::is_copy_assignable_v<xml::Document>);
    static_assert(std::is_nothrow_move_constructible_v<xml::Document>);
    xml::Document a("a");
    a.root().child("b", "c");
    xml::Document b = std::move(a);
    CHECK(b.str() == "<a>\n  <b>c</b>\n</a>\n");
    xml::Document c("x");
    c = std::move(b);
    CHECK(c.str() == "<a>\n  <b>c</b>\n</a>\n");
}

TEST_CASE("QML: a categorised style reads back with its field, values and labels, <&>\"' included", "[layers][xml][qgis]") {
    FakeValues values;
    const std::string odd = "<&>\"' wardens";
    values.texts["intervention"] = {"cctv", "lighting", odd};
    qgis::LayerInfo layer{"recommendations", qgis::Shape::point, {qgis::Field{"intervention", false, false, {}}}, {}, {}};
    const auto styles = qgis::vector_styles(layer, values);
    REQUIRE(styles.size() == 1);
    const Tree tree = parse(styles[0].qml);
    REQUIRE(tree);
    const CPLXMLNode* r = CPLGetXMLNode(tree.get(), "=qgis.renderer-v2");
    REQUIRE(r);
    CHECK(attr(r, "type") == "categorizedSymbol");
    CHECK(attr(r, "attr") == "intervention");
    // The known interventions first in their legend order (lighting, then cctv), then the rest.
    const auto cats = children(CPLGetXMLNode(r, "categories"), "category");
    REQUIRE(cats.size() == 3);
    const std::vector<std::string> expected = {"lighting", "cctv", odd};
    for (size_t i = 0; i < cats.size(); ++i) {
        CHECK(attr(cats[i], "value") == expected[i]);
        CHECK(attr(cats[i], "label") == expected[i]);
        CHECK(attr(cats[i], "symbol") == std::to_string(i));
    }
    CHECK(children(CPLGetXMLNode(r, "symbols"), "symbol").size() == 3);
    CHECK(std::string(CPLGetXMLValue(tree.get(), "=qgis.layerGeometryType", "")) == "0"); // points
}

TEST_CASE("QML: a quantile style reads back with the range bounds and labels given", "[layers][xml][qgis]") {
    FakeValues values;
    values.numbers["neighbourhood_rate"] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    qgis::LayerInfo layer{"areas", qgis::Shape::polygon, {qgis::Field{"neighbourhood_rate", true, false, {}}}, {}, {}};
    const auto styles = qgis::vector_styles(layer, values);
    REQUIRE_FALSE(styles.empty());
    const Tree tree = parse(styles[0].qml);
    REQUIRE(tree);
    const CPLXMLNode* r = CPLGetXMLNode(tree.get(), "=qgis.renderer-v2");
    REQUIRE(r);
    CHECK(attr(r, "type") == "graduatedSymbol");
    CHECK(attr(r, "attr") == "neighbourhood_rate");
    // QGIS's quantiles of 1..10 in 5 classes: position (n - 1) i / 5 = 1.8, 3.6, 5.4, 7.2 between
    // order statistics, so 2.8, 4.6, 6.4, 8.2, then the maximum 10; labels to three significant
    // figures with trailing zeros dropped.
    const double bounds[6] = {1, 2.8, 4.6, 6.4, 8.2, 10};
    const char* labels[5] = {"1 – 2.8", "2.8 – 4.6", "4.6 – 6.4", "6.4 – 8.2", "8.2 – 10"};
    const auto ranges = children(CPLGetXMLNode(r, "ranges"), "range");
    REQUIRE(ranges.size() == 5);
    for (size_t i = 0; i < ranges.size(); ++i) {
        CHECK(CPLAtof(attr(ranges[i], "lower").c_str()) == Approx(bounds[i]));
        CHECK(CPLAtof(attr(ranges[i], "upper").c_str()) == Approx(bounds[i + 1]));
        CHECK(attr(ranges[i], "label") == labels[i]);
    }
    CHECK(attr(CPLGetXMLNode(r, "classificationMethod"), "id") == "Quantile");
}
