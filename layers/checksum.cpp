#include "layers/checksum.hpp"

#include <fmt/core.h>
#include <cpl_vsi.h>
#include <openssl/evp.h>

#include <cstdio>
#include <vector>

#include "engine/errors.hpp"
#include "layers/gdal_session.hpp"

namespace safer::layers {

struct Sha256::Impl {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) { EVP_DigestInit_ex(m_impl->ctx.get(), EVP_sha256(), nullptr); }
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) { EVP_DigestUpdate(m_impl->ctx.get(), data, size); }

std::string Sha256::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(m_impl->ctx.get(), digest, &size);
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::string sha256_file(const std::string& path) {
    if (path.rfind("/vsi", 0) == 0) {
        // A GDAL virtual path (a member of an archive, a file on the network): the bytes GDAL gives.
        ensure_gdal();
        const std::unique_ptr<VSILFILE, int (*)(VSILFILE*)> file(VSIFOpenL(path.c_str(), "rb"), &VSIFCloseL);
        if (!file) throw IoError(fmt::format("{}: cannot open to checksum: {}", path, gdal_message()));
        Sha256 sha;
        std::vector<unsigned char> buffer(1 << 20);
        size_t n = 0;
        while ((n = VSIFReadL(buffer.data(), 1, buffer.size(), file.get())) > 0) sha.update(buffer.data(), n);
        return sha.hex();
    }
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) throw IoError(fmt::format("{}: cannot open to checksum", path));
    Sha256 sha;
    std::vector<unsigned char> buffer(1 << 20);
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) sha.update(buffer.data(), n);
    if (std::ferror(file.get())) throw IoError(fmt::format("{}: read failed while checksumming", path));
    return sha.hex();
}

} // namespace safer::layers
