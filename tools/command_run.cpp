// safer run PROJECT.toml: the jobs of a project file in one process. Each job is a command of
// the command table, given the options of its [jobs.NAME] table, the project's [inputs] and
// [window], and outputs named after the job in the project's output folder. Every input is read
// once (layers/shared_inputs): the jobs borrow the incidents, areas and assets in turn.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "engine/errors.hpp"
#include "layers/output_files.hpp"
#include "layers/postgis.hpp"
#include "layers/project_file.hpp"
#include "layers/shared_inputs.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;
using layers::ProjectFile;
using layers::ProjectJob;
using layers::ProjectKey;
using layers::ProjectValue;
using layers::SourcePlace;

/// Keys that name a job's outputs: file names in the project's output folder.
const std::vector<std::string> output_keys = {"output", "report", "csv"};

std::string option_name(std::string_view key) {
    std::string name = "--" + std::string(key);
    std::replace(name.begin(), name.end(), '_', '-');
    return name;
}

/// A word of a command line as a shell reads it back.
std::string shell_word(const std::string& word) {
    if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == std::string::npos)
        return word;
    std::string quoted = "'";
    for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

/// A job ready to run: its command parsed from the arguments the project gives it.
struct PreparedJob {
    const ProjectJob* job = nullptr;
    std::unique_ptr<CLI::App> app;
    Run run;
    std::vector<std::string> arguments;
    std::vector<std::pair<std::string, SourcePlace>> placed; // option -> where its value comes from
    std::optional<Month> from, to;
    std::vector<layers::OutputPath> outputs;
    std::string command_line;
};

struct RunCommand {
    std::string project_path;
    bool overwrite = false;
    bool quiet = false;
    bool dry_run = false;

    void run() const;
    PreparedJob prepare(const ProjectFile& p, const ProjectJob& job) const;
};

[[noreturn]] void refuse(const ProjectFile& p, const SourcePlace& at, const std::string& what) {
    throw UsageError(fmt::format("{}: {}", p.where(at), what));
}

std::string options_of(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::Option* o : app.get_options()) {
        const std::vector<std::string>& longs = o->get_lnames();
        if (longs.empty() || longs.front() == "help" || longs.front() == "overwrite" || longs.front() == "quiet") continue;
        std::string key = longs.front();
        std::replace(key.begin(), key.end(), '-', '_');
        names.push_back(key);
    }
    return fmt::format("{}", fmt::join(names, ", "));
}

/// Adds `--name value...` for a key of the project, checking the value suits the option.
void add_option(PreparedJob& j, const ProjectFile& p, const std::string& key, const ProjectValue& v, const SourcePlace& at) {
    const std::string name = option_name(key);
    const CLI::Option* o = j.app->get_option_no_throw(name);
    if (!o) return;
    const std::string what = fmt::format("[jobs.{}] {}", j.job->name, key);
    if (o->get_expected_min() == 0 && o->get_type_size_max() <= 1 && o->get_items_expected_max() <= 1 && o->get_expected_max() <= 1) { // a flag
        if (v.kind != ProjectValue::Kind::boolean) refuse(p, v.at, fmt::format("{}: {} is a switch: write true or false", what, name));
        if (v.flag) j.arguments.push_back(name);
    } else {
        if (v.kind == ProjectValue::Kind::boolean) refuse(p, v.at, fmt::format("{}: {} takes a value, not true or false", what, name));
        if (v.texts.size() > 1 && o->get_items_expected_max() <= 1)
            refuse(p, v.at, fmt::format("{}: {} takes one value, not a list", what, name));
        if (v.texts.empty()) refuse(p, v.at, fmt::format("{}: an empty list", what));
        j.arguments.push_back(name);
        j.arguments.insert(j.arguments.end(), v.texts.begin(), v.texts.end());
    }
    j.placed.emplace_back(name, at);
}

/// The file an output key names, in the output folder: a plain file name only.
std::string output_file(const ProjectFile& p, const ProjectJob& job, const ProjectKey& k) {
    if (k.value.kind != ProjectValue::Kind::text || k.value.texts.front().empty())
        refuse(p, k.value.at, fmt::format("[jobs.{}] {}: expected a file name in quotes", job.name, k.key));
    const std::string& name = k.value.texts.front();
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "." || name == "..")
        refuse(p, k.value.at, fmt::format("[jobs.{}] {} = \"{}\": a file name only; every output goes into the project's output folder ({})", job.name,
                                          k.key, name, p.output));
    return (fs::path(p.output) / name).string();
}

/// The command a job names (any but run itself), or the refusal listing them.
const CommandEntry& command_of(const ProjectFile& p, const ProjectJob& job) {
    const std::vector<CommandEntry>& table = command_table();
    const auto entry = std::find_if(table.begin(), table.end(), [&](const CommandEntry& c) { return job.command == c.name; });
    if (entry == table.end() || job.command == "run") {
        std::vector<std::string> names;
        for (const CommandEntry& c : table)
            if (std::string_view(c.name) != "run") names.emplace_back(c.name);
        refuse(p, job.command_at, fmt::format("[jobs.{}]: no command '{}' (say which with command = \"...\"); the commands are {}", job.name, job.command,
                                              fmt::join(names, ", ")));
    }
    return *entry;
}

