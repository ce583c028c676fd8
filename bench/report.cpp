// Reporting: ratios and the workbook's targets, the table, CSV, JSON and the gnuplot chart.
#include "bench.hpp"
#include "format.hpp"

#include "workbook/support/run_program.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace workbook::bench {
namespace {

// The workbook's targets for the chapters (bench/RESULTS.md lists them): the most a row may cost
// per event relative to `against`, chapter 01 or a floor of bench/micro.cpp, measured in the same
// run. None is asserted anywhere: the bench marks them met or missed.
struct Target {
    double limit;
    std::string against;  // "01", or a primitive's name
};
std::optional<Target> chapter_target(const Row& row) {
    if (row.python || !row.default_variant) return std::nullopt;
    switch (row.chapter) {
        case 9: return row.batch == 0 ? std::optional(Target{1.15, "raw_coroutine_dispatch"}) : std::nullopt;
        case 10: return row.batch == 0 ? std::optional(Target{1.5, "01"}) : std::nullopt;
        case 5: case 6: case 7: case 11: return row.batch == 0 ? std::optional(Target{3.0, "01"}) : std::nullopt;
        case 8: return row.batch == 0 ? std::optional(Target{5.0, "01"}) : std::nullopt;
        case 3: case 4: return row.batch == 4096 ? std::optional(Target{3.0, "01"}) : std::nullopt;
        default: return std::nullopt;
    }
}

// The chapters' rows reported against a floor of bench/micro.cpp: the dispatch of the book on bare
// coroutines, what chapters 09 and 10 would cost with no library at all.
const char* row_baseline(const Row& row) {
    if (row.python || !row.default_variant || row.batch != 0) return nullptr;
    return row.chapter == 9 || row.chapter == 10 ? "raw_coroutine_dispatch" : nullptr;
}

// The primitives judged against their floors: the library's send against a bare coroutine resume,
// the Greenlet switch against a bare fiber switch that swaps the exception state as it does.
struct PrimitiveFloor {
    const char* name;
    const char* baseline;
    std::optional<double> limit;
};
const PrimitiveFloor primitive_floors[] = {
    {"generator_send", "raw_resume", 1.5},
    {"delegated_send/1", "raw_resume", std::nullopt},
    {"delegated_send/10", "raw_resume", std::nullopt},
    {"greenlet_round_trip", "fiber_exception_state_round_trip", 1.5},
};

const Primitive* find_primitive(const std::vector<Primitive>& primitives, const std::string& name) {
    for (const Primitive& primitive : primitives) {
        if (primitive.name == name && !std::isnan(primitive.ns)) return &primitive;
    }
    return nullptr;
}

const Row* find_row(const std::vector<Row>& rows, int chapter, std::size_t batch, const std::string& implementation) {
    for (const Row& row : rows) {
        if (row.ok() && row.chapter == chapter && row.batch == batch && row.default_variant &&
            row.implementation == implementation) {
            return &row;
        }
    }
    return nullptr;
}

// ns per event with about three significant digits: 0.712, 6.10, 41.3, 203456.
std::string nanoseconds(double ns) {
    if (std::isnan(ns)) return "-";
    char text[32];
    std::snprintf(text, sizeof text, ns < 10 ? "%.2f" : ns < 100 ? "%.1f" : "%.0f", ns);
    return text;
}

std::string duration(double seconds) {
    if (std::isnan(seconds)) return "-";
    char text[32];
    if (seconds < 1e-3) std::snprintf(text, sizeof text, "%.1f us", seconds * 1e6);
    else if (seconds < 1) std::snprintf(text, sizeof text, "%.1f ms", seconds * 1e3);
    else std::snprintf(text, sizeof text, "%.2f s", seconds);
    return text;
}

std::string ratio(double value) {
    if (std::isnan(value)) return "-";
    char text[32];
    std::snprintf(text, sizeof text, value < 10 ? "%.2fx" : "%.0fx", value);
    return text;
}

// 0.021 reads better with its inverse beside it: "0.021 (1/47)".
std::string cpp_over_python(double value) {
    if (std::isnan(value)) return "-";
    char text[48];
    std::snprintf(text, sizeof text, "%.2g (1/%.3g)", value, 1 / value);
    return text;
}

std::string fit(std::string text, std::size_t width) {
    return text.size() <= width ? text : text.substr(0, width - 2) + "..";
}

void print_rows(const Results& results, bool python, std::ostream& out) {
    char line[512];
    std::snprintf(line, sizeof line, "%-34s %-36s %16s %4s %10s %9s %7s %19s  %s\n", "row",
                  python ? "interpreter" : "mechanism", "events", "runs", "median/run", "ns/event", "vs 01",
                  python ? "C++/Python" : "spread (ns/event)", "target");
    out << line;
    for (const Row& row : results.rows) {
        if (row.python != python) continue;
        std::string events = std::to_string(row.events) + (row.prefix_reason.empty() ? "" : " prefix");
        if (!row.ok()) {
            std::snprintf(line, sizeof line, "%-34s %-36s  FAILED: %s\n", fit(row.label(), 34).c_str(),
                          fit(python ? row.implementation : row.mechanism, 36).c_str(), row.error.c_str());
            out << line;
            continue;
        }
        std::string spread = python ? cpp_over_python(row.cpp_over_python)
                                    : nanoseconds(row.ns_per_event(row.min_seconds())) + "-" +
                                          nanoseconds(row.ns_per_event(row.max_seconds()));
        std::string target = row.target_status.empty() ? "" : row.target_status + " (" + row.target + ")";
        std::snprintf(line, sizeof line, "%-34s %-36s %16s %4zu %10s %9s %7s %19s  %s\n", fit(row.label(), 34).c_str(),
                      fit(python ? row.implementation : row.mechanism, 36).c_str(), events.c_str(),
                      row.run_seconds.size(), duration(row.median_seconds()).c_str(),
                      nanoseconds(row.ns_per_event()).c_str(), ratio(row.ratio_to_01).c_str(), spread.c_str(),
                      target.c_str());
        out << line;
    }
}

}  // namespace

