"""Chapter 07 in Python: the co-trampoline, the talk's data injection with `send` and `co_trampoline`.

"In actual Python we still need a thin trampoline": since PEP 342 a routine names where to switch
and what to hand over, `data = yield (R2, 'a')`, and the trampoline sends the data to the target.
First the talk's `A x C a B c D b`, then `co_trampoline(generators, start, init_data)` counting
the book: the reader (the start routine, given the book) yields each event to the counter of its
class, which counts it and yields back to the reader. As the talk wrote it, changed only where
Python 3 must (print is a function, `g.next()` is `next(g)`), and in one place where the talk's
co_trampoline cannot work: it never files the start routine under its name, so no routine could
switch back to it. Cost: two sends per event (reader, then counter).

    python3 chapters/07_co_trampoline/co_trampoline.py --book pg100.txt
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import Counter, LetterTypes, letters, main  # noqa: E402


# [routines]
def routine1(data):  # START routine passed data
    print("A", data, end=" "); data = yield (R2, 'a')
    print("B", data, end=" "); data = yield (R2, 'b')


def routine2():
    data = yield  # Others primed with throwaway
    print("C", data, end=" "); data = yield (R1, 'c')
    print("D", data, end=" ")


def demonstrate():
    global R1, R2
    R1, R2 = routine1('x'), routine2()
    (current, data), _ = next(R1), next(R2)
    while True:
        try: current, data = current.send(data)
        except StopIteration: break
    # Prints -> A x C a B c D b
# [routines]


# [co_trampoline]
def co_trampoline(generators, start, init_data):
    CRs = {}
    for g in generators:
        if g is start:
            coroutine = g(init_data)
            try: curr, data = next(coroutine)
            except StopIteration: return  # it finished before its first transfer
        else:
            coroutine = g(); next(coroutine)
        CRs[coroutine.__name__] = coroutine  # the start routine too, so that others can switch back
    while True:
        try: curr, data = CRs[curr].send(data)
        except StopIteration: break
# [co_trampoline]


# [count_on_co_trampoline]
def reader(BOOK):  # the start routine: its data is the book
    for c in BOOK:
        if c in 'aeiouAEIOU':
            yield ('vowel', c)
        elif c in letters:
            yield ('consonant', c)
        else:
            yield ('other', c)
    # finishing ends the trampoline


def counter_routine(count):
    """A counter routine named after its counter, since co_trampoline knows routines by name."""
    def routine():
        c = yield  # primed with a throwaway
        while True:
            count(c)
            c = yield ('reader', None)  # back to the reader, with nothing to say
    routine.__name__ = count.name
    return routine


def count_on_co_trampoline(BOOK):
    vowel, consonant, other = map(Counter, ['vowel', 'consonant', 'other'])
    co_trampoline([reader] + [counter_routine(count) for count in (vowel, consonant, other)], reader, BOOK)
    return LetterTypes(vowel, consonant, other)
# [count_on_co_trampoline]


if __name__ == '__main__':
    sys.exit(main(chapter=7, title='Count letters with coroutines injecting data on a trampoline',
                  mechanism='routines yield (target, data), send()', demonstrate=demonstrate,
                  count=lambda book, batch: count_on_co_trampoline(book)))