/// The job's command line (passwords hidden) and its arguments parsed by its command's own
/// options; a parse error is refused at the project-file line that gave the option.
void parse_job(PreparedJob& j, const ProjectFile& p, const ProjectJob& job, const CommandEntry& entry) {
    std::string line = "safer " + std::string(entry.name);
    for (const std::string& a : j.arguments) line += " " + shell_word(a);
    j.command_line = layers::hide_passwords(line);
    std::vector<std::string> reversed(j.arguments.rbegin(), j.arguments.rend()); // CLI11 takes them last first
    try {
        j.app->parse(reversed);
    } catch (const CLI::ParseError& e) {
        const std::string message = e.what();
        for (const auto& [name, at] : j.placed)
            if (message.find(name) != std::string::npos) refuse(p, at, fmt::format("[jobs.{}] {}", job.name, message));
        refuse(p, job.at, fmt::format("[jobs.{}]: safer {}: {}{}", job.name, job.command, message,
                                      message.find("is required") != std::string::npos ? "; name it in [inputs] or in the job's table" : ""));
    }
}

PreparedJob RunCommand::prepare(const ProjectFile& p, const ProjectJob& job) const {
    const CommandEntry* entry = &command_of(p, job);
    PreparedJob j;
    j.job = &job;
    j.app = std::make_unique<CLI::App>(entry->description, entry->name);
    j.run = entry->setup(*j.app);
    const auto has = [&](const std::string& key) { return j.app->get_option_no_throw(option_name(key)) != nullptr; };
    const auto job_key = [&](const std::string& key) -> const ProjectKey* {
        for (const ProjectKey& k : job.options)
            if (option_name(k.key) == option_name(key)) return &k;
        return nullptr;
    };

    // The job's own keys first: each must be an option of its command.
    std::string output, report, csv;
    for (const ProjectKey& k : job.options) {
        const std::string key = option_name(k.key).substr(2);
        if (key == "overwrite" || key == "quiet" || key == "q")
            refuse(p, k.at, fmt::format("[jobs.{}] {}: give it to the run: safer run --{} {}", job.name, k.key, key == "q" ? "quiet" : key, p.path));
        if (key == "crimes" || key == "schema")
            refuse(p, k.at, fmt::format("[jobs.{}] {}: {}", job.name, k.key,
                                        key == "crimes" ? "the crimes are named once for every job, in [inputs]" : "outputs go into the project's folder"));
        const bool input = std::find(layers::input_file_keys.begin(), layers::input_file_keys.end(), k.key) != layers::input_file_keys.end() ||
                           std::find(layers::input_option_keys.begin(), layers::input_option_keys.end(), k.key) != layers::input_option_keys.end();
        if (input && k.value.kind == ProjectValue::Kind::boolean && !k.value.flag) continue; // areas = false: not this job's
        if (!has(k.key))
            refuse(p, k.at, fmt::format("[jobs.{}]: no key '{}': safer {} has no option {}; its keys are {}", job.name, k.key, job.command,
                                        option_name(k.key), options_of(*j.app)));
        if (key == "output") output = output_file(p, job, k);
        else if (key == "report") report = output_file(p, job, k);
        else if (key == "csv") csv = k.value.kind == ProjectValue::Kind::boolean ? (k.value.flag ? "true" : "") : output_file(p, job, k);
        else add_option(j, p, k.key, k.value, k.value.at);
    }
    // Then the project's inputs and months, for every option the command has that the job did not set.
    for (const ProjectKey& k : p.inputs)
        if (has(k.key) && !job_key(k.key)) add_option(j, p, k.key, k.value, k.value.at);
    const auto month = [&](const char* key, const std::optional<Month>& given, const SourcePlace& at) -> std::optional<Month> {
        if (const ProjectKey* k = job_key(key)) return Month::parse(k->value.texts.front());
        if (given && has(key)) {
            j.arguments.insert(j.arguments.end(), {option_name(key), given->str()});
            j.placed.emplace_back(option_name(key), at);
        }
        return given;
    };
    j.from = month("from", p.from, p.from_at);
    j.to = month("to", p.to, p.to_at);

    // Outputs, named after the job in the output folder.
    const auto add_output = [&](const char* option, const std::string& path, layers::OutputKind kind) {
        j.arguments.insert(j.arguments.end(), {option, path});
        j.outputs.push_back({option, path, kind});
    };
    add_output("-o", output.empty() ? (fs::path(p.output) / (job.name + ".gpkg")).string() : output,
               output.ends_with(".tif") || output.ends_with(".tiff") ? layers::OutputKind::geopackage_tiff : layers::OutputKind::geopackage);
    if (has("report")) add_output("--report", report.empty() ? (fs::path(p.output) / (job.name + ".html")).string() : report, layers::OutputKind::html);
    if (!csv.empty()) add_output("--csv", csv == "true" ? (fs::path(p.output) / (job.name + ".csv")).string() : csv, layers::OutputKind::csv);
    if (overwrite) j.arguments.push_back("--overwrite");
    if (quiet) j.arguments.push_back("--quiet");
    parse_job(j, p, job, *entry);
    return j;
}