void evaluate(Results& results) {
    for (Row& row : results.rows) {
        if (!row.ok()) continue;
        // Each implementation against its own chapter 01: the talk's claim that the weightless
        // generator beats the callout "on CPython anyway" is a ratio within CPython.
        const Row* first = find_row(results.rows, 1, 0, row.implementation);
        if (first == nullptr && row.python) {
            // A peer on Debian's python3 (for its greenlet, gevent...) beside chapter 01 on another
            // CPython build: the same interpreter, another version.
            const std::string family = row.implementation.substr(0, row.implementation.find(' '));
            for (const Row& other : results.rows) {
                if (other.ok() && other.python && other.chapter == 1 && other.batch == 0 &&
                    other.implementation.rfind(family + " ", 0) == 0) {
                    first = &other;
                    break;
                }
            }
        }
        if (first != nullptr) row.ratio_to_01 = row.ns_per_event() / first->ns_per_event();
        if (const char* baseline = row_baseline(row)) {
            row.baseline = baseline;
            if (const Primitive* floor = find_primitive(results.primitives, baseline)) {
                row.ratio_to_baseline = row.ns_per_event() / floor->ns;
            }
        }
        if (auto target = chapter_target(row)) {
            row.target = "<= " + number(target->limit, 3) + "x " + target->against;
            double ratio = row.ratio_to_01;
            if (target->against != "01") {
                const Primitive* floor = find_primitive(results.primitives, target->against);
                ratio = floor != nullptr ? row.ns_per_event() / floor->ns : not_measured;
            }
            if (!std::isnan(ratio)) row.target_status = ratio <= target->limit ? "met" : "missed";
            else if (target->against != "01") {
                results.notes.push_back(row.label() + ": its target is judged against " + target->against +
                                        ", a microbenchmark, which this run did not measure");
            }
        }
        if (row.python) {
            const Row* cpp = find_row(results.rows, row.chapter, row.batch, "C++");
            if (cpp != nullptr) {
                row.cpp_over_python = cpp->ns_per_event() / row.ns_per_event();
                row.target = "C++ faster";
                row.target_status = row.cpp_over_python < 1 ? "met" : "missed";
            }
        }
    }
    for (const PrimitiveFloor& judged : primitive_floors) {
        for (Primitive& primitive : results.primitives) {
            if (primitive.name != judged.name || std::isnan(primitive.ns)) continue;
            primitive.baseline = judged.baseline;
            const Primitive* floor = find_primitive(results.primitives, judged.baseline);
            if (floor == nullptr) continue;
            primitive.ratio_to_baseline = primitive.ns / floor->ns;
            if (judged.limit) {
                primitive.target = "<= " + number(*judged.limit, 3) + "x " + judged.baseline;
                primitive.target_status = primitive.ratio_to_baseline <= *judged.limit ? "met" : "missed";
            }
        }
    }
}

