"""Chapter 02 in Python: a process per event, the talk's first `process_test`.

"Why this version is (probably) terrible: because every event launches a new process!" Each event
starts a `multiprocessing.Process` that adds one to a counter in shared memory (`Value`), and the
loop waits for it. That costs milliseconds per event, so this program counts only the first 50
events unless told otherwise (--limit 0 counts them all, in hours).

    python3 chapters/02_processes/processes.py --book pg100.txt
"""
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, letters, main  # noqa: E402
import counters  # noqa: E402

# The talk's Python 2 on Unix always forked; Python 3.14 makes another start method the default.
Process, Value = multiprocessing.get_context('fork').Process, multiprocessing.get_context('fork').Value


# [process_test]
class MCount(object):
    def __init__(self, name, value):
        self.name = name
        self.count = value

    def __call__(self, *args, **kws):
        self.count.value += 1

    def __repr__(self):
        return repr(self.count.value)


def process_test(BOOK):
    vowel, cons, other = [MCount(name, Value('i', 0))
                          for name in ('vowel', 'consonant', 'other')]
    for c in BOOK:
        if c in 'aeiouAEIOU':
            p = Process(target=vowel, args=(c,))
            p.start(); p.join()  # noqa: E702
        elif c in letters:
            p = Process(target=cons, args=(c,))
            p.start(); p.join()  # noqa: E702
        else:
            p = Process(target=other, args=(c,))
            p.start(); p.join()  # noqa: E702
    return LetterTypes(vowel, cons, other)
# [process_test]


class SlowMCount(MCount):
    """MCount whose call, in the event's process, first does what --work and --counter ask."""

    def __init__(self, name, value, slow):
        super().__init__(name, value)
        self.slow = slow.call(name)

    def __call__(self, *args, **kws):
        self.slow(*args)
        with self.count.get_lock():  # processes of the events may overlap their work here
            self.count.value += 1


def slow_process_test(BOOK, slow):
    counters_ = [SlowMCount(name, Value('i', 0), slow) for name in ('vowel', 'consonant', 'other')]
    for c in BOOK:
        which = 0 if c in 'aeiouAEIOU' else 1 if c in letters else 2
        p = Process(target=counters_[which], args=(c,))
        p.start(); p.join()  # noqa: E702
    return LetterTypes(*counters_)


if __name__ == '__main__':
    sys.exit(main(chapter=2, title='Count letters with a process per event',
                  mechanism='multiprocessing.Process per event', default_runs=3, default_limit=50,
                  count=None,
                  options=counters.options(lambda book, batch, slow: slow_process_test(book, slow) if slow
                                           else process_test(book))))
