#include "layers/csv_writer.hpp"

#include <fmt/core.h>

#include <cmath>

namespace safer::layers {

std::string csv_line(const std::vector<std::string>& fields) {
    std::string line;
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i) line += ',';
        const std::string& f = fields[i];
        if (f.find_first_of(",\"\r\n") == std::string::npos) {
            line += f;
        } else {
            line += '"';
            for (char c : f) line += c == '"' ? std::string("\"\"") : std::string(1, c);
            line += '"';
        }
    }
    return line + "\n";
}

std::string csv_text(std::string_view text) {
    std::string cell;
    cell.reserve(text.size() + 1);
    if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) cell.push_back('\'');
    cell.append(text);
    return cell;
}

std::string csv_number(double v) { return std::isnan(v) ? std::string() : fmt::format("{}", v); }

std::string table_csv(const Table& t) {
    std::vector<std::string> row;
    for (const Column& c : t.columns) row.push_back(c.name);
    std::string text = csv_line(row);
    for (size_t r = 0; r < t.rows(); ++r) {
        row.clear();
        for (const Column& c : t.columns) {
            if (c.is_null(r)) row.emplace_back();
            else if (c.type == Column::Type::integer) row.push_back(std::to_string(c.integers[r]));
            else if (c.type == Column::Type::real) row.push_back(csv_number(c.reals[r]));
            else row.push_back(csv_text(c.texts[r]));
        }
        text += csv_line(row);
    }
    return text;
}

} // namespace safer::layers
