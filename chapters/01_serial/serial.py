"""Chapter 01 in Python: the serial callout, the talk's `callout_test`, for Python 3.

The talk's first program as the talk wrote it (Python 2), changed only where Python 3 must:
the book is bytes decoded as Latin-1, one character per byte. Run it beside the C++:

    python3 chapters/01_serial/serial.py --book pg100.txt --runs 10
    ./build/default/bin/01_serial --book pg100.txt --runs 10

Each event costs a method call through `__call__`; the talk measured 44 s for ten runs of the
Complete Works on CPython and 5.1 s on PyPy: "this is all calling cost".
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, letters, main  # noqa: E402
import counters  # noqa: E402


# [callout_test]
class Counter(object):
    def __init__(self, name):
        self.name = name
        self.count = 0

    def __call__(self, *args, **kws):
        self.count += 1

    def __repr__(self):
        return repr(self.count)


def callout_test(BOOK):
    vowel, consonant, other = map(
        Counter, ['vowel', 'consonant', 'other'])
    for c in BOOK:          # Each letter is an event
        if c in 'aeiouAEIOU':
            vowel(c)
        elif c in letters:
            consonant(c)
        else:
            other(c)
    return LetterTypes(vowel, consonant, other)
# [callout_test]


class SlowCounter(Counter):
    """The talk's Counter whose call first does what --work and --counter ask (common/python/counters.py)."""

    def __init__(self, name, slow):
        super().__init__(name)
        self.slow = slow.call(name)

    def __call__(self, *args, **kws):
        self.slow(*args)
        self.count += 1


def slow_callout_test(BOOK, slow):
    vowel, consonant, other = [SlowCounter(name, slow) for name in ['vowel', 'consonant', 'other']]
    for c in BOOK:
        if c in 'aeiouAEIOU':
            vowel(c)
        elif c in letters:
            consonant(c)
        else:
            other(c)
    return LetterTypes(vowel, consonant, other)


if __name__ == '__main__':
    sys.exit(main(chapter=1, title='Count letters with callout to counter object',
                  mechanism='method call (__call__)', count=None,
                  options=counters.options(lambda book, batch, slow: slow_callout_test(book, slow) if slow
                                           else callout_test(book))))
