// What the bench's two reports (report.cpp, and slow_report.cpp for --slow) write alike: numbers and
// text in CSV, NaN as JSON's null, the machine's block, and a JSON file.
#pragma once

#include "bench.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>

namespace workbook::bench {

// `value` with `precision` significant digits; "" when it was not measured (NaN).
inline std::string number(double value, int precision = 3) {
    if (std::isnan(value)) return "";
    std::ostringstream text;
    text << std::setprecision(precision) << value;
    return text.str();
}

// A CSV field: quoted, with its quotes doubled, when it holds a comma, a quote or a line end.
inline std::string csv(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

// NaN (not measured) is null in the JSON, as nlohmann::json writes it.
inline nlohmann::ordered_json number_or_null(double value) {
    return std::isnan(value) ? nlohmann::ordered_json() : nlohmann::ordered_json(value);
}

// The head of a report's JSON: when, whether --quick, on which machine and which book. The report
// adds its own fields after these.
inline nlohmann::ordered_json report_json(const Machine& machine, bool quick, const std::string& book_name,
                                          std::uint64_t book_events) {
    nlohmann::ordered_json json;
    json["date"] = machine.date;
    json["quick"] = quick;
    json["machine"] = {{"cores", machine.cores}, {"cpu", machine.cpu}, {"compiler", machine.compiler},
                       {"kernel", machine.kernel}, {"load_before", number_or_null(machine.load_before)},
                       {"load_after", number_or_null(machine.load_after)}};
    json["book"] = {{"name", book_name}, {"events", book_events}};
    return json;
}

// Writes `json` to `file`; throws std::runtime_error when it cannot. Names and messages come from
// files and programs: bytes that are not UTF-8 print as U+FFFD.
inline void write_json_file(const nlohmann::ordered_json& json, const std::filesystem::path& file) {
    std::ofstream out(file);
    out << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace workbook::bench
