// The agreement test for the talk's Python programs: every `chapters/NN_name/*.py`, run by python3,
// counts each book exactly as reference_count does, and behaves as the C++ chapters do on the
// command line. A new .py beside a chapter joins by being there: the test looks for them itself.
#include "books.hpp"
#include "redis_testing.hpp"

#include "workbook/support/run_program.hpp"
#include "workbook/book.hpp"
#include "workbook/default_book.hpp"
#include "workbook/servers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <iterator>
#include <unistd.h>
#include <vector>

using workbook::support::run_program;
namespace fs = std::filesystem;

namespace {

// Whether the peer's source imports `module`.
bool imports(const fs::path& peer, const std::string& module) {
    std::ifstream source(peer);
    const std::string text{std::istreambuf_iterator<char>(source), std::istreambuf_iterator<char>()};
    return text.find("\nfrom " + module + " import") != std::string::npos ||
           text.find("\nfrom " + module + ".") != std::string::npos ||
           text.find("\nimport " + module) != std::string::npos;
}

// The interpreter a peer needs: the one that has gevent for a peer on gevent, the one that has
// Twisted for a peer on Twisted, the one that has hiredis and uvloop for a peer on asyncio,
// the one that has greenlet for a peer on greenlet (all Debian's,
// for its own python3), python3 for the others. Empty when no interpreter here has what the peer
// imports.
std::string_view interpreter_for(const fs::path& peer) {
    if (imports(peer, "gevent")) return WORKBOOK_PYTHON3_GEVENT;
    if (imports(peer, "twisted")) return WORKBOOK_PYTHON3_TWISTED;
    if (imports(peer, "asyncio")) return WORKBOOK_PYTHON3_ASYNCIO;
    if (imports(peer, "greenlet")) return WORKBOOK_PYTHON3_GREENLET;
    return WORKBOOK_PYTHON3;
}

// Whether PyPy can run the peer: every library but those built for CPython only (PyPy has its own
// greenlet module).
bool runs_on_pypy(const fs::path& peer) {
    return !imports(peer, "gevent") && !imports(peer, "twisted") && !imports(peer, "uvloop");
}

// Every peer, but those on gevent or Twisted only when an interpreter here has it (python3-gevent,
// python3-twisted); in CI every one.
std::vector<fs::path> python_peers() {
    std::vector<fs::path> peers;
    for (const auto& folder : fs::directory_iterator(fs::path(WORKBOOK_SOURCE_DIR) / "chapters")) {
        if (!folder.is_directory()) continue;
        for (const auto& file : fs::directory_iterator(folder.path())) {
            if (file.path().extension() != ".py") continue;
            if (interpreter_for(file.path()).empty() && std::getenv("CI") == nullptr) {
                MESSAGE("no python3 here has what ", file.path().filename().string(), " imports: it is not checked");
                continue;
            }
            peers.push_back(file.path());
        }
    }
    std::sort(peers.begin(), peers.end());
    return peers;
}

// A book in a scratch file, removed afterwards.
struct BookFile {
    fs::path path;
    std::vector<unsigned char> bytes;
    BookFile(std::string name, std::vector<unsigned char> content) : bytes(std::move(content)) {
        path = fs::temp_directory_path() / ("workbook-python-" + std::to_string(::getpid()) + "-" + name);
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    ~BookFile() { fs::remove(path); }
    BookFile(const BookFile&) = delete;
    BookFile& operator=(const BookFile&) = delete;
};

using workbook::testing::every_byte_value;

std::vector<unsigned char> default_book(std::size_t size) {
    auto book = workbook::Book::default_book(size);
    return {book.events().begin(), book.events().end()};
}

// A number field of a program's one-line JSON object. (No <regex>: g++ 12 warns inside it under
// the sanitizers.)
std::uint64_t field(const std::string& json, const std::string& key) {
    const std::string name = "\"" + key + "\":";
    auto at = json.find(name);
    if (at == std::string::npos) throw std::runtime_error("no " + key + " in " + json);
    return std::stoull(json.substr(at + name.size()));
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        lines.push_back(text.substr(start, end - start));
    }
    if (start < text.size()) lines.push_back(text.substr(start));  // an unterminated last line
    return lines;
}

workbook::LetterTypes counts_in(const std::string& json) {
    return {field(json, "vowels"), field(json, "consonants"), field(json, "others")};
}

workbook::support::ProgramRun python(const fs::path& peer, std::vector<std::string> args,
                                    std::string_view interpreter = {}) {
    args.insert(args.begin(), peer.string());
    return run_program(std::string(interpreter.empty() ? interpreter_for(peer) : interpreter), args);
}

// The lines a program prints before its title: its chapter's demonstration of the talk's example.
std::vector<std::string> demonstration_in(const std::vector<std::string>& lines) {
    auto title = std::find_if(lines.begin(), lines.end(),
                              [](const std::string& line) { return line.rfind("Count letters ", 0) == 0; });
    return {lines.begin(), title};
}

// What the C++ chapter of a peer demonstrates (its program is named after its folder).
std::vector<std::string> chapter_demonstration(const fs::path& peer) {
    const auto program = fs::path(WORKBOOK_BIN_DIR) / peer.parent_path().filename();
    auto run = run_program(program.string(), {"--book", "/dev/null", "--runs", "1"});
    if (run.status != 0) throw std::runtime_error(program.string() + " failed: " + run.err);
    return demonstration_in(lines_of(run.out));
}

// The interpreters to run a peer under: its CPython, and PyPy when it is here and can run it.
std::vector<std::string_view> interpreters_of(const fs::path& peer) {
    std::vector<std::string_view> interpreters{interpreter_for(peer)};
    if (!std::string_view(WORKBOOK_PYPY3).empty() && runs_on_pypy(peer)) interpreters.push_back(WORKBOOK_PYPY3);
    return interpreters;
}

}  // namespace

