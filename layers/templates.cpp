#include "layers/templates.hpp"

#include <fmt/core.h>

#include <stdexcept>

#include "layers/report.hpp"

namespace safer::layers {

namespace detail {
extern const std::pair<std::string_view, std::string_view> embedded_templates[];
extern const unsigned embedded_template_count;
} // namespace detail

namespace mustache = kainjow::mustache;

std::string_view template_text(std::string_view name) {
    for (unsigned i = 0; i < detail::embedded_template_count; ++i)
        if (detail::embedded_templates[i].first == name) return detail::embedded_templates[i].second;
    throw std::logic_error(fmt::format("no report template '{}'", name));
}

std::vector<std::string_view> template_names() {
    std::vector<std::string_view> names;
    for (unsigned i = 0; i < detail::embedded_template_count; ++i) names.push_back(detail::embedded_templates[i].first);
    return names;
}

std::string render_template(std::string_view name, const TemplateData& data) {
    mustache::mustache tmpl{std::string(template_text(name))};
    tmpl.set_custom_escape([](const std::string& s) { return html_escape(s); });
    if (!tmpl.is_valid()) throw std::logic_error(fmt::format("report template '{}': {}", name, tmpl.error_message()));
    // Every template is a partial of every other.
    TemplateData context(data);
    for (unsigned i = 0; i < detail::embedded_template_count; ++i) {
        std::string text(detail::embedded_templates[i].second);
        if (!text.empty() && text.back() == '\n') text.pop_back(); // a partial's file ends in a newline; the text around it says where lines end
        context.set(std::string(detail::embedded_templates[i].first), mustache::partial([text] { return text; }));
    }
    std::string out = tmpl.render(context);
    if (!tmpl.is_valid()) throw std::logic_error(fmt::format("report template '{}': {}", name, tmpl.error_message()));
    return out;
}

TemplateData text_list(const std::vector<std::string>& items) {
    TemplateData list = TemplateData::type::list;
    for (const std::string& s : items) list.push_back(TemplateData{"text", s});
    return list;
}

TemplateData table_data(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows, const std::string& caption) {
    TemplateData t;
    if (!caption.empty()) t.set("caption", caption);
    t.set("header", text_list(header));
    TemplateData body = TemplateData::type::list;
    for (const auto& row : rows) {
        // A short cell with no space (a count, "£19,076", an LSOA code) is never broken across
        // lines; long ones (paths, checksums) may break anywhere to keep the table on the page.
        TemplateData cells = TemplateData::type::list;
        for (const std::string& text : row) {
            TemplateData cell{"text", text};
            if (text.size() <= 24 && text.find(' ') == std::string::npos) cell.set("token", true);
            cells.push_back(cell);
        }
        body.push_back(TemplateData{"cells", cells});
    }
    t.set("rows", body);
    return t;
}

} // namespace safer::layers
