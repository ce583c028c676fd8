// The main of every exercise's test program (exercise_NN_name and solution_NN_name): doctest's,
// with a listener that writes the one result `./workbook check` prints, a watchdog that turns a
// hang into "timed out" naming the test case still running, and crash handlers that name the test
// case that crashed. doctest's own signal handlers are off (DOCTEST_CONFIG_NO_POSIX_SIGNALS): they
// report through ordinary code (streams, allocation), which a signal handler must not run; ours
// only write(2) buffers prepared before the test case started.
//
// Environment:
//   WORKBOOK_CHECK_RESULT=PATH         write the result to PATH (./workbook check reads it)
//   WORKBOOK_CHECK_TIME_LIMIT=SECONDS  the watchdog's limit for the whole run (default 60)
//
// The result is line-oriented: its first line is the outcome, the lines after it its details.
//   done
//   not started: TODO: <the stub's message>
//   failing: P of N test cases pass; the first that fails:      then "case", the check, its values
//   crashed: SIGSEGV (invalid memory access) in test case        then "case"
//   timed out: a test case still ran after N seconds (...)       then "case"
#define DOCTEST_CONFIG_IMPLEMENT
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

constexpr unsigned default_time_limit = 60;
constexpr std::string_view todo_prefix = "TODO: ";

// What the signal handlers use: all of it prepared beforehand, read with atomics and write(2) only.
struct Emergency {
    int fd = -1;                    // the result file, or -1 when none was asked for
    pid_t pid = 0;                  // the test program itself: a forked child never reports
    std::atomic<bool> armed{false}; // from the run's start until a result is written
    std::string timed_out;          // the time-out's first line, limit included
    // The running test case as the result's last line ("name"\n), in two buffers: the next name is
    // written into the one not in use, then published, so a handler never reads a half-written one.
    static constexpr std::size_t capacity = 2048;
    char names[2][capacity] = {};
    std::size_t sizes[2] = {};
    std::atomic<int> current{0};
};
Emergency emergency;

void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

// The result's lines hold one line each: control characters are shown escaped, long values cut.
std::string one_line(std::string_view text, std::size_t limit = 1000) {
    std::string line;
    for (char c : text.substr(0, limit)) {
        switch (c) {
            case '\n': line += "\\n"; break;
            case '\r': line += "\\r"; break;
            case '\t': line += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
                    line += hex;
                } else {
                    line += c;
                }
        }
    }
    if (text.size() > limit) line += " ... (" + std::to_string(text.size() - limit) + " more characters)";
    return line;
}

void publish_running(std::string_view name) {
    int next = 1 - emergency.current.load(std::memory_order_relaxed);
    std::string line = "\"" + one_line(name, Emergency::capacity - 64) + "\"\n";
    std::memcpy(emergency.names[next], line.data(), line.size());
    emergency.sizes[next] = line.size();
    emergency.current.store(next, std::memory_order_release);
}

// Writes the result of a fatal signal, once, from the test program only (never from a child).
void report_from_handler(std::string_view head) {
    if (::getpid() != emergency.pid || !emergency.armed.exchange(false)) return;
    int running = emergency.current.load(std::memory_order_acquire);
    std::string_view name(emergency.names[running], emergency.sizes[running]);
    for (int fd : {emergency.fd, STDERR_FILENO}) {
        if (fd < 0) continue;
        if (fd == STDERR_FILENO) write_all(fd, "\n");
        write_all(fd, head);
        write_all(fd, name);
    }
}

struct FatalSignal {
    int number;
    std::string_view head;
};
// The signals a broken exercise dies of, with what they usually mean.
constexpr FatalSignal fatal_signals[] = {
    {SIGSEGV, "crashed: SIGSEGV (invalid memory access) in test case\n"},
    {SIGBUS, "crashed: SIGBUS (invalid memory access) in test case\n"},
    {SIGABRT, "crashed: SIGABRT (aborted: a failed assertion, or std::terminate) in test case\n"},
    {SIGFPE, "crashed: SIGFPE (arithmetic error, such as a division by zero) in test case\n"},
    {SIGILL, "crashed: SIGILL (illegal instruction) in test case\n"},
};

// After reporting, the signal is raised again with its default action, so the program still dies
// of it (its exit status says so) instead of carrying on in a broken state.
extern "C" void on_fatal_signal(int number) {
    int saved = errno;
    for (const auto& fatal : fatal_signals) {
        if (fatal.number == number) report_from_handler(fatal.head);
    }
    ::signal(number, SIG_DFL);
    ::raise(number);
    errno = saved;
}

extern "C" void on_time_out(int number) {
    report_from_handler(emergency.timed_out);
    ::signal(number, SIG_DFL);
    ::raise(number);
}

