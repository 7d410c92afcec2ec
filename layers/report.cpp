#include "layers/report.hpp"

#include <fmt/core.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "engine/errors.hpp"
#include "engine/geos.hpp"
#include "engine/text.hpp"
#include "layers/gdal_session.hpp"
#include "layers/geopackage.hpp"
#include "layers/interrupt.hpp"
#include "layers/study.hpp"

namespace safer::layers {

namespace fs = std::filesystem;

void set_provenance(TemplateData& page, const Study& study, const std::string& command_line, const std::vector<std::vector<std::string>>& extra) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [file, digest] : study.checksums()) rows.push_back({file, digest});
    page.set("sources", table_data({"input file", "SHA-256"}, rows, "Data sources"));
    const IngestResult& c = study.crimes;
    rows = {{"rows read", grouped(static_cast<double>(c.rows_read))}, {"rows used", grouped(static_cast<double>(c.incidents.size()))}};
    rows.insert(rows.end(), extra.begin(), extra.end());
    for (size_t r = 0; r < reject_reason_count; ++r)
        if (const uint64_t n = c.rejects.count(static_cast<RejectReason>(r)))
            rows.push_back({fmt::format("rejected: {}", reason_text(static_cast<RejectReason>(r))), grouped(static_cast<double>(n))});
    page.set("accounting", table_data({"rows", "count"}, rows, "Every row read, used or rejected (the rejects layer lists each with its file and line)"));
    page.set("version", SAFER_VERSION);
    page.set("command_line", command_line);
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string base64(std::string_view bytes) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
        out += table[v >> 18], out += table[(v >> 12) & 63], out += table[(v >> 6) & 63], out += table[v & 63];
    }
    if (i + 1 == bytes.size()) {
        const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
        out += table[v >> 18], out += table[(v >> 12) & 63], out += "==";
    } else if (i + 2 == bytes.size()) {
        const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
        out += table[v >> 18], out += table[(v >> 12) & 63], out += table[(v >> 6) & 63], out += '=';
    }
    return out;
}

std::vector<std::string> sequential_colours(size_t classes) {
    // ColorBrewer YlOrRd (Brewer, Pennsylvania State University), sequential.
    static const std::vector<std::vector<std::string>> schemes = {
        {"#ffeda0", "#feb24c", "#f03b20"},
        {"#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"},
        {"#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"},
        {"#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"},
        {"#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"},
    };
    classes = std::clamp<size_t>(classes, 3, 7);
    return schemes[classes - 3];
}

namespace {

// Appends an SVG path for every ring of a (multi)polygon, or every line of a (multi)line.
void append_path(std::string& d, const GEOSGeometry* g, const Extent& e, double scale) {
    GEOSContextHandle_t ctx = geos::context();
    const int type = GEOSGeomTypeId_r(ctx, g);
    const auto sequence = [&](const GEOSGeometry* line, bool close) {
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, line);
        unsigned int size = 0;
        GEOSCoordSeq_getSize_r(ctx, seq, &size);
        for (unsigned int i = 0; i < size; ++i) {
            double x = 0, y = 0;
            GEOSCoordSeq_getXY_r(ctx, seq, i, &x, &y);
            d += fmt::format("{}{:.1f} {:.1f}", i == 0 ? "M" : "L", (x - e.min_x) * scale, (e.max_y - y) * scale);
        }
        if (close && size > 0) d += "Z";
    };
    if (type == GEOS_POLYGON) {
        sequence(GEOSGetExteriorRing_r(ctx, g), true);
        const int holes = GEOSGetNumInteriorRings_r(ctx, g);
        for (int h = 0; h < holes; ++h) sequence(GEOSGetInteriorRingN_r(ctx, g, h), true);
    } else if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
        sequence(g, false);
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION) {
        const int parts = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < parts; ++i) append_path(d, GEOSGetGeometryN_r(ctx, g, i), e, scale);
    }
}

