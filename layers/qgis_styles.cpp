#include "layers/qgis_styles.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>

#include <cpl_conv.h>
#include <cpl_minixml.h>
#include <cpl_vsi.h>

#include <cstring>
#include <functional>
#include <limits>
#include <memory>

#include "engine/errors.hpp"
#include "layers/geopackage.hpp" // temporary_path, write_temporary, rename_into_place
#include "layers/xml.hpp"

namespace safer::layers::qgis {

namespace fs = std::filesystem;

const Field* LayerInfo::field(const std::string& wanted) const {
    for (const Field& f : fields)
        if (f.name == wanted) return &f;
    return nullptr;
}

namespace {

/// Our sidecar files open with this comment; a .qml without it is a user's own.
constexpr std::string_view sidecar_marker = "written by safer:";
/// The DOCTYPE QGIS itself writes at the head of a QML file.
constexpr const char* qml_doctype = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>";
constexpr const char* qgis_version = "3.22.16-Białowieża";

std::string number(double v) { return fmt::format("{}", v); }

// ---- Colours ------------------------------------------------------------------------------------

struct Rgba {
    int r = 0, g = 0, b = 0, a = 255;
    std::string prop() const { return fmt::format("{},{},{},{}", r, g, b, a); }
    std::string hex() const { return fmt::format("#{:02x}{:02x}{:02x}", r, g, b); }
    Rgba alpha(int new_alpha) const { return Rgba{r, g, b, new_alpha}; }
};

// ColorBrewer YlOrRd, sequential (rates, density).
const std::vector<Rgba> yl_or_rd = {{255, 255, 178}, {254, 217, 118}, {254, 178, 76}, {253, 141, 60}, {240, 59, 32}, {189, 0, 38}};
// A qualitative palette (ColorBrewer Set1 without its yellow, then Dark2) for categories with no
// colour of their own.
const std::vector<Rgba> qualitative = {{228, 26, 28},  {55, 126, 184}, {77, 175, 74},  {152, 78, 163}, {255, 127, 0},
                                       {166, 86, 40},  {247, 129, 191}, {27, 158, 119}, {217, 95, 2},   {117, 112, 179},
                                       {231, 41, 138}, {102, 166, 30},  {230, 171, 2},  {166, 118, 29}, {102, 102, 102}};
const Rgba grey{153, 153, 153};
const Rgba outline_grey{128, 128, 128};

/// The colour at t (0..1) along `stops`, interpolated in RGB.
Rgba ramp_at(const std::vector<Rgba>& stops, double t) {
    t = std::clamp(t, 0.0, 1.0) * static_cast<double>(stops.size() - 1);
    const auto i = std::min(static_cast<size_t>(t), stops.size() - 2);
    const double f = t - static_cast<double>(i);
    const auto mix = [&](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * f)); };
    return Rgba{mix(stops[i].r, stops[i + 1].r), mix(stops[i].g, stops[i + 1].g), mix(stops[i].b, stops[i + 1].b), 255};
}

std::vector<Rgba> sample_ramp(const std::vector<Rgba>& stops, size_t n) {
    std::vector<Rgba> out;
    for (size_t i = 0; i < n; ++i) out.push_back(ramp_at(stops, n == 1 ? 1.0 : static_cast<double>(i) / static_cast<double>(n - 1)));
    return out;
}

/// `<prop k v>`, the form of a symbol's or colour ramp's setting every QGIS 3 reads.
void prop(xml::Element parent, const char* k, const std::string& v) { parent.child("prop").attribute("k", k).attribute("v", v); }

void ramp_xml(xml::Element parent, const std::vector<Rgba>& stops) {
    std::string inner;
    for (size_t i = 1; i + 1 < stops.size(); ++i)
        inner += fmt::format("{}{};{}", inner.empty() ? "" : ":", static_cast<double>(i) / static_cast<double>(stops.size() - 1), stops[i].prop());
    xml::Element ramp = parent.child("colorramp").attribute("type", "gradient").attribute("name", "[source]");
    prop(ramp, "color1", stops.front().prop());
    prop(ramp, "color2", stops.back().prop());
    prop(ramp, "discrete", "0");
    prop(ramp, "rampType", "gradient");
    prop(ramp, "stops", inner);
}

// ---- Symbols ------------------------------------------------------------------------------------

struct Symbol {
    Shape shape = Shape::polygon;
    Rgba fill{200, 200, 200};
    Rgba stroke = outline_grey;
    double stroke_mm = 0.26;
    bool no_fill = false;
    bool no_stroke = false;
    double size_mm = 2.0;           // markers
    std::string line_style = "solid"; // solid, dash, dot
};

void symbol_xml(xml::Element symbols, const Symbol& s, const std::string& name) {
    const char* type = s.shape == Shape::point ? "marker" : s.shape == Shape::line ? "line" : "fill";
    xml::Element symbol = symbols.child("symbol").attribute("type", type).attribute("name", name).attribute("alpha", "1");
    symbol.attribute("clip_to_extent", "1").attribute("force_rhr", "0");
    const char* layer_class = s.shape == Shape::point ? "SimpleMarker" : s.shape == Shape::line ? "SimpleLine" : "SimpleFill";
    xml::Element layer = symbol.child("layer").attribute("class", layer_class).attribute("enabled", "1").attribute("pass", "0");
    layer.attribute("locked", "0");
    if (s.shape == Shape::point) {
        prop(layer, "name", "circle");
        prop(layer, "color", s.fill.prop());
        prop(layer, "outline_color", s.stroke.prop());
        prop(layer, "outline_style", s.no_stroke ? "no" : "solid");
        prop(layer, "outline_width", number(s.stroke_mm));
        prop(layer, "outline_width_unit", "MM");
        prop(layer, "size", number(s.size_mm));
        prop(layer, "size_unit", "MM");
        prop(layer, "angle", "0");
        prop(layer, "joinstyle", "bevel");
        prop(layer, "scale_method", "diameter");
        prop(layer, "vertical_anchor_point", "1");
        prop(layer, "horizontal_anchor_point", "1");
    } else if (s.shape == Shape::line) {
        prop(layer, "line_color", s.stroke.prop());
        prop(layer, "line_style", s.line_style);
        prop(layer, "line_width", number(s.stroke_mm));
        prop(layer, "line_width_unit", "MM");
        prop(layer, "capstyle", "round");
        prop(layer, "joinstyle", "round");
        prop(layer, "offset", "0");
        prop(layer, "offset_unit", "MM");
    } else {
        prop(layer, "color", s.fill.prop());
        prop(layer, "style", s.no_fill ? "no" : "solid");
        prop(layer, "outline_color", s.stroke.prop());
        prop(layer, "outline_style", s.no_stroke ? "no" : s.line_style);
        prop(layer, "outline_width", number(s.stroke_mm));
        prop(layer, "outline_width_unit", "MM");
        prop(layer, "joinstyle", "bevel");
        prop(layer, "offset", "0,0");
        prop(layer, "offset_unit", "MM");
    }
}

// ---- Renderers and documents ----------------------------------------------------------------------

int geometry_type_code(Shape s) { return s == Shape::point ? 0 : s == Shape::line ? 1 : s == Shape::polygon ? 2 : 4; }

/// The <qgis> element QGIS writes, and its <renderer-v2> of `type`.
xml::Element start_qml(xml::Element qgis, const std::string& type) {
    qgis.attribute("version", qgis_version).attribute("styleCategories", "AllStyleCategories").attribute("hasScaleBasedVisibilityFlag", "0");
    qgis.attribute("minScale", "100000000").attribute("maxScale", "0");
    qgis.attribute("simplifyDrawingHints", "1").attribute("simplifyDrawingTol", "1").attribute("simplifyAlgorithm", "0");
    qgis.attribute("simplifyLocal", "1").attribute("simplifyMaxScale", "1").attribute("readOnly", "0");
    return qgis.child("renderer-v2").attribute("type", type);
}

