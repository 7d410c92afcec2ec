#include "layers/gdal_session.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <proj.h>

#include <mutex>

#include "engine/progress.hpp"

namespace safer::layers {

namespace {
// Keep messages for our own errors; never throw from inside the callback.
void CPL_STDCALL quiet_handler(CPLErr, CPLErrorNum, const char*) {}
} // namespace

void ensure_gdal() {
    static std::once_flag once;
    std::call_once(once, [] {
        GDALAllRegister();
        CPLSetErrorHandler(quiet_handler);
        // Reading an input through /vsigzip/ must not leave an index file (NAME.gz.properties)
        // beside it: safer writes only its outputs.
        CPLSetConfigOption("CPL_VSIL_GZIP_WRITE_PROPERTIES", "NO");
        // Every GeoPackage safer writes is a temporary file, flushed to the disk once before it
        // is renamed into place (output_files): SQLite's own flush at each transaction and its
        // journal file add nothing but time (about a hundred flushes in one kde run, 0.08-0.2 s).
        // A rollback still works: the journal is kept in memory.
        CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
        CPLSetConfigOption("OGR_SQLITE_JOURNAL", "MEMORY");
    });
}

std::string gdal_message() {
    const char* msg = CPLGetLastErrorMsg();
    return msg ? std::string(msg) : std::string();
}

void clear_gdal_error() { CPLErrorReset(); }

int gdal_progress(double complete, const char*, void* progress) {
    if (progress) static_cast<Progress*>(progress)->fraction(complete);
    return 1; // go on
}

std::string gdal_version() { return GDALVersionInfo("RELEASE_NAME"); }

std::string geos_version() { return GEOSversion(); }

std::string proj_version() { return proj_info().version; }

} // namespace safer::layers
