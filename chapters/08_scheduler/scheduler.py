"""Chapter 08 in Python: the weightless-thread scheduler, the talk's `thread_scheduler`.

"A scheduler for weightless threads won't switch to a specific place, but will round-robin or the
like": what a thread yields, (consumer, data), waits in the consumer's mailbox until the scheduler
reaches the consumer, which is then sent its whole mailbox. A reader thread and three counter
threads count the book. As the talk wrote it, changed where Python 3 must and where the talk's
sketch leaves out what a running scheduler needs: the threads are primed (with chapter 09's
`@coroutine`, "priming with a decorator would be more elegant"), a mailbox is emptied once
delivered, and a thread with nothing to post names no consumer. Cost: four resumes per event
(every thread gets a turn per round; the reader yields one event per round) plus a mailbox append.

    python3 chapters/08_scheduler/scheduler.py --book pg100.txt
"""
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import Counter, LetterTypes, letters, main  # noqa: E402


def coroutine(func):
    def start(*args, **kwargs):
        cr = func(*args, **kwargs)
        next(cr)
        return cr
    return start


# [thread_scheduler]
def thread_scheduler(generators):
    thread_data = defaultdict(list)
    threads = [g() for g in generators()]
    while True:
        try:
            for t in threads:
                data, thread_data[t.__name__] = thread_data[t.__name__], []  # delivered: emptied
                consumer, data = t.send(data)
                if consumer is not None:  # a thread with nothing to post
                    thread_data[consumer].append(data)
        except StopIteration: break
# [thread_scheduler]


# [threads]
def counting_threads(BOOK, vowel, consonant, other):
    """The talk's `generators()`: the thread functions, the reader first, so that the events it
    posts are counted in the same round. A thread is known by its name (`t.__name__`)."""
    @coroutine
    def reader():
        yield None, None  # primed; nobody posts to the reader
        for c in BOOK:  # one event per turn
            if c in 'aeiouAEIOU':
                yield 'vowel', c
            elif c in letters:
                yield 'consonant', c
            else:
                yield 'other', c
        # finishing stops the scheduler

    def counter_thread(count):
        def thread():
            mailbox = yield None, None  # primed
            while True:
                for c in mailbox:
                    count(c)
                mailbox = yield None, None  # nothing to post
        thread.__name__ = count.name  # the name its posts are addressed to
        return coroutine(thread)

    return lambda: [reader] + [counter_thread(count) for count in (vowel, consonant, other)]


def count_on_scheduler(BOOK):
    vowel, consonant, other = map(Counter, ['vowel', 'consonant', 'other'])
    thread_scheduler(counting_threads(BOOK, vowel, consonant, other))
    return LetterTypes(vowel, consonant, other)
# [threads]


if __name__ == '__main__':
    sys.exit(main(chapter=8, title='Count letters with weightless threads on a round-robin scheduler',
                  mechanism='round-robin threads with mailboxes',
                  count=lambda book, batch: count_on_scheduler(book)))
