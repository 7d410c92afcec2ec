#pragma once
// GDAL set-up and error reporting shared by every reader and writer.
#include <string>

namespace safer::layers {

/// Registers GDAL's drivers once and routes CPL messages so they can be quoted in our errors
/// rather than printed by GDAL.
void ensure_gdal();

/// GDAL's last error message on this thread, or "" if none.
std::string gdal_message();

/// Clears GDAL's last error on this thread.
void clear_gdal_error();

} // namespace safer::layers
