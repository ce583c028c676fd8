#include "workbook/default_book.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace workbook {
namespace {

// Common words of English verse, most frequent first: the picker favours the front of the list,
// roughly as word frequencies fall off in real text.
constexpr std::array<std::string_view, 129> words = {
    "the", "and", "to", "of", "I", "a", "my", "you", "in", "that", "is", "not", "with", "me",
    "it", "for", "his", "be", "your", "this", "but", "he", "have", "thou", "as", "so", "will",
    "what", "thy", "her", "no", "by", "all", "shall", "do", "if", "are", "we", "our", "thee",
    "on", "lord", "good", "now", "from", "at", "they", "love", "sir", "here", "more", "which",
    "let", "then", "would", "there", "how", "well", "come", "was", "know", "make", "hath",
    "them", "man", "upon", "say", "may", "did", "king", "she", "like", "when", "should", "must",
    "speak", "night", "heart", "death", "heaven", "sweet", "time", "never", "fair", "world",
    "hand", "eyes", "life", "true", "blood", "noble", "father", "honour", "great", "think",
    "mine", "sleep", "crown", "friends", "gentle", "queen", "stars", "grace", "brother",
    "daughter", "fortune", "nature", "thought", "within", "against", "madam", "answer",
    "mistress", "tongue", "battle", "sorrow", "strength", "spirit", "music", "summer", "winter",
    "majesty", "country", "journey", "morning", "shadow", "dreams", "remember", "together",
};

constexpr std::array<std::string_view, 16> speakers = {
    "HAMLET", "OPHELIA", "MACBETH", "BANQUO", "PORTIA", "ROMEO", "JULIET", "LEAR",
    "CORDELIA", "FALSTAFF", "PROSPERO", "MIRANDA", "OTHELLO", "IAGO", "VIOLA", "PUCK",
};

constexpr std::array<char, 8> line_ends = {',', ',', '.', '.', ';', '!', '?', ':'};

}  // namespace

std::uint64_t BookWriter::next_random() {
    // splitmix64: a few integer operations, the same sequence on every machine and compiler.
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void BookWriter::compose_line() {
    line_.clear();
    line_pos_ = 0;
    if (lines_left_in_speech_ == 0) {
        // A new speech: a blank line, then the speaker's name in capitals, as in a play.
        line_ += "\r\n  ";
        line_ += speakers[next_random() % speakers.size()];
        line_ += ". ";
        lines_left_in_speech_ = 1 + static_cast<int>(next_random() % 7);
    } else {
        line_ += "  ";
    }
    --lines_left_in_speech_;

    int word_count = 5 + static_cast<int>(next_random() % 6);
    for (int i = 0; i < word_count; ++i) {
        // The smaller of two uniform picks favours frequent words, like real text.
        auto pick = std::min(next_random() % words.size(), next_random() % words.size());
        std::string_view word = words[pick];
        std::size_t start = line_.size();
        line_ += word;
        if (i == 0) line_[start] = static_cast<char>(line_[start] >= 'a' ? line_[start] - 32 : line_[start]);
        if (i + 1 < word_count) line_ += next_random() % 16 == 0 ? ", " : " ";
    }
    line_ += line_ends[next_random() % line_ends.size()];
    line_ += "\r\n";
}

void BookWriter::fill(std::span<unsigned char> out) {
    std::size_t written = 0;
    while (written < out.size()) {
        if (line_pos_ == line_.size()) compose_line();
        std::size_t n = std::min(out.size() - written, line_.size() - line_pos_);
        std::copy_n(line_.begin() + static_cast<std::ptrdiff_t>(line_pos_), n, out.begin() + static_cast<std::ptrdiff_t>(written));
        line_pos_ += n;
        written += n;
    }
}

void write_default_book(std::ostream& out, std::uint64_t size) {
    BookWriter writer;
    std::vector<unsigned char> chunk(1 << 16);
    while (size > 0 && out) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, chunk.size()));
        writer.fill({chunk.data(), n});
        out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(n));
        size -= n;
    }
}

}  // namespace workbook