/// A vector layer's QML as far as its renderer, which the caller fills; qml() adds the layer
/// settings that follow it.
struct Document {
    Document(Shape s, std::string type, double o)
        : shape(s), renderer_type(std::move(type)), opacity(o), renderer(start_qml(doc.root(), renderer_type)) {}

    Shape shape;
    std::string renderer_type;
    double opacity;
    xml::Document doc{"qgis", xml::Prolog{false, qml_doctype, {}}};
    xml::Element renderer;
};

std::string qml(Document& d) {
    xml::Element qgis = d.doc.root();
    qgis.child("blendMode", "0");
    qgis.child("featureBlendMode", "0");
    qgis.child("layerOpacity", number(d.opacity));
    qgis.child("layerGeometryType", std::to_string(geometry_type_code(d.shape)));
    return d.doc.str();
}

/// The renderer settings after `attr` (and graduatedMethod) that every renderer has.
void renderer_flags(xml::Element r, bool order_by) {
    r.attribute("forceraster", "0").attribute("symbollevels", "0").attribute("enableorderby", order_by ? "1" : "0");
    r.attribute("referencescale", "-1");
}

void rotation_and_size(xml::Element r) {
    r.child("rotation");
    r.child("sizescale");
}

/// Colours for known category values, in legend order.
using Palette = std::vector<std::pair<std::string, Rgba>>;

Document single(Shape shape, const Symbol& symbol, double opacity = 1.0) {
    Document d(shape, "singleSymbol", opacity);
    renderer_flags(d.renderer, false);
    symbol_xml(d.renderer.child("symbols"), symbol, "0");
    rotation_and_size(d.renderer);
    return d;
}

struct Category {
    std::string value;
    std::string label;
    Symbol symbol;
};

Document categorized(Shape shape, const std::string& field, const std::vector<Category>& categories, const std::string& draw_order = {},
                     bool draw_ascending = true, double opacity = 1.0) {
    Document d(shape, "categorizedSymbol", opacity);
    d.renderer.attribute("attr", field);
    renderer_flags(d.renderer, !draw_order.empty());
    xml::Element cats = d.renderer.child("categories");
    for (size_t i = 0; i < categories.size(); ++i)
        cats.child("category").attribute("value", categories[i].value).attribute("label", categories[i].label)
            .attribute("symbol", std::to_string(i)).attribute("render", "true");
    xml::Element symbols = d.renderer.child("symbols");
    for (size_t i = 0; i < categories.size(); ++i) symbol_xml(symbols, categories[i].symbol, std::to_string(i));
    if (!draw_order.empty()) {
        // A QGIS expression: the field name in double quotes.
        d.renderer.child("orderby").child("orderByClause", fmt::format("\"{}\"", draw_order)).attribute("asc", draw_ascending ? "1" : "0")
            .attribute("nullsFirst", "0");
    }
    rotation_and_size(d.renderer);
    return d;
}

struct Range {
    double lower, upper;
    std::string label;
    Symbol symbol;
};

Document graduated(Shape shape, const std::string& field, const std::vector<Range>& ranges, const std::vector<Rgba>& ramp, const char* method,
                   double opacity = 1.0) {
    Document d(shape, "graduatedSymbol", opacity);
    d.renderer.attribute("attr", field).attribute("graduatedMethod", "GraduatedColor");
    renderer_flags(d.renderer, false);
    xml::Element rs = d.renderer.child("ranges");
    for (size_t i = 0; i < ranges.size(); ++i)
        rs.child("range").attribute("lower", number(ranges[i].lower)).attribute("upper", number(ranges[i].upper))
            .attribute("label", ranges[i].label).attribute("symbol", std::to_string(i)).attribute("render", "true");
    xml::Element symbols = d.renderer.child("symbols");
    for (size_t i = 0; i < ranges.size(); ++i) symbol_xml(symbols, ranges[i].symbol, std::to_string(i));
    ramp_xml(d.renderer, ramp);
    xml::Element m = d.renderer.child("classificationMethod").attribute("id", method);
    m.child("symmetricMode").attribute("enabled", "0").attribute("symmetrypoint", "0").attribute("astride", "0");
    m.child("labelFormat").attribute("format", "%1 – %2").attribute("labelprecision", "2").attribute("trimtrailingzeroes", "1");
    m.child("parameters").child("Option");
    m.child("extraInformation");
    rotation_and_size(d.renderer);
    return d;
}

Style style(std::string name, std::string description, Document d) {
    std::string text = qml(d);
    return Style{std::move(name), std::move(description), d.renderer_type, std::move(text)};
}

// ---- Symbols for shapes -------------------------------------------------------------------------

/// A symbol of `colour` for a layer of `shape`: filled polygons with a thin grey outline, points
/// as small circles with a white rim, lines in the colour.
Symbol themed(Shape shape, Rgba colour, bool outline = true) {
    Symbol s;
    s.shape = shape;
    if (shape == Shape::point) {
        s.fill = colour;
        s.stroke = Rgba{255, 255, 255};
        s.stroke_mm = 0.2;
        s.size_mm = 1.8;
    } else if (shape == Shape::line) {
        s.stroke = colour;
        s.stroke_mm = 0.6;
    } else {
        s.fill = colour;
        s.stroke = outline_grey;
        s.stroke_mm = 0.1;
        s.no_stroke = !outline;
    }
    return s;
}

/// Grid cells tile the map: an outline on each would hide the pattern.
bool tiles(const LayerInfo& layer) { return layer.shape == Shape::polygon && layer.field("cell_id") != nullptr; }

/// `v` with `decimals` decimals, trailing zeros dropped and thousands grouped: "12,345", "3.4".
std::string format_number(double v, int decimals) {
    std::string s = fmt::format("{:.{}f}", v, decimals);
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0') s.pop_back();
        if (s.back() == '.') s.pop_back();
    }
    if (s == "-0") s = "0";
    // Thousands grouped, built afresh (GCC 12 warns falsely about std::string::insert here).
    const size_t start = s.front() == '-' ? 1 : 0;
    const size_t dot = std::min(s.find('.'), s.size());
    std::string grouped = s.substr(0, start);
    for (size_t i = start; i < dot; ++i) {
        grouped += s[i];
        const size_t left = dot - i - 1;
        if (left > 0 && left % 3 == 0) grouped += ',';
    }
    grouped += s.substr(dot);
    return grouped;
}

