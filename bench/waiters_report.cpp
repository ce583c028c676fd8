// `workbook bench --waiters`: the table, waiters.csv, waiters.json and the chart, waiters.svg
// (memory per waiter against the number of waiters, log-log, a line per mechanism).
#include "format.hpp"
#include "waiters.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace workbook::bench {

namespace {

std::string bytes_text(double bytes) {
    if (std::isnan(bytes)) return "";
    char text[32];
    if (bytes < 1024) std::snprintf(text, sizeof text, "%.0f B", bytes);
    else if (bytes < 1024 * 1024) std::snprintf(text, sizeof text, "%.3g KiB", bytes / 1024);
    else std::snprintf(text, sizeof text, "%.3g MiB", bytes / (1024 * 1024));
    return text;
}

std::string seconds_text(double seconds) {
    if (std::isnan(seconds)) return "";
    char text[32];
    if (seconds < 1) std::snprintf(text, sizeof text, "%.0f ms", seconds * 1e3);
    else std::snprintf(text, sizeof text, "%.2f s", seconds);
    return text;
}

std::string runner_name(WaiterRunner runner) {
    switch (runner) {
    case WaiterRunner::chapter: return "chapter";
    case WaiterRunner::python: return "python";
    case WaiterRunner::program: return "program";
    }
    return "?";
}

std::string line_title(const WaiterRow& row) { return row.label + ": " + row.mechanism.what; }

}  // namespace

void print_waiters_table(const WaiterResults& results, std::ostream& out) {
    out << "\nWaiters: N counter calls waiting at once, each answered after " << results.wait_us / 1000
        << " ms (the counter service)\n"
        << "date " << results.machine.date << ", " << results.machine.cores << " cores, " << results.machine.cpu
        << ", load average " << number(results.machine.load_before, 2) << " before, "
        << number(results.machine.load_after, 2) << " after\n"
        << "limits: " << results.limits.open_files << " open files, " << results.limits.pids << " pids, "
        << results.limits.maps << " memory maps; chapter 12's greenlet stacks: "
        << bytes_text(static_cast<double>(results.greenlet_stack_bytes))
        << " reserved each unless --stack-size says otherwise (the pages a waiter touches are its memory); "
           "a thread's stack: "
        << bytes_text(static_cast<double>(results.thread_stack_bytes)) << " reserved\n"
        << "start all N: until the program saw all N waiting, where it tells (*: the run less one wait, "
           "replies and cleanup included)\n\n"
        << "| mechanism | N | held at once | memory per waiter (touched) | stack reserved | start all N | all completed | limit, or target |\n"
        << "|---|---:|---:|---:|---:|---:|---|---|\n";
    for (const WaiterRow& row : results.rows) {
        std::string last;
        if (row.status != "measured") last = row.status + ": " + row.reason;
        if (!row.target.empty()) {
            last += std::string(last.empty() ? "" : "; ") + row.target_status + " (" + row.target + ")";
        }
        for (char& c : last) c = c == '|' ? '/' : c;
        out << "| " << line_title(row) << " | " << row.waiters << " | " << (row.completed ? std::to_string(row.held) : "")
            << " | " << bytes_text(row.bytes_per_waiter) << " | "
            << (row.stack_reserved_bytes != 0 ? bytes_text(static_cast<double>(row.stack_reserved_bytes)) : "") << " | "
            << seconds_text(row.start_seconds) << (row.start_from == "run less one wait" ? "*" : "") << " | "
            << (row.status == "measured" || row.status == "failed" ? (row.completed ? "yes" : "no") : "") << " | "
            << last << " |\n";
    }
    for (const std::string& note : results.notes) out << "note: " << note << '\n';
}

