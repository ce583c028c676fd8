#include "workbook/book.hpp"

#include "workbook/default_book.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace workbook {
namespace {

[[noreturn]] void fail(const std::string& name, const char* reason) {
    throw BookError("cannot read book '" + name + "': " + reason);
}

// Reads `fd` to its end. A regular file is read into a buffer of exactly its size, so a large book
// needs its size in memory once; a pipe or terminal grows its buffer as data comes.
struct Bytes {
    std::unique_ptr<unsigned char[]> data;
    std::size_t size;
};

Bytes read_all(int fd, const std::string& name) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) fail(name, std::strerror(errno));
    if (S_ISDIR(info.st_mode)) fail(name, "Is a directory");

    std::size_t capacity = S_ISREG(info.st_mode) ? static_cast<std::size_t>(info.st_size) : 1 << 16;
    auto data = std::make_unique_for_overwrite<unsigned char[]>(capacity + 1);
    std::size_t size = 0;
    for (;;) {
        if (size == capacity + 1) {  // a pipe, or a file that grew while we read it
            std::size_t bigger = capacity * 2 + 1;
            auto grown = std::make_unique_for_overwrite<unsigned char[]>(bigger + 1);
            std::memcpy(grown.get(), data.get(), size);
            data = std::move(grown);
            capacity = bigger;
        }
        ssize_t got = ::read(fd, data.get() + size, capacity + 1 - size);
        if (got == 0) break;
        if (got < 0) {
            if (errno == EINTR) continue;
            fail(name, std::strerror(errno));
        }
        size += static_cast<std::size_t>(got);
    }
    return {std::move(data), size};
}

}  // namespace

Book Book::open(std::string_view source) {
    if (source.empty()) return default_book();
    if (source == "-") return from_stdin();
    return from_file(std::string(source));
}

Book Book::from_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    auto bytes = read_all(fd, path);
    return Book(std::move(bytes.data), bytes.size, path);
}

Book Book::from_stdin() {
    auto bytes = read_all(STDIN_FILENO, "<stdin>");
    return Book(std::move(bytes.data), bytes.size, "<stdin>");
}

Book Book::default_book(std::size_t size) {
    auto data = std::make_unique_for_overwrite<unsigned char[]>(size);
    BookWriter writer;
    writer.fill({data.get(), size});
    return Book(std::move(data), size, "<default book>");
}

Book Book::default_book() { return default_book(default_book_size); }

Book Book::from_bytes(Events bytes, std::string name) {
    auto data = std::make_unique_for_overwrite<unsigned char[]>(bytes.size());
    if (!bytes.empty()) std::memcpy(data.get(), bytes.data(), bytes.size());
    return Book(std::move(data), bytes.size(), std::move(name));
}

}  // namespace workbook