std::string nice_distance(double metres) {
    static const double steps[] = {1, 2, 5};
    double best = 1;
    for (double p = 1; p <= 1e6; p *= 10)
        for (double s : steps)
            if (s * p <= metres) best = s * p;
    return best >= 1000 ? fmt::format("{:g} km", best / 1000) : fmt::format("{:g} m", best);
}

double nice_value(double metres) {
    static const double steps[] = {1, 2, 5};
    double best = 1e-6;
    for (double p = 1e-6; p <= 1e7; p *= 10)
        for (double s : steps)
            if (s * p <= metres) best = s * p;
    return best;
}

} // namespace

std::string svg_map(const std::vector<MapShape>& shapes, double width, const std::vector<LegendItem>& legend, const MapImage* image,
                    const std::string& caption, const MapOptions* options) {
    Extent e;
    for (const MapShape& s : shapes) {
        if (!s.geometry || GEOSisEmpty_r(geos::context(), s.geometry)) continue;
        const geos::Envelope v = geos::envelope(s.geometry);
        e.add(Extent{v.min_x, v.min_y, v.max_x, v.max_y});
    }
    if (image) e.add(image->extent);
    const bool zoomed = options && options->view && !options->view->empty();
    if (zoomed) e = *options->view;
    if (e.empty()) return "<p>(nothing to map)</p>";
    const double span = std::max(e.width(), e.height());
    if (!zoomed) e = e.grown(span * 0.02);
    const double scale = width / e.width();
    const double height = e.height() * scale;
    const double legend_height = legend.empty() ? 0 : 22.0 * static_cast<double>(legend.size()) + 10;
    std::string svg = fmt::format(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" "
        "role=\"img\" style=\"background:#fff;border:1px solid #ccc\">",
        width, height + 30 + legend_height, width, height + 30 + legend_height);
    if (image)
        svg += fmt::format("<image x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" preserveAspectRatio=\"none\" "
                           "href=\"data:image/png;base64,{}\"/>",
                           (image->extent.min_x - e.min_x) * scale, (e.max_y - image->extent.max_y) * scale,
                           image->extent.width() * scale, image->extent.height() * scale, base64(image->png));
    GEOSContextHandle_t ctx = geos::context();
    const double pixel = 1.0 / scale;
    for (const MapShape& s : shapes) {
        if (!s.geometry) continue;
        if (GEOSGeomTypeId_r(ctx, s.geometry) == GEOS_POINT) { // a dot of s.radius pixels
            double x = 0, y = 0;
            GEOSGeomGetX_r(ctx, s.geometry, &x);
            GEOSGeomGetY_r(ctx, s.geometry, &y);
            svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:g}\" fill=\"{}\"{}>", (x - e.min_x) * scale, (e.max_y - y) * scale, s.radius, s.fill,
                               s.radius > 3 ? fmt::format(" stroke=\"{}\" stroke-width=\"{:g}\"", s.stroke, s.stroke_width) : "");
            if (!s.title.empty()) svg += "<title>" + html_escape(s.title) + "</title>";
            svg += "</circle>";
            continue;
        }
        // Clipped to the view when zoomed, then simplified to half a pixel: the same picture in a
        // fraction of the bytes.
        geos::Geometry clipped;
        const GEOSGeometry* g = s.geometry;
        if (zoomed) {
            const geos::Envelope v = geos::envelope(g);
            if (v.max_x < e.min_x || v.min_x > e.max_x || v.max_y < e.min_y || v.min_y > e.max_y) continue;
            clipped.reset(GEOSClipByRect_r(ctx, g, e.min_x - pixel, e.min_y - pixel, e.max_x + pixel, e.max_y + pixel));
            if (!clipped || GEOSisEmpty_r(ctx, clipped.get())) continue;
            g = clipped.get();
        }
        geos::Geometry simple(GEOSTopologyPreserveSimplify_r(ctx, g, pixel * 0.5));
        std::string d;
        append_path(d, simple ? simple.get() : g, e, scale);
        if (d.empty()) continue;
        svg += fmt::format("<path d=\"{}\" fill=\"{}\" fill-rule=\"evenodd\" stroke=\"{}\" stroke-width=\"{:g}\">", d, s.fill, s.stroke,
                           s.stroke_width);
        if (!s.title.empty()) svg += "<title>" + html_escape(s.title) + "</title>";
        svg += "</path>";
    }
    if (options) {
        for (const MapLabel& l : options->labels) {
            if (l.x < e.min_x || l.x > e.max_x || l.y < e.min_y || l.y > e.max_y) continue;
            svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-family=\"sans-serif\" font-size=\"{:g}\"{} fill=\"{}\" text-anchor=\"middle\" "
                               "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\" stroke-linejoin=\"round\">{}</text>",
                               (l.x - e.min_x) * scale, (e.max_y - l.y) * scale, l.size, l.italic ? " font-style=\"italic\"" : "", html_escape(l.colour),
                               html_escape(l.text));
        }
        if (!options->locator.empty()) {
            // The whole study area, small, in the top right corner, the view outlined in red.
            Extent all;
            for (const MapShape& s : options->locator)
                if (s.geometry && !GEOSisEmpty_r(ctx, s.geometry)) {
                    const geos::Envelope v = geos::envelope(s.geometry);
                    all.add(Extent{v.min_x, v.min_y, v.max_x, v.max_y});
                }
            all.add(e);
            const double box = std::min(170.0, width * 0.3), ls = box / std::max(all.width(), all.height());
            const double lw = all.width() * ls, lh = all.height() * ls, ox = width - lw - 8, oy = 8;
            svg += fmt::format("<g><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#fff\" stroke=\"#888\"/>", ox - 3, oy - 3, lw + 6, lh + 6);
            for (const MapShape& s : options->locator) {
                geos::Geometry simple(GEOSTopologyPreserveSimplify_r(ctx, s.geometry, 0.5 / ls));
                std::string d;
                append_path(d, simple ? simple.get() : s.geometry, all, ls);
                if (d.empty()) continue;
                svg += fmt::format("<path transform=\"translate({:.1f},{:.1f})\" d=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{:g}\"/>", ox, oy, d, s.fill,
                                   s.stroke, s.stroke_width);
            }
            svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#d00\" stroke-width=\"1.5\"/></g>",
                               ox + (e.min_x - all.min_x) * ls, oy + (all.max_y - e.max_y) * ls, std::max(2.0, e.width() * ls), std::max(2.0, e.height() * ls));
        }
    }
    // Scale bar (about a fifth of the width) and a north arrow.
    const double bar_m = nice_value(e.width() / 5);
    const double bar_px = bar_m * scale;
    svg += fmt::format("<g font-family=\"sans-serif\" font-size=\"11\"><rect x=\"10\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"4\" fill=\"#333\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>"
                       "<path d=\"M {:.1f} {:.1f} l 5 12 l -5 -3 l -5 3 z\" fill=\"#333\"/><text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" "
                       "font-weight=\"bold\">N</text></g>",
                       height + 10, bar_px, bar_px + 16, height + 16, nice_distance(bar_m), width - 20, height + 3, width - 20, height + 28);
    for (size_t i = 0; i < legend.size(); ++i) {
        const double y = height + 30 + 22.0 * static_cast<double>(i);
        const LegendItem& item = legend[i];
        svg += fmt::format("<rect x=\"10\" y=\"{:.0f}\" width=\"18\" height=\"14\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{:g}\"/>"
                           "<text x=\"34\" y=\"{:.0f}\" font-family=\"sans-serif\" font-size=\"12\">{}</text>",
                           y, html_escape(item.colour), item.outline.empty() ? "#666" : html_escape(item.outline), item.outline.empty() ? 0.5 : item.outline_width,
                           y + 11, html_escape(item.label));
    }
    svg += "</svg>";
    if (!caption.empty()) svg += "<figcaption>" + html_escape(caption) + "</figcaption>";
    return svg + "</figure>";
}