/// About three significant figures; whole numbers from 100.
int decimals_for(double v) {
    const double a = std::fabs(v);
    if (a == 0 || a >= 100 || !std::isfinite(a)) return 0;
    return std::min(8, 2 - static_cast<int>(std::floor(std::log10(a))));
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---- The styles ---------------------------------------------------------------------------------

/// A field that is 0 for many units (unguarded crime in most cells, counts in quiet areas): 0 is a
/// class of its own, drawn faintly (grid cells not at all, so the map beneath shows), and the
/// values above 0 are classed by natural breaks, which keep similar values together where
/// quantiles of a skewed, tied field split near-equal neighbours into different classes and
/// speckle the map.
Style zero_inflated_style(const LayerInfo& layer, const std::vector<double>& v, size_t zeros, const std::string& field, const std::string& what) {
    const std::vector<double> positive(v.begin() + static_cast<std::ptrdiff_t>(zeros), v.end());
    const std::vector<double> breaks = natural_breaks(positive, 4);
    std::vector<double> bounds{positive.front()};
    bounds.insert(bounds.end(), breaks.begin(), breaks.end());
    const std::vector<std::string> text = legend_numbers(bounds);
    const std::vector<Rgba> colours = sample_ramp(std::vector<Rgba>(yl_or_rd.begin() + 1, yl_or_rd.end()), breaks.size());
    std::vector<Range> ranges;
    Symbol none = themed(layer.shape, {240, 240, 240}, !tiles(layer));
    if (tiles(layer)) none.no_fill = true;
    if (layer.shape == Shape::line) none.stroke = Rgba{200, 200, 200}, none.stroke_mm = 0.3;
    ranges.push_back(Range{0, 0, "0", none});
    for (size_t i = 0; i < breaks.size(); ++i) {
        Symbol s = themed(layer.shape, colours[i], !tiles(layer));
        if (layer.shape == Shape::line) s.stroke_mm = 0.8;
        // The first class starts at 0 for QGIS (a value matches the first range holding it, so 0
        // stays in the class above) and is labelled from the smallest value above 0.
        ranges.push_back(Range{i == 0 ? 0.0 : bounds[i], bounds[i + 1], text[i] + " – " + text[i + 1], s});
    }
    return style(fmt::format("{} classes", field),
                 fmt::format("{}: 0 on its own ({} of {} {}{}), the values above 0 in {} natural-breaks classes (Jenks)", what, zeros, v.size(),
                             layer.shape == Shape::line ? "lines" : layer.shape == Shape::point ? "points" : tiles(layer) ? "cells" : "areas",
                             tiles(layer) ? ", not drawn" : "", breaks.size()),
                 graduated(layer.shape, field, ranges, yl_or_rd, "Jenks"));
}

/// Quantile classes of a numeric field on YlOrRd; nothing if the field has no values. A field
/// that is 0 in a fifth or more of the units gets zero_inflated_style instead.
std::optional<Style> quantile_style(const LayerInfo& layer, const LayerValues& values, const std::string& field, const std::string& what,
                                    int classes = 5) {
    const std::vector<double> v = values.sorted_numbers(field);
    if (v.empty()) return std::nullopt;
    const size_t zeros = static_cast<size_t>(std::count(v.begin(), v.end(), 0.0));
    if (v.front() >= 0 && zeros * 5 >= v.size() && zeros < v.size()) return zero_inflated_style(layer, v, zeros, field, what);
    const std::vector<double> breaks = quantile_breaks(v, classes);
    std::vector<double> bounds{v.front()};
    bounds.insert(bounds.end(), breaks.begin(), breaks.end());
    const std::vector<std::string> text = legend_numbers(bounds);
    const std::vector<Rgba> colours = sample_ramp(yl_or_rd, breaks.size());
    std::vector<Range> ranges;
    for (size_t i = 0; i < breaks.size(); ++i) {
        Symbol s = themed(layer.shape, colours[i], !tiles(layer));
        if (layer.shape == Shape::line) s.stroke_mm = 0.8;
        ranges.push_back(Range{bounds[i], bounds[i + 1], text[i] + " – " + text[i + 1], s});
    }
    return style(fmt::format("{} quantiles", field),
                 fmt::format("{} in {} quantile classes ({} values{}); {} with no value are not drawn", what, ranges.size(), v.size(),
                             ranges.size() < static_cast<size_t>(classes) ? ", tied breaks merged" : "",
                             layer.shape == Shape::line ? "lines" : layer.shape == Shape::point ? "points" : "areas"),
                 graduated(layer.shape, field, ranges, yl_or_rd, "Quantile"));
}

/// Getis-Ord Gi* bins (Esri's Gi_Bin) in Esri's hot spot colours, hottest first in the legend.
Style gi_style(const LayerInfo& layer) {
    struct Bin {
        int bin;
        const char* label;
        Rgba colour;
    };
    const std::array<Bin, 7> bins = {{{3, "Hot spot, 99 % confidence", {214, 47, 39}},
                                      {2, "Hot spot, 95 % confidence", {237, 117, 81}},
                                      {1, "Hot spot, 90 % confidence", {250, 185, 132}},
                                      {0, "Not significant", {255, 255, 191}},
                                      {-1, "Cold spot, 90 % confidence", {192, 204, 190}},
                                      {-2, "Cold spot, 95 % confidence", {132, 158, 186}},
                                      {-3, "Cold spot, 99 % confidence", {69, 117, 181}}}};
    std::vector<Category> cats;
    for (const Bin& b : bins) cats.push_back(Category{std::to_string(b.bin), b.label, themed(layer.shape, b.colour, !tiles(layer))});
    return style("Gi* hot and cold spots", "Getis-Ord Gi* hot and cold spots by gi_bin (Esri's bins: 99, 95 and 90 % confidence)",
                 categorized(layer.shape, "gi_bin", cats));
}

Style lisa_style(const LayerInfo& layer) {
    // GeoDa's cluster map colours.
    const std::vector<Category> cats = {{"HH", "High-High (hot spot)", themed(layer.shape, {255, 0, 0})},
                                        {"LL", "Low-Low (cold spot)", themed(layer.shape, {0, 0, 255})},
                                        {"HL", "High-Low (outlier)", themed(layer.shape, {244, 173, 168})},
                                        {"LH", "Low-High (outlier)", themed(layer.shape, {167, 173, 249})},
                                        {"not significant", "Not significant", themed(layer.shape, {238, 238, 238})}};
    return style("LISA clusters", "Local Moran's I clusters and outliers (lisa_quadrant), GeoDa's colours", categorized(layer.shape, "lisa_quadrant", cats));
}

/// Categories of a text field from the data, each with a colour from `known` or the palette.
Style categories_style(const LayerInfo& layer, const LayerValues& values, const std::string& field, const Palette& known,
                       std::string name, std::string description, double opacity = 1.0) {
    std::vector<std::string> seen = values.distinct(field, 60);
    // Known values in their given order first, then the rest as found.
    const auto colour_of = [&](const std::string& v) -> const Rgba* {
        for (const auto& [value, colour] : known)
            if (value == v) return &colour;
        return nullptr;
    };
    std::vector<std::string> ordered;
    for (const auto& [value, colour] : known)
        if (std::find(seen.begin(), seen.end(), value) != seen.end()) ordered.push_back(value);
    for (const std::string& v : seen)
        if (!colour_of(v)) ordered.push_back(v);
    std::vector<Category> cats;
    size_t next = 0;
    for (const std::string& v : ordered) {
        const Rgba* known_colour = colour_of(v);
        cats.push_back(Category{v, v, themed(layer.shape, known_colour ? *known_colour : qualitative[next++ % qualitative.size()])});
    }
    if (cats.empty()) cats.push_back(Category{"", "(none)", themed(layer.shape, grey)});
    return style(std::move(name), std::move(description), categorized(layer.shape, field, cats, {}, true, opacity));
}

Style emerging_style(const LayerInfo& layer, const LayerValues& values) {
    // Hot patterns in reds (deeper for the more lasting), cold in blues, none in grey.
    const Palette known = {
        {"new hot spot", {253, 174, 97}},         {"consecutive hot spot", {244, 109, 67}},  {"intensifying hot spot", {215, 48, 39}},
        {"persistent hot spot", {165, 0, 38}},    {"diminishing hot spot", {254, 224, 144}}, {"sporadic hot spot", {252, 141, 89}},
        {"oscillating hot spot", {250, 159, 181}}, {"historical hot spot", {197, 27, 125}},  {"new cold spot", {171, 217, 233}},
        {"consecutive cold spot", {116, 173, 209}}, {"intensifying cold spot", {69, 117, 180}}, {"persistent cold spot", {49, 54, 149}},
        {"diminishing cold spot", {224, 243, 248}}, {"sporadic cold spot", {145, 191, 219}}, {"oscillating cold spot", {158, 188, 218}},
        {"historical cold spot", {106, 81, 163}},  {"no pattern", {238, 238, 238}}};
    return categories_style(layer, values, "emerging", known, "Emerging hot spots", "Esri Emerging Hot Spot patterns (emerging)");
}

Style hotspot_class_style(const LayerInfo& layer, const LayerValues& values) {
    const Palette known = {{"persistent", {189, 0, 38}}, {"emerging", {253, 141, 60}}, {"intermittent", {254, 217, 118}},
                                               {"former", {116, 173, 209}},  {"no pattern", {238, 238, 238}}};
    return categories_style(layer, values, "hotspot_class", known, "Hotspot classes", "sfhotspot hotspot_classify() classes (hotspot_class)");
}

Style kde_classes_style(const LayerInfo& layer) {
    // Nested classes drawn widest first, so the top 1 % stays on top.
    std::vector<Category> cats;
    const std::array<std::pair<int, Rgba>, 3> classes = {{{1, {189, 0, 38}}, {5, {240, 59, 32}}, {10, {253, 141, 60}}}};
    for (const auto& [pct, colour] : classes) {
        Symbol s = themed(layer.shape, colour.alpha(170));
        s.stroke = colour;
        s.stroke_mm = 0.3;
        s.no_stroke = false;
        cats.push_back(Category{std::to_string(pct), fmt::format("Top {} % of cells", pct), s});
    }
    return style("Density hotspot classes", "The top 1, 5 and 10 % of density cells (top_pct), nested, drawn top 1 % uppermost",
                 categorized(layer.shape, "top_pct", cats, "top_pct", false));
}

Style coverage_style(const LayerInfo& layer) {
    const bool cctv = layer.name.find("cctv") != std::string::npos;
    const bool lighting = layer.name.find("light") != std::string::npos;
    const Rgba colour = cctv ? Rgba{49, 130, 189} : lighting ? Rgba{255, 204, 0} : Rgba{116, 196, 118};
    Symbol s = themed(layer.shape, colour, false);
    if (layer.shape == Shape::line) s.stroke_mm = 1.2;
    return style(cctv ? "CCTV coverage" : lighting ? "Lighting coverage" : "Coverage",
                 "Guardianship coverage, semi-transparent so the map beneath shows through", single(layer.shape, s, 0.5));
}

Style crime_group_style(const LayerInfo& layer, const LayerValues& values) {
    const Palette known = {{"neighbourhood", {228, 26, 28}}, {"acquisitive", {255, 127, 0}}, {"violence", {152, 78, 163}},
                                               {"asb", {77, 175, 74}},           {"damage", {55, 126, 184}},     {"other", {153, 153, 153}}};
    return categories_style(layer, values, "crime_group", known, "Crime groups", "Incidents by crime group (crime_group)");
}

Style intervention_style(const LayerInfo& layer, const LayerValues& values, const std::string& field) {
    const Palette known = {{"lighting", {255, 170, 0}}, {"cctv", {31, 120, 180}}, {"gating", {51, 160, 44}},
                                               {"target_hardening", {106, 61, 154}}};
    return categories_style(layer, values, field, known, "Interventions", fmt::format("Recommendations by intervention ({})", field));
}

/// 0..1 shares (lit_share, cctv_share) in four fixed classes, red where least covered.
Style share_style(const LayerInfo& layer, const std::string& field) {
    const bool lit = field.find("lit") != std::string::npos;
    const char* word = lit ? "lit" : "covered";
    const std::vector<Rgba> colours = {{215, 25, 28}, {253, 174, 97}, {171, 217, 233}, {44, 123, 182}};
    std::vector<Range> ranges;
    const double breaks[5] = {0, 0.25, 0.5, 0.75, 1};
    for (size_t i = 0; i < 4; ++i) {
        Symbol s = themed(layer.shape, colours[i], !tiles(layer));
        if (layer.shape == Shape::line) s.stroke_mm = 0.8;
        ranges.push_back(Range{breaks[i], breaks[i + 1],
                               i == 0 ? fmt::format("under 25 % {}", word)
                                      : fmt::format("{:.0f}–{:.0f} % {}", 100 * breaks[i], 100 * breaks[i + 1], word),
                               s});
    }
    return style(fmt::format("{} classes", field), fmt::format("{} (0..1) in quarters, red where least {}", field, word),
                 graduated(layer.shape, field, ranges, {colours.front(), colours.back()}, "Fixed"));
}

Style outline_style(const LayerInfo& layer, Rgba colour, double width_mm, std::string name, std::string description,
                    const std::string& line_style = "solid") {
    Symbol s;
    s.shape = layer.shape == Shape::point ? Shape::point : layer.shape;
    if (s.shape == Shape::point) {
        s = themed(Shape::point, colour);
        s.size_mm = 3;
    } else {
        s.no_fill = true;
        s.stroke = colour;
        s.stroke_mm = width_mm;
        s.line_style = line_style;
    }
    return style(std::move(name), std::move(description), single(layer.shape, s));
}

Style plain_style(const LayerInfo& layer) {
    const Rgba colour = layer.shape == Shape::point ? Rgba{60, 60, 60} : layer.shape == Shape::line ? Rgba{90, 90, 90} : Rgba{220, 220, 220};
    return style("Plain", "A plain style for the geometry", single(layer.shape, themed(layer.shape, colour)));
}

/// The rate field to show for an areas layer: the preferred one, else neighbourhood (the Safer
/// Streets definition), else the first rate, else the counts likewise; the first with any value
/// (rates are empty where no population was given).
std::string main_rate(const LayerInfo& layer, const LayerValues& values) {
    std::vector<std::string> candidates;
    if (!layer.preferred_field.empty() && layer.field(layer.preferred_field)) candidates.push_back(layer.preferred_field);
    for (const char* suffix : {"_rate", "_count"}) {
        const std::string wanted = std::string("neighbourhood") + suffix;
        if (layer.field(wanted)) candidates.push_back(wanted);
        for (const Field& f : layer.fields)
            if (f.numeric && ends_with(f.name, suffix)) candidates.push_back(f.name);
        if (layer.field(suffix + 1)) candidates.push_back(suffix + 1); // rate, count
    }
    for (const std::string& c : candidates)
        if (!values.sorted_numbers(c).empty()) return c;
    return {};
}

std::string describe_rate(const std::string& field) {
    if (ends_with(field, "_rate") || field == "rate") return fmt::format("{} (incidents per 1,000 residents)", field);
    if (ends_with(field, "_count") || field == "count") return fmt::format("{} (incidents)", field);
    return field;
}

} // namespace

