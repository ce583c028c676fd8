"""Chapter 09 in Python: weightless generator coroutines, the talk's `weightless_test`.

Each counter is a generator primed by the `@coroutine` decorator; the loop sends every event into
the counter of its class. The talk: "It is also free of overhead, even faster than the
callout_test() version at the beginning of the talk (on CPython anyway, PyPy makes calling cheap)."
`./workbook bench --python` measures that claim beside chapter 01's Python.

    python3 chapters/09_weightless/weightless.py --book pg100.txt --runs 10
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, letters, main  # noqa: E402
import counters  # noqa: E402


# [weightless_test]
def coroutine(func):
    def start(*args, **kwargs):
        cr = func(*args, **kwargs)
        next(cr)            # the talk's cr.next(), spelled the Python 3 way
        return cr
    return start


@coroutine
def generator_counter():
    count = 0
    while True:
        c = yield count    # could actually use 'c'!
        count += 1


def weightless_test(BOOK):
    vowel_t, consonant_t, other_t = [
        f() for f in [generator_counter] * 3]
    # The talk's loop leaves a total unset when its class never occurs; start them at zero.
    vowel = consonant = other = 0
    for c in BOOK:
        if c in 'aeiouAEIOU':
            vowel = vowel_t.send(c)
        elif c in letters:
            consonant = consonant_t.send(c)
        else:
            other = other_t.send(c)
    return LetterTypes(vowel, consonant, other)
# [weightless_test]


@coroutine
def slow_generator_counter(call):
    """generator_counter whose every event first does what --work and --counter ask."""
    count = 0
    while True:
        c = yield count
        call(c)
        count += 1


def slow_weightless_test(BOOK, slow):
    vowel_t, consonant_t, other_t = [slow_generator_counter(slow.call(name))
                                     for name in ['vowel', 'consonant', 'other']]
    vowel = consonant = other = 0
    for c in BOOK:
        if c in 'aeiouAEIOU':
            vowel = vowel_t.send(c)
        elif c in letters:
            consonant = consonant_t.send(c)
        else:
            other = other_t.send(c)
    return LetterTypes(vowel, consonant, other)


if __name__ == '__main__':
    sys.exit(main(chapter=9, title='Count letters with weightless generator coroutines',
                  mechanism='send() into a primed generator', count=None,
                  options=counters.options(lambda book, batch, slow: slow_weightless_test(book, slow) if slow
                                           else weightless_test(book))))