void print_table(const Results& results, std::ostream& out) {
    const Machine& machine = results.machine;
    out << "Weightless bench" << (results.quick ? " (--quick)" : "") << ", " << machine.date << ": "
        << results.book_name << ", " << results.book_events << " events per book\n"
        << "machine: " << machine.cores << " cores, " << machine.cpu << ", " << machine.compiler << ", "
        << machine.kernel << "; load average " << number(machine.load_before, 2) << " before, "
        << number(machine.load_after, 2) << " after\n\n";
    print_rows(results, false, out);
    bool any_python = false;
    for (const Row& row : results.rows) any_python = any_python || row.python;
    if (any_python) {
        out << "\nThe talk's Python (vs 01: against chapter 01 on the same interpreter; C++/Python: the C++ "
               "chapter's ns per event over this row's)\n";
        print_rows(results, true, out);
    }
    std::string prefixes;
    for (const Row& row : results.rows) {
        if (row.ok() && !row.prefix_reason.empty()) {
            prefixes += (prefixes.empty() ? "" : "; ") + row.label() + (row.python ? " " + row.implementation : "") +
                        " (" + row.prefix_reason + ")";
        }
    }
    if (!prefixes.empty()) {
        out << "\nprefix: measured on the first events of the book only, nothing extrapolated: " << prefixes << '\n';
    }
    if (!results.primitives.empty()) {
        out << "\nPrimitives (bench/micro.cpp, Google Benchmark: real time per operation, the median of its repetitions)\n";
        char line[256];
        std::snprintf(line, sizeof line, "%-34s %10s  %-10s %s\n", "primitive", "ns/op", "chapters", "target");
        out << line;
        for (const Primitive& primitive : results.primitives) {
            std::string target = primitive.target_status.empty() ? ""
                                 : primitive.target.empty()      ? primitive.target_status
                                                                 : primitive.target_status + " (" + primitive.target + ")";
            std::snprintf(line, sizeof line, "%-34s %10s  %-10s %s\n", primitive.name.c_str(),
                          nanoseconds(primitive.ns).c_str(), primitive.chapters.c_str(), target.c_str());
            out << line;
        }
        // The library against the floors it is built on, all measured in this run.
        out << "\nAgainst the floors (this run: the library's cost over the same work with no library)\n";
        std::snprintf(line, sizeof line, "%-34s %10s  %8s  %-34s %10s\n", "measured", "ns", "ratio", "floor", "ns");
        out << line;
        auto floor_line = [&](const std::string& name, double ns, const std::string& baseline, double ratio_to_floor) {
            const Primitive* floor = find_primitive(results.primitives, baseline);
            std::snprintf(line, sizeof line, "%-34s %10s  %8s  %-34s %10s\n", name.c_str(), nanoseconds(ns).c_str(),
                          ratio(ratio_to_floor).c_str(), baseline.c_str(),
                          nanoseconds(floor != nullptr ? floor->ns : not_measured).c_str());
            out << line;
        };
        for (const Primitive& primitive : results.primitives) {
            if (!primitive.baseline.empty()) floor_line(primitive.name, primitive.ns, primitive.baseline, primitive.ratio_to_baseline);
        }
        for (const Row& row : results.rows) {
            if (row.ok() && !row.baseline.empty()) floor_line(row.label(), row.ns_per_event(), row.baseline, row.ratio_to_baseline);
        }
    }
    int met = 0, missed = 0;
    std::string missed_names;
    for (const Row& row : results.rows) {
        if (row.target_status == "met") ++met;
        if (row.target_status == "missed") ++missed, missed_names += " " + row.label() + (row.python ? " " + row.implementation : "");
    }
    for (const Primitive& primitive : results.primitives) {
        if (primitive.target_status == "met") ++met;
        if (primitive.target_status == "missed") ++missed, missed_names += " " + primitive.name;
    }
    out << "\ntargets: " << met << " met, " << missed << " missed" << (missed ? ":" : "") << missed_names
        << '\n';
    for (const auto& note : results.notes) out << "note: " << note << '\n';
}

