"""Chapter 06 in Python: the trampoline, the talk's `routine1`/`routine2` and their `while True` loop.

"Since Python 2.2 added generators, we have been able to write coroutines using a simple
trampoline": a routine yields the routine to run next, and the loop runs it. First the talk's
example (`A C B D`), as the talk wrote it, changed only where Python 3 must (print is a function,
`current.next()` is `next(current)`, a string is compared with ==, not `is`); then the book counted
the same way. Before PEP 342 nothing can be sent into a generator, so the event travels through a
shared variable. Cost: two generator resumes per event (reader, then counter).

    python3 chapters/06_trampoline/trampoline.py --book pg100.txt
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import Counter, LetterTypes, letters, main  # noqa: E402


# [routines]
def routine1():
    print("A", end=" "); yield CR2
    print("B", end=" "); yield CR2


def routine2():
    print("C", end=" "); yield CR1
    print("D", end=" "); yield "DONE"


def demonstrate():
    global CR1, CR2
    CR1, CR2 = routine1(), routine2()
    current = CR1
    while True:
        if current == "DONE": break
        current = next(current)
    # Prints-> A C B D
# [routines]


# [count_on_trampoline]
def count_on_trampoline(BOOK):
    vowel, consonant, other = map(Counter, ['vowel', 'consonant', 'other'])
    event = [None]  # the shared variable: the only way to hand data to another routine before PEP 342

    def reader():
        for c in BOOK:  # Each letter is an event
            event[0] = c
            if c in 'aeiouAEIOU':
                yield VOWEL
            elif c in letters:
                yield CONSONANT
            else:
                yield OTHER
        yield "DONE"

    def counter(count):
        while True:
            count(event[0])
            yield READER

    READER, VOWEL, CONSONANT, OTHER = reader(), counter(vowel), counter(consonant), counter(other)
    current = READER
    while True:
        if current == "DONE": break
        current = next(current)
    return LetterTypes(vowel, consonant, other)
# [count_on_trampoline]


if __name__ == '__main__':
    sys.exit(main(chapter=6, title='Count letters with generator routines on a trampoline',
                  mechanism='routines yield the next routine', demonstrate=demonstrate,
                  count=lambda book, batch: count_on_trampoline(book)))
