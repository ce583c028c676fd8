#include "workbook/counter_kinds.hpp"

#include "workbook/burn.hpp"
#include "workbook/chapter.hpp"
#include "workbook/runner.hpp"
#include "workbook/servers.hpp"

#include <algorithm>
#include <stdexcept>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace workbook {
namespace {

constexpr std::array<std::string_view, 3> kind_names{"local", "service", "redis"};
constexpr std::array<std::string_view, 3> counter_names{"vowel", "consonant", "other"};

// A socket path must fit sockaddr_un::sun_path with its terminating zero.
constexpr std::size_t max_socket_path = sizeof(sockaddr_un{}.sun_path) - 1;

std::string range_error(std::string_view option, std::string_view unit, std::int64_t maximum, std::string_view got) {
    return std::string(option) + " needs a whole number of " + std::string(unit) + " from 0 to " + std::to_string(maximum) +
           ", got '" + std::string(got) + "'";
}

std::string kinds_list() { return "local, service, redis"; }

// The backend's own connection is the parent's: a forked child reaches the server through a link.
std::string only_the_owner(std::string_view what) {
    return "only the process that made the counters " + std::string(what) + " (a forked child makes its own link)";
}

}  // namespace

std::string_view counter_kind_name(CounterKind kind) noexcept {
    auto index = static_cast<std::size_t>(kind);
    return index < kind_names.size() ? kind_names[index] : "unknown";
}

std::optional<CounterKind> counter_kind_named(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kind_names.size(); ++i)
        if (kind_names[i] == name) return static_cast<CounterKind>(i);
    return std::nullopt;
}

std::string_view counter_name(Letter letter) noexcept { return counter_names[static_cast<std::size_t>(letter)]; }

std::optional<Letter> letter_of_counter(std::string_view name) noexcept {
    for (std::size_t i = 0; i < counter_names.size(); ++i)
        if (counter_names[i] == name) return static_cast<Letter>(i);
    return std::nullopt;
}

std::chrono::milliseconds reply_timeout_for(std::chrono::microseconds wait) noexcept {
    auto ten_waits = std::chrono::ceil<std::chrono::milliseconds>(wait * 10);
    return std::max(std::chrono::milliseconds(1000), ten_waits);
}

// --- CounterSettings --------------------------------------------------------------------------

void CounterSettings::validate() const {
    if (!counter_kind_named(counter_kind_name(kind)))
        throw UsageError("--counter needs one of " + kinds_list() + ", got kind number " + std::to_string(static_cast<int>(kind)));
    if (wait_us && (*wait_us < 0 || *wait_us > max_wait_us))
        throw UsageError(range_error("--wait", "microseconds", max_wait_us, std::to_string(*wait_us)));
    if (work_ns < 0 || work_ns > max_work_ns)
        throw UsageError(range_error("--work", "nanoseconds", max_work_ns, std::to_string(work_ns)));
    if (wait_us && kind != CounterKind::service)
        throw UsageError("--wait is for --counter service (how long the counter service waits before it answers), not for --counter " +
                         std::string(counter_kind_name(kind)));
    if (redis_socket && kind != CounterKind::redis)
        throw UsageError("--redis is for --counter redis (the Unix socket of your running Redis), not for --counter " +
                         std::string(counter_kind_name(kind)));
    if (redis_socket && redis_socket->empty()) throw UsageError("--redis needs the path of a Unix socket, got ''");
    if (redis_socket && redis_socket->size() > max_socket_path)
        throw UsageError("--redis: the path is too long for a Unix socket (" + std::to_string(redis_socket->size()) +
                         " bytes, at most " + std::to_string(max_socket_path) + ")");
}

std::string CounterSettings::describe() const {
    std::string words;
    switch (kind) {
        case CounterKind::local: words = "local"; break;
        case CounterKind::service: words = "the counter service (wait " + std::to_string(wait().count()) + " us)"; break;
        case CounterKind::redis: words = redis_socket ? "Redis at " + *redis_socket : "a private redis-server"; break;
    }
    if (work_ns > 0) words += ", work " + std::to_string(work_ns) + " ns per call";
    return words;
}

// --- CounterLink ------------------------------------------------------------------------------

CounterLink::CounterLink() noexcept = default;

CounterLink::CounterLink(const CounterEndpoint& endpoint)
    : active_(endpoint.kind != CounterKind::local || endpoint.work.count() > 0), work_(endpoint.work), owner_(::getpid()) {
    if (endpoint.kind == CounterKind::local) return;
    for (std::size_t i = 0; i < keys_.size(); ++i) keys_[i] = endpoint.key_prefix + std::string(counter_names[i]);
    try {
        client_ = std::make_unique<CounterClient>(endpoint.socket_path, endpoint.server_name, endpoint.timeouts);
    } catch (const CounterError& failure) {
        throw ChapterError(failure.what());
    }
}

CounterLink::~CounterLink() = default;

CounterLink::CounterLink(CounterLink&& other) noexcept
    : active_(std::exchange(other.active_, false)), work_(std::exchange(other.work_, {})),
      iterations_burnt_(std::exchange(other.iterations_burnt_, 0)), burnt_(other.burnt_), owner_(other.owner_),
      client_(std::move(other.client_)), keys_(std::exchange(other.keys_, {})) {}

CounterLink& CounterLink::operator=(CounterLink&& other) noexcept {
    if (this != &other) {
        active_ = std::exchange(other.active_, false);
        work_ = std::exchange(other.work_, {});
        iterations_burnt_ = std::exchange(other.iterations_burnt_, 0);
        burnt_ = other.burnt_;
        owner_ = other.owner_;
        client_ = std::move(other.client_);
        keys_ = std::exchange(other.keys_, {});
    }
    return *this;
}