// An alternate stack for the handlers, so that a stack overflow (endless recursion) is reported too.
alignas(16) char signal_stack[64 * 1024];

void install_handlers() {
    stack_t stack{};
    stack.ss_sp = signal_stack;
    stack.ss_size = sizeof signal_stack;
    ::sigaltstack(&stack, nullptr);
    struct sigaction action {};
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK;
    action.sa_handler = on_fatal_signal;
    for (const auto& fatal : fatal_signals) ::sigaction(fatal.number, &action, nullptr);
    action.sa_handler = on_time_out;
    ::sigaction(SIGALRM, &action, nullptr);
}

unsigned time_limit = default_time_limit;

// The first failure of a test case: the lines that describe it, and the stub's TODO if it was one.
struct Failure {
    std::vector<std::string> lines;
    std::string todo;
    bool empty() const { return lines.empty(); }
};

// A source file's path as the learner sees it, from the project's folder. The compiler was given it
// relative to the build folder (Ninja's way) or absolute.
std::string where(const char* file, int line) {
    std::filesystem::path path = file ? file : "?";
    if (path.is_relative()) path = std::filesystem::path(WORKBOOK_BUILD_DIR) / path;
    auto relative = path.lexically_normal().lexically_relative(WORKBOOK_SOURCE_DIR);
    if (!relative.empty() && *relative.begin() != "..") path = relative;
    return path.string() + ":" + std::to_string(line) + ": ";
}

// The stub's TODO message, when `text` is one (a check's exception comes in quotes).
std::string todo_in(const doctest::String& text) {
    std::string_view message(text.c_str(), text.size());
    if (message.size() >= 2 && message.front() == '"' && message.back() == '"') {
        message = message.substr(1, message.size() - 2);
    }
    return message.substr(0, todo_prefix.size()) == todo_prefix ? one_line(message) : std::string();
}

// What INFO() and CHECK_MESSAGE() logged, the way doctest's console prints it ("logged: ...").
std::string logged_line(bool after_exception) {
    std::vector<std::string> parts;
    if (after_exception) {
        const doctest::String* contexts = doctest::IReporter::get_stringified_contexts();
        for (int i = 0; i < doctest::IReporter::get_num_stringified_contexts(); ++i) {
            parts.emplace_back(contexts[i].c_str());
        }
    } else {
        const doctest::IContextScope* const* contexts = doctest::IReporter::get_active_contexts();
        for (int i = 0; i < doctest::IReporter::get_num_active_contexts(); ++i) {
            std::ostringstream text;
            contexts[i]->stringify(&text);
            parts.push_back(text.str());
        }
    }
    std::string line;
    for (const auto& part : parts) line += (line.empty() ? "" : "; ") + one_line(part);
    return line.empty() ? line : "logged: " + line;
}

Failure describe(const doctest::AssertData& check) {
    namespace at = doctest::assertType;
    std::string macro = doctest::assertString(check.m_at);
    std::string expression = macro + "( " + check.m_expr + " )";
    std::string exception = one_line(check.m_exception.c_str());
    std::string verdict;
    bool show_values = false;
    if (check.m_at & at::is_throws) {
        verdict = "did NOT throw at all!";
    } else if (check.m_at & (at::is_throws_as | at::is_throws_with)) {
        verdict = check.m_threw ? "threw a DIFFERENT exception: " + exception : "did NOT throw at all!";
        if (check.m_at & at::is_throws_as) expression = macro + "( " + check.m_expr + ", " + check.m_exception_type + " )";
    } else if (check.m_threw) {
        verdict = "THREW exception: " + exception;
    } else if (check.m_at & at::is_nothrow) {
        verdict = "didn't throw!";
    } else {
        verdict = "is NOT correct!";
        show_values = true;
    }
    Failure failure;
    failure.lines.push_back(where(check.m_file, check.m_line) + one_line(expression) + " " + verdict);
    if (show_values) failure.lines.push_back("values: " + one_line(macro + "( " + check.m_decomp.c_str() + " )"));
    if (auto logged = logged_line(false); !logged.empty()) failure.lines.push_back(logged);
    if (check.m_threw) failure.todo = todo_in(check.m_exception);
    return failure;
}

// A doctest listener: it runs beside the console reporter, whose output stays what it always was.
class ExerciseReporter : public doctest::IReporter {
public:
    explicit ExerciseReporter(const doctest::ContextOptions& /*options*/) {}

    void report_query(const doctest::QueryData& /*query*/) override {}

    void test_run_start() override {
        emergency.armed = true;
        ::alarm(time_limit);
    }

