#pragma once
// Printing a report to PDF with headless Chromium, where it is installed. The browser is started
// with an argument vector (posix_spawn, no shell), so no file name can reach a shell, and it is
// stopped after a timeout.
#include <string>

#include "engine/progress.hpp"

namespace safer::layers {

/// The path of a Chromium on PATH (chromium, chromium-browser, google-chrome), or "" if none.
std::string find_chromium();
/// A file:// URL for a local path, percent-encoded (RFC 8089, RFC 3986).
std::string file_url(const std::string& path);
/// Prints the HTML file `html` to `pdf` (A4 as the page's CSS asks) with `chromium`. Returns ""
/// when the PDF was written, else why not (the browser failed, timed out or wrote nothing).
std::string print_to_pdf(const std::string& chromium, const std::string& html, const std::string& pdf, int timeout_seconds = 120);
/// The PDF beside a report: printed to a temporary file and moved to `pdf` (replacing a previous
/// one only with `overwrite`); a failure is a warning on `progress`, as the HTML report stands.
void print_report_pdf(const std::string& chromium, const std::string& html, const std::string& pdf, bool overwrite, Progress& progress);
/// The PDF's path beside a report: "report.html" -> "report.pdf".
std::string pdf_beside(const std::string& html);

} // namespace safer::layers