namespace {
/// A chart's opening: the SVG element, its title, and the horizontal grid lines with their values
/// from 0 to `top_v` every `step` (at heights `py(value)`).
template <class Y>
std::string chart_frame(const std::string& title, double width, double height, double left, double plot_w, double top_v, double step, const Y& py) {
    std::string svg = fmt::format("<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" "
                                  "role=\"img\" font-family=\"sans-serif\" font-size=\"11\" style=\"background:#fff\">"
                                  "<text x=\"{:.0f}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{}</text>",
                                  width, height, width, height, left, html_escape(title));
    for (double v = 0; v <= top_v + step / 2; v += step)
        svg += fmt::format("<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/><text x=\"{:.1f}\" y=\"{:.1f}\" "
                           "text-anchor=\"end\">{:g}</text>",
                           left, left + plot_w, py(v), py(v), left - 4, py(v) + 4, v);
    return svg;
}
} // namespace

std::string svg_line_chart(const std::string& title, const std::vector<std::string>& x_labels, const std::vector<ChartSeries>& series,
                           const std::string& y_label, double width, double height, std::optional<size_t> marker, const std::string& marker_label) {
    const double left = 56, right = 12, top = 28, bottom = 46 + 18.0 * static_cast<double>(series.size());
    const double plot_w = width - left - right, plot_h = height - top - bottom;
    double max_v = 0;
    for (const ChartSeries& s : series)
        for (double v : s.values)
            if (std::isfinite(v)) max_v = std::max(max_v, v);
    if (max_v <= 0) max_v = 1;
    const double step = nice_value(max_v / 4);
    const double top_v = std::ceil(max_v / step) * step;
    const size_t n = x_labels.size();
    const auto px = [&](size_t i) { return left + (n > 1 ? plot_w * static_cast<double>(i) / static_cast<double>(n - 1) : plot_w / 2); };
    const auto py = [&](double v) { return top + plot_h * (1 - v / top_v); };
    std::string svg = chart_frame(title, width, height, left, plot_w, top_v, step, py);
    const size_t every = std::max<size_t>(1, (n + 7) / 8);
    for (size_t i = 0; i < n; i += every)
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", px(i), top + plot_h + 14, html_escape(x_labels[i]));
    svg += fmt::format("<text transform=\"translate(12 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>", top + plot_h / 2, html_escape(y_label));
    svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>", left, top, top + plot_h);
    svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>", left, left + plot_w, top + plot_h);
    if (marker && *marker > 0 && *marker < n) {
        const double x = 0.5 * (px(*marker - 1) + px(*marker));
        svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>"
                           "<text x=\"{3:.1f}\" y=\"{4:.1f}\" fill=\"#555\">{5}</text>",
                           x, top, top + plot_h, x + 4, top + 11, html_escape(marker_label));
    }
    for (size_t k = 0; k < series.size(); ++k) {
        const ChartSeries& s = series[k];
        std::string d;
        bool pen = false;
        for (size_t i = 0; i < s.values.size() && i < n; ++i) {
            if (!std::isfinite(s.values[i])) {
                pen = false;
                continue;
            }
            d += fmt::format("{}{:.1f} {:.1f}", pen ? "L" : "M", px(i), py(s.values[i]));
            pen = true;
        }
        svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>", d, s.colour, s.dashed ? " stroke-dasharray=\"5 3\"" : "");
        const double ly = top + plot_h + 32 + 18.0 * static_cast<double>(k);
        svg += fmt::format("<line x1=\"{:.0f}\" x2=\"{:.0f}\" y1=\"{:.0f}\" y2=\"{:.0f}\" stroke=\"{}\" stroke-width=\"2\"{}/><text x=\"{:.0f}\" y=\"{:.0f}\">{}</text>",
                           left, left + 24, ly, ly, s.colour, s.dashed ? " stroke-dasharray=\"5 3\"" : "", left + 30, ly + 4, html_escape(s.name));
    }
    return svg + "</svg></figure>";
}