    void test_run_end(const doctest::TestRunStats& /*stats*/) override {
        ::alarm(0);
        if (::getpid() != emergency.pid || !emergency.armed.exchange(false) || emergency.fd < 0) return;
        std::string text;
        for (const auto& line : result()) text += line + "\n";
        write_all(emergency.fd, text);
    }

    void test_case_start(const doctest::TestCaseData& test_case) override {
        publish_running(test_case.m_name);
        std::lock_guard lock(mutex_);
        running_ = test_case.m_name;
        case_failure_ = {};
    }

    void test_case_reenter(const doctest::TestCaseData& /*test_case*/) override {}

    void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
        std::lock_guard lock(mutex_);
        ++cases_;
        if (stats.testCaseSuccess) {
            ++passed_;
        } else if (first_failure_.empty()) {
            first_failing_case_ = running_;
            first_failure_ = case_failure_.empty() ? Failure{{"(no check failed, yet the test case failed)"}, {}}
                                                   : case_failure_;
        }
        publish_running("(between test cases)");
    }

    void test_case_exception(const doctest::TestCaseException& exception) override {
        std::lock_guard lock(mutex_);
        if (!case_failure_.empty()) return;
        case_failure_.lines.push_back("the test case THREW exception: " + one_line(exception.error_string.c_str()));
        if (auto logged = logged_line(true); !logged.empty()) case_failure_.lines.push_back(logged);
        case_failure_.todo = todo_in(exception.error_string);
    }

    void subcase_start(const doctest::SubcaseSignature& /*subcase*/) override {}
    void subcase_end() override {}

    void log_assert(const doctest::AssertData& check) override {
        if (!check.m_failed || (check.m_at & doctest::assertType::is_warn)) return;
        std::lock_guard lock(mutex_);
        if (case_failure_.empty()) case_failure_ = describe(check);
    }

    void log_message(const doctest::MessageData& message) override {
        if (message.m_severity & doctest::assertType::is_warn) return;  // MESSAGE and WARN never fail
        std::lock_guard lock(mutex_);
        if (!case_failure_.empty()) return;
        case_failure_.lines.push_back(where(message.m_file, message.m_line) + "FAILED: " +
                                      one_line(message.m_string.c_str()));
        if (auto logged = logged_line(false); !logged.empty()) case_failure_.lines.push_back(logged);
    }

    void test_case_skipped(const doctest::TestCaseData& /*test_case*/) override {}

private:
    std::vector<std::string> result() const {
        std::lock_guard lock(mutex_);
        if (cases_ == 0) return {"failing: no test case ran (did a filter leave none?)"};
        if (passed_ == cases_) return {"done"};
        if (passed_ == 0 && !first_failure_.todo.empty()) return {"not started: " + first_failure_.todo};
        std::vector<std::string> lines{"failing: " + std::to_string(passed_) + " of " + std::to_string(cases_) +
                                           " test cases pass; the first that fails:",
                                       "\"" + one_line(first_failing_case_) + "\""};
        lines.insert(lines.end(), first_failure_.lines.begin(), first_failure_.lines.end());
        return lines;
    }

    mutable std::mutex mutex_;  // checks may fail on any thread
    std::string running_;
    Failure case_failure_;
    std::string first_failing_case_;
    Failure first_failure_;
    unsigned cases_ = 0;
    unsigned passed_ = 0;
};

REGISTER_LISTENER("workbook_exercise", 1, ExerciseReporter);

[[noreturn]] void refuse(const std::string& why) {
    std::fprintf(stderr, "exercise tests: %s\n", why.c_str());
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    if (const char* text = std::getenv("WORKBOOK_CHECK_TIME_LIMIT"); text && *text) {
        std::string_view limit(text);
        auto [end, error] = std::from_chars(limit.data(), limit.data() + limit.size(), time_limit);
        if (error != std::errc() || end != limit.data() + limit.size() || time_limit == 0 || time_limit > 86'400) {
            refuse("WORKBOOK_CHECK_TIME_LIMIT must be a whole number of seconds from 1 to 86400, not '" +
                   std::string(limit) + "'");
        }
    }
    if (const char* path = std::getenv("WORKBOOK_CHECK_RESULT"); path && *path) {
        emergency.fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (emergency.fd < 0) refuse(std::string("cannot write the result to ") + path + ": " + std::strerror(errno));
    }
    emergency.pid = ::getpid();
    emergency.timed_out = "timed out: a test case still ran after " + std::to_string(time_limit) +
                          (time_limit == 1 ? " second" : " seconds") + " (a deadlock? a loop that never ends?)\n";
    publish_running("(before the first test case)");
    // Line-buffered, so that what the tests printed before a crash is not lost in a buffer.
    std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
    install_handlers();

    doctest::Context context(argc, argv);
    int status = context.run();
    if (emergency.fd >= 0) ::close(emergency.fd);
    return status;
}
