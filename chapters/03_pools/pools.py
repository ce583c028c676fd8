"""Chapter 03 in Python: a pool of counter processes fed through queues, the talk's second
`process_test`.

Three processes, one per class of event, each running a FeedCounter that takes events from its own
`multiprocessing.Queue` until it gets the KILL sentinel. Every event is pickled, written to a pipe
by the queue's feeder thread, read and unpickled in the counter process, which adds one to a shared
`Value` behind a lock. That costs tens of microseconds per event, so this program counts only the
first 20,000 events unless told otherwise (--limit 0 counts them all); --batch N puts lists of N
events instead, as chapter 03's C++ does, and the cost is shared by N events.

    python3 chapters/03_pools/pools.py --book pg100.txt
    python3 chapters/03_pools/pools.py --book pg100.txt --batch 4096 --limit 0
"""
import multiprocessing
import os
import sys
from collections import namedtuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, letters, main  # noqa: E402
import counters  # noqa: E402

# The talk's Python 2 on Unix always forked; Python 3.14 makes another start method the default.
_fork = multiprocessing.get_context('fork')
Process, Queue, Value = _fork.Process, _fork.Queue, _fork.Value

KILL = None  # the sentinel value that stops a counter process


# [process_test]
class FeedCounter(object):
    def __init__(self, name, value, queue):
        self.name, self.count, self.queue = (
            name, value, queue)

    def __call__(self, *args, **kws):
        while True:
            c = self.queue.get()  # blocks here
            if c == KILL:         # sentinel value
                break
            self.count.value += 1

    def __repr__(self):
        return repr(self.count.value)


class BatchFeedCounter(FeedCounter):
    # The same loop, except that every message is a list of events.
    def __call__(self, *args, **kws):
        while True:
            batch = self.queue.get()
            if batch == KILL:
                break
            self.count.value += len(batch)


class SlowFeedCounter(FeedCounter):
    """FeedCounter whose every event, in the counter's process, first does what --work and
    --counter ask (`slow` is the function counters.Slow.call gave)."""

    def __call__(self, *args, **kws):
        while True:
            c = self.queue.get()
            if c == KILL:
                break
            self.slow(c)
            self.count.value += 1


class SlowBatchFeedCounter(FeedCounter):
    def __call__(self, *args, **kws):
        while True:
            batch = self.queue.get()
            if batch == KILL:
                break
            for c in batch:
                self.slow(c)
            self.count.value += len(batch)


ProcTuple = namedtuple(
    'ProcTuple', 'queue proc counter')


def proctuple(name, counter_type=FeedCounter, slow=None):
    queue = Queue()
    counter = counter_type(name, Value('i', 0), queue)
    if slow is not None:
        counter.slow = slow.call(name)
    proc = Process(target=counter)
    proc.start()
    return ProcTuple(queue, proc, counter)


def process_test(BOOK, slow=None):
    vowel, cons, other = [proctuple(name, SlowFeedCounter if slow else FeedCounter, slow)
                          for name in ('vowel', 'consonant', 'other')]

    for c in BOOK:
        if c in 'aeiouAEIOU': vowel.queue.put(c)  # noqa: E701
        elif c in letters:     cons.queue.put(c)  # noqa: E701,E271
        else:                  other.queue.put(c)  # noqa: E701,E271

    # Kill off the processes with a sentinel value
    for p in (vowel, cons, other):
        p.queue.put(KILL); p.proc.join()  # noqa: E702

    return LetterTypes(vowel.counter, cons.counter, other.counter)
# [process_test]


def batched_process_test(BOOK, size, slow=None):
    # One list per class is filled, and put whole when it holds `size` events.
    counter_class = SlowBatchFeedCounter if slow else BatchFeedCounter
    tuples = [proctuple(name, counter_class, slow) for name in ('vowel', 'consonant', 'other')]
    batches = [[], [], []]
    for c in BOOK:
        which = 0 if c in 'aeiouAEIOU' else 1 if c in letters else 2
        batch = batches[which]
        batch.append(c)
        if len(batch) == size:
            tuples[which].queue.put(batch)
            batches[which] = []
    # Every last batch and sentinel goes out before the first join, so the workers finish together.
    for p, batch in zip(tuples, batches):
        if batch:
            p.queue.put(batch)
        p.queue.put(KILL)
    for p in tuples:
        p.proc.join()
    return LetterTypes(*(p.counter for p in tuples))


if __name__ == '__main__':
    sys.exit(main(chapter=3, title='Count letters with a pool of fed worker processes',
                  mechanism='multiprocessing.Queue put/get per event', default_runs=3, default_limit=20_000,
                  takes_batch=True,
                  count=None, options=counters.options(
                      lambda book, batch, slow: batched_process_test(book, batch, slow) if batch
                      else process_test(book, slow))))
