#include "layers/qgis_project.hpp"

#include <fmt/core.h>
#include <minizip/zip.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "engine/errors.hpp"
#include "layers/xml.hpp"

namespace safer::layers::qgis {

namespace {

constexpr const char* qgis_version = "3.22.16-Białowieża";
constexpr const char* doctype = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>";

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, std::string_view p) { return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0; }

/// The order of the groups in the layer tree, top (drawn uppermost) first.
const std::vector<std::string> group_order = {"Plan", "Hotspots", "Results", "Inputs"};

int group_rank(const std::string& g) {
    const auto it = std::find(group_order.begin(), group_order.end(), g);
    return static_cast<int>(it - group_order.begin());
}

/// Within a group: points over lines over polygons over rasters; tables last.
int kind_rank(const ProjectLayer& l) {
    if (l.kind == ProjectLayer::Kind::table) return 5;
    if (l.kind == ProjectLayer::Kind::raster) return 4;
    switch (l.shape) {
    case Shape::point: return 0;
    case Shape::line: return 1;
    case Shape::polygon: return 2;
    case Shape::none: return 3;
    }
    return 3;
}

/// A layer id as QGIS makes them (name and a unique tail), here from the position so that the
/// same project gives the same text. QGIS 3.22 ignores an id of 10 characters or fewer (and makes
/// up another, which the layer tree then cannot find), so the tail alone is longer than that.
std::string layer_id(const ProjectLayer& l, size_t index) {
    std::string id;
    for (char c : l.name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return fmt::format("{}_safer_{:06d}", id, index);
}

struct Srs {
    std::string wkt, authid, description, proj4;
};

Srs srs_of(const std::string& crs) {
    OGRSpatialReference srs;
    if (srs.SetFromUserInput(crs.c_str()) != OGRERR_NONE) throw UsageError(fmt::format("unknown working CRS '{}'", crs));
    Srs s;
    char* text = nullptr;
    const char* wkt2[] = {"FORMAT=WKT2_2019", nullptr};
    if (srs.exportToWkt(&text, wkt2) == OGRERR_NONE && text) s.wkt = text;
    CPLFree(text);
    text = nullptr;
    if (srs.exportToProj4(&text) == OGRERR_NONE && text) s.proj4 = text;
    CPLFree(text);
    const char* authority = srs.GetAuthorityName(nullptr);
    const char* code = srs.GetAuthorityCode(nullptr);
    if (authority && code) s.authid = fmt::format("{}:{}", authority, code);
    if (const char* name = srs.GetName()) s.description = name;
    return s;
}

/// <spatialrefsys> as QGIS reads it: the WKT (from which QGIS finds the authority), the authid
/// and the name. QGIS's own srsid is left out: QGIS matches the WKT to its database.
void spatialrefsys(xml::Element parent, const Srs& s) {
    xml::Element e = parent.child("spatialrefsys");
    e.child("wkt", s.wkt);
    e.child("proj4", s.proj4);
    e.child("authid", s.authid);
    e.child("description", s.description);
}

void extent_xml(xml::Element parent, const char* name, const Extent& e) {
    xml::Element x = parent.child(name);
    x.child("xmin", fmt::format("{}", e.min_x));
    x.child("ymin", fmt::format("{}", e.min_y));
    x.child("xmax", fmt::format("{}", e.max_x));
    x.child("ymax", fmt::format("{}", e.max_y));
}

/// Which layers are drawn when the project opens (the others are a tick away in the layer tree):
/// not the inputs, not the guardianship coverage (it would tint the map beneath), not a layer by
/// period that a whole-period layer stands for (with the temporal controller off, QGIS would draw
/// every period at once), and of the filled polygon layers of a group only the uppermost, so one
/// choropleth is seen, not several through each other. Outlines (target areas, rings) always.
std::vector<uint8_t> visible_layers(const std::vector<ProjectLayer>& layers, const std::vector<size_t>& order) {
    std::vector<uint8_t> visible(layers.size(), 1);
    std::map<std::string, bool> filled_shown;
    for (size_t i : order) {
        const ProjectLayer& l = layers[i];
        const std::string group = layer_group(l);
        const bool periods = ends_with(l.name, "_periods") && std::any_of(layers.begin(), layers.end(), [&](const ProjectLayer& o) {
                                 return o.name == l.name.substr(0, l.name.size() - std::string_view("_periods").size());
                             });
        if (group == "Inputs" || ends_with(l.name, "_coverage") || periods) {
            visible[i] = 0;
            continue;
        }
        const bool outline = l.style_qml.find("type=\"singleSymbol\"") != std::string::npos && l.style_qml.find("k=\"style\" v=\"no\"") != std::string::npos;
        const bool filled = l.kind == ProjectLayer::Kind::vector && l.shape == Shape::polygon && !outline && l.name.find("_classes") == std::string::npos;
        if (!filled) continue;
        if (filled_shown[group]) visible[i] = 0;
        filled_shown[group] = true;
    }
    return visible;
}

std::string iso_datetime(const std::string& date) { return date.empty() ? date : date + "T00:00:00Z"; }

/// A raster period's fixed range runs from the first millisecond after its start to the last
/// before its end ("2023-04-01", "2023-05-01" -> 2023-04-01T00:00:00.001Z to
/// 2023-04-30T23:59:59.999Z): QGIS 3.22 includes both ends of a fixed range and tests it against
/// a frame as if the frame's own end were included too (QgsTemporalRange::overlaps), so a range
/// touching the frame's edges would show each raster in the frames before and after its own.
std::string just_after(const std::string& date) { return date + "T00:00:00.001Z"; }

std::string just_before(const std::string& date) {
    using namespace std::chrono;
    const year_month_day day{year{std::atoi(date.substr(0, 4).c_str())}, month{static_cast<unsigned>(std::atoi(date.substr(5, 2).c_str()))},
                             std::chrono::day{static_cast<unsigned>(std::atoi(date.substr(8, 2).c_str()))}};
    const year_month_day before{sys_days{day} - days{1}};
    return fmt::format("{:04d}-{:02d}-{:02d}T23:59:59.999Z", static_cast<int>(before.year()), static_cast<unsigned>(before.month()),
                       static_cast<unsigned>(before.day()));
}

void map_layer(xml::Element layers, const ProjectLayer& l, const std::string& id, const Srs& srs) {
    xml::Element m = layers.child("maplayer");
    const bool vector = l.kind != ProjectLayer::Kind::raster;
    m.attribute("type", vector ? "vector" : "raster");
    if (vector) {
        m.attribute("geometry", l.kind == ProjectLayer::Kind::table ? "No geometry"
                                : l.shape == Shape::point           ? "Point"
                                : l.shape == Shape::line            ? "Line"
                                                                    : "Polygon");
        m.attribute("wkbType", l.kind == ProjectLayer::Kind::table ? "NoGeometry" : l.wkb_type);
    }
    if (l.extent) extent_xml(m, "extent", *l.extent);
    m.child("id", id);
    m.child("datasource", l.source);
    m.child("layername", l.name);
    if (l.kind != ProjectLayer::Kind::table) spatialrefsys(m.child("srs"), srs);
    xml::Element meta = m.child("resourceMetadata");
    meta.child("type", "dataset");
    meta.child("title", l.name);
    meta.child("abstract", l.description);
    xml::Element provider = m.child("provider", l.provider);
    if (vector) provider.attribute("encoding", "UTF-8");
    xml::Element flags = m.child("flags");
    flags.child("Identifiable", "1");
    flags.child("Removable", "1");
    flags.child("Searchable", "1");
    flags.child("Private", "0");
    if (!vector) m.child("noData").child("noDataList").attribute("bandNo", "1").attribute("useSrcNoData", "1");
    if (!l.time_start.empty() && !vector) {
        // QgsRasterLayerTemporalProperties: a fixed range, [start, end).
        xml::Element t = m.child("temporal").attribute("enabled", "1").attribute("mode", "0").attribute("fetchMode", "0");
        xml::Element range = t.child("fixedRange");
        range.child("start", just_after(l.time_start));
        range.child("end", just_before(l.time_end));
    } else if (!l.start_field.empty() && vector) {
        // QgsVectorLayerTemporalProperties, ModeFeatureDateTimeStartAndEndFromExpressions (4): the
        // fields hold ISO dates as text, which the expressions make dates; limitMode 0 includes
        // the start and excludes the end, so consecutive periods never overlap.
        m.child("temporal")
            .attribute("enabled", "1")
            .attribute("mode", "4")
            .attribute("limitMode", "0")
            .attribute("accumulate", "0")
            .attribute("startExpression", fmt::format("to_datetime(\"{}\")", l.start_field))
            .attribute("endExpression", fmt::format("to_datetime(\"{}\")", l.end_field))
            .attribute("startField", "")
            .attribute("endField", "")
            .attribute("durationField", "")
            .attribute("durationUnit", "min")
            .attribute("fixedDuration", "0");
    }
    if (!l.style_qml.empty()) m.adopt(l.style_qml, "qgis");
}

} // namespace

std::string layer_group(const ProjectLayer& l) {
    const std::string& n = l.name;
    if (n == "recommendations" || starts_with(n, "target_")) return "Plan";
    if (starts_with(n, "kde_") || starts_with(n, "hotspot_") || n == "lixels") return "Hotspots";
    if (n == "incidents" || n == "rejects" || ends_with(n, "_incidents")) return "Inputs";
    return "Results";
}

std::optional<Extent> study_view(const std::vector<ProjectLayer>& layers) {
    Extent results, all;
    for (const ProjectLayer& l : layers) {
        if (!l.extent || l.extent->empty()) continue;
        all.add(*l.extent);
        if (layer_group(l) != "Inputs") results.add(*l.extent);
    }
    const Extent& e = results.empty() ? all : results;
    if (e.empty()) return std::nullopt;
    return e.grown(0.05 * std::max(e.width(), e.height()));
}

std::string project_qgs(const Project& p) {
    const Srs srs = srs_of(p.crs);
    // Drawing order: by group, then by kind; the order of writing within a kind.
    std::vector<size_t> order(p.layers.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const ProjectLayer &la = p.layers[a], &lb = p.layers[b];
        const int ga = group_rank(layer_group(la)), gb = group_rank(layer_group(lb));
        return ga != gb ? ga < gb : kind_rank(la) < kind_rank(lb);
    });
    std::vector<std::string> ids(p.layers.size());
    for (size_t i = 0; i < p.layers.size(); ++i) ids[i] = layer_id(p.layers[i], i);
    const std::vector<uint8_t> visible = visible_layers(p.layers, order);