std::string svg_bar_chart(const std::string& title, const std::vector<std::string>& groups, const std::vector<BarSeries>& series, const std::string& y_label,
                          double width, double height, int decimals) {
    const double left = 56, right = 12, top = 28, bottom = 40 + 18.0 * static_cast<double>(series.size());
    const double plot_w = width - left - right, plot_h = height - top - bottom;
    double max_v = 0;
    for (const BarSeries& s : series)
        for (double v : s.values)
            if (std::isfinite(v)) max_v = std::max(max_v, v);
    if (max_v <= 0) max_v = 1;
    const double step = nice_value(max_v / 4);
    const double top_v = std::ceil(max_v * 1.08 / step) * step;
    const auto py = [&](double v) { return top + plot_h * (1 - v / top_v); };
    std::string svg = chart_frame(title, width, height, left, plot_w, top_v, step, py);
    svg += fmt::format("<text transform=\"translate(12 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>", top + plot_h / 2, html_escape(y_label));
    const double group_w = plot_w / static_cast<double>(std::max<size_t>(1, groups.size()));
    const double bar_w = group_w * 0.8 / static_cast<double>(std::max<size_t>(1, series.size()));
    for (size_t g = 0; g < groups.size(); ++g) {
        const double x0 = left + group_w * static_cast<double>(g) + group_w * 0.1;
        for (size_t k = 0; k < series.size(); ++k) {
            const double v = g < series[k].values.size() ? series[k].values[g] : std::nan("");
            if (!std::isfinite(v)) continue;
            const double x = x0 + bar_w * static_cast<double>(k);
            svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/><text x=\"{:.1f}\" y=\"{:.1f}\" "
                               "text-anchor=\"middle\">{:.{}f}</text>",
                               x, py(v), bar_w * 0.92, top + plot_h - py(v), series[k].colour, x + bar_w * 0.46, py(v) - 3, v, decimals);
        }
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", left + group_w * (static_cast<double>(g) + 0.5), top + plot_h + 14,
                           html_escape(groups[g]));
    }
    svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>", left, left + plot_w, top + plot_h);
    for (size_t k = 0; k < series.size(); ++k) {
        const double ly = top + plot_h + 30 + 18.0 * static_cast<double>(k);
        svg += fmt::format("<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"14\" height=\"10\" fill=\"{}\"/><text x=\"{:.0f}\" y=\"{:.0f}\">{}</text>", left, ly - 8,
                           series[k].colour, left + 20, ly + 1, html_escape(series[k].name));
    }
    return svg + "</svg></figure>";
}