void write_csv(const Results& results, const std::filesystem::path& file) {
    std::ofstream out(file);
    out << "chapter,label,slug,implementation,mechanism,variant,batch,events,book_events,prefix,prefix_reason,runs,"
           "median_seconds,min_seconds,max_seconds,ns_per_event,ns_per_event_min,ns_per_event_max,ratio_to_01,"
           "cpp_over_python,target,target_status,baseline,ratio_to_baseline,load_before,load_after,error\n";
    for (const Row& row : results.rows) {
        out << row.chapter << ',' << csv(row.label()) << ',' << csv(row.slug) << ',' << csv(row.implementation) << ','
            << csv(row.mechanism) << ',' << csv(row.variant) << ',' << row.batch << ',' << row.events << ','
            << row.book_events << ',' << (row.prefix_reason.empty() ? "false" : "true") << ','
            << csv(row.prefix_reason) << ',' << row.run_seconds.size() << ',' << number(row.median_seconds(), 9) << ','
            << number(row.min_seconds(), 9) << ',' << number(row.max_seconds(), 9) << ','
            << number(row.ns_per_event(), 6) << ',' << number(row.ns_per_event(row.min_seconds()), 6) << ','
            << number(row.ns_per_event(row.max_seconds()), 6) << ',' << number(row.ratio_to_01, 6) << ','
            << number(row.cpp_over_python, 6) << ',' << csv(row.target) << ',' << csv(row.target_status) << ','
            << csv(row.baseline) << ',' << number(row.ratio_to_baseline, 6) << ','
            << number(results.machine.load_before, 3) << ',' << number(results.machine.load_after, 3) << ','
            << csv(row.error) << '\n';
    }
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

void write_json(const Results& results, const std::filesystem::path& file) {
    using nlohmann::ordered_json;
    ordered_json json = report_json(results.machine, results.quick, results.book_name, results.book_events);
    json["rows"] = ordered_json::array();
    json["primitives"] = ordered_json::array();
    json["notes"] = results.notes;
    for (const Row& row : results.rows) {
        ordered_json runs = ordered_json::array();
        for (double seconds : row.run_seconds) runs.push_back(number_or_null(seconds));
        json["rows"].push_back({
            {"chapter", row.chapter},
            {"label", row.label()},
            {"slug", row.slug},
            {"implementation", row.implementation},
            {"mechanism", row.mechanism},
            {"variant", row.variant},
            {"batch", row.batch},
            {"events", row.events},
            {"book_events", row.book_events},
            {"prefix", !row.prefix_reason.empty()},
            {"prefix_reason", row.prefix_reason},
            {"runs", row.run_seconds.size()},
            {"run_seconds", runs},
            {"median_seconds", number_or_null(row.median_seconds())},
            {"ns_per_event", number_or_null(row.ns_per_event())},
            {"ns_per_event_min", number_or_null(row.ns_per_event(row.min_seconds()))},
            {"ns_per_event_max", number_or_null(row.ns_per_event(row.max_seconds()))},
            {"ratio_to_01", number_or_null(row.ratio_to_01)},
            {"cpp_over_python", number_or_null(row.cpp_over_python)},
            {"target", row.target},
            {"target_status", row.target_status},
            {"baseline", row.baseline},
            {"ratio_to_baseline", number_or_null(row.ratio_to_baseline)},
            {"error", row.error},
        });
    }
    for (const Primitive& primitive : results.primitives) {
        ordered_json samples = ordered_json::array();
        for (double ns : primitive.samples) samples.push_back(number_or_null(ns));
        json["primitives"].push_back({{"name", primitive.name},
                                      {"chapters", primitive.chapters},
                                      {"ns_per_operation", number_or_null(primitive.ns)},
                                      {"ns_per_operation_repetitions", samples},
                                      {"baseline", primitive.baseline},
                                      {"ratio_to_baseline", number_or_null(primitive.ratio_to_baseline)},
                                      {"target", primitive.target},
                                      {"target_status", primitive.target_status}});
    }
    write_json_file(json, file);
}

void draw_chart(const Results& results, const std::filesystem::path& dir) {
    // One cluster per C++ row: the C++ bar, and beside it the Python peers' bars where they exist.
    std::ofstream data(dir / "chart.dat");
    data << "# label  C++  CPython  PyPy   (ns per event; NaN = not measured)\n";
    std::size_t rows = 0;
    for (const Row& row : results.rows) {
        if (row.python || !row.ok()) continue;
        std::string label = row.slug;
        if (!row.default_variant) label += " " + row.variant;
        if (row.batch != 0) label += " batch " + std::to_string(row.batch);
        if (!row.prefix_reason.empty()) label += " *";
        for (char& c : label) c = c == '_' ? ' ' : c == '"' ? '\'' : c;
        auto python = [&](const char* name) {
            for (const Row& peer : results.rows) {
                if (peer.python && peer.ok() && peer.chapter == row.chapter && peer.batch == row.batch &&
                    row.default_variant && peer.implementation.rfind(name, 0) == 0) {
                    return nanoseconds(peer.ns_per_event());
                }
            }
            return std::string("NaN");
        };
        data << '"' << label << "\" " << nanoseconds(row.ns_per_event()) << ' ' << python("CPython") << ' '
             << python("PyPy") << '\n';
        ++rows;
    }
    data.close();
    if (!data) throw std::runtime_error("cannot write " + (dir / "chart.dat").string());

    std::ofstream script(dir / "chart.gp");
    script << "# Drawn by workbook-bench: `gnuplot chart.gp` in this folder redraws chart.svg from chart.dat.\n"
           << "set terminal svg size " << std::max<std::size_t>(720, 64 * rows + 160)
           << ",560 dynamic noenhanced font 'sans,11' background rgb 'white'\n"
           << "set output 'chart.svg'\n"
           << "set title \"Weightless: what each mechanism costs per event (" << results.book_name << ", "
           << results.machine.date.substr(0, 10) << ")\\n" << results.machine.cores << " cores, "
           << results.machine.cpu << "; * = measured on a prefix of the book; log scale\"\n"
           << "set ylabel 'time per event'\n"
           << "set logscale y\nset yrange [0.1:*]\nset grid ytics\n"
           << "set ytics ('0.1 ns' 0.1, '1 ns' 1, '10 ns' 10, '100 ns' 100, '1 us' 1e3, '10 us' 1e4, "
              "'100 us' 1e5, '1 ms' 1e6, '10 ms' 1e7, '100 ms' 1e8, '1 s' 1e9)\n"
           << "set datafile missing 'NaN'\n"
           << "set style data histogram\nset style histogram clustered gap 1\n"
           << "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
           << "set xtics rotate by 30 right scale 0\nset bmargin 10\nset key top right\n"
           << "plot 'chart.dat' using 2:xtic(1) title 'C++' lc rgb '#1f5fa8', '' using 3 title 'CPython' lc rgb "
              "'#e3a21a', '' using 4 title 'PyPy' lc rgb '#3d9a4b'\n";
    script.close();
    if (!script) throw std::runtime_error("cannot write " + (dir / "chart.gp").string());
    run_gnuplot(dir, "chart.gp");
}

void run_gnuplot(const std::filesystem::path& dir, const std::string& script) {
    // The script names its files relative to its folder, so it can be rerun there by hand.
    std::string folder = dir.string();
    for (std::size_t at = 0; (at = folder.find('\'', at)) != std::string::npos; at += 2) folder.insert(at, 1, '\'');
    support::ProgramRun drawn = support::run_program("gnuplot", {"-e", "cd '" + folder + "'", script});
    if (drawn.status != 0) {
        throw std::runtime_error("gnuplot failed with status " + std::to_string(drawn.status) + " on " +
                                 (dir / script).string() + ": " + drawn.err.substr(0, drawn.err.find('\n')));
    }
}

}  // namespace workbook::bench