    xml::Document doc("qgis", xml::Prolog{false, doctype, {}});
    xml::Element qgis = doc.root();
    qgis.attribute("version", qgis_version).attribute("projectname", p.title);
    qgis.child("homePath").attribute("path", "");
    qgis.child("title", p.title);
    spatialrefsys(qgis.child("projectCrs"), srs);

    // The layer tree: a group per kind of layer, in the drawing order.
    xml::Element tree = qgis.child("layer-tree-group");
    tree.child("customproperties");
    std::map<std::string, xml::Element> groups;
    for (size_t i : order) {
        const ProjectLayer& l = p.layers[i];
        const std::string g = layer_group(l);
        auto it = groups.find(g);
        if (it == groups.end()) {
            xml::Element e = tree.child("layer-tree-group").attribute("name", g).attribute("checked", "Qt::Checked");
            e.attribute("expanded", g == "Inputs" ? "0" : "1");
            e.child("customproperties");
            it = groups.emplace(g, e).first;
        }
        it->second.child("layer-tree-layer")
            .attribute("id", ids[i])
            .attribute("name", l.name)
            .attribute("source", l.source)
            .attribute("providerKey", l.provider)
            .attribute("checked", visible[i] ? "Qt::Checked" : "Qt::Unchecked")
            .attribute("expanded", l.kind == ProjectLayer::Kind::table ? "0" : "1")
            .child("customproperties");
    }