std::vector<double> quantile_breaks(const std::vector<double>& sorted, int classes) {
    std::vector<double> breaks;
    const size_t n = sorted.size();
    for (int i = 1; i < classes; ++i) {
        double x = sorted.front();
        if (n > 1) {
            const double a = static_cast<double>(n - 1) * i / classes;
            const auto k = static_cast<size_t>(a);
            const double r = a - static_cast<double>(k);
            x = (1 - r) * sorted[k] + r * sorted[std::min(k + 1, n - 1)];
        }
        breaks.push_back(x);
    }
    breaks.push_back(sorted.back());
    // A break equal to the one before, or to the minimum, would make an empty class.
    std::vector<double> merged;
    double previous = sorted.front();
    for (double b : breaks)
        if (b > previous || (merged.empty() && b == previous && b == sorted.back())) merged.push_back(b), previous = b;
    if (merged.empty() || merged.back() != sorted.back()) merged.push_back(sorted.back());
    return merged;
}

namespace {

/// QGIS's simple labelling of every feature with `expression`, bold in `colour` on a white halo,
/// over the centroid of polygons.
void labeling_xml(xml::Element qgis, const std::string& expression, Rgba colour) {
    xml::Element settings = qgis.child("labeling").attribute("type", "simple").child("settings").attribute("calloutType", "simple");
    xml::Element text = settings.child("text-style");
    text.attribute("fieldName", expression).attribute("isExpression", "1").attribute("fontFamily", "Liberation Sans");
    text.attribute("namedStyle", "Bold").attribute("fontWeight", "75").attribute("fontSize", "13").attribute("fontSizeUnit", "Point");
    text.attribute("textColor", colour.prop()).attribute("textOpacity", "1").attribute("blendMode", "0");
    text.child("text-buffer")
        .attribute("bufferDraw", "1")
        .attribute("bufferSize", "1.2")
        .attribute("bufferSizeUnits", "MM")
        .attribute("bufferColor", "255,255,255,255")
        .attribute("bufferOpacity", "1")
        .attribute("bufferJoinStyle", "128")
        .attribute("bufferNoFill", "1");
    settings.child("text-format").attribute("multilineAlign", "3").attribute("formatNumbers", "0");
    settings.child("placement").attribute("placement", "1").attribute("centroidInside", "1").attribute("centroidWhole", "0")
        .attribute("priority", "5").attribute("dist", "0").attribute("polygonPlacementFlags", "2");
    settings.child("rendering").attribute("drawLabels", "1").attribute("obstacle", "1").attribute("displayAll", "1")
        .attribute("scaleVisibility", "0").attribute("upsidedownLabels", "0").attribute("zIndex", "1");
}

/// What every style of `layer` carries besides its renderer: each field's alias, the layer's and
/// its fields' descriptions as the layer's abstract (Layer Properties > Information), and labels.
Style finish(Style s, const LayerInfo& layer, const std::string& label_expression = {}, Rgba label_colour = {}) {
    xml::Document doc("qgis", xml::Prolog{false, qml_doctype, {}});
    xml::Element root = doc.root();
    root.adopt(s.qml, "qgis");
    root.attribute("labelsEnabled", label_expression.empty() ? "0" : "1");
    if (!label_expression.empty()) labeling_xml(root, label_expression, label_colour);
    xml::Element aliases = root.child("aliases");
    for (size_t i = 0; i < layer.fields.size(); ++i) {
        const Field& f = layer.fields[i];
        // Index 0 is the GeoPackage's fid; QGIS finds each alias by its field name.
        aliases.child("alias").attribute("field", f.name).attribute("index", std::to_string(i + 1)).attribute("name", field_alias(f.name));
    }
    xml::Element metadata = root.child("resourceMetadata");
    metadata.child("type", "dataset");
    metadata.child("title", layer.name);
    metadata.child("abstract", layer_abstract(layer));
    s.qml = doc.str();
    return s;
}

} // namespace

