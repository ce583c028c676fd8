// `workbook bench --slow`, reporting: each row's bound and target, the table, CSV, JSON and the
// crossover chart.
#include "bench.hpp"
#include "format.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <stdexcept>

namespace workbook::bench {
namespace {

bool is_wait(const SlowCounter& counter, std::int64_t wait_us) {
    return counter.kind == CounterKind::service && counter.wait_us == wait_us && counter.work_ns == 0;
}

const SlowRow* find(const std::vector<SlowRow>& rows, const std::string& label, const SlowCounter& counter) {
    for (const SlowRow& row : rows) {
        if (row.ok() && row.label == label && row.counter.kind == counter.kind &&
            row.counter.wait_us == counter.wait_us && row.counter.work_ns == counter.work_ns) {
            return &row;
        }
    }
    return nullptr;
}

// Events per second, three significant digits at most, thousands separated: 1,230 or 45.6.
std::string rate_text(double rate) {
    if (std::isnan(rate)) return "-";
    if (rate < 100) return number(rate, 3);
    double scale = std::pow(10.0, std::floor(std::log10(rate)) - 2);
    auto rounded = static_cast<std::uint64_t>(std::llround(rate / scale) * scale);
    std::string digits = std::to_string(rounded);
    for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
    return digits;
}

std::string percent(double ratio) {
    if (std::isnan(ratio)) return "-";
    char text[16];
    std::snprintf(text, sizeof text, "%.0f%%", ratio * 100);
    return text;
}

// Marks `row` against a target: met when `met`; a miss on a busy machine says how busy.
void judge(SlowRow& row, const std::string& target, bool met, unsigned cores) {
    row.target = target;
    row.target_status = met ? "met" : "missed";
    if (!met && !std::isnan(row.load) && row.load > 0.75 * cores) {
        row.target_status += " (load average " + number(row.load, 2) + " on " + std::to_string(cores) + " cores)";
    }
}

bool same_column(const SlowCounter& a, const SlowCounter& b) {
    return a.kind == b.kind && a.wait_us == b.wait_us && a.work_ns == b.work_ns;
}

// The GIL row of `chapter` under `interpreter` ("CPython", "PyPy") in `counter`'s column, measured.
const SlowRow* gil_row(const std::vector<SlowRow>& rows, int chapter, const std::string& interpreter,
                       const SlowCounter& counter) {
    for (const SlowRow& row : rows) {
        if (row.ok() && row.gil && row.chapter == chapter && row.interpreter == interpreter && same_column(row.counter, counter)) {
            return &row;
        }
    }
    return nullptr;
}

// The C++ row the GIL rows stand beside: chapter 01, or chapters 03 and 04 batched as their peers are.
const SlowRow* cpp_row(const std::vector<SlowRow>& rows, int chapter, const SlowCounter& counter) {
    for (const SlowRow& row : rows) {
        if (row.ok() && !row.python && row.chapter == chapter && row.variant.empty() &&
            row.batch == (chapter == 1 ? 0 : 4096) && same_column(row.counter, counter)) {
            return &row;
        }
    }
    return nullptr;
}

double rate_ratio(const SlowRow* over, const SlowRow* under) {
    return over == nullptr || under == nullptr ? not_measured : over->rate() / under->rate();
}

std::string rate_of(const SlowRow& row) {
    return row.label + ", " + row.implementation + ", " + rate_text(row.rate()) + " per second";
}

// The GIL's targets (bench/RESULTS.md lists them), on CPython's rows: at work 10 us its threads
// gain nothing (within 1.25x of its 01) and, with a second core, its processes do (>= 1.3x its
// 01); at wait 10 ms its threads overlap the waits as C++ threads do (within 1.5x of C++ 04).
void judge_gil(SlowRow& row, const std::vector<SlowRow>& rows, unsigned cores) {
    if (row.interpreter != "CPython") return;
    const SlowCounter work10{CounterKind::local, 0, 10000};
    const bool at_work10 = same_column(row.counter, work10);
    if (at_work10 && row.chapter == 4) {
        if (const SlowRow* serial = gil_row(rows, 1, row.interpreter, row.counter)) {
            const double ratio = row.rate() / serial->rate();
            judge(row, "within 1.25x of its 01 (" + rate_of(*serial) + ")", ratio <= 1.25 && ratio >= 1 / 1.25, cores);
        }
    } else if (at_work10 && row.chapter == 3 && cores >= 2) {
        if (const SlowRow* serial = gil_row(rows, 1, row.interpreter, row.counter)) {
            judge(row, ">= 1.3x its 01 (" + rate_of(*serial) + ")", row.rate() >= 1.3 * serial->rate(), cores);
        }
    } else if (is_wait(row.counter, 10000) && row.chapter == 4) {
        if (const SlowRow* cpp = cpp_row(rows, 4, row.counter)) {
            const double ratio = row.rate() / cpp->rate();
            judge(row, "within 1.5x of C++ 04 (" + cpp->label + ", " + rate_text(cpp->rate()) + " per second)",
                  ratio <= 1.5 && ratio >= 1 / 1.5, cores);
        }
    }
}

// "1.62x", or "-" when either row is missing.
std::string times(double ratio) {
    return std::isnan(ratio) ? "-" : number(ratio, 3) + "x";
}

// The GIL's summary, one line per column and interpreter that has rows.
std::vector<GilLine> gil_lines(const std::vector<SlowRow>& rows) {
    std::vector<GilLine> lines;
    for (const SlowRow& row : rows) {
        if (!row.gil) continue;
        const bool listed = std::any_of(lines.begin(), lines.end(), [&](const GilLine& line) {
            return line.interpreter == row.interpreter && same_column(line.counter, row.counter);
        });
        if (listed) continue;
        GilLine line;
        line.counter = row.counter;
        line.interpreter = row.interpreter;
        const SlowRow* serial = gil_row(rows, 1, row.interpreter, row.counter);
        const SlowRow* processes = gil_row(rows, 3, row.interpreter, row.counter);
        const SlowRow* threads = gil_row(rows, 4, row.interpreter, row.counter);
        for (const SlowRow* measured : {serial, processes, threads}) {
            if (measured != nullptr && line.implementation.empty()) line.implementation = measured->implementation;
        }
        if (line.implementation.empty()) line.implementation = row.interpreter;
        line.threads_to_serial = rate_ratio(threads, serial);
        line.processes_to_serial = rate_ratio(processes, serial);
        line.threads_to_cpp = rate_ratio(threads, cpp_row(rows, 4, row.counter));
        line.processes_to_cpp = rate_ratio(processes, cpp_row(rows, 3, row.counter));
        line.cpp_threads_to_serial = rate_ratio(cpp_row(rows, 4, row.counter), cpp_row(rows, 1, row.counter));
        for (const SlowRow* judged : {threads, processes}) {
            if (judged == nullptr || judged->target_status.empty()) continue;
            const std::string& target = judged->target;
            line.targets.push_back((judged->chapter < 10 ? "0" : "") + std::to_string(judged->chapter) + " " +
                                   target.substr(0, target.find(" (")) + ": " + judged->target_status);
        }
        lines.push_back(line);
    }
    return lines;
}

}  // namespace

// Under work, each interpreter's threads and processes beside its own 01 (and C++ threads beside
// C++ 01, for contrast); under a wait, beside the C++ rows.
std::string GilLine::text() const {
    std::string text = "GIL: " + counter.label() + ", " + implementation + ": ";
    if (counter.kind == CounterKind::local) {
        text += "threads (04) " + times(threads_to_serial) + " its 01, processes (03) " + times(processes_to_serial) +
                " its 01 (C++ threads: " + times(cpp_threads_to_serial) + " C++ 01)";
    } else {
        text += "threads (04) " + times(threads_to_cpp) + " C++ 04, processes (03) " + times(processes_to_cpp) +
                " C++ 03, threads " + times(threads_to_serial) + " its 01";
    }
    for (const std::string& target : targets) text += "; " + target;
    return text;
}

void evaluate_slow(SlowResults& results) {
    const unsigned cores = std::max(1u, results.machine.cores);
    for (SlowRow& row : results.rows) {
        if (!row.ok()) continue;
        const SlowCounter& counter = row.counter;
        const SlowCounter wait0{CounterKind::service, 0, 0};
        const SlowRow* at_zero = find(results.rows, row.label, wait0);
        const double rate0 = at_zero != nullptr ? at_zero->rate() : not_measured;
        const std::string share = number(row.busiest_share, 2);
        if (counter.kind == CounterKind::redis) {
            row.bound = results.redis_ceiling;
            row.bound_text = "the server's ceiling (redis-benchmark INCR)";
        } else if (counter.kind == CounterKind::service) {
            const double wait = static_cast<double>(counter.wait_us) * 1e-6;
            switch (row.rule) {
                case BoundRule::one_at_a_time:
                    if (wait > 0) row.bound = 1 / wait, row.bound_text = "1/wait";
                    break;
                case BoundRule::busiest_class:
                    if (wait > 0) row.bound = 1 / (wait * row.busiest_share), row.bound_text = "1/(wait x " + share + ")";
                    break;
                case BoundRule::in_flight: {
                    double little = wait > 0 ? static_cast<double>(row.in_flight) / wait : INFINITY;
                    row.bound = std::min(little, rate0);
                    row.bound_text = little < rate0 ? std::to_string(row.in_flight) + "/wait" : "its rate at wait 0";
                    break;
                }
            }
        } else if (counter.work_ns > 0) {
            // The work runs where the calls are made: on as many cores as there are workers, at most.
            const double work = static_cast<double>(counter.work_ns) * 1e-9;
            const unsigned usable = std::min(row.workers, cores);
            switch (row.rule) {
                case BoundRule::one_at_a_time:
                    row.bound = 1 / work, row.bound_text = "1/work";
                    break;
                case BoundRule::busiest_class: {
                    double busiest = std::max(row.busiest_share, 1.0 / usable);
                    row.bound = 1 / (work * busiest);
                    row.bound_text = "1/(work x " + number(busiest, 2) + "), " + std::to_string(usable) + " cores";
                    break;
                }
                case BoundRule::in_flight:
                    // Not capped by the rate at wait 0: that rate includes a request to the
                    // service, which a local counter with work never makes.
                    row.bound = usable / work;
                    row.bound_text = std::to_string(usable) + "/work";
                    break;
            }
        }

        // The workbook's targets for the slow counters (bench/RESULTS.md lists them), judged
        // within this run; none is asserted anywhere.
        // A row near the server's own ceiling is limited by the server, whatever its mechanism.
        const double ceiling = counter.kind == CounterKind::redis ? results.redis_ceiling
                               : is_wait(counter, 0)              ? results.service_ceiling
                                                                  : not_measured;
        row.server_bound = !std::isnan(ceiling) && row.rate() >= server_bound_share * ceiling;

        const SlowRow* serial = find(results.rows, "01_serial", counter);
        // Chapters 12 to 14 at their default 100 in flight beside their Python peer on the same server.
        const SlowRow* peer = nullptr;
        if (!row.python && row.variant.empty() && row.in_flight == 100 && row.chapter >= 12 && row.chapter <= 14) {
            for (const SlowRow& candidate : results.rows) {
                if (candidate.ok() && candidate.python && candidate.chapter == row.chapter &&
                    candidate.counter.label() == counter.label()) {
                    peer = &candidate;
                }
            }
        }
        const std::string peer_text = peer == nullptr ? "" : peer->label + " (" + peer->implementation + ", " + rate_text(peer->rate()) + " per second)";
        // Chapter 14 on standalone Asio beside the same tasks on the workbook's own loop.
        const SlowRow* own_loop = nullptr;
        if (!row.python && row.chapter == 14 && row.variant == "asio") {
            for (const SlowRow& candidate : results.rows) {
                if (candidate.ok() && !candidate.python && candidate.chapter == 14 && candidate.variant.empty() &&
                    candidate.in_flight == row.in_flight && candidate.counter.label() == counter.label()) {
                    own_loop = &candidate;
                }
            }
        }
        const bool workers = (row.chapter == 3 || row.chapter == 4) && row.batch == 4096;
        if (row.gil) {
            judge_gil(row, results.rows, cores);
        } else if (own_loop != nullptr) {
            const double ratio = own_loop->rate() / row.rate();
            judge(row, "the workbook's loop within 1.5x of it (" + own_loop->label + ", " + rate_text(own_loop->rate()) + " per second)",
                  ratio <= 1.5 && ratio >= 1 / 1.5, cores);
        } else if (is_wait(counter, 1000) && row.chapter == 1) {
            judge(row, ">= 80% of 1/wait", row.ratio_to_bound() >= 0.8, cores);
        } else if (is_wait(counter, 1000) && workers) {
            judge(row, ">= 80% of its bound", row.ratio_to_bound() >= 0.8, cores);
        } else if (is_wait(counter, 10000) && row.chapter == 2 && row.in_flight == 64 && serial != nullptr) {
            judge(row, ">= 80% of its bound and >= 10x 01",
                  row.ratio_to_bound() >= 0.8 && row.rate() >= 10 * serial->rate(), cores);
        } else if (is_wait(counter, 1000) && row.chapter == 12 && row.in_flight == 1000 && serial != nullptr) {
            judge(row, ">= 20x 01 and >= 50% of its rate at wait 0",
                  row.rate() >= 20 * serial->rate() && row.rate() >= 0.5 * rate0, cores);
        } else if (is_wait(counter, 1000) && (row.chapter == 13 || row.chapter == 14) && row.in_flight == 1000 && serial != nullptr) {
            judge(row, ">= 20x 01", row.rate() >= 20 * serial->rate(), cores);
        } else if (is_wait(counter, 0) && peer != nullptr) {
            judge(row, ">= 3x " + peer_text, row.rate() >= 3 * peer->rate(), cores);
        } else if (is_wait(counter, 10000) && peer != nullptr) {
            const double ratio = row.rate() / peer->rate();
            judge(row, "within 1.5x of " + peer_text, ratio <= 1.5 && ratio >= 1 / 1.5, cores);
        } else if (counter.kind == CounterKind::local && counter.work_ns == 10000 && workers && serial != nullptr) {
            judge(row, ">= 1.5x 01", row.rate() >= 1.5 * serial->rate(), cores);
        }
    }
    results.gil = gil_lines(results.rows);
}

void print_slow_table(const SlowResults& results, std::ostream& out) {
    const Machine& machine = results.machine;
    out << "Weightless bench --slow" << (results.quick ? " --quick" : "") << ", " << machine.date << ": "
        << results.book_name << ", " << results.book_events << " events per book\n"
        << "machine: " << machine.cores << " cores, " << machine.cpu << ", " << machine.compiler << ", "
        << machine.kernel << "; load average " << number(machine.load_before, 2) << " before, "
        << number(machine.load_after, 2) << " after\n"
        << "Redis's own ceiling: " << rate_text(results.redis_ceiling) << " INCR per second ("
        << results.redis_ceiling_how << ")\n";
    if (!std::isnan(results.service_ceiling) || !results.service_ceiling_how.empty()) {
        out << "the counter service's own ceiling at wait 0: " << rate_text(results.service_ceiling)
            << " INCR per second (" << results.service_ceiling_how << ")\n";
    }

    std::vector<std::string> labels;
    std::vector<SlowCounter> columns;
    for (const SlowRow& row : results.rows) {
        if (std::find(labels.begin(), labels.end(), row.label) == labels.end()) labels.push_back(row.label);
        if (std::none_of(columns.begin(), columns.end(), [&](const SlowCounter& c) { return c.label() == row.counter.label(); })) {
            columns.push_back(row.counter);
        }
    }
    auto table = [&](const char* title, auto cell) {
        out << '\n' << title << '\n';
        char text[64];
        std::snprintf(text, sizeof text, "%-36s", "mechanism");
        out << text;
        for (const auto& column : columns) std::snprintf(text, sizeof text, " %12s", column.label().c_str()), out << text;
        out << '\n';
        for (const auto& label : labels) {
            std::snprintf(text, sizeof text, "%-36s", label.c_str());
            out << text;
            for (const auto& column : columns) {
                const SlowRow* row = nullptr;
                for (const SlowRow& candidate : results.rows) {
                    if (candidate.label == label && candidate.counter.label() == column.label()) row = &candidate;
                }
                std::snprintf(text, sizeof text, " %12s", row == nullptr ? "" : !row->ok() ? "FAILED" : cell(*row).c_str());
                out << text;
            }
            out << '\n';
        }
    };
    table("events per second\n(* server-bound: at least 80% of the server's own ceiling, measured in the same run)",
          [](const SlowRow& row) { return rate_text(row.rate()) + (row.server_bound ? "*" : ""); });
    table("share of its bound (the bounds: bench/RESULTS.md)", [](const SlowRow& row) { return percent(row.ratio_to_bound()); });
    table("events counted (a prefix of the book, sized to the budget; nothing extrapolated)",
          [](const SlowRow& row) { return std::to_string(row.events); });

    int met = 0, missed = 0;
    out << "\ntargets:\n";
    for (const SlowRow& row : results.rows) {
        if (row.target_status.empty()) continue;
        (row.target_status == "met" ? met : missed) += 1;
        out << "  " << row.label << ", " << row.counter.label() << ": " << rate_text(row.rate()) << " per second, "
            << percent(row.ratio_to_bound()) << " of " << rate_text(row.bound) << " (" << row.bound_text << "); "
            << row.target_status << " (" << row.target << ")" << (row.server_bound ? ", server-bound" : "") << '\n';
    }
    out << "targets: " << met << " met, " << missed << " missed\n";
    std::vector<std::string> peers;
    for (const SlowRow& row : results.rows) {
        if (!row.python || !row.ok() || std::find(peers.begin(), peers.end(), row.label) != peers.end()) continue;
        peers.push_back(row.label);
        out << "python: " << row.label << " ran on " << row.implementation << " against the same servers\n";
    }
    for (const GilLine& line : results.gil) out << line.text() << '\n';
    for (const SlowRow& row : results.rows) {
        if (!row.error.empty()) out << "failed: " << row.label << ", " << row.counter.label() << ": " << row.error << '\n';
    }
    for (const auto& note : results.notes) out << "note: " << note << '\n';
}

void write_slow_csv(const SlowResults& results, const std::filesystem::path& file) {
    std::ofstream out(file);
    out << "chapter,label,slug,mechanism,variant,batch,in_flight,counter,kind,wait_us,work_ns,events,book_events,"
           "seconds,events_per_second,bound_rule,bound,bound_how,ratio_to_bound,busiest_share,load,target,"
           "target_status,error,implementation,server_bound,interpreter\n";
    for (const SlowRow& row : results.rows) {
        out << row.chapter << ',' << csv(row.label) << ',' << csv(row.slug) << ',' << csv(row.mechanism) << ','
            << csv(row.variant) << ',' << row.batch << ',' << row.in_flight << ',' << csv(row.counter.label()) << ','
            << counter_kind_name(row.counter.kind) << ',' << row.counter.wait_us << ',' << row.counter.work_ns << ','
            << row.events << ',' << row.book_events << ',' << number(row.seconds, 6) << ','
            << number(row.rate(), 6) << ',' << csv(bound_rule_name(row.rule)) << ',' << number(row.bound, 6) << ','
            << csv(row.bound_text) << ',' << number(row.ratio_to_bound(), 4) << ',' << number(row.busiest_share, 4)
            << ',' << number(row.load, 3) << ',' << csv(row.target) << ',' << csv(row.target_status) << ','
            << csv(row.error) << ',' << csv(row.implementation) << ',' << (row.server_bound ? "true" : "false") << ','
            << csv(row.interpreter) << '\n';
    }
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

void write_slow_json(const SlowResults& results, const std::filesystem::path& file) {
    using nlohmann::ordered_json;
    ordered_json json = report_json(results.machine, results.quick, results.book_name, results.book_events);
    json["redis_ceiling"] = number_or_null(results.redis_ceiling);
    json["redis_ceiling_how"] = results.redis_ceiling_how;
    json["service_ceiling"] = number_or_null(results.service_ceiling);
    json["service_ceiling_how"] = results.service_ceiling_how;
    json["rows"] = ordered_json::array();
    json["gil"] = ordered_json::array();
    for (const GilLine& line : results.gil) {
        json["gil"].push_back({
            {"counter", line.counter.label()},
            {"interpreter", line.interpreter},
            {"implementation", line.implementation},
            {"threads_to_serial", number_or_null(line.threads_to_serial)},
            {"processes_to_serial", number_or_null(line.processes_to_serial)},
            {"threads_to_cpp", number_or_null(line.threads_to_cpp)},
            {"processes_to_cpp", number_or_null(line.processes_to_cpp)},
            {"cpp_threads_to_serial", number_or_null(line.cpp_threads_to_serial)},
            {"targets", line.targets},
            {"text", line.text()},
        });
    }
    json["notes"] = results.notes;
    for (const SlowRow& row : results.rows) {
        json["rows"].push_back({
            {"chapter", row.chapter},
            {"label", row.label},
            {"slug", row.slug},
            {"mechanism", row.mechanism},
            {"variant", row.variant},
            {"batch", row.batch},
            {"in_flight", row.in_flight},
            {"counter", row.counter.label()},
            {"kind", counter_kind_name(row.counter.kind)},
            {"wait_us", row.counter.wait_us},
            {"work_ns", row.counter.work_ns},
            {"events", row.events},
            {"book_events", row.book_events},
            {"seconds", number_or_null(row.seconds)},
            {"events_per_second", number_or_null(row.rate())},
            {"bound_rule", bound_rule_name(row.rule)},
            {"bound", number_or_null(row.bound)},
            {"bound_how", row.bound_text},
            {"ratio_to_bound", number_or_null(row.ratio_to_bound())},
            {"busiest_share", number_or_null(row.busiest_share)},
            {"load", number_or_null(row.load)},
            {"target", row.target},
            {"target_status", row.target_status},
            {"error", row.error},
            {"implementation", row.implementation},
            {"server_bound", row.server_bound},
            {"gil", row.gil},
            {"interpreter", row.interpreter},
        });
    }
    write_json_file(json, file);
}

void draw_slow_chart(const SlowResults& results, const std::filesystem::path& dir) {
    // One block per mechanism: wait (0 drawn at the left edge, x = 1), rate, bound. Only the
    // counter service's rows: they are the ones on the wait axis.
    std::vector<std::string> labels;
    for (const SlowRow& row : results.rows) {
        if (std::find(labels.begin(), labels.end(), row.label) == labels.end()) labels.push_back(row.label);
    }
    std::ofstream data(dir / "slow.dat");
    data << "# wait_us (0 drawn at 1)  events_per_second  bound   (NaN = not measured, or no bound)\n";
    for (const std::string& label : labels) {
        data << "# " << label << '\n';
        for (const SlowRow& row : results.rows) {
            if (row.label != label || row.counter.kind != CounterKind::service || row.counter.work_ns != 0) continue;
            data << std::max<std::int64_t>(row.counter.wait_us, 1) << ' ' << (row.ok() ? number(row.rate(), 6) : "NaN")
                 << ' ' << (std::isnan(row.bound) || std::isinf(row.bound) ? "NaN" : number(row.bound, 6)) << '\n';
        }
        data << "\n\n";
    }
    data.close();
    if (!data) throw std::runtime_error("cannot write " + (dir / "slow.dat").string());

    // Twelve colours that stay apart on white; a thirteenth line repeats the first with another mark.
    const char* colours[] = {"#1f5fa8", "#d1495b", "#e3a21a", "#3d9a4b", "#7a4fa3", "#00798c",
                             "#8c564b", "#e377c2", "#5f6b6d", "#bcbd22", "#17becf", "#2b2d42"};
    std::ofstream script(dir / "slow.gp");
    script << "# Drawn by workbook-bench --slow: `gnuplot slow.gp` in this folder redraws slow.svg from slow.dat.\n"
           << "set terminal svg size 1000,780 dynamic noenhanced font 'sans,14' background rgb 'white'\n"
           << "set output 'slow.svg'\n"
           << "set title \"When each mechanism wins: events per second against the wait\\n"
           << results.machine.date.substr(0, 10) << ", " << results.machine.cores << " cores; log-log; dashed: each one's bound\"\n"
           << "set xlabel \"the counter service's wait per call\"\nset ylabel 'events per second'\n"
           << "set logscale xy\nset xrange [1:12000]\nset grid xtics ytics\n"
           << "set xtics ('0' 1, '10 us' 10, '100 us' 100, '1 ms' 1000, '10 ms' 10000)\n"
           << "set format y '%.0s%c'\nset datafile missing 'NaN'\n"
           << "set key below left Left reverse maxcols 3 width 2 spacing 1.1\n"
           << "plot ";
    for (std::size_t i = 0; i < labels.size(); ++i) {
        std::string title = labels[i];
        for (char& c : title) c = c == '"' ? '\'' : c;
        const char* colour = colours[i % std::size(colours)];
        script << (i ? ", \\\n     " : "") << "'slow.dat' index " << i << " using 1:2 with linespoints lw 2 pt "
               << (i / std::size(colours) * 2 + 7) << " ps 0.8 lc rgb '" << colour << "' title \"" << title << "\""
               << ", '' index " << i << " using 1:3 with lines dt 2 lw 1 lc rgb '" << colour << "' notitle";
    }
    if (labels.empty()) script << "NaN notitle";
    script << '\n';
    script.close();
    if (!script) throw std::runtime_error("cannot write " + (dir / "slow.gp").string());
    run_gnuplot(dir, "slow.gp");
}

}  // namespace workbook::bench
