#pragma once
// Self-contained HTML reports: one file, no scripts, no network. Vector maps and charts are
// inline SVG; rasters are rendered to PNG with GDAL and embedded as base64.
#include <geos_c.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/grid.hpp"
#include "layers/output_files.hpp"
#include "layers/templates.hpp"

namespace safer::layers {

struct Study;

/// What every report ends with, set on `page` for its template: `sources` (each input file with
/// its SHA-256), `accounting` (rows read, used, `extra` rows after those, and each reject reason
/// with its count), `version` and `command_line`.
void set_provenance(TemplateData& page, const Study& study, const std::string& command_line, const std::vector<std::vector<std::string>>& extra = {});

std::string html_escape(std::string_view text);
std::string base64(std::string_view bytes);

/// A polygon or line drawn on a map; a point is drawn as a small dot of its fill colour.
struct MapShape {
    const GEOSGeometry* geometry = nullptr;
    std::string fill = "none";   // CSS colour
    std::string stroke = "#666"; // CSS colour
    double stroke_width = 0.5;   // pixels
    std::string title;           // tooltip
    double radius = 1.8;         // points: the dot's radius in pixels (outlined when over 3)
};

/// A raster drawn under the shapes: PNG bytes covering `extent`.
struct MapImage {
    std::string png;
    Extent extent;
};

struct LegendItem {
    std::string colour;       // the fill ("none" for an outline alone)
    std::string label;
    std::string outline = {}; // the stroke, if not the default thin grey
    double outline_width = 0.5;
};

/// Text placed on a map at a point (working CRS), with a white halo so it reads over anything.
struct MapLabel {
    double x = 0, y = 0;
    std::string text;
    double size = 11;             // pixels
    std::string colour = "#222";
    bool italic = false;
};

/// What a map shows beyond its shapes: a view (a zoom), labels, and a locator.
struct MapOptions {
    std::optional<Extent> view;    // the extent shown (default: every shape's); shapes are clipped to it
    std::vector<MapLabel> labels;  // drawn last, inside the view only
    std::vector<MapShape> locator; // a small map of the whole study area in the top right corner, the view outlined in red
};

/// An SVG map of `shapes` (simplified to the pixel size), scaled to `width` pixels, over the
/// extent of all shapes (and of the image, if any; or options->view), north up, with a scale bar,
/// a north arrow and a legend.
std::string svg_map(const std::vector<MapShape>& shapes, double width, const std::vector<LegendItem>& legend = {},
                    const MapImage* image = nullptr, const std::string& caption = {}, const MapOptions* options = nullptr);

struct ChartSeries {
    std::string name;
    std::string colour;
    std::vector<double> values; // one per x label; NaN leaves a gap
    bool dashed = false;
};

/// An SVG line chart with labelled axes and a legend. With `marker` (an x label's position), a
/// dashed vertical line is drawn just before it, labelled `marker_label` (an intervention's start).
std::string svg_line_chart(const std::string& title, const std::vector<std::string>& x_labels,
                           const std::vector<ChartSeries>& series, const std::string& y_label, double width = 520,
                           double height = 260, std::optional<size_t> marker = std::nullopt, const std::string& marker_label = {});

/// An SVG chart of bars in groups: for each group (x label), one bar for each series, each bar
/// labelled with its value as `value_format` formats it.
struct BarSeries {
    std::string name;
    std::string colour;
    std::vector<double> values; // one per group; NaN leaves no bar
};
std::string svg_bar_chart(const std::string& title, const std::vector<std::string>& groups, const std::vector<BarSeries>& series,
                          const std::string& y_label, double width = 520, double height = 280, int decimals = 1);

/// A Float32 grid rendered to PNG with GDAL's colour relief (gdaldem color-relief): `ramp` pairs
/// a value with an RGBA colour ("r g b a", 0-255), interpolated between; nodata is transparent.
std::string render_raster_png(const Grid& grid, const std::vector<float>& values, float nodata,
                              const std::vector<std::pair<double, std::string>>& ramp);

/// Sequential colours (light yellow to dark red, ColorBrewer YlOrRd) for `classes` classes, 3..7.
std::vector<std::string> sequential_colours(size_t classes);

/// An HTML document built section by section.
class HtmlReport {
public:
    explicit HtmlReport(std::string title);
    void heading(const std::string& text, int level = 2);
    void paragraph(const std::string& text); // escaped
    void raw(const std::string& html);       // trusted HTML (SVG, lists built here)
    void list(const std::vector<std::string>& items);
    void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
               const std::string& caption = {});
    std::string html() const;

private:
    std::string m_title;
    std::string m_body;
};

} // namespace safer::layers