std::vector<Style> vector_styles(const LayerInfo& layer, const LayerValues& values) {
    std::vector<Style> styles;
    if (layer.shape == Shape::none) return styles;
    const auto add = [&](std::optional<Style> s) {
        if (s) styles.push_back(std::move(*s));
    };
    const auto has = [&](const char* f) { return layer.field(f) != nullptr; };
    const std::string rate = main_rate(layer, values);
    const auto other_rates = [&] {
        for (const Field& f : layer.fields)
            if (f.numeric && f.name != rate && ends_with(f.name, "_rate")) add(quantile_style(layer, values, f.name, describe_rate(f.name)));
    };
    const auto hotspot_alternatives = [&] {
        if (has("lisa_quadrant")) styles.push_back(lisa_style(layer));
        if (has("emerging")) styles.push_back(emerging_style(layer, values));
        if (has("hotspot_class")) styles.push_back(hotspot_class_style(layer, values));
    };
    std::string intervention;
    for (const char* f : {"intervention", "intervention_type", "measure"})
        if (has(f) && intervention.empty()) intervention = f;

    const Field* preferred = layer.preferred_field.empty() ? nullptr : layer.field(layer.preferred_field);
    if (preferred && preferred->name != "gi_bin") {
        // The command's choice first; the chooser's own after it.
        if (preferred->numeric && !preferred->integer)
            add(quantile_style(layer, values, preferred->name, describe_rate(preferred->name)));
        else
            styles.push_back(categories_style(layer, values, preferred->name, {}, preferred->name, fmt::format("Categories of {}", preferred->name)));
    }
    if (layer.name == "areas" && !rate.empty()) {
        if (!preferred) add(quantile_style(layer, values, rate, describe_rate(rate)));
        if (has("gi_bin")) styles.push_back(gi_style(layer));
        other_rates();
    } else if (has("gi_bin")) {
        styles.push_back(gi_style(layer));
        hotspot_alternatives();
        if (!rate.empty() && !(preferred && preferred->name == rate)) add(quantile_style(layer, values, rate, describe_rate(rate)));
        if (has("rate_per_100m")) add(quantile_style(layer, values, "rate_per_100m", "rate_per_100m (incidents per 100 m of street)"));
        if (has("gi_z")) add(quantile_style(layer, values, "gi_z", "Gi* z-score", 7));
    } else if (has("top_pct")) {
        styles.push_back(kde_classes_style(layer));
    } else if (ends_with(layer.name, "_coverage") || layer.name == "coverage") {
        styles.push_back(coverage_style(layer));
    } else if (!intervention.empty()) {
        styles.push_back(intervention_style(layer, values, intervention));
    } else if (has("crime_group")) {
        styles.push_back(crime_group_style(layer, values));
    } else if (has("role")) {
        // An evaluation's places: target red, buffer orange, control blue.
        styles.push_back(categories_style(layer, values, "role", {{"target", {215, 48, 31}}, {"buffer", {253, 141, 60}}, {"control", {44, 127, 184}}}, "Roles",
                                          "Target, buffer and control of an evaluation (role)", 0.6));
    } else if (layer.name == "synthetic_control_weights" && has("weight")) {
        add(quantile_style(layer, values, "weight", "weight (share of the synthetic control)"));
    } else if (layer.name == "target_areas") {
        styles.push_back(outline_style(layer, {197, 27, 138}, 0.8, "Target areas", "Target-area candidates as bold outlines over the map, labelled by rank"));
        if (!rate.empty()) add(quantile_style(layer, values, rate, describe_rate(rate)));
    } else if (layer.name == "repeat_locations" && has("incidents")) {
        add(quantile_style(layer, values, "incidents", "incidents at the map point"));
    } else if (layer.name == "site") {
        styles.push_back(outline_style(layer, {227, 26, 28}, 0.8, "Red line", "The planning application's red-line boundary"));
    } else if (layer.name == "site_rings") {
        styles.push_back(outline_style(layer, {80, 80, 80}, 0.4, "Rings", "Distance rings around the red line, dashed", "dash"));
        if (has("per_ha")) add(quantile_style(layer, values, "per_ha", "per_ha (incidents per hectare)", 4));
    } else if (layer.name == "site_paths") {
        // Paths entering or passing a planning site: ungated red, partly gated orange, gated green.
        if (has("gated"))
            styles.push_back(categories_style(layer, values, "gated", {{"0", {215, 25, 28}}, {"partial", {253, 174, 97}}, {"1", {26, 150, 65}}},
                                              "Gated", "Paths entering or passing a site by gated: 0 open, partial, 1 closed by gates"));
        if (has("relation")) styles.push_back(categories_style(layer, values, "relation", {{"enter", {215, 25, 28}}, {"pass", {44, 123, 182}}},
                                                               "Relation", "Paths entering the site or passing it"));
        if (has("lit_share")) styles.push_back(share_style(layer, "lit_share"));
    } else if (std::any_of(layer.fields.begin(), layer.fields.end(), [](const Field& f) { return f.numeric && ends_with(f.name, "unguarded"); })) {
        // Design-out-crime scores: crime pressure no guardian covers first, then the coverage.
        for (const Field& f : layer.fields)
            if (f.numeric && ends_with(f.name, "unguarded"))
                add(quantile_style(layer, values, f.name, fmt::format("{} (crime pressure no guardian covers)", f.name)));
        for (const char* share : {"lit_share", "cctv_share"})
            if (has(share)) styles.push_back(share_style(layer, share));
        if (has("gated")) styles.push_back(categories_style(layer, values, "gated", {{"0", {215, 25, 28}}, {"1", {44, 123, 182}}}, "Gated",
                                                            "Path segments by gated: 1 closed by a gate, 0 open"));
    } else if (has("lit_share") || has("cctv_share")) {
        for (const char* share : {"lit_share", "cctv_share"})
            if (has(share)) styles.push_back(share_style(layer, share));
    } else if (!rate.empty()) {
        add(quantile_style(layer, values, rate, describe_rate(rate)));
    } else if (has("score")) {
        add(quantile_style(layer, values, "score", "score"));
    }
    if (layer.name == "areas" && rate.empty() && has("gi_bin")) styles.push_back(gi_style(layer));
    if (styles.empty()) styles.push_back(plain_style(layer));
    // Names are unique per layer in QGIS's style manager.
    for (size_t i = 1; i < styles.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (styles[i].name == styles[j].name) styles[i].name += fmt::format(" ({})", i + 1);
    // Ranked layers (target-area candidates) carry their rank on the map: "#1" is the best.
    const bool ranked = layer.name == "target_areas" && has("rank");
    for (Style& s : styles) s = finish(std::move(s), layer, ranked ? "'#' || \"rank\"" : "", {197, 27, 138});
    return styles;
}

void sample_cells(const std::vector<float>& values, float nodata, size_t max, std::vector<float>& sample) {
    const size_t step = std::max<size_t>(1, values.size() / std::max<size_t>(max, 1));
    for (size_t i = 0; i < values.size(); i += step)
        if (values[i] != nodata && !std::isnan(values[i])) sample.push_back(values[i]);
}

std::string density_raster_qml(std::vector<float> values, const std::string& units) {
    std::vector<float> positive;
    for (float v : values)
        if (v > 0 && std::isfinite(v)) positive.push_back(v);
    // The i-th smallest (0-based) by selection, not a sort of every cell.
    const auto nth = [](std::vector<float>& v, size_t i) {
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
        return v[i];
    };
    // The value of the ceil(pN/100)-th highest cell, as the density classes define the top p %.
    const auto top = [&](double pct) -> double {
        if (values.empty()) return 0;
        const auto k = static_cast<size_t>(std::ceil(pct * static_cast<double>(values.size()) / 100.0));
        return nth(values, values.size() - std::clamp<size_t>(k, 1, values.size()));
    };
    struct Stop {
        double value;
        Rgba colour;
        std::string label;
    };
    std::vector<Stop> stops;
    const double max = positive.empty() ? 1.0 : *std::max_element(positive.begin(), positive.end());
    const double median = positive.empty() ? 0.5 : nth(positive, positive.size() / 2);
    // The units in the legend, as people write them.
    const std::string unit = units.find("per km2") != std::string::npos ? " incidents per km²"
                             : units.find("per m2") != std::string::npos ? " per m²"
                                                                          : " (kernel shapes summed)";
    stops.push_back({0.0, yl_or_rd[0].alpha(0), "(transparent)"});
    const auto push = [&](double v, Rgba c, std::string label) {
        if (v > stops.back().value) stops.push_back({v, c, std::move(label)});
    };
    push(median, yl_or_rd[0], "(median of cells above 0)");
    push(top(10), yl_or_rd[2], "(top 10 % of cells)");
    push(top(5), yl_or_rd[3], "(top 5 %)");
    push(top(1), yl_or_rd[4], "(top 1 %)");
    push(max, yl_or_rd[5], "(highest)");
    if (stops.size() == 1) stops.push_back({1.0, yl_or_rd[5], "(highest)"});
    // Each stop reads as its value (enough figures that no two look alike) and what it is; the
    // first and last with the units.
    std::vector<double> at;
    for (const Stop& s : stops) at.push_back(s.value);
    const std::vector<std::string> numbers = legend_numbers(at);
    for (size_t i = 0; i < stops.size(); ++i) {
        const bool ends = i == 0 || i + 1 == stops.size();
        stops[i].label = fmt::format("{}{} {}", numbers[i], ends ? unit : "", stops[i].label);
    }
    std::vector<Rgba> ramp;
    for (const Stop& s : stops) ramp.push_back(s.colour);
    const std::string top_value = number(stops.back().value);

    xml::Document doc("qgis", xml::Prolog{false, qml_doctype,
                                          fmt::format("{} default style of density surfaces ({}); safer replaces this file when it "
                                                      "writes the data again",
                                                      sidecar_marker, units)});
    xml::Element qgis = doc.root();
    qgis.attribute("version", qgis_version).attribute("styleCategories", "AllStyleCategories").attribute("hasScaleBasedVisibilityFlag", "0");
    qgis.attribute("minScale", "1e+08").attribute("maxScale", "0");
    xml::Element pipe = qgis.child("pipe");
    pipe.child("provider").child("resampling").attribute("enabled", "false").attribute("maxOversampling", "2")
        .attribute("zoomedInResamplingMethod", "nearestNeighbour").attribute("zoomedOutResamplingMethod", "nearestNeighbour");
    xml::Element renderer = pipe.child("rasterrenderer").attribute("type", "singlebandpseudocolor").attribute("band", "1");
    renderer.attribute("opacity", "1").attribute("alphaBand", "-1").attribute("nodataColor", "").attribute("classificationMin", "0");
    renderer.attribute("classificationMax", top_value);
    xml::Element limits = renderer.child("minMaxOrigin");
    limits.child("limits", "None");
    limits.child("extent", "WholeRaster");
    limits.child("statAccuracy", "Estimated");
    limits.child("cumulativeCutLower", "0.02");
    limits.child("cumulativeCutUpper", "0.98");
    limits.child("stdDevFactor", "2");
    xml::Element shader = renderer.child("rastershader").child("colorrampshader").attribute("colorRampType", "INTERPOLATED");
    shader.attribute("classificationMode", "1").attribute("clip", "0").attribute("minimumValue", "0").attribute("maximumValue", top_value);
    shader.attribute("labelPrecision", "4");
    ramp_xml(shader, ramp);
    for (const Stop& s : stops)
        shader.child("item").attribute("value", number(s.value)).attribute("label", s.label).attribute("color", s.colour.hex())
            .attribute("alpha", std::to_string(s.colour.a));
    pipe.child("brightnesscontrast").attribute("brightness", "0").attribute("contrast", "0").attribute("gamma", "1");
    pipe.child("huesaturation").attribute("saturation", "0").attribute("grayscaleMode", "0").attribute("invertColors", "0")
        .attribute("colorizeOn", "0").attribute("colorizeRed", "255").attribute("colorizeGreen", "128").attribute("colorizeBlue", "128")
        .attribute("colorizeStrength", "100");
    pipe.child("rasterresampler").attribute("maxOversampling", "2");
    pipe.child("resamplingStage", "resamplingFilter");
    qgis.child("blendMode", "0");
    return doc.str();
}

std::string layer_abstract(const LayerInfo& layer) {
    std::string abstract = layer.description;
    for (size_t i = 0; i < layer.fields.size(); ++i) {
        const Field& f = layer.fields[i];
        abstract += fmt::format("{}{} ({}){}", i == 0 ? (abstract.empty() ? "Fields:\n" : "\n\nFields:\n") : "\n", field_alias(f.name), f.name,
                                f.description.empty() ? "" : ": " + f.description);
    }
    return abstract;
}

std::string table_qml(const LayerInfo& table) {
    xml::Document doc("qgis", xml::Prolog{false, qml_doctype, {}});
    doc.root().attribute("version", qgis_version).attribute("styleCategories", "AllStyleCategories");
    return finish(Style{"Fields", "Aliases and descriptions", "", doc.str()}, table).qml;
}

std::vector<std::string> legend_numbers(const std::vector<double>& values) {
    std::vector<int> decimals;
    for (double v : values) decimals.push_back(decimals_for(v));
    std::vector<std::string> text(values.size());
    for (int round = 0; round < 12; ++round) {
        for (size_t i = 0; i < values.size(); ++i) text[i] = format_number(values[i], decimals[i]);
        bool again = false;
        for (size_t i = 1; i < values.size(); ++i)
            if (text[i] == text[i - 1] && values[i] != values[i - 1] && decimals[i] < 12) {
                ++decimals[i], ++decimals[i - 1];
                again = true;
            }
        if (!again) break;
    }
    return text;
}

std::vector<double> natural_breaks(const std::vector<double>& sorted, int classes) {
    // QGIS classifies at most 3,000 values (evenly spaced in order, the maximum kept).
    std::vector<double> x;
    const size_t n = sorted.size();
    if (n > 3000) {
        for (size_t i = 0; i < 3000; ++i) x.push_back(sorted[i * (n - 1) / 2999]);
    } else {
        x = sorted;
    }
    const size_t m = x.size();
    const size_t k = std::min<size_t>(static_cast<size_t>(std::max(classes, 1)), m);
    // Fisher's dynamic programme: cost[c][j] the least sum of squared deviations of x[0..j] in
    // c + 1 classes; from[c][j] where its last class starts.
    std::vector<double> sum(m + 1, 0.0), squares(m + 1, 0.0);
    for (size_t i = 0; i < m; ++i) sum[i + 1] = sum[i] + x[i], squares[i + 1] = squares[i] + x[i] * x[i];
    const auto ssd = [&](size_t i, size_t j) { // x[i..j]
        const double count = static_cast<double>(j - i + 1), s = sum[j + 1] - sum[i];
        return std::max(0.0, squares[j + 1] - squares[i] - s * s / count);
    };
    std::vector<std::vector<double>> cost(k, std::vector<double>(m, 0.0));
    std::vector<std::vector<size_t>> from(k, std::vector<size_t>(m, 0));
    for (size_t j = 0; j < m; ++j) cost[0][j] = ssd(0, j);
    for (size_t c = 1; c < k; ++c)
        for (size_t j = c; j < m; ++j) {
            double best = std::numeric_limits<double>::infinity();
            for (size_t i = c; i <= j; ++i) {
                const double v = cost[c - 1][i - 1] + ssd(i, j);
                if (v < best) best = v, from[c][j] = i;
            }
            cost[c][j] = best;
        }
    std::vector<double> breaks(k);
    size_t end = m - 1;
    for (size_t c = k; c-- > 0;) {
        breaks[c] = x[end];
        if (c > 0) end = from[c][end] - 1;
    }
    breaks.back() = sorted.back();
    std::vector<double> merged;
    for (double b : breaks)
        if (merged.empty() || b > merged.back()) merged.push_back(b);
    return merged;
}

std::string field_alias(const std::string& field) {
    static const std::map<std::string, std::string> fixed = {
        {"code", "Area code"}, {"name", "Name"}, {"population", "Residents"}, {"households", "Households"},
        {"count", "Incidents"}, {"rate", "Incidents per 1,000 residents"}, {"cell_id", "Cell"}, {"row", "Row"}, {"col", "Column"},
        {"gi_z", "Gi* z-score"}, {"gi_p", "Gi* p"}, {"gi_p_sim", "Gi* p (permutations)"}, {"gi_p_fdr", "Gi* p (FDR-adjusted)"},
        {"gi_bin", "Gi* hot or cold spot (-3 to 3)"}, {"lisa_i", "Local Moran's I"}, {"lisa_p", "Local Moran's I p"},
        {"lisa_quadrant", "LISA cluster"}, {"emerging", "Emerging hot spot pattern"}, {"emerging_code", "Emerging pattern code"},
        {"trend_z", "Trend z (Mann-Kendall)"}, {"trend_p", "Trend p"}, {"hotspot_class", "Hotspot class"},
        {"month", "Month"}, {"crime_type", "Crime type"}, {"crime_group", "Crime group"}, {"crime_id", "Crime ID"},
        {"location", "Location (police.uk)"}, {"lsoa_code_source", "LSOA (police.uk)"}, {"outcome", "Last outcome"},
        {"area_code", "Area"}, {"source_line", "Line of the source file"}, {"file", "File"}, {"line", "Line"}, {"reason", "Reason"},
        {"detail", "Detail"}, {"lit_share", "Share lit"}, {"cctv_share", "Share in CCTV view"}, {"gated", "Gated"},
        {"intervention", "Intervention"}, {"period", "Period"}, {"period_start", "Period starts"}, {"period_end", "Period ends (before)"},
        {"class", "Class"}, {"top_pct", "Top % of cells"}, {"threshold", "Density threshold"}, {"cells", "Cells"},
        {"area_km2", "Area (km²)"}, {"area_m2", "Area (m²)"}, {"area_ha", "Area (ha)"}, {"incidents", "Incidents"},
        {"incident_share", "Share of incidents"}, {"rank", "Rank"}, {"rank_by_count", "Rank by count"}, {"codes", "LSOA codes"},
        {"areas", "Areas"}, {"ratio", "Ratio to the comparison rate"}, {"segment_id", "Segment"}, {"length_m", "Length (m)"},
        {"rate_per_100m", "Incidents per 100 m"}, {"nkde", "Network density (per 100 m)"}, {"nkde_max", "Highest network density (per 100 m)"},
        {"lixel_id", "Lixel"}, {"from_m", "From (m along the segment)"}, {"to_m", "To (m along the segment)"}, {"kind", "Kind"},
        {"lixels", "Lixels"}, {"neighbours", "Neighbours (Gi*)"}, {"distance_m", "Distance (m)"}, {"position_m", "Position (m along the segment)"},
        {"site_id", "Site"}, {"ring", "Ring"}, {"inner_m", "Inner distance (m)"}, {"outer_m", "Outer distance (m)"},
        {"per_ha", "Incidents per hectare"}, {"tile_id", "Tile"}, {"measure", "Measure"}, {"value", "Value"},
        {"units", "Units"}, {"unit_share", "Share of units"}, {"cost_gbp", "Cost (£)"}, {"prevented", "Crimes prevented"},
        {"prevented_per_10k", "Crimes prevented per £10,000"}, {"in_plan", "In the plan"}, {"plan_order", "Order in the plan"},
        {"reason", "Reason"}, {"crimes", "Crimes addressed"}, {"coverage_now", "Covered now"}, {"effect", "Effect"},
        {"burglaries", "Burglaries"}, {"unguarded", "Unguarded burglaries"}, {"gates", "Gates"}, {"gates_needed", "Gates needed"},
        {"label", "Label"}, {"place", "Place"}, {"unit", "Unit"}, {"effect_source", "Source of the effect"},
    };
    if (const auto f = fixed.find(field); f != fixed.end()) return f->second;
    const auto capital = [](std::string s) {
        for (char& c : s)
            if (c == '_') c = ' ';
        if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
        return s;
    };
    static const std::array<std::pair<std::string_view, std::string_view>, 9> suffixes = {{
        {"_count", "{} crimes"},
        {"_rate", "{} crimes per 1,000 residents"},
        {"_ratio", "{} rate ÷ comparison rate"},
        {"_rank", "{} rate rank (1 = highest)"},
        {"_pct", "{} rate percentile"},
        {"_unguarded", "Unguarded {} pressure"},
        {"_crimes", "{} crimes addressed"},
        {"_pressure", "{} pressure"},
        {"_share", "{} share"},
    }};
    for (const auto& [suffix, text] : suffixes)
        if (ends_with(field, suffix) && field.size() > suffix.size()) {
            const std::string stem = field.substr(0, field.size() - suffix.size());
            return capital(fmt::format(fmt::runtime(text), text.starts_with("{}") ? capital(stem) : stem));
        }
    for (const auto& [suffix, unit] : {std::pair{"_km2", " (km²)"}, std::pair{"_m2", " (m²)"}, std::pair{"_ha", " (ha)"}, std::pair{"_m", " (m)"},
                                       std::pair{"_gbp", " (£)"}})
        if (ends_with(field, suffix) && field.size() > std::strlen(suffix))
            return capital(field.substr(0, field.size() - std::strlen(suffix))) + unit;
    return capital(field);
}

std::string rename_fields(const std::string& qml, const std::map<std::string, std::string>& renamed) {
    if (renamed.empty()) return qml;
    const std::unique_ptr<CPLXMLNode, decltype(&CPLDestroyXMLNode)> tree(CPLParseXMLString(qml.c_str()), &CPLDestroyXMLNode);
    if (!tree) return qml;
    // Attributes that name a field (renderer attr, alias field, label fieldName), and quoted
    // names in expressions ("rank").
    const std::function<void(CPLXMLNode*)> walk = [&](CPLXMLNode* node) {
        for (CPLXMLNode* n = node; n; n = n->psNext) {
            if (n->eType == CXT_Attribute && n->psChild) {
                const std::string name = n->pszValue;
                std::string value = n->psChild->pszValue ? n->psChild->pszValue : "";
                bool changed = false;
                if (name == "attr" || name == "field" || name == "fieldName") {
                    if (const auto r = renamed.find(value); r != renamed.end()) value = r->second, changed = true;
                }
                for (const auto& [from, to] : renamed) {
                    const std::string quoted = "\"" + from + "\"";
                    for (size_t at = value.find(quoted); at != std::string::npos; at = value.find(quoted, at + to.size() + 2))
                        value.replace(at, quoted.size(), "\"" + to + "\""), changed = true;
                }
                if (changed) {
                    CPLFree(n->psChild->pszValue);
                    n->psChild->pszValue = CPLStrdup(value.c_str());
                }
            } else if (n->eType == CXT_Text && n->pszValue) {
                std::string value = n->pszValue;
                bool changed = false;
                for (const auto& [from, to] : renamed) {
                    const std::string quoted = "\"" + from + "\"";
                    for (size_t at = value.find(quoted); at != std::string::npos; at = value.find(quoted, at + to.size() + 2))
                        value.replace(at, quoted.size(), "\"" + to + "\""), changed = true;
                }
                if (changed) {
                    CPLFree(n->pszValue);
                    n->pszValue = CPLStrdup(value.c_str());
                }
            }
            if (n->eType == CXT_Element) walk(n->psChild);
        }
    };
    walk(tree.get());
    const std::unique_ptr<char, decltype(&VSIFree)> text(CPLSerializeXMLTree(tree.get()), &VSIFree);
    return text ? std::string(text.get()) : qml;
}

std::string known_field_description(const std::string& field) {
    static const std::map<std::string, std::string> fixed = {
        {"code", "Area code"},
        {"name", "Area name"},
        {"population", "Residents"},
        {"households", "Households"},
        {"count", "Incidents in the unit"},
        {"rate", "Incidents per 1,000 residents"},
        {"cell_id", "Cell index, row * columns + column, row 0 north"},
        {"gi_z", "Getis-Ord Gi* z-score"},
        {"gi_p", "Two-sided p of gi_z"},
        {"gi_p_sim", "Conditional-permutation pseudo p of gi_z"},
        {"gi_p_fdr", "Benjamini-Hochberg adjusted p of gi_z"},
        {"gi_bin", "Esri Gi_Bin: 3, 2, 1 = hot at 99, 95, 90 % confidence; -3, -2, -1 = cold; 0 = not significant"},
        {"lisa_i", "Local Moran's I"},
        {"lisa_p", "Pseudo p of lisa_i"},
        {"lisa_quadrant", "HH, LL, HL, LH where significant, else not significant"},
        {"month", "Month, YYYY-MM"},
        {"crime_type", "police.uk crime type"},
        {"crime_group", "Crime group the type belongs to"},
        {"crime_id", "police.uk Crime ID"},
        {"area_code", "Code of the area the incident falls in"},
        {"lit_share", "Share of the unit (area, or length for paths) within street-light coverage, 0..1"},
        {"cctv_share", "Share of the unit (area, or length for paths) within CCTV coverage, 0..1"},
        {"gated", "1 if the path segment is gated, else 0"},
        {"intervention", "Intervention recommended"},
        {"top_pct", "Density class: the top 1, 5 or 10 % of cells"},
    };
    if (const auto f = fixed.find(field); f != fixed.end()) return f->second;
    static const std::array<std::pair<std::string_view, std::string_view>, 5> suffixes = {{{"_count", "Incidents of the {} group"},
                                                                                           {"_rate", "{} incidents per 1,000 residents"},
                                                                                           {"_ratio", "{} rate / the comparison rate"},
                                                                                           {"_rank", "Rank of the {} rate (1 = highest)"},
                                                                                           {"_pct", "Percentile of the {} rate (100 = highest)"}}};
    for (const auto& [suffix, text] : suffixes)
        if (ends_with(field, suffix) && field.size() > suffix.size())
            return fmt::format(fmt::runtime(text), field.substr(0, field.size() - suffix.size()));
    return {};
}

std::string sidecar_style_path(const std::string& data_path) {
    const fs::path p(data_path);
    return (p.parent_path() / (p.stem().string() + ".qml")).string();
}

bool write_sidecar_style(const std::string& data_path, const std::string& text) {
    const std::string path = sidecar_style_path(data_path);
    std::error_code ec;
    if (fs::exists(path, ec)) {
        std::ifstream in(path);
        std::string head(512, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<size_t>(in.gcount()));
        if (head.find(fmt::format("<!-- {}", sidecar_marker)) == std::string::npos) return false;
    }
    const std::string temp = temporary_path(path);
    write_temporary(temp, path, text);
    rename_into_place(temp, path, true);
    return true;
}

} // namespace safer::layers::qgis
