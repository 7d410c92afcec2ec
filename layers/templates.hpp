#pragma once
// HTML from Mustache templates kept as files in layers/templates/ and compiled in (kainjow's
// header-only Mustache, Debian's libkainjow-mustache-dev), so a report's wording and layout can
// change without touching C++. Every template is also a partial of every other ({{>table}}).
// Values are escaped with html_escape; {{{x}}} inserts trusted HTML (maps and charts drawn here).
#include <kainjow/mustache.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace safer::layers {

using TemplateData = kainjow::mustache::data;

/// The text of the template `name` (the file name without .mustache). std::logic_error if there is none.
std::string_view template_text(std::string_view name);
/// The names of every template compiled in.
std::vector<std::string_view> template_names();
/// Renders template `name` with `data`. std::logic_error for a template that does not parse.
std::string render_template(std::string_view name, const TemplateData& data);

/// A list of strings as Mustache data: [{"text": ...}, ...].
TemplateData text_list(const std::vector<std::string>& items);
/// A table for the `table` partial: caption, header [{"text"}], rows [{"cells": [{"text"}]}].
TemplateData table_data(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows, const std::string& caption = {});

} // namespace safer::layers
