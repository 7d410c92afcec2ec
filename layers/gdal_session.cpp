#include "layers/gdal_session.hpp"

#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>

#include <mutex>

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
    });
}

std::string gdal_message() {
    const char* msg = CPLGetLastErrorMsg();
    return msg ? std::string(msg) : std::string();
}

void clear_gdal_error() { CPLErrorReset(); }

} // namespace safer::layers