TEST_CASE("the talk's Python programs are found beside their chapters") {
    auto peers = python_peers();
    std::vector<std::string> names;
    for (const auto& peer : peers) names.push_back(peer.parent_path().filename().string() + "/" + peer.filename().string());
    for (const char* expected : {"01_serial/serial.py", "04_threads/threads.py", "06_trampoline/trampoline.py",
                                 "07_co_trampoline/co_trampoline.py", "08_scheduler/scheduler.py",
                                 "09_weightless/weightless.py", "10_delegation/delegation.py",
                                 "11_greenlets/greenlets.py", "12_event_loop/event_loop.py",
                                 "13_deferreds/deferreds.py", "14_async_await/async_await.py"}) {
        CHECK(std::find(names.begin(), names.end(), expected) != names.end());
    }
}

TEST_CASE("every Python program counts each book (or its default prefix) as the reference count does, batched or not") {
    // Few and small books: each run starts an interpreter, and the fed threads pay microseconds per event.
    BookFile books[] = {
        {"empty", {}},
        {"256-values-x16", every_byte_value(16)},
        {"default-16k", default_book(16 * 1024)},
    };
    for (const auto& peer : python_peers()) {
        for (const auto& book : books) {
            // Each program's own default limit holds, as for the C++ chapters: the process per event
            // counts a prefix. The counts are checked against that prefix.
            auto run = python(peer, {"--book", book.path.string(), "--runs", "1", "--json"});
            INFO(peer.filename().string(), " on ", book.path.filename().string(), ": ", run.err);
            REQUIRE(run.status == 0);
            const auto events = field(run.out, "events");
            CHECK(events <= book.bytes.size());
            CHECK(events >= std::min<std::size_t>(book.bytes.size(), 50));
            const auto expected = workbook::reference_count(std::span(book.bytes).first(events));
            CHECK(counts_in(run.out) == expected);
            if (run.out.find("\"takes_batch\":true") == std::string::npos) continue;
            for (const char* batch : {"7", "4096"}) {  // a partial last batch, and a batch bigger than the book
                INFO("--batch ", batch);
                auto batched = python(peer, {"--book", book.path.string(), "--runs", "1", "--json", "--batch", batch});
                REQUIRE(batched.status == 0);
                CHECK(counts_in(batched.out) == expected);
            }
        }
    }
}