    const std::optional<Extent> view = p.view ? p.view : study_view(p.layers);
    xml::Element canvas = qgis.child("mapcanvas").attribute("name", "theMapCanvas").attribute("annotationsVisible", "1");
    canvas.child("units", "meters");
    if (view) extent_xml(canvas, "extent", *view);
    canvas.child("rotation", "0");
    spatialrefsys(canvas.child("destinationsrs"), srs);

    xml::Element layers = qgis.child("projectlayers");
    for (size_t i : order) map_layer(layers, p.layers[i], ids[i], srs);
    xml::Element layer_order = qgis.child("layerorder");
    for (size_t i : order) layer_order.child("layer").attribute("id", ids[i]);

    xml::Element properties = qgis.child("properties");
    properties.child("Paths").child("Absolute", "false").attribute("type", "bool");
    // QGIS reads projectCrs only with this set.
    properties.child("SpatialRefSys").child("ProjectionsEnabled", "1").attribute("type", "int");
    xml::Element settings = qgis.child("ProjectViewSettings").attribute("UseProjectScales", "0").attribute("rotation", "0");
    if (view) {
        xml::Element e = settings.child("DefaultViewExtent");
        e.attribute("xmin", fmt::format("{}", view->min_x)).attribute("ymin", fmt::format("{}", view->min_y));
        e.attribute("xmax", fmt::format("{}", view->max_x)).attribute("ymax", fmt::format("{}", view->max_y));
        spatialrefsys(e, srs);
    }
    // The temporal controller's range: the months the layers cover, stepped by month or quarter.
    if (p.time_step_months > 0 && !p.time_start.empty()) {
        xml::Element t = qgis.child("ProjectTimeSettings");
        t.attribute("timeStepUnit", "mon").attribute("timeStep", std::to_string(p.time_step_months)).attribute("frameRate", "1");
        t.attribute("cumulativeTemporalRange", "0");
        xml::Element range = t.child("TemporalRange");
        range.child("start", iso_datetime(p.time_start));
        range.child("end", iso_datetime(p.time_end));
    }
    return doc.str();
}

