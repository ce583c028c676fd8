// `workbook bench --waiters`: running the probes. Each probe is one program run with N waiters, in
// a process of its own, while this process samples the whole tree it makes (the program, its
// counter service and its keeper, its children) in /proc: the most memory the tree held at once
// (proportional set size, so pages a fork shares count once) and the most processes and threads.
// This process is the tree's subreaper, so whatever it leaves is reaped here, never left behind.
#include "waiters.hpp"

#include "workbook/greenlet.hpp"
#include "workbook/registry.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace workbook::bench {

namespace fs = std::filesystem;

namespace {

std::uint64_t read_number(const char* file) {
    std::ifstream in(file);
    std::uint64_t value = 0;
    return in >> value ? value : 0;
}

std::string read_text(const std::string& file) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Every process on the machine: its parent and threads.
std::map<int, ProcStat> all_processes() {
    std::map<int, ProcStat> processes;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return processes;
    while (const dirent* entry = ::readdir(proc)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        std::string line;
        std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
        if (!std::getline(stat, line)) continue;  // it has just ended
        if (auto parsed = parse_proc_stat(line)) processes[parsed->pid] = *parsed;
    }
    ::closedir(proc);
    return processes;
}

// `root` and all its descendants.
std::vector<int> tree_of(int root, const std::map<int, ProcStat>& processes) {
    std::multimap<int, int> children;
    for (const auto& [pid, stat] : processes) children.emplace(stat.ppid, pid);
    std::vector<int> tree{root};
    for (std::size_t i = 0; i < tree.size(); ++i) {
        auto [first, last] = children.equal_range(tree[i]);
        for (auto child = first; child != last; ++child) tree.push_back(child->second);
    }
    return tree;
}

// This process's own children (the probe's leftovers, once they are ours as the subreaper).
std::vector<int> own_children() {
    std::vector<int> children;
    const int self = ::getpid();
    for (const auto& [pid, stat] : all_processes()) {
        if (stat.ppid == self) children.push_back(pid);
    }
    return children;
}

// Reaps every child of this process; what has not ended within `grace` is killed first.
void reap_all(std::chrono::milliseconds grace) {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    for (;;) {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
        std::vector<int> left = own_children();
        if (left.empty()) return;
        if (std::chrono::steady_clock::now() >= deadline) {
            for (int pid : left) ::kill(pid, SIGKILL);
            for (int pid : left) {
                while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {}
            }
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string last_line(const std::string& text) {
    std::istringstream lines(text);
    std::string last;
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) last = line;
    }
    return last;
}

// Runs `argv` once, sampling its tree until it ends (or `limit` passes: then the tree is killed).
Probe run_probe(const std::vector<std::string>& argv, std::chrono::seconds limit) {
    Probe probe;
    char scratch[] = "/tmp/workbook-waiters-XXXXXX";
    if (::mkdtemp(scratch) == nullptr) {
        probe.error = std::string("cannot make a scratch folder: ") + std::strerror(errno);
        return probe;
    }
    const std::string out_file = std::string(scratch) + "/out", err_file = std::string(scratch) + "/err";
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int none = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = out < 0 || err < 0 || none < 0 ? -1 : ::fork();
    if (pid == 0) {
        ::dup2(none, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    for (int fd : {out, err, none}) {
        if (fd >= 0) ::close(fd);
    }
    if (pid < 0) {
        probe.error = std::string("cannot start ") + argv[0] + ": " + std::strerror(errno);
        fs::remove_all(scratch);
        return probe;
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    bool killed = false;
    for (;;) {
        const pid_t ended = ::waitpid(pid, &status, WNOHANG);
        if (ended == pid) break;
        if (ended < 0 && errno != EINTR) break;
        const auto processes = all_processes();
        const std::vector<int> tree = tree_of(pid, processes);
        double bytes = 0;
        std::size_t tasks = 0;
        for (int member : tree) {
            auto found = processes.find(member);
            if (found == processes.end()) continue;
            if (auto pss = parse_pss(read_text("/proc/" + std::to_string(member) + "/smaps_rollup"))) {
                bytes += *pss;
                tasks += found->second.threads;
            }
        }
        if (std::isnan(probe.peak_bytes) || bytes > probe.peak_bytes) probe.peak_bytes = bytes;
        probe.peak_tasks = std::max(probe.peak_tasks, tasks);
        if (std::chrono::steady_clock::now() > deadline) {
            for (int member : tree) ::kill(member, SIGKILL);
            killed = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    reap_all(std::chrono::seconds(5));
    probe.ran = true;
    probe.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    const std::string printed = read_text(out_file);
    if (killed) probe.error = "still running after " + std::to_string(limit.count()) + " s: stopped";
    else if (probe.status != 0) {
        probe.error = last_line(read_text(err_file));
        if (WIFSIGNALED(status)) probe.error = "killed by signal " + std::to_string(WTERMSIG(status));
        if (probe.error.empty()) probe.error = "exit status " + std::to_string(probe.status);
    } else {
        try {
            const auto json = nlohmann::json::parse(last_line(printed));
            probe.run_seconds = json.at("seconds").get<double>();
            probe.events = json.at("events").get<std::uint64_t>();
            if (json.contains("stack_size")) probe.stack_bytes = json.at("stack_size").get<std::size_t>();
            if (json.contains("all_started_seconds"))
                probe.all_started_seconds = json.at("all_started_seconds").get<double>();
        } catch (const std::exception& failure) {
            probe.error = std::string("its output is not the JSON line it should be: ") + failure.what();
            probe.status = -1;
        }
    }
    fs::remove_all(scratch);
    return probe;
}

const Chapter* chapter_numbered(int number) {
    for (const Chapter* chapter : registered_chapters()) {
        if (chapter->number == number) return chapter;
    }
    return nullptr;
}

// The chapter's folder: its slug's, or, for one not registered, the folder named NN_...
fs::path chapter_folder(const fs::path& source_dir, int number) {
    if (const Chapter* chapter = chapter_numbered(number)) return source_dir / "chapters" / std::string(chapter->slug);
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%02d_", number);
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(source_dir / "chapters", error)) {
        if (entry.is_directory() && entry.path().filename().string().rfind(prefix, 0) == 0) return entry.path();
    }
    return {};
}

// The command of one probe, or why there is none ("not built").
struct Command {
    std::vector<std::string> argv;  // with N as "{N}"
    std::string label;
    std::string missing;
};

Command command_for(const WaiterMechanism& mechanism, const fs::path& bin, const fs::path& source_dir,
                    std::int64_t wait_us, const fs::path& book) {
    Command command;
    const std::string wait = std::to_string(wait_us);
    const std::vector<std::string> counter = {"--book", book.string(), "--counter", "service", "--wait", wait};
    const std::vector<std::string> waits = {"--in-flight", "{N}", "--limit", "{N}", "--runs", "1", "--json"};
    char number[8];
    std::snprintf(number, sizeof number, "%02d", mechanism.chapter);
    switch (mechanism.runner) {
    case WaiterRunner::program: {
        command.label = mechanism.program;
        const fs::path program = bin / mechanism.program;
        if (::access(program.c_str(), X_OK) != 0) command.missing = program.string() + " is not built";
        command.argv = {program.string(), "--waiters", "{N}", "--wait", wait, "--json"};
        break;
    }
    case WaiterRunner::chapter: {
        const Chapter* chapter = chapter_numbered(mechanism.chapter);
        command.label = chapter ? std::string(chapter->slug) : "chapter " + std::string(number);
        if (!mechanism.variant.empty()) command.label += " --variant " + mechanism.variant;
        if (!mechanism.stack_size.empty()) command.label += " --stack-size " + mechanism.stack_size;
        if (chapter == nullptr) {
            command.missing = "chapter " + std::string(number) + " is not part of this build";
            break;
        }
        if (chapter->count_for(mechanism.variant) == nullptr) {
            command.missing = "chapter " + std::string(number) + " has no variant '" + mechanism.variant + "'";
            break;
        }
        const fs::path program = bin / std::string(chapter->slug);
        if (::access(program.c_str(), X_OK) != 0) command.missing = program.string() + " is not built";
        command.argv = {program.string()};
        if (!mechanism.variant.empty()) command.argv.insert(command.argv.end(), {"--variant", mechanism.variant});
        if (!mechanism.stack_size.empty()) command.argv.insert(command.argv.end(), {"--stack-size", mechanism.stack_size});
        command.argv.insert(command.argv.end(), counter.begin(), counter.end());
        command.argv.insert(command.argv.end(), waits.begin(), waits.end());
        break;
    }
    case WaiterRunner::python: {
        const fs::path folder = chapter_folder(source_dir, mechanism.chapter);
        fs::path file = folder.empty() || mechanism.program.empty() ? fs::path() : folder / mechanism.program;
        if (!folder.empty() && mechanism.program.empty()) {
            std::error_code error;
            for (const auto& entry : fs::directory_iterator(folder, error)) {
                if (entry.path().extension() == ".py") file = entry.path();
            }
        }
        command.label = std::string(number) + " " + (file.empty() ? std::string("(Python peer)") : file.filename().string());
        if (!mechanism.variant.empty()) command.label += " --variant " + mechanism.variant;
        const std::string python =
            file.empty() || find_on_path("python3").empty() ? "" : server_interpreter_for({mechanism.chapter, file}, "python3");
        if (file.empty() || !fs::exists(file)) {
            command.missing = "chapter " + std::string(number) + "'s Python peer is not written yet";
        } else if (python.empty()) {
            command.missing = "python3 is not on PATH";
        }
        // run_probe execs a path: python3 as found on PATH.
        command.argv = {python == "python3" ? find_on_path("python3") : python, file.string()};
        if (!mechanism.variant.empty()) command.argv.insert(command.argv.end(), {"--variant", mechanism.variant});
        command.argv.insert(command.argv.end(), counter.begin(), counter.end());
        command.argv.insert(command.argv.end(), waits.begin(), waits.end());
        break;
    }
    }
    return command;
}

std::vector<std::string> with_waiters(std::vector<std::string> argv, std::size_t n) {
    for (std::string& arg : argv) {
        if (arg == "{N}") arg = std::to_string(n);
    }
    return argv;
}

}  // namespace

MachineLimits machine_limits() {
    MachineLimits limits;
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
        // Raised for the probes, which inherit it: the soft limit is only a default.
        if (files.rlim_cur < files.rlim_max) {
            files.rlim_cur = files.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &files);
            ::getrlimit(RLIMIT_NOFILE, &files);
        }
        limits.open_files = files.rlim_cur == RLIM_INFINITY ? 0 : files.rlim_cur;
    }
    limits.pids = read_number("/proc/sys/kernel/pid_max");
    rlimit processes{};
    if (::getrlimit(RLIMIT_NPROC, &processes) == 0 && processes.rlim_cur != RLIM_INFINITY)
        limits.pids = limits.pids == 0 ? processes.rlim_cur : std::min<std::uint64_t>(limits.pids, processes.rlim_cur);
    // /proc/loadavg: "0.5 0.4 0.3 running/total last_pid"
    std::ifstream loadavg("/proc/loadavg");
    std::string skip, tasks;
    if (loadavg >> skip >> skip >> skip >> tasks && tasks.find('/') != std::string::npos)
        limits.tasks_now = std::strtoull(tasks.c_str() + tasks.find('/') + 1, nullptr, 10);
    limits.maps = read_number("/proc/sys/vm/max_map_count");
    return limits;
}

WaiterResults measure_waiters(const fs::path& bin, const fs::path& source_dir, const fs::path& book,
                              WaiterProgress progress) {
    WaiterResults results;
    results.limits = machine_limits();
    results.greenlet_stack_bytes = Greenlet::default_stack_size;
    rlimit stack{};
    if (::getrlimit(RLIMIT_STACK, &stack) == 0 && stack.rlim_cur != RLIM_INFINITY) results.thread_stack_bytes = stack.rlim_cur;
    // Whatever a probe's program leaves when it ends becomes this process's to reap.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);

    std::vector<std::pair<WaiterMechanism, Command>> lines;
    int total = 0;
    for (const WaiterMechanism& mechanism : waiter_mechanisms()) {
        lines.emplace_back(mechanism, command_for(mechanism, bin, source_dir, results.wait_us, book));
        total += static_cast<int>(waiter_sizes(mechanism).size());
    }
    int index = 0;
    for (const auto& [mechanism, command] : lines) {
        Probe baseline;
        std::string stop;  // set once a size stops the mechanism: the larger ones are not tried
        if (command.missing.empty()) {
            baseline = run_probe(with_waiters(command.argv, 1), std::chrono::seconds(60));
            if (baseline.status != 0) stop = "with one waiter: " + baseline.error;
        }
        for (std::size_t n : waiter_sizes(mechanism)) {
            WaiterRow row;
            row.mechanism = mechanism;
            row.label = command.label;
            row.waiters = n;
            row.baseline = baseline;
            results.limits.tasks_now = machine_limits().tasks_now;
            if (!command.missing.empty()) {
                row.status = "not built";
                row.reason = command.missing;
            } else if (!stop.empty()) {
                row.status = "stopped";
                row.reason = stop;
            } else if (auto limit = limit_reached(mechanism, n, results.limits)) {
                row.status = "stopped";
                row.reason = *limit;
            } else {
                row.probe = run_probe(with_waiters(command.argv, n), std::chrono::seconds(180));
                if (row.probe.status == 0 && row.probe.events == n) row.status = "measured";
                else {
                    row.status = "failed";
                    row.reason = row.probe.error.empty() ? "completed " + std::to_string(row.probe.events) + " of " +
                                                               std::to_string(n)
                                                         : row.probe.error;
                    stop = "a smaller size failed";
                }
            }
            results.rows.push_back(row);
            if (progress != nullptr) progress(results.rows.back(), ++index, total);
        }
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 0UL, 0UL, 0UL, 0UL);
    evaluate_waiters(results);
    return results;
}

}  // namespace workbook::bench
