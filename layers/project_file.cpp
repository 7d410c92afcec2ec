#include "layers/project_file.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "engine/errors.hpp"
#include "engine/text.hpp"
#include "layers/checksum.hpp"

namespace safer::layers {

namespace fs = std::filesystem;

const std::vector<std::string> input_file_keys = {"crimes", "areas", "population", "households", "imd", "lighting", "cctv",
                                                  "paths",  "streets", "gates",    "occluders",  "site", "costs"};
// Options of a job that always name a file: the input files and the study area and buffer.
const std::vector<std::string> job_file_keys = {"crimes",   "areas",   "population", "households", "imd",        "lighting",    "cctv",
                                                "paths",    "streets", "gates",      "occluders",  "site",       "costs",       "study_area",
                                                "buffer_area"};
const std::vector<std::string> input_option_keys = {"area_id",   "area_name", "population_code", "population_field", "households_field",
                                                    "crs",       "working_crs", "x",             "y",                "month_field",
                                                    "type_field", "asset_crs", "asset_x",        "asset_y"};

std::string ProjectFile::where(const SourcePlace& at) const {
    return at.line ? fmt::format("{}: line {}, column {}", path, at.line, at.column) : path;
}

namespace {

SourcePlace place(const toml::source_region& s) { return {s.begin.line, s.begin.column}; }

/// Keys may be written with - or _ ("max-areas", "max_areas").
std::string normal_key(std::string_view key) {
    std::string k(key);
    std::replace(k.begin(), k.end(), '-', '_');
    return k;
}

/// A plain name: letters, digits and _, starting with a letter (it names files and layers).
bool plain_name(std::string_view name) {
    if (name.empty() || name.size() > 63 || !std::isalpha(static_cast<unsigned char>(name.front()))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

struct Reader {
    ProjectFile& p;

    [[noreturn]] void fail(const SourcePlace& at, const std::string& what) const { throw UsageError(fmt::format("{}: {}", p.where(at), what)); }

    std::string scalar_text(const toml::node& n, const std::string& key) const {
        if (auto s = n.value_exact<std::string>()) return *s;
        if (auto i = n.value_exact<int64_t>()) return fmt::format("{}", *i);
        if (auto d = n.value_exact<double>()) return fmt::format("{}", *d);
        if (auto b = n.value_exact<bool>()) return *b ? "true" : "false";
        fail(place(n.source()), fmt::format("{}: expected a string in quotes, a number or true/false", key));
    }

    ProjectValue value(const toml::node& n, const std::string& key) const {
        ProjectValue v;
        v.at = place(n.source());
        if (const toml::array* a = n.as_array()) {
            v.kind = ProjectValue::Kind::list;
            for (const toml::node& e : *a) {
                if (e.is_array() || e.is_table()) fail(place(e.source()), fmt::format("{}: a list may hold strings and numbers only", key));
                v.texts.push_back(scalar_text(e, key));
            }
            return v;
        }
        if (n.is_table()) fail(v.at, fmt::format("{}: expected a value, not a table", key));
        if (auto b = n.value_exact<bool>()) {
            v.kind = ProjectValue::Kind::boolean;
            v.flag = *b;
            v.texts = {*b ? "true" : "false"};
            return v;
        }
        v.kind = n.is_integer() ? ProjectValue::Kind::integer : n.is_floating_point() ? ProjectValue::Kind::real : ProjectValue::Kind::text;
        v.texts = {scalar_text(n, key)};
        return v;
    }

    const toml::table& table(const toml::node& n, const std::string& name) const {
        const toml::table* t = n.as_table();
        if (!t) fail(place(n.source()), fmt::format("{} must be a table ([{}])", name, name));
        return *t;
    }

    std::string text(const toml::node& n, const std::string& key) const {
        auto s = n.value_exact<std::string>();
        if (!s) fail(place(n.source()), fmt::format("{}: expected a string in quotes", key));
        return *s;
    }

    std::string resolve(const std::string& path) const {
        if (path.empty() || fs::path(path).is_absolute() || path.starts_with("PG:") || path.starts_with("/vsi")) return path;
        // WKT or GeoJSON typed in place of a file (site = "POLYGON ((...))")
        if (path.find('(') != std::string::npos || path.find('{') != std::string::npos) return path;
        return (fs::path(p.folder) / path).lexically_normal().string();
    }

    void inputs(const toml::table& t) {
        for (const auto& [k, n] : t) {
            const std::string key = normal_key(k.str());
            const bool file = std::find(input_file_keys.begin(), input_file_keys.end(), key) != input_file_keys.end();
            const bool option = std::find(input_option_keys.begin(), input_option_keys.end(), key) != input_option_keys.end();
            if (!file && !option)
                fail(place(k.source()), fmt::format("[inputs] has no key '{}'; its keys are the files {} and the reading options {}", k.str(),
                                                    fmt::join(input_file_keys, ", "), fmt::join(input_option_keys, ", ")));
            ProjectKey pk{key, value(n, key), place(k.source())};
            if (pk.value.kind == ProjectValue::Kind::boolean) fail(pk.value.at, fmt::format("[inputs] {}: expected a string in quotes", key));
            if (pk.value.kind == ProjectValue::Kind::list && key != "crimes")
                fail(pk.value.at, fmt::format("[inputs] {}: expected one file (only crimes takes a list)", key));
            if (file)
                for (std::string& path : pk.value.texts) path = resolve(path);
            p.inputs.push_back(std::move(pk));
        }
    }

    void window(const toml::table& t) {
        for (const auto& [k, n] : t) {
            const std::string key(k.str());
            if (key != "from" && key != "to") fail(place(k.source()), fmt::format("[window] has no key '{}'; its keys are from and to (YYYY-MM)", key));
            const std::string s = text(n, "[window] " + key);
            const std::optional<Month> m = Month::parse(s);
            if (!m) fail(place(n.source()), fmt::format("[window] {} = \"{}\": expected a month as YYYY-MM", key, s));
            (key == "from" ? p.from : p.to) = m;
            (key == "from" ? p.from_at : p.to_at) = place(n.source());
        }
        if (p.from && p.to && *p.from > *p.to) fail(p.to_at, fmt::format("[window] from {} is after to {}", p.from->str(), p.to->str()));
    }

    void groups(const toml::table& t) {
        std::vector<std::string> builtin;
        for (const CrimeGroup& g : builtin_crime_groups()) builtin.push_back(g.name);
        for (const auto& [k, n] : t) {
            const std::string name(k.str());
            const SourcePlace at = place(k.source());
            if (!plain_name(name)) fail(at, fmt::format("[groups] '{}': a group's name is a plain name (letters, digits and _, starting with a letter)", name));
            if (std::find(builtin.begin(), builtin.end(), name) != builtin.end())
                fail(at, fmt::format("[groups] {}: a built-in group has that name ({}); choose another", name, fmt::join(builtin, ", ")));
            ProjectGroup g;
            g.at = at;
            g.group.name = name;
            const toml::node* types = &n;
            if (const toml::table* detail = n.as_table()) { // name = { types = [...], description = "..." }
                types = nullptr;
                for (const auto& [dk, dn] : *detail) {
                    if (dk.str() == "types") types = &dn;
                    else if (dk.str() == "description") g.group.description = text(dn, name + ".description");
                    else fail(place(dk.source()), fmt::format("[groups] {}: no key '{}'; a group has types and description", name, dk.str()));
                }
                if (!types) fail(at, fmt::format("[groups] {}: no types = [...]", name));
            }
            const toml::array* list = types->as_array();
            if (!list || list->empty()) fail(place(types->source()), fmt::format("[groups] {}: expected a list of crime types, [\"Burglary\", ...]", name));
            for (const toml::node& e : *list) {
                const std::string type = text(e, fmt::format("[groups] {}", name));
                const auto known = std::find_if(std::begin(known_crime_types), std::end(known_crime_types),
                                                [&](std::string_view known_type) { return lower_trim(known_type) == lower_trim(type); });
                if (known == std::end(known_crime_types))
                    fail(place(e.source()), fmt::format("[groups] {}: '{}' is not a police.uk crime type; they are: {}", name, type,
                                                        fmt::join(known_crime_types, ", ")));
                if (std::find(g.group.types.begin(), g.group.types.end(), *known) != g.group.types.end())
                    fail(place(e.source()), fmt::format("[groups] {}: '{}' is named twice", name, type));
                g.group.types.emplace_back(*known);
            }
            if (g.group.description.empty()) g.group.description = fmt::format("{} ({})", name, fmt::join(g.group.types, ", "));
            p.groups.push_back(std::move(g));
        }
    }

    void jobs(const toml::table& t) {
        for (const auto& [k, n] : t) {
            ProjectJob job;
            job.name = std::string(k.str());
            job.at = place(k.source());
            if (!plain_name(job.name))
                fail(job.at, fmt::format("[jobs.{}]: a job's name is a plain name (letters, digits and _, starting with a letter): it names the job's outputs", job.name));
            const toml::table& options = table(n, "jobs." + job.name);
            job.command = job.name;
            job.command_at = job.at;
            for (const auto& [ok, on] : options) {
                if (ok.str() == "command") {
                    job.command = text(on, "command");
                    job.command_at = place(on.source());
                    continue;
                }
                ProjectKey pk{std::string(ok.str()), value(on, std::string(ok.str())), place(ok.source())};
                // A job's files are found beside the project file, as [inputs]' are, whatever
                // folder safer runs in. --target and --control also take LSOA codes or auto:
                // those stay as written unless they name a file there.
                const std::string key = normal_key(pk.key);
                if (std::find(job_file_keys.begin(), job_file_keys.end(), key) != job_file_keys.end()) {
                    for (std::string& path : pk.value.texts) path = resolve(path);
                } else if (key == "target" || key == "control") {
                    for (std::string& path : pk.value.texts) {
                        std::error_code ec;
                        if (const std::string there = resolve(path); there != path && fs::exists(there, ec)) path = there;
                    }
                }
                job.options.push_back(std::move(pk));
            }
            p.jobs.push_back(std::move(job));
        }
        if (p.jobs.empty()) fail({}, "no jobs: add at least one [jobs.NAME] table (for example [jobs.areas])");
        // In the file's order (a TOML table's keys have none of their own).
        std::stable_sort(p.jobs.begin(), p.jobs.end(), [](const ProjectJob& a, const ProjectJob& b) {
            return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
        });
        for (ProjectJob& job : p.jobs)
            std::stable_sort(job.options.begin(), job.options.end(), [](const ProjectKey& a, const ProjectKey& b) {
                return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
            });
    }
};

} // namespace

ProjectFile read_project_file(const std::string& path) {
    ProjectFile p;
    p.path = path;
    p.folder = fs::path(path).parent_path().string();
    {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw UsageError(fmt::format("{}: cannot open the project file", path));
        std::ostringstream bytes;
        bytes << in.rdbuf();
        p.text = bytes.str();
    }
    p.sha256 = sha256_file(path);
    toml::table doc;
    try {
        doc = toml::parse(p.text, path);
    } catch (const toml::parse_error& e) {
        throw UsageError(fmt::format("{}: {}", p.where(place(e.source())), e.description()));
    }
    Reader r{p};
    bool has_jobs = false;
    for (const auto& [k, n] : doc) {
        const std::string key(k.str());
        if (key == "output") {
            p.output = r.resolve(r.text(n, "output"));
            p.output_at = place(n.source());
        } else if (key == "title" || key == "description") {
            r.text(n, key); // for the reader of the file; recorded with it
        } else if (key == "inputs") {
            r.inputs(r.table(n, "inputs"));
        } else if (key == "window") {
            r.window(r.table(n, "window"));
        } else if (key == "groups") {
            r.groups(r.table(n, "groups"));
        } else if (key == "jobs") {
            has_jobs = true;
            r.jobs(r.table(n, "jobs"));
        } else {
            r.fail(place(k.source()), fmt::format("no key '{}' at the top of a project file; its keys are output, title, description, and the "
                                                  "tables [inputs], [window], [groups] and [jobs.NAME]",
                                                  key));
        }
    }
    if (p.output.empty()) r.fail({}, "no output = \"FOLDER\": the folder every output goes into");
    if (!has_jobs) r.fail({}, "no jobs: add at least one [jobs.NAME] table (for example [jobs.areas])");
    return p;
}

} // namespace safer::layers