void CounterLink::call(std::string_view counter) {
    auto letter = letter_of_counter(counter);
    if (!letter) throw std::invalid_argument("CounterLink::call: no counter is named '" + std::string(counter) + "' (vowel, consonant, other)");
    call(*letter);
}

void CounterLink::call_out(Letter letter) {
    if (work_.count() > 0) {
        const CpuBurner& burner = CpuBurner::calibrated();
        std::uint64_t iterations = burner.iterations_for(work_);
        burnt_ ^= burn_iterations(iterations, burnt_ | 1);
        iterations_burnt_ += iterations;
    }
    if (!client_) return;
    // A forked child shares the parent's socket: a request from both would mix their replies.
    if (::getpid() != owner_)
        throw ChapterError("a counter link to " + client_->server_name() + " was used in process " + std::to_string(::getpid()) +
                           ", not in process " + std::to_string(owner_) + " that made it (a forked child makes its own link)");
    try {
        client_->incr(keys_[static_cast<std::size_t>(letter)]);
    } catch (const CounterError& failure) {
        throw ChapterError(failure.what());
    }
}

// --- CounterBackend ---------------------------------------------------------------------------

CounterBackend::CounterBackend(const CounterSettings& settings, const CounterPrograms& programs)
    : settings_(settings), owner_(::getpid()) {
    settings_.validate();
    endpoint_.kind = settings_.kind;
    endpoint_.work = settings_.work();
    // Calibrated here, once, before any run: not inside the first timed call, and inherited by forks.
    if (settings_.work_ns > 0) (void)CpuBurner::calibrated();
    if (settings_.kind == CounterKind::local) return;
    try {
        if (settings_.kind == CounterKind::service) {
            server_ = std::make_unique<PrivateServer>(PrivateServer::counter_service(settings_.wait(), programs.counter_service));
        } else if (!settings_.redis_socket) {
            server_ = std::make_unique<PrivateServer>(PrivateServer::redis({}, programs.redis_server));
        }
    } catch (const ServerError& failure) {
        throw ChapterError("--counter " + std::string(counter_kind_name(settings_.kind)) + ": " + failure.what());
    }
    endpoint_.socket_path = server_ ? server_->socket_path() : *settings_.redis_socket;
    endpoint_.server_name = server_ ? server_->name() : "Redis";
    endpoint_.key_prefix = KeyNamespace::unique_prefix();
    endpoint_.timeouts.reply = reply_timeout_for(settings_.wait());
    try {
        control_ = std::make_unique<CounterClient>(endpoint_.socket_path, endpoint_.server_name, endpoint_.timeouts);
        control_->ping();
    } catch (const CounterError& failure) {
        control_.reset();
        server_.reset();
        throw ChapterError(failure.what());
    }
    keys_ = std::make_unique<KeyNamespace>(*control_, endpoint_.key_prefix);
    for (Letter letter : {Letter::vowel, Letter::consonant, Letter::other}) (void)keys_->key(counter_name(letter));
}

CounterBackend::~CounterBackend() { stop(); }

void CounterBackend::stop() noexcept {
    if (::getpid() != owner_) {
        // A forked child's copy: the server, its keeper and the keys are the parent's. Destroying
        // them here would stop the parent's server and write on the parent's connection.
        (void)server_.release();
        (void)keys_.release();
        control_.reset();  // closes only this process's copy of the descriptor
        return;
    }
    keys_.reset();
    control_.reset();
    if (server_) server_->stop();
    server_.reset();
}

std::optional<LetterTypes> CounterBackend::totals() const {
    if (::getpid() != owner_) throw ChapterError(only_the_owner("reads the totals"));
    if (!control_) {
        if (settings_.kind == CounterKind::local) return std::nullopt;
        throw ChapterError("the counters were stopped: no totals to read");
    }
    LetterTypes totals;
    try {
        auto count = [&](Letter letter) {
            std::int64_t value = control_->get(endpoint_.key_prefix + std::string(counter_name(letter))).value_or(0);
            return static_cast<std::uint64_t>(std::max<std::int64_t>(0, value));
        };
        totals.vowels = count(Letter::vowel);
        totals.consonants = count(Letter::consonant);
        totals.others = count(Letter::other);
    } catch (const CounterError& failure) {
        throw ChapterError(failure.what());
    }
    return totals;
}

void CounterBackend::check_totals(const LetterTypes& counted) const {
    auto served = totals();
    if (!served || *served == counted) return;
    std::string said = "vowels=" + std::to_string(served->vowels) + " consonants=" + std::to_string(served->consonants) +
                       " others=" + std::to_string(served->others);
    std::string expected = "vowels=" + std::to_string(counted.vowels) + " consonants=" + std::to_string(counted.consonants) +
                           " others=" + std::to_string(counted.others);
    throw ChapterError(endpoint_.server_name + " counted " + said + ", but the chapter counted " + expected);
}

void CounterBackend::reset() const {
    if (::getpid() != owner_) throw ChapterError(only_the_owner("resets the counters"));
    if (!control_) {
        if (settings_.kind == CounterKind::local) return;
        throw ChapterError("the counters were stopped: nothing to reset");
    }
    try {
        for (Letter letter : {Letter::vowel, Letter::consonant, Letter::other})
            control_->del(endpoint_.key_prefix + std::string(counter_name(letter)));
    } catch (const CounterError& failure) {
        throw ChapterError(failure.what());
    }
}

}  // namespace workbook