void RunCommand::run() const {
    Progress progress(quiet);
    const ProjectFile p = layers::read_project_file(project_path);
    std::vector<CrimeGroup> groups;
    for (const layers::ProjectGroup& g : p.groups) groups.push_back(g.group);
    set_project_groups(groups);

    std::vector<PreparedJob> jobs;
    for (const ProjectJob& job : p.jobs) jobs.push_back(prepare(p, job));
    if (dry_run) {
        for (const PreparedJob& j : jobs) fmt::print("{}\n", j.command_line);
        return;
    }
    // Every output of every job checked together before any work: none may be another's, or an input.
    std::vector<layers::OutputPath> outputs;
    std::vector<std::string> inputs{p.path};
    for (const ProjectKey& k : p.inputs)
        if (std::find(layers::input_file_keys.begin(), layers::input_file_keys.end(), k.key) != layers::input_file_keys.end())
            inputs.insert(inputs.end(), k.value.texts.begin(), k.value.texts.end());
    for (const PreparedJob& j : jobs) outputs.insert(outputs.end(), j.outputs.begin(), j.outputs.end());
    std::error_code ec;
    fs::create_directories(p.output, ec);
    if (ec) throw IoError(fmt::format("{}: cannot make the output folder {}: {}", p.where(p.output_at), p.output, ec.message()));
    layers::check_outputs(outputs, inputs, overwrite);

    // The months read: every job's, together.
    MonthWindow read;
    const bool all_from = std::all_of(jobs.begin(), jobs.end(), [](const PreparedJob& j) { return j.from.has_value(); });
    const bool all_to = std::all_of(jobs.begin(), jobs.end(), [](const PreparedJob& j) { return j.to.has_value(); });
    for (const PreparedJob& j : jobs) {
        if (all_from) read.from = read.from ? std::min(*read.from, *j.from) : *j.from;
        if (all_to) read.to = read.to ? std::max(*read.to, *j.to) : *j.to;
    }
    layers::SharedInputs shared(read);
    shared.record_first(p.path);
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::string> done;
    for (PreparedJob& j : jobs) {
        progress.info(fmt::format("job {} ({}): {}", j.job->name, p.where(j.job->at), j.command_line));
        g_command_line = j.command_line;
        g_project = ProjectRun{p.path, p.sha256, p.text, j.job->name};
        const auto job_started = std::chrono::steady_clock::now();
        try {
            j.run();
        } catch (const Error& e) {
            // Said at the key that gave the value, where the message names its option.
            std::string where = fmt::format("job {} ({})", j.job->name, p.where(j.job->at));
            for (const auto& [name, at] : j.placed)
                if (std::string_view(e.what()).find(name + " ") != std::string_view::npos) {
                    where = fmt::format("job {} ({})", j.job->name, p.where(at));
                    break;
                }
            throw Error(e.exit_code(), fmt::format("{}: {}{}", where, e.what(),
                                                   done.empty() ? "" : fmt::format(" (the jobs before it finished: {})", fmt::join(done, ", "))));
        }
        done.push_back(j.job->name);
        progress.info(fmt::format("job {} done in {:.2f} s", j.job->name,
                                  std::chrono::duration<double>(std::chrono::steady_clock::now() - job_started).count()));
    }
    const layers::SharedInputs::Reads reads = shared.reads();
    progress.info(fmt::format("ran {} job{} in {:.2f} s: {} incident rows read {} time{}, areas read {} time{}; outputs in {}", jobs.size(),
                              jobs.size() == 1 ? "" : "s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                              shared.rows_read(), reads.incidents, reads.incidents == 1 ? "" : "s", reads.areas, reads.areas == 1 ? "" : "s", p.output));
}

} // namespace

Run setup_run(CLI::App& app) {
    auto command = std::make_shared<RunCommand>();
    app.add_option("project", command->project_path, "The project file (TOML): inputs, months, crime groups and jobs")->required();
    app.add_flag("--overwrite", command->overwrite, "Replace the jobs' outputs if they exist");
    app.add_flag("-q,--quiet", command->quiet, "Print no progress or information (warnings and errors still print)");
    app.add_flag("--dry-run", command->dry_run, "Print each job's command line and stop");
    app.footer("A project file names the output folder, the inputs (given to every job whose command takes them), the months,\n"
               "custom crime groups and the jobs, each a command with its options; see the README, \"Projects (safer run)\".\n"
               "Each input is read once; each job's outputs are named after it in the output folder.");
    return [command] { command->run(); };
}

} // namespace safer::tools
