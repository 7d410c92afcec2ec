#pragma once
// A QGIS project (.qgz) beside each GeoPackage: every layer of the file, grouped (plan, hotspots,
// results, inputs), in a sensible drawing order, each with its default style (the vector styles
// of layer_styles, and the density style for rasters, which QGIS 3.22 never reads from a
// GeoPackage), temporal ranges for results by month or quarter, zoomed to the study area.
//
// The .qgs is what QGIS 3.22 writes, reduced to the elements that carry the layers, their
// styles, the layer tree, the CRS, the view and the time settings (QGIS fills in the rest with
// its defaults), written with the one XML writer (layers/xml) and zipped as QGIS zips it. No
// QGIS library is needed to write it; tests/qgis/check_outputs.py opens it with PyQGIS.
#include <optional>
#include <string>
#include <vector>

#include "engine/grid.hpp"
#include "layers/qgis_styles.hpp"

namespace safer::layers::qgis {

/// A layer of a project.
struct ProjectLayer {
    enum class Kind : uint8_t { vector, raster, table };
    std::string name;        // the table (layer tree name)
    std::string source;      // data source relative to the project: "./demo.gpkg|layername=areas", "GPKG:./demo.gpkg:kde", "./burglary.tif"
    std::string provider;    // "ogr" or "gdal"
    Kind kind = Kind::vector;
    Shape shape = Shape::none;
    std::string wkb_type;    // "MultiPolygon", "Point", ... (vectors)
    std::string style_qml;   // the default style: a QML document (renderer, labels, aliases, ...); may be empty
    std::string description; // the layer's abstract
    std::optional<Extent> extent;
    /// A raster's time: [start, end) as ISO dates ("2021-04-01"), written from the millisecond
    /// after start to the millisecond before end (QGIS 3.22's frames touch both ends); empty: not temporal.
    std::string time_start, time_end;
    /// A vector layer's time: fields holding each feature's start and (exclusive) end date.
    std::string start_field, end_field;
};

/// Which group a layer belongs in, by what it holds: "Plan" (recommendations, target areas and
/// their interventions), "Hotspots" (density surfaces and classes, hot spot statistics),
/// "Inputs" (incidents as read, rejects) or "Results" (the rest).
std::string layer_group(const ProjectLayer& layer);

struct Project {
    std::string title;
    std::string crs;      // the working CRS ("EPSG:27700")
    std::vector<ProjectLayer> layers;
    /// The view QGIS opens with; empty: the layers' extents (the study area).
    std::optional<Extent> view;
    /// The temporal controller's range, [start, end) as ISO dates, and its step in months (1 by
    /// month, 3 by quarter); no time settings when the step is 0.
    std::string time_start, time_end;
    int time_step_months = 0;
};

/// The extent QGIS should open on: the union of the extents of the layers that are not inputs
/// (incidents can lie far outside the study area), else of all, grown by 5 %.
std::optional<Extent> study_view(const std::vector<ProjectLayer>& layers);

/// The project as a .qgs document (UTF-8 XML). Layers are grouped (layer_group), ordered
/// within a group points first, then lines, polygons, rasters and tables, and all are drawn
/// except the inputs. Throws UsageError for a CRS PROJ does not know.
std::string project_qgs(const Project& project);

/// Writes `qgs` zipped as QGIS zips a project (one member, `member`, e.g. "demo.qgs") to the file
/// `temp`, with fixed timestamps so that the same project gives the same bytes. IoError naming
/// `shown` on failure.
void write_qgz(const std::string& temp, const std::string& shown, const std::string& member, const std::string& qgs);

} // namespace safer::layers::qgis
