/// \file
/// \brief Book, the bytes every chapter counts, and the errors of loading one.
#pragma once

#include "workbook/letter_types.hpp"

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace workbook {

/// Loading a book failed. `what()` is one line naming the path and the reason, for example
/// `cannot read book '/no/such/file': No such file or directory`.
///
/// \code
/// try {
///     auto book = workbook::Book::open("/no/such/file");
/// } catch (const workbook::BookError& error) {
///     std::cerr << error.what() << '\n';  // the runner prints this line and exits with status 2
/// }
/// \endcode
class BookError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The bytes of a text: a file, standard input, or the generated default book.
///
/// A book owns one buffer of exactly its size. A regular file is read straight into a buffer
/// sized from `fstat`, so a 1 GiB file needs 1 GiB of memory, not the 2 GiB a growing vector
/// may need; only a pipe, whose size is unknown, is read in growing chunks.
///
/// \code
/// auto book = workbook::Book::open("-");          // standard input
/// auto shakespeare = workbook::Book::open("pg100.txt");
/// auto generated = workbook::Book::default_book();
/// std::cout << workbook::reference_count(generated.events()) << '\n';
/// \endcode
class Book {
public:
    /// Opens `source`: a file path, `-` for standard input, or the empty string for the
    /// default book. Throws BookError for a missing path, a directory, an unreadable file or a
    /// read error.
    static Book open(std::string_view source);
    /// Reads the file at `path`. Throws BookError.
    static Book from_file(const std::string& path);
    /// Reads standard input to its end. Throws BookError.
    static Book from_stdin();
    /// The generated default book (see default_book.hpp), `size` bytes long.
    static Book default_book(std::size_t size);
    /// The generated default book at its default size, that of the talk's book.
    static Book default_book();
    /// A book holding a copy of `bytes`, named `name` (handy in tests).
    static Book from_bytes(Events bytes, std::string name = "bytes");

    /// The bytes, one event each.
    Events events() const noexcept { return {data_.get(), size_}; }
    /// How many bytes (events) the book has.
    std::size_t size() const noexcept { return size_; }
    /// Where the book came from, for messages: a path, `<stdin>` or `<default book>`.
    const std::string& name() const noexcept { return name_; }

private:
    Book(std::unique_ptr<unsigned char[]> data, std::size_t size, std::string name)
        : data_(std::move(data)), size_(size), name_(std::move(name)) {}

    std::unique_ptr<unsigned char[]> data_;
    std::size_t size_ = 0;
    std::string name_;
};

}  // namespace workbook