void write_qgz(const std::string& temp, const std::string& shown, const std::string& member, const std::string& qgs) {
    zipFile zip = zipOpen64(temp.c_str(), APPEND_STATUS_CREATE);
    if (!zip) throw IoError(fmt::format("{}: cannot create the QGIS project: {}", shown, std::strerror(errno)));
    zip_fileinfo info{};
    info.tmz_date.tm_year = 1980; // fixed: the same project, the same bytes
    info.tmz_date.tm_mday = 1;
    bool ok = zipOpenNewFileInZip64(zip, member.c_str(), &info, nullptr, 0, nullptr, 0, nullptr, Z_DEFLATED, Z_DEFAULT_COMPRESSION,
                                    qgs.size() > 0xffffffffULL ? 1 : 0) == ZIP_OK;
    ok = ok && zipWriteInFileInZip(zip, qgs.data(), static_cast<unsigned>(qgs.size())) == ZIP_OK;
    ok = zipCloseFileInZip(zip) == ZIP_OK && ok;
    ok = zipClose(zip, nullptr) == ZIP_OK && ok;
    if (!ok) {
        std::error_code ec;
        std::filesystem::remove(temp, ec);
        throw IoError(fmt::format("{}: writing the QGIS project failed (disk full or not writable?)", shown));
    }
}

} // namespace safer::layers::qgis
