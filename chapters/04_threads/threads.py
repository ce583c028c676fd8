"""Chapter 04 in Python: counter threads fed through queues, the talk's `thread_test`.

Three threads, one per class of event, each running a FeedCounter that takes events from its own
queue until it gets the KILL sentinel. Every event is a `Queue.put` in the main thread and a
`Queue.get` in a counter thread, each taking a lock and waking a waiter, and the GIL lets only one
of them run at a time. That costs microseconds per event, so this program counts only the first
200,000 events unless told otherwise (--limit 0 counts them all); --batch N puts lists of N events
instead, as chapter 04's C++ does, and the cost is shared by N events.

    python3 chapters/04_threads/threads.py --book pg100.txt --runs 3
    python3 chapters/04_threads/threads.py --book pg100.txt --batch 4096 --limit 0
"""
import os
import sys
from collections import namedtuple
from queue import Queue
from threading import Thread

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, letters, main  # noqa: E402
import counters  # noqa: E402

KILL = None  # the sentinel value that stops a counter thread


# [thread_test]
class FeedCounter(object):
    # The talk counted into a multiprocessing `Value('i', 0)`, shared memory behind a lock. One
    # thread owns each counter and the main thread reads it only after join(), so a plain int is
    # enough here, and it does not hide the cost of the queue behind the cost of the lock.
    def __init__(self, name, queue):
        self.name, self.count, self.queue = (
            name, 0, queue)

    def __call__(self, *args, **kws):
        while True:
            c = self.queue.get()  # blocks here
            if c is KILL:         # sentinel value
                break
            self.count += 1

    def __repr__(self):
        return repr(self.count)


class BatchFeedCounter(FeedCounter):
    # The same loop, except that every message is a list of events.
    def __call__(self, *args, **kws):
        while True:
            batch = self.queue.get()
            if batch is KILL:
                break
            self.count += len(batch)


class SlowFeedCounter(FeedCounter):
    """FeedCounter whose every event, in the counter's thread, first does what --work and
    --counter ask (`slow` is the function counters.Slow.call gave)."""

    def __call__(self, *args, **kws):
        while True:
            c = self.queue.get()
            if c is KILL:
                break
            self.slow(c)
            self.count += 1


class SlowBatchFeedCounter(FeedCounter):
    def __call__(self, *args, **kws):
        while True:
            batch = self.queue.get()
            if batch is KILL:
                break
            for c in batch:
                self.slow(c)
            self.count += len(batch)


ThreadTuple = namedtuple('ThreadTuple', 'queue thread counter')


def threadtuple(name, counter_type=FeedCounter, slow=None):
    queue = Queue()
    counter = counter_type(name, queue)
    if slow is not None:
        counter.slow = slow.call(name)
    thread = Thread(target=counter)
    thread.start()
    return ThreadTuple(queue, thread, counter)


def thread_test(BOOK, slow=None):
    kind = SlowFeedCounter if slow else FeedCounter
    vowel = threadtuple('vowel', kind, slow)
    consonant = threadtuple('consonant', kind, slow)
    other = threadtuple('other', kind, slow)
    # ... the rest is same as with processtuple()
    for c in BOOK:
        if c in 'aeiouAEIOU':
            vowel.queue.put(c)
        elif c in letters:
            consonant.queue.put(c)
        else:
            other.queue.put(c)
    # Kill off the threads with a sentinel value
    for t in (vowel, consonant, other):
        t.queue.put(KILL)
        t.thread.join()
    return LetterTypes(vowel.counter, consonant.counter, other.counter)
# [thread_test]


def batched_thread_test(BOOK, size, slow=None):
    # One list per class is filled, and put whole when it holds `size` events.
    counter_class = SlowBatchFeedCounter if slow else BatchFeedCounter
    tuples = [threadtuple(name, counter_class, slow) for name in ('vowel', 'consonant', 'other')]
    batches = [[], [], []]
    for c in BOOK:
        which = 0 if c in 'aeiouAEIOU' else 1 if c in letters else 2
        batch = batches[which]
        batch.append(c)
        if len(batch) == size:
            tuples[which].queue.put(batch)
            batches[which] = []
    # Every last batch and sentinel goes out before the first join, so the workers finish together.
    for t, batch in zip(tuples, batches):
        if batch:
            t.queue.put(batch)
        t.queue.put(KILL)
    for t in tuples:
        t.thread.join()
    return LetterTypes(*(t.counter for t in tuples))


if __name__ == '__main__':
    sys.exit(main(chapter=4, title='Count letters with fed worker threads',
                  mechanism='queue.Queue put/get per event', default_runs=3, default_limit=200_000,
                  takes_batch=True,
                  count=None, options=counters.options(
                      lambda book, batch, slow: batched_thread_test(book, batch, slow) if batch
                      else thread_test(book, slow))))
