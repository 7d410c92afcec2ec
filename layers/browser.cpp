#include "layers/browser.hpp"
#include "layers/interrupt.hpp"
#include "layers/output_files.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

extern char** environ;

namespace safer::layers {

namespace fs = std::filesystem;

std::string find_chromium() {
    const char* path = std::getenv("PATH");
    if (!path) return {};
    const std::string dirs = path;
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
        size_t start = 0;
        while (start <= dirs.size()) {
            const size_t end = std::min(dirs.find(':', start), dirs.size());
            const std::string dir = dirs.substr(start, end - start);
            const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
            start = end + 1;
        }
    }
    return {};
}

std::string file_url(const std::string& path) {
    std::error_code ec;
    const std::string absolute = fs::absolute(path, ec).lexically_normal().string();
    std::string url = "file://";
    for (unsigned char c : absolute) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
        if (plain) url += static_cast<char>(c);
        else url += fmt::format("%{:02X}", c);
    }
    return url;
}

std::string print_to_pdf(const std::string& chromium, const std::string& html, const std::string& pdf, int timeout_seconds) {
    // A profile of its own, removed afterwards, so a user's running browser is never involved.
    std::string profile_template = (fs::path(process_temp_dir()) / "chromium-XXXXXX").string();
    if (!::mkdtemp(profile_template.data())) return "cannot make a temporary browser profile";
    const std::string profile = profile_template;
    std::vector<std::string> args{chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--no-first-run",
                                  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                                  "--print-to-pdf=" + pdf, file_url(html)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP); // its own process group, so its helpers stop with it
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, chromium.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    std::string failure;
    if (rc != 0) {
        failure = fmt::format("cannot start {}: {}", chromium, std::strerror(rc));
    } else {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
        int status = 0;
        for (;;) {
            const pid_t done = ::waitpid(pid, &status, WNOHANG);
            if (done == pid) break;
            if (done < 0) {
                failure = "lost track of the browser";
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(-pid, SIGKILL);
                ::waitpid(pid, &status, 0);
                failure = fmt::format("the browser did not finish within {} s", timeout_seconds);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (failure.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            failure = WIFEXITED(status) ? fmt::format("the browser exited with status {}", WEXITSTATUS(status)) : "the browser was killed by a signal";
        std::error_code ec;
        if (failure.empty() && !(fs::is_regular_file(pdf, ec) && fs::file_size(pdf, ec) > 0)) failure = "the browser wrote no PDF";
    }
    std::error_code ec;
    fs::remove_all(profile, ec);
    return failure;
}

void print_report_pdf(const std::string& chromium, const std::string& html, const std::string& pdf, bool overwrite, Progress& progress) {
    const std::string temp = temporary_path(pdf) + ".pdf";
    const InterruptCleanup cleanup(temp);
    const std::string failure = print_to_pdf(chromium, html, temp);
    if (failure.empty()) {
        rename_into_place(temp, pdf, overwrite);
        progress.info(fmt::format("printed {} with headless Chromium", pdf));
    } else {
        std::error_code ec;
        fs::remove(temp, ec);
        progress.warn(fmt::format("headless Chromium could not print the report to PDF ({}); the HTML report is complete", failure));
    }
}

std::string pdf_beside(const std::string& html) {
    const fs::path p(html);
    return (p.parent_path() / (p.stem().string() + ".pdf")).string();
}

} // namespace safer::layers
