#include "workbook/book.hpp"
#include "workbook/default_book.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// A file in the temporary folder, removed when the test ends.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& contents) {
        char name[] = "/tmp/workbook-book-test-XXXXXX";
        int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
        ::close(fd);
        path = name;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

std::string text_of(const workbook::Book& book) {
    return {reinterpret_cast<const char*>(book.events().data()), book.size()};
}

std::string error_of(const std::string& source) {
    try {
        (void)workbook::Book::open(source);
    } catch (const workbook::BookError& error) {
        return error.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("a book read from a file holds exactly the file's bytes, every byte value included") {
    std::string contents;
    for (int byte = 0; byte < 256; ++byte) contents += static_cast<char>(byte);
    contents += "\r\nend";
    TempFile file(contents);
    auto book = workbook::Book::open(file.path);
    CHECK(book.size() == contents.size());
    CHECK(text_of(book) == contents);
    CHECK(book.name() == file.path);
}

TEST_CASE("an empty file is a book with no events") {
    TempFile file("");
    auto book = workbook::Book::open(file.path);
    CHECK(book.size() == 0);
    CHECK(book.events().empty());
}

TEST_CASE("an empty source names the default book") {
    auto book = workbook::Book::open("");
    CHECK(book.name() == "<default book>");
    CHECK(book.size() == workbook::default_book_size);
}

TEST_CASE("a missing path is an error naming the path and the reason") {
    CHECK(error_of("/no/such/file") == "cannot read book '/no/such/file': No such file or directory");
}

TEST_CASE("a directory is an error, not an empty book") {
    CHECK(error_of("/tmp") == "cannot read book '/tmp': Is a directory");
}

TEST_CASE("an unreadable file is an error naming the reason") {
    TempFile file("secret");
    REQUIRE(::chmod(file.path.c_str(), 0) == 0);
    if (::geteuid() != 0) {
        CHECK(error_of(file.path) == "cannot read book '" + file.path + "': Permission denied");
        return;
    }
    // root reads every file, so try as the unprivileged user 'nobody' in a child process.
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(pipe_fds[0]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
        std::string message = error_of(file.path);
        ::_exit(::write(pipe_fds[1], message.data(), message.size()) == static_cast<ssize_t>(message.size()) ? 0 : 4);
    }
    ::close(pipe_fds[1]);
    char buffer[512];
    ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
    ::close(pipe_fds[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK(std::string(buffer, static_cast<std::size_t>(std::max<ssize_t>(got, 0))) ==
          "cannot read book '" + file.path + "': Permission denied");
}

TEST_CASE("a read error after opening is reported, not taken for the end of the book") {
    // Reading /proc/self/mem from offset 0 fails with EIO: the file opens, the read fails.
    CHECK(error_of("/proc/self/mem") == "cannot read book '/proc/self/mem': Input/output error");
}

TEST_CASE("standard input is read to its end when the source is '-'") {
    std::string contents(200'000, 'x');  // more than one pipe buffer and more than one chunk
    contents += "tail";
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    pid_t writer = ::fork();
    REQUIRE(writer >= 0);
    if (writer == 0) {
        ::close(pipe_fds[0]);
        std::size_t done = 0;
        while (done < contents.size()) {
            ssize_t n = ::write(pipe_fds[1], contents.data() + done, contents.size() - done);
            if (n <= 0) ::_exit(1);
            done += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    int saved_stdin = ::dup(STDIN_FILENO);
    ::dup2(pipe_fds[0], STDIN_FILENO);
    ::close(pipe_fds[0]);
    auto book = workbook::Book::open("-");
    ::dup2(saved_stdin, STDIN_FILENO);
    ::close(saved_stdin);
    int status = 0;
    REQUIRE(::waitpid(writer, &status, 0) == writer);
    CHECK(book.name() == "<stdin>");
    CHECK(text_of(book) == contents);
}

TEST_CASE("a book made from bytes holds a copy of them") {
    const unsigned char bytes[] = {'a', 0, 0xFF};
    auto book = workbook::Book::from_bytes(bytes, "three");
    CHECK(book.size() == 3);
    CHECK(book.events()[2] == 0xFF);
    CHECK(book.name() == "three");
}
