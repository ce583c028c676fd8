// Tests of exercise 03. Run them with `./workbook check 03`.
#include "answering_worker.hpp"

#include "workbook/book.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using exercise03::Header;

// A pipe whose ends close themselves.
struct Pipe {
    int read = -1, write = -1;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        read = fds[0], write = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_read() { read >= 0 && ::close(read), read = -1; }
    void close_write() { write >= 0 && ::close(write), write = -1; }
};

// Writes requests by hand, as the parent would (small ones: they must fit in the pipe's buffer,
// since the serve_counter under test reads them only afterwards, on this same thread).
void send_events(int fd, std::string_view events) {
    const Header header{Header::events, static_cast<std::uint32_t>(events.size())};
    exercise03::write_all(fd, &header, sizeof header);
    exercise03::write_all(fd, events.data(), events.size());
}
void send(int fd, Header::Kind kind) {
    const Header header{kind, 0};
    exercise03::write_all(fd, &header, sizeof header);
}

// The answers serve_counter wrote, once its end of the replies is closed.
std::vector<std::uint64_t> answers(Pipe& replies) {
    replies.close_write();
    std::vector<std::uint64_t> all;
    std::uint64_t count = 0;
    while (exercise03::read_exactly(replies.read, &count, sizeof count)) all.push_back(count);
    return all;
}

bool no_child_left() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

workbook::Events events(std::string_view text) {
    return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace

TEST_CASE("serve_counter answers a query with the count so far, and KILL with the final count") {
    Pipe requests, replies;
    send_events(requests.write, "abc");
    send(requests.write, Header::query);
    send_events(requests.write, "de");
    send(requests.write, Header::query);
    send_events(requests.write, std::string_view("\0\xff", 2));  // any byte is an event
    send(requests.write, Header::kill);
    requests.close_write();
    exercise03::serve_counter(requests.read, replies.write);
    CHECK(answers(replies) == std::vector<std::uint64_t>{3, 5, 7});
}

TEST_CASE("serve_counter returns at KILL and reads nothing after it") {
    Pipe requests, replies;
    send_events(requests.write, "ab");
    send(requests.write, Header::kill);
    send_events(requests.write, "cde");
    send(requests.write, Header::kill);
    requests.close_write();
    exercise03::serve_counter(requests.read, replies.write);
    exercise03::serve_counter(requests.read, replies.write);
    CHECK_MESSAGE((answers(replies) == std::vector<std::uint64_t>{2, 3}),
                  "the second serve_counter must find the messages the first one left after its KILL");
}

TEST_CASE("serve_counter refuses requests that end before KILL, and unknown messages") {
    {
        Pipe requests, replies;
        send_events(requests.write, "abc");
        requests.close_write();
        CHECK_THROWS_AS(exercise03::serve_counter(requests.read, replies.write), std::runtime_error);
    }
    {
        Pipe requests, replies;
        const Header header{Header::events, 10};
        exercise03::write_all(requests.write, &header, sizeof header);
        exercise03::write_all(requests.write, "abc", 3);
        requests.close_write();
        INFO("the requests end inside a message: 3 of its 10 events");
        CHECK_THROWS_AS(exercise03::serve_counter(requests.read, replies.write), std::runtime_error);
    }
    {
        Pipe requests, replies;
        const Header header{static_cast<Header::Kind>(99), 0};
        exercise03::write_all(requests.write, &header, sizeof header);
        requests.close_write();
        CHECK_THROWS_AS(exercise03::serve_counter(requests.read, replies.write), std::runtime_error);
    }
}

TEST_CASE("a Worker process counts what it is fed and answers queries as it goes") {
    {
        exercise03::Worker worker;
        CHECK(worker.pid() > 0);
        CHECK(worker.count() == 0);
        worker.put(events("hello"));
        worker.put({});
        CHECK(worker.count() == 5);
        // More than a pipe holds: the worker must read while the parent writes.
        auto book = workbook::Book::default_book(1'000'000);
        for (std::size_t at = 0; at < book.size(); at += 100'000) worker.put(book.events().subspan(at, 100'000));
        CHECK(worker.count() == 1'000'005);
        worker.put(events("!"));
        CHECK(worker.kill() == 1'000'006);
    }
    CHECK_MESSAGE(no_child_left(), "kill() must reap the worker");
}

TEST_CASE("destroying a Worker that was not killed ends and reaps its process") {
    {
        exercise03::Worker worker;
        worker.put(events("abc"));
        CHECK(worker.count() == 3);
    }
    CHECK_MESSAGE(no_child_left(), "the destructor must kill and reap a worker still running");
}

TEST_CASE("a Worker that died is reported, not waited for forever") {
    // Without this, writing to the dead worker's pipe would kill the test with SIGPIPE.
    auto old = std::signal(SIGPIPE, SIG_IGN);
    {
        exercise03::Worker worker;
        CHECK(worker.count() == 0);
        ::kill(worker.pid(), SIGKILL);
        CHECK_THROWS_AS(worker.count(), std::runtime_error);
    }
    std::signal(SIGPIPE, old);
    CHECK(no_child_left());
}
