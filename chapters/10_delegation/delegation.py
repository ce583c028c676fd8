"""Chapter 10 in Python: delegation to subgenerators, PEP 380's `yield from`.

"It allows easier refactoring of generators by assigning work to subgenerators": first the talk's
`pairs()` refactoring, nested loops and then `yield from subloop(i)`, the same pairs; then the book
counted by a book counter that delegates each line to a line counter, which receives the events
sent to the book counter "without extra scaffolding" and returns the line's counts as the value of
`yield from`. Python 3.3's own syntax, so nothing here needed changing for Python 3. Cost: one
send per event, which CPython passes down through the delegating frame to the line counter; plus,
per line, a new generator.

    python3 chapters/10_delegation/delegation.py --book pg100.txt
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, letters, main  # noqa: E402

iter1 = [1, 2, 3]
iter2 = ['a', 'b']


# [pairs]
def pairs_nested():
    for i in iter1:          # Some logic about 'i' here
        for j in iter2:      # Complex stuff goes here
            yield i, j


def pairs():
    for i in iter1:          # Some logic about 'i' here
        yield from subloop(i)


def subloop(i):
    for j in iter2:          # Complex stuff goes here
        yield i, j
# [pairs]


def demonstrate():
    print('nested loops:      ', *pairs_nested())
    print('yield from subloop:', *pairs())


# [book_counter]
KILL = None  # the end of the book


def line_counter():
    vowel = consonant = other = 0
    while True:
        c = yield vowel + consonant + other
        if c is KILL:
            return (vowel, consonant, other), True
        if c in 'aeiouAEIOU':
            vowel += 1
        elif c in letters:
            consonant += 1
        else:
            other += 1
        if c == '\n':
            return (vowel, consonant, other), False


def book_counter():
    vowels = consonants = others = 0
    book_ended = False
    while not book_ended:
        # Every event of the line is sent straight to the line counter; its return value comes here.
        (vowel, consonant, other), book_ended = yield from line_counter()
        vowels, consonants, others = vowels + vowel, consonants + consonant, others + other
    return LetterTypes(vowels, consonants, others)


def count_by_delegation(BOOK):
    counter = book_counter()
    next(counter)
    for c in BOOK:
        counter.send(c)      # reaches the line counter
    try:
        counter.send(KILL)
    except StopIteration as done:
        return done.value
    raise RuntimeError('the book counter did not return at KILL')
# [book_counter]


if __name__ == '__main__':
    sys.exit(main(chapter=10, title='Count letters with generators delegating to subgenerators',
                  mechanism='send() through yield from', demonstrate=demonstrate,
                  count=lambda book, batch: count_by_delegation(book)))
