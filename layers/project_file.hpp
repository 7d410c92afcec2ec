#pragma once
// A project file (TOML) for `safer run`: the inputs, the months, custom crime groups and the jobs,
// read with the place of every key and value so that a mistake is reported at its line.
//
//   output = "national-2023"               # the folder every output goes into
//   [inputs]                                # given to every job whose command takes them
//   crimes = ["crimes/"]
//   areas = "lsoas.geojson"
//   population = "population.csv"
//   [window]
//   from = "2023-01"
//   to = "2023-12"
//   [groups]
//   night_time = ["Violence and sexual offences", "Public order"]
//   [jobs.areas]                            # a job named areas, running `safer areas`
//   [jobs.burglary_density]
//   command = "kde"
//   group = "neighbourhood"
//   bandwidth = 400
//
// This module checks the file's shape and the values it can check alone (months, crime types,
// names); which keys a job may have is its command's business (tools/command_run).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/crime_types.hpp"
#include "engine/month.hpp"

namespace safer::layers {

/// Where a key or value is in the file (1-based).
struct SourcePlace {
    uint32_t line = 0, column = 0;
};

/// A value as command-line text: one string, or one per element of an array.
struct ProjectValue {
    enum class Kind { text, integer, real, boolean, list } kind = Kind::text;
    std::vector<std::string> texts;
    bool flag = false; // a boolean's value
    SourcePlace at;
};

struct ProjectKey {
    std::string key; // as written
    ProjectValue value;
    SourcePlace at;
};

struct ProjectJob {
    std::string name;    // [jobs.NAME]
    std::string command; // `command = "..."`, or the name
    SourcePlace at, command_at;
    std::vector<ProjectKey> options; // every other key, in the file's order
};

struct ProjectGroup {
    CrimeGroup group;
    SourcePlace at;
};

struct ProjectFile {
    std::string path;   // as given
    std::string folder; // the file's folder: relative paths in it are relative to this
    std::string text;   // the file's bytes, for the outputs' metadata
    std::string sha256;
    std::string output; // the output folder, resolved against `folder`
    SourcePlace output_at;
    std::vector<ProjectKey> inputs; // [inputs], paths resolved against `folder`
    std::optional<Month> from, to;  // [window]
    SourcePlace from_at, to_at;
    std::vector<ProjectGroup> groups;
    std::vector<ProjectJob> jobs;

    /// "national.toml: line 12, column 3" for messages.
    std::string where(const SourcePlace& at) const;
};

/// The keys [inputs] may hold: files (resolved against the project's folder) and the options
/// that say how to read them.
extern const std::vector<std::string> input_file_keys;
extern const std::vector<std::string> input_option_keys;

/// Reads and checks a project file. Throws UsageError (it is the command line, written down) naming the file, line and column of a
/// syntax error, an unknown key (with the keys allowed there), a value of the wrong kind, a
/// month that is not YYYY-MM, a crime type police.uk does not publish, or a job or group name
/// that is not a plain name.
ProjectFile read_project_file(const std::string& path);

} // namespace safer::layers