void write_waiters_csv(const WaiterResults& results, const std::filesystem::path& file) {
    std::ofstream out(file);
    out << "label,what,chapter,runner,variant,loop,waiters,status,reason,held,bytes_per_waiter,peak_bytes,"
           "baseline_bytes,peak_tasks,baseline_tasks,run_seconds,start_seconds,completed,target,target_status,"
           "start_from,stack_reserved_bytes,stack_touched_bytes\n";
    for (const WaiterRow& row : results.rows) {
        out << csv(row.label) << ',' << csv(row.mechanism.what) << ',' << row.mechanism.chapter << ','
            << runner_name(row.mechanism.runner) << ',' << csv(row.mechanism.variant) << ','
            << (row.mechanism.loop ? "yes" : "no") << ',' << row.waiters << ',' << row.status << ',' << csv(row.reason)
            << ',' << row.held << ',' << number(row.bytes_per_waiter, 6) << ',' << number(row.probe.peak_bytes, 10)
            << ',' << number(row.baseline.peak_bytes, 10) << ',' << row.probe.peak_tasks << ','
            << row.baseline.peak_tasks << ',' << number(row.probe.run_seconds, 6) << ','
            << number(row.start_seconds, 6) << ',' << (row.completed ? "yes" : "no") << ',' << csv(row.target) << ','
            << csv(row.target_status) << ',' << csv(row.start_from) << ',' << row.stack_reserved_bytes << ','
            << number(row.stack_touched_bytes, 6) << '\n';
    }
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

void write_waiters_json(const WaiterResults& results, const std::filesystem::path& file) {
    using nlohmann::ordered_json;
    ordered_json json;
    json["date"] = results.machine.date;
    json["machine"] = {{"cores", results.machine.cores},
                       {"cpu", results.machine.cpu},
                       {"compiler", results.machine.compiler},
                       {"kernel", results.machine.kernel},
                       {"load_before", number_or_null(results.machine.load_before)},
                       {"load_after", number_or_null(results.machine.load_after)}};
    json["limits"] = {{"open_files", results.limits.open_files},
                      {"pids", results.limits.pids},
                      {"maps", results.limits.maps},
                      {"max_probed_tasks", max_probed_tasks}};
    json["wait_us"] = results.wait_us;
    json["greenlet_stack_bytes"] = results.greenlet_stack_bytes;  // the default, reserved; each row says its own
    json["thread_stack_bytes"] = results.thread_stack_bytes;
    json["rows"] = ordered_json::array();
    for (const WaiterRow& row : results.rows) {
        json["rows"].push_back({
            {"label", row.label},
            {"what", row.mechanism.what},
            {"chapter", row.mechanism.chapter},
            {"runner", runner_name(row.mechanism.runner)},
            {"variant", row.mechanism.variant},
            {"loop", row.mechanism.loop},
            {"waiters", row.waiters},
            {"status", row.status},
            {"reason", row.reason},
            {"held", row.held},
            {"bytes_per_waiter", number_or_null(row.bytes_per_waiter)},
            {"peak_bytes", number_or_null(row.probe.peak_bytes)},
            {"baseline_bytes", number_or_null(row.baseline.peak_bytes)},
            {"peak_tasks", row.probe.peak_tasks},
            {"baseline_tasks", row.baseline.peak_tasks},
            {"run_seconds", number_or_null(row.probe.run_seconds)},
            {"start_seconds", number_or_null(row.start_seconds)},
            {"start_from", row.start_from},
            {"stack_reserved_bytes", row.stack_reserved_bytes},
            {"stack_touched_bytes", number_or_null(row.stack_touched_bytes)},
            {"completed", row.completed},
            {"target", row.target},
            {"target_status", row.target_status},
        });
    }
    json["notes"] = results.notes;
    write_json_file(json, file);
}

void draw_waiters_chart(const WaiterResults& results, const std::filesystem::path& dir) {
    // One block per mechanism that measured anything: N, bytes per waiter.
    std::vector<std::string> titles;
    for (const WaiterRow& row : results.rows) {
        if (std::isnan(row.bytes_per_waiter)) continue;
        if (std::find(titles.begin(), titles.end(), line_title(row)) == titles.end()) titles.push_back(line_title(row));
    }
    std::ofstream data(dir / "waiters.dat");
    data << "# waiters  KiB_per_waiter\n";
    for (const std::string& title : titles) {
        data << "# " << title << '\n';
        for (const WaiterRow& row : results.rows) {
            // Less than a byte (no difference from one waiter) has no place on a log scale.
            if (line_title(row) != title || std::isnan(row.bytes_per_waiter) || row.bytes_per_waiter < 1) continue;
            data << row.waiters << ' ' << number(row.bytes_per_waiter / 1024, 6) << '\n';
        }
        data << "\n\n";
    }
    data.close();
    if (!data) throw std::runtime_error("cannot write " + (dir / "waiters.dat").string());

    const char* colours[] = {"#1f5fa8", "#d1495b", "#e3a21a", "#3d9a4b", "#7a4fa3", "#00798c",
                             "#8c564b", "#e377c2", "#5f6b6d", "#bcbd22", "#17becf", "#2b2d42"};
    std::ofstream script(dir / "waiters.gp");
    script << "# Drawn by workbook-bench --waiters: `gnuplot waiters.gp` in this folder redraws waiters.svg.\n"
           << "set terminal svg size 1000,700 dynamic noenhanced font 'sans,14' background rgb 'white'\n"
           << "set output 'waiters.svg'\n"
           << "set title \"What one waiter costs: memory per waiting call against how many wait at once\\n"
           << results.machine.date.substr(0, 10) << ", " << results.machine.cores << " cores; each call waits "
           << results.wait_us / 1000 << " ms; log-log\"\n"
           << "set xlabel 'waiters (N calls waiting at once)'\nset ylabel 'memory per waiter (KiB, PSS)'\n"
           << "set logscale xy\nset xrange [50:60000]\nset grid xtics ytics\n"
           << "set xtics ('100' 100, '1,000' 1000, '10,000' 10000, '30,000' 30000)\n"
           << "set format y '%g'\nset datafile missing 'NaN'\n"
           << "set key below left Left reverse maxcols 2 width 2 spacing 1.1\n"
           << "plot ";
    for (std::size_t i = 0; i < titles.size(); ++i) {
        std::string title = titles[i];
        for (char& c : title) c = c == '"' ? '\'' : c;
        script << (i ? ", \\\n     " : "") << "'waiters.dat' index " << i << " using 1:2 with linespoints lw 2 pt "
               << (i / std::size(colours) * 2 + 7) << " ps 0.8 lc rgb '" << colours[i % std::size(colours)]
               << "' title \"" << title << "\"";
    }
    if (titles.empty()) script << "NaN notitle";
    script << '\n';
    script.close();
    if (!script) throw std::runtime_error("cannot write " + (dir / "waiters.gp").string());
    run_gnuplot(dir, "waiters.gp");
}

}  // namespace workbook::bench