std::string render_raster_png(const Grid& grid, const std::vector<float>& values, float nodata,
                              const std::vector<std::pair<double, std::string>>& ramp) {
    ensure_gdal();
    static std::atomic<int> serial{0};
    const std::string stem = fmt::format("/vsimem/safer-render-{}-{}", ::getpid(), serial++);
    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
    if (!mem || !png) throw IoError("GDAL's MEM and PNG drivers are needed to render maps");
    GDALDatasetUniquePtr src(mem->Create("", static_cast<int>(grid.nx), static_cast<int>(grid.ny), 1, GDT_Float32, nullptr));
    double transform[6] = {grid.x0, grid.cell, 0, grid.y0, 0, -grid.cell};
    src->SetGeoTransform(transform);
    GDALRasterBand* band = src->GetRasterBand(1);
    band->SetNoDataValue(nodata);
    if (band->RasterIO(GF_Write, 0, 0, static_cast<int>(grid.nx), static_cast<int>(grid.ny), const_cast<float*>(values.data()),
                       static_cast<int>(grid.nx), static_cast<int>(grid.ny), GDT_Float32, 0, 0, nullptr) != CE_None)
        throw IoError("rendering a raster: cannot fill it: " + gdal_message());
    std::string colours = "nv 0 0 0 0\n";
    for (const auto& [value, rgba] : ramp) colours += fmt::format("{:.9g} {}\n", value, rgba);
    const std::string colour_file = stem + ".txt";
    VSILFILE* f = VSIFOpenL(colour_file.c_str(), "wb");
    VSIFWriteL(colours.data(), 1, colours.size(), f);
    VSIFCloseL(f);
    const char* args[] = {"-of", "MEM", "-alpha", nullptr};
    GDALDEMProcessingOptions* options = GDALDEMProcessingOptionsNew(const_cast<char**>(args), nullptr);
    int usage_error = 0;
    clear_gdal_error();
    GDALDatasetH coloured = GDALDEMProcessing("", GDALDataset::ToHandle(src.get()), "color-relief", colour_file.c_str(), options, &usage_error);
    GDALDEMProcessingOptionsFree(options);
    VSIUnlink(colour_file.c_str());
    if (!coloured) throw IoError("rendering a raster with GDAL's colour relief failed: " + gdal_message());
    const std::string png_path = stem + ".png";
    GDALDatasetH written = GDALCreateCopy(GDALDriver::ToHandle(png), png_path.c_str(), coloured, FALSE, nullptr, nullptr, nullptr);
    GDALClose(coloured);
    if (!written) throw IoError("writing a PNG with GDAL failed: " + gdal_message());
    GDALClose(written);
    vsi_l_offset length = 0;
    GByte* bytes = VSIGetMemFileBuffer(png_path.c_str(), &length, TRUE);
    std::string out(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
    CPLFree(bytes);
    VSIUnlink((png_path + ".aux.xml").c_str());
    return out;
}

HtmlReport::HtmlReport(std::string title) : m_title(std::move(title)) {}

void HtmlReport::heading(const std::string& text, int level) {
    level = std::clamp(level, 1, 4);
    m_body += fmt::format("<h{0}>{1}</h{0}>\n", level, html_escape(text));
}
void HtmlReport::paragraph(const std::string& text) { m_body += "<p>" + html_escape(text) + "</p>\n"; }
void HtmlReport::raw(const std::string& html) { m_body += html + "\n"; }
void HtmlReport::list(const std::vector<std::string>& items) {
    m_body += "<ul>";
    for (const std::string& i : items) m_body += "<li>" + html_escape(i) + "</li>";
    m_body += "</ul>\n";
}
void HtmlReport::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows, const std::string& caption) {
    m_body += "<table>";
    if (!caption.empty()) m_body += "<caption>" + html_escape(caption) + "</caption>";
    m_body += "<thead><tr>";
    for (const std::string& h : header) m_body += "<th>" + html_escape(h) + "</th>";
    m_body += "</tr></thead><tbody>";
    for (const auto& row : rows) {
        m_body += "<tr>";
        for (const std::string& c : row) m_body += "<td>" + html_escape(c) + "</td>";
        m_body += "</tr>";
    }
    m_body += "</tbody></table>\n";
}

std::string HtmlReport::html() const {
    return "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>" + html_escape(m_title) +
           "</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}"
           "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #bbb;padding:0.25em 0.5em;text-align:left}"
           "th{background:#eee}caption{text-align:left;font-weight:bold;margin-bottom:0.3em}figure{margin:1em 0}"
           "figcaption{font-size:0.85em;color:#555}code{background:#f4f4f4;padding:0 0.2em}"
           "@media print{h2{page-break-before:auto}figure,table{page-break-inside:avoid}}</style></head><body>\n<h1>" +
           html_escape(m_title) + "</h1>\n" + m_body + "</body></html>\n";
}

} // namespace safer::layers
