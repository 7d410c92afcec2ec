#pragma once
// GDAL set-up and error reporting shared by every reader and writer.
#include <string>

namespace safer {
class Progress;
}

namespace safer::layers {

/// Registers GDAL's drivers once and routes CPL messages so they can be quoted in our errors
/// rather than printed by GDAL.
void ensure_gdal();

/// GDAL's last error message on this thread, or "" if none.
std::string gdal_message();

/// Clears GDAL's last error on this thread.
void clear_gdal_error();

/// A GDALProgressFunc that reports to the safer::Progress passed as its argument (which may be
/// null): `gdal_progress` and a Progress* go wherever GDAL takes a callback and its data.
int gdal_progress(double complete, const char* message, void* progress);

/// GDAL's version ("3.6.2"), and GEOS's and PROJ's as they run (for --version).
std::string gdal_version();
std::string geos_version();
std::string proj_version();

} // namespace safer::layers