TEST_CASE("without --book a Python program counts the default book, made by workbook-corpus") {
    const auto expected = workbook::reference_count(default_book(40));
    ::setenv("WORKBOOK_CORPUS", WORKBOOK_CORPUS_PROGRAM, 1);
    for (const auto& peer : python_peers()) {
        INFO(peer.filename().string());
        auto run = python(peer, {"--limit", "40", "--runs", "1", "--json"});
        REQUIRE(run.status == 0);
        CHECK(counts_in(run.out) == expected);
        CHECK(field(run.out, "book_events") == workbook::default_book_size);
        CHECK(run.out.find("\"book\":\"<default book>\"") != std::string::npos);
    }
}

TEST_CASE("every Python program prints its chapter's demonstration and the talk's three lines, and says when it counted a prefix") {
    BookFile book{"default-10k", default_book(10'000)};
    const auto expected = workbook::reference_count(std::span(book.bytes).first(40));
    for (const auto& peer : python_peers()) {
        const auto demonstration = chapter_demonstration(peer);
        for (auto interpreter : interpreters_of(peer)) {
            INFO(peer.filename().string(), " under ", interpreter);
            auto run = python(peer, {"--book", book.path.string(), "--limit", "40", "--runs", "2"}, interpreter);
            CHECK(run.status == 0);
            CHECK(run.err == "");
            auto all_lines = lines_of(run.out);
            CHECK(demonstration_in(all_lines) == demonstration);  // the same as its C++ chapter's, or none
            const std::vector<std::string> lines(all_lines.begin() + static_cast<std::ptrdiff_t>(demonstration.size()),
                                                 all_lines.end());
            REQUIRE(lines.size() == 4);
            CHECK(lines[0].rfind("Count letters ", 0) == 0);
            unsigned long long vowels = 0, consonants = 0, others = 0;
            char end = 0;
            REQUIRE(std::sscanf(lines[1].c_str(), "vowels=%llu consonants=%llu others=%llu%c", &vowels, &consonants,
                                &others, &end) == 3);
            CHECK(workbook::LetterTypes{vowels, consonants, others} == expected);
            CHECK(lines[2].rfind("2 runs in ", 0) == 0);
            CHECK(lines[2].ends_with(" seconds"));
            CHECK(lines[3] == "(only the first 40 of 10000 events; --limit 0 counts them all)");
            CHECK(run.out.back() == '\n');
        }
    }
}

TEST_CASE("the chapters that demonstrate the talk's example have Python peers that print it") {
    // The check above compares each peer's demonstration with its chapter's; this one makes sure
    // that comparison is not of two empty demonstrations for the chapters that have one.
    for (const char* peer : {"06_trampoline/trampoline.py", "07_co_trampoline/co_trampoline.py",
                             "10_delegation/delegation.py", "11_greenlets/greenlets.py"}) {
        INFO(peer);
        CHECK_FALSE(chapter_demonstration(fs::path(WORKBOOK_SOURCE_DIR) / "chapters" / peer).empty());
    }
}

TEST_CASE("under PyPy too, every Python program not on a CPython-only library counts each book as the reference count does") {
    if (std::string_view(WORKBOOK_PYPY3).empty()) {
        MESSAGE("pypy3 is not installed: the Python programs are checked under CPython only");
        return;
    }
    BookFile books[] = {{"256-values-x4", every_byte_value(4)}, {"default-16k-pypy", default_book(16 * 1024)}};
    for (const auto& peer : python_peers()) {
        if (!runs_on_pypy(peer)) continue;
        for (const auto& book : books) {
            auto run = python(peer, {"--book", book.path.string(), "--runs", "2", "--json"}, WORKBOOK_PYPY3);
            INFO(peer.filename().string(), " on ", book.path.filename().string(), ": ", run.err);
            REQUIRE(run.status == 0);
            CHECK(run.out.find("\"interpreter\":\"PyPy ") != std::string::npos);
            const auto events = field(run.out, "events");
            CHECK(counts_in(run.out) == workbook::reference_count(std::span(book.bytes).first(events)));
        }
    }
}

TEST_CASE("a Python program given a missing book says so in one line and exits with status 2") {
    for (const auto& peer : python_peers()) {
        INFO(peer.filename().string());
        auto run = python(peer, {"--book", "/no/such/file"});
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(run.err == peer.filename().string() + ": cannot read book '/no/such/file': No such file or directory\n");
    }
}

TEST_CASE("a Python program given a malformed option says what is wrong in one line, with the usage") {
    for (const auto& peer : python_peers()) {
        for (std::vector<std::string> args : {std::vector<std::string>{"--runs", "0"}, {"--frobnicate"}}) {
            // Every program takes both; the harness parses them all alike, so one is checked per program.
            if (args[0] == "--runs" && peer.filename() != "serial.py") continue;
            INFO(peer.filename().string(), " ", args[0]);
            auto run = python(peer, args);
            CHECK(run.status == 2);
            CHECK(run.out == "");
            CHECK(run.err.rfind(peer.filename().string() + ": ", 0) == 0);
            CHECK(run.err.find("; usage: " + peer.filename().string() + " ") != std::string::npos);
            CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
        }
    }
}

// A peer that keeps calls in flight (chapters 12 and 13) counts a book of every byte value with
// local counters and with the counter service, at 1, 7 and 100 in flight, each with `extra`.
static void check_in_flight_peer(const fs::path& peer, const std::vector<std::string>& extra) {
    ::setenv("WORKBOOK_COUNTER_SERVICE", WORKBOOK_COUNTER_SERVICE, 1);
    BookFile book{"256-values-x2", every_byte_value(2)};
    const auto expected = workbook::reference_count(std::span(book.bytes));
    for (std::vector<std::string> counter : {std::vector<std::string>{"--counter", "local"},
                                             {"--counter", "service", "--wait", "50"}}) {
        for (const char* in_flight : {"1", "7", "100"}) {
            INFO(counter[1], ", in flight ", in_flight);
            std::vector<std::string> args{"--book", book.path.string(), "--runs", "2", "--json", "--in-flight", in_flight};
            args.insert(args.end(), counter.begin(), counter.end());
            args.insert(args.end(), extra.begin(), extra.end());
            auto run = python(peer, args);
            INFO(run.err);
            REQUIRE(run.status == 0);
            CHECK(counts_in(run.out) == expected);
            CHECK(field(run.out, "in_flight") == std::stoull(in_flight));
            CHECK(run.out.find("\"counter\":\"" + counter[1] + "\"") != std::string::npos);
        }
    }
}

TEST_CASE("chapter 12's peer on gevent counts with its greenlets on local counters and on the counter service") {
    const fs::path peer = fs::path(WORKBOOK_SOURCE_DIR) / "chapters" / "12_event_loop" / "event_loop.py";
    if (std::string_view(WORKBOOK_PYTHON3_GEVENT).empty() && std::getenv("CI") == nullptr) {
        MESSAGE("no python3 here has gevent (python3-gevent): skipped");
        return;
    }
    check_in_flight_peer(peer, {});
}

TEST_CASE("chapter 13's peer on Twisted counts with its Deferreds, chained or inline, on local counters and on the counter service") {
    const fs::path peer = fs::path(WORKBOOK_SOURCE_DIR) / "chapters" / "13_deferreds" / "deferreds.py";
    if (std::string_view(WORKBOOK_PYTHON3_TWISTED).empty() && std::getenv("CI") == nullptr) {
        MESSAGE("no python3 here has Twisted and hiredis (python3-twisted, python3-hiredis): skipped");
        return;
    }
    for (const char* variant : {"inline", "chain"}) {
        INFO(variant);
        check_in_flight_peer(peer, {"--variant", variant});
    }
}

TEST_CASE("chapters 12, 13 and 14's peers count on a server already listening at --socket, as the bench runs them") {
    BookFile book{"256-values-x2", every_byte_value(2)};
    const auto expected = workbook::reference_count(std::span(book.bytes));
    workbook::PrivateServer service = workbook::PrivateServer::counter_service(std::chrono::microseconds(0), WORKBOOK_COUNTER_SERVICE);
    for (const char* peer : {"12_event_loop/event_loop.py", "13_deferreds/deferreds.py", "14_async_await/async_await.py"}) {
        const fs::path path = fs::path(WORKBOOK_SOURCE_DIR) / "chapters" / peer;
        if (interpreter_for(path).empty() && std::getenv("CI") == nullptr) continue;
        INFO(peer);
        auto run = python(path, {"--book", book.path.string(), "--runs", "2", "--json", "--counter", "service",
                                 "--socket", service.socket_path()});
        INFO(run.err);
        REQUIRE(run.status == 0);
        CHECK(counts_in(run.out) == expected);  // and the peer checked the server's totals against its own
        // A socket where nothing listens is the mechanism failing: one line naming the server, status 1.
        auto missing = python(path, {"--limit", "10", "--counter", "service", "--socket", service.directory() + "/none.sock"});
        CHECK(missing.status == 1);
        CHECK(missing.err.rfind(path.filename().string() + ": cannot reach the counter service at ", 0) == 0);
        CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
    }
}

TEST_CASE("chapter 14's peer counts with its tasks, on asyncio's loop and on uvloop's, on local counters and on the counter service") {
    const fs::path peer = fs::path(WORKBOOK_SOURCE_DIR) / "chapters" / "14_async_await" / "async_await.py";
    if (std::string_view(WORKBOOK_PYTHON3_ASYNCIO).empty() && std::getenv("CI") == nullptr) {
        MESSAGE("no python3 here has hiredis and uvloop (python3-hiredis, python3-uvloop): skipped");
        return;
    }
    for (const char* loop : {"asyncio", "uvloop"}) {
        INFO("--loop ", loop);
        check_in_flight_peer(peer, {"--loop", loop});
    }
}

// The peers of chapters 01-04 and 09 take the C++ chapters' slow counters (common/python/counters.py).
static const char* const slow_peers[] = {"01_serial/serial.py", "02_processes/processes.py", "03_pools/pools.py",
                                         "04_threads/threads.py", "09_weightless/weightless.py"};

TEST_CASE("the peers of chapters 01-04 and 09 count alike with --work, on the counter service and on Redis, under each interpreter") {
    ::setenv("WORKBOOK_COUNTER_SERVICE", WORKBOOK_COUNTER_SERVICE, 1);
    BookFile book{"256-values", every_byte_value(1)};
    const auto expected = workbook::reference_count(std::span(book.bytes));
    const bool have_redis = workbook::testing::redis_or_skip();
    for (const char* name : slow_peers) {
        const fs::path peer = fs::path(WORKBOOK_SOURCE_DIR) / "chapters" / name;
        std::vector<std::vector<std::string>> kinds{{"--work", "2000"}};
        std::vector<std::string_view> interpreters{WORKBOOK_PYTHON3};
        if (!std::string_view(WORKBOOK_PYTHON3_REDIS).empty()) {
            interpreters = {WORKBOOK_PYTHON3_REDIS};
            kinds.push_back({"--counter", "service", "--wait", "20"});
            kinds.push_back({"--counter", "service", "--work", "500"});
            if (have_redis) kinds.push_back({"--counter", "redis"});
        } else if (std::getenv("CI") != nullptr) {
            FAIL("no python3 here imports redis (python3-redis)");
        }
        if (!std::string_view(WORKBOOK_PYPY3).empty()) interpreters.push_back(WORKBOOK_PYPY3);
        for (auto interpreter : interpreters) {
            for (auto kind : kinds) {
                const bool batched = std::string_view(name).find("pools") != std::string_view::npos ||
                                     std::string_view(name).find("threads") != std::string_view::npos;
                for (const char* batch : {"0", "16"}) {
                    if (std::string_view(batch) != "0" && !batched) continue;
                    std::vector<std::string> args{"--book", book.path.string(), "--limit", "0", "--runs", "2", "--json"};
                    if (std::string_view(batch) != "0") args.insert(args.end(), {"--batch", batch});
                    args.insert(args.end(), kind.begin(), kind.end());
                    INFO(name, " under ", interpreter, " with ", kind[0], " ", kind[1], " --batch ", batch);
                    auto run = python(peer, args, interpreter);
                    INFO(run.err);
                    REQUIRE(run.status == 0);
                    CHECK(counts_in(run.out) == expected);  // and the peer checked the server's totals
                    const std::string counter = kind[0] == "--counter" ? kind[1] : "local";
                    CHECK(run.out.find("\"counter\":\"" + counter + "\"") != std::string::npos);
                }
            }
        }
    }
}

TEST_CASE("the peers of chapters 01-04 and 09 reject malformed slow-counter options in one line, status 2") {
    for (const char* name : slow_peers) {
        const fs::path peer = fs::path(WORKBOOK_SOURCE_DIR) / "chapters" / name;
        for (std::vector<std::string> args : {std::vector<std::string>{"--work", "-1"}, {"--work", "lots"},
                                              {"--wait", "10"}, {"--counter", "service", "--wait", "-5"},
                                              {"--counter", "disk"}, {"--socket", "/tmp/x.sock"},
                                              {"--counter", "service", "--wait", "1", "--socket", "/tmp/x.sock"}}) {
            INFO(name, " ", args[0], " ", args[1]);
            auto run = python(peer, args);
            CHECK(run.status == 2);
            CHECK(run.out == "");
            CHECK(run.err.rfind(peer.filename().string() + ": ", 0) == 0);
            CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
        }
    }
}

TEST_CASE("the peers of chapters 01-04 and 09 count on a server already listening at --socket, and say when none listens") {
    if (std::string_view(WORKBOOK_PYTHON3_REDIS).empty() && std::getenv("CI") == nullptr) {
        MESSAGE("no python3 here imports redis (python3-redis): skipped");
        return;
    }
    BookFile book{"256-values", every_byte_value(1)};
    const auto expected = workbook::reference_count(std::span(book.bytes));
    workbook::PrivateServer service = workbook::PrivateServer::counter_service(std::chrono::microseconds(0), WORKBOOK_COUNTER_SERVICE);
    for (const char* name : slow_peers) {
        const fs::path peer = fs::path(WORKBOOK_SOURCE_DIR) / "chapters" / name;
        INFO(name);
        auto run = python(peer, {"--book", book.path.string(), "--limit", "0", "--runs", "2", "--json", "--counter", "service",
                                 "--socket", service.socket_path()}, WORKBOOK_PYTHON3_REDIS);
        INFO(run.err);
        REQUIRE(run.status == 0);
        CHECK(counts_in(run.out) == expected);
        auto missing = python(peer, {"--limit", "10", "--counter", "service", "--socket", service.directory() + "/none.sock"},
                              WORKBOOK_PYTHON3_REDIS);
        CHECK(missing.status == 1);
        CHECK(missing.err.rfind(peer.filename().string() + ": cannot reach the counter service at ", 0) == 0);
        CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
    }
}
