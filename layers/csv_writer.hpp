#pragma once
// The one CSV writer (RFC 4180): every CSV a command writes is made here, so quoting and number
// formats are the same in all of them.
#include <string>
#include <string_view>
#include <vector>

#include "layers/table.hpp"

namespace safer::layers {

/// One CSV line from fields, quoting those that need it.
std::string csv_line(const std::vector<std::string>& fields);
/// A text cell that a spreadsheet will not run as a formula (OWASP, "CSV Injection"): text that
/// starts with =, +, -, @, a tab or a carriage return gets a leading apostrophe, which Excel,
/// LibreOffice and Google Sheets show as text.
std::string csv_text(std::string_view text);
/// A number as a CSV cell: the shortest text that reads back to the same double; "" for NaN.
std::string csv_number(double v);
/// A whole table: a header of the column names, then one line a row (NULL as an empty cell, text
/// through csv_text).
/// Geometry is left out.
std::string table_csv(const Table& table);

} // namespace safer::layers
