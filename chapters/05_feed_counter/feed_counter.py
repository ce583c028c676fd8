"""Chapter 05 in Python: generators fed through queues, the talk's `feed_counter(queue)`.

"Squinting the right way, this looks like a generator": chapter 04's FeedCounter loop, with the
blocking get replaced by a yield. The main loop puts each event into its class's queue and, when a
queue holds FLUSH_SIZE events, pulls that many counts from the generator with `islice`, since a
generator that never meets KILL would run forever. --batch N sets FLUSH_SIZE (default 64), as for
chapter 05's C++. The queues are `SimpleQueue`s: the talk's `Queue` API (empty, get, put) without
the locks that only threads need.

    python3 chapters/05_feed_counter/feed_counter.py --book pg100.txt
"""
import os
import sys
from itertools import islice
from queue import SimpleQueue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, letters, main  # noqa: E402

KILL = None  # the sentinel value that ends a feed counter


# [feed_counter_test]
def feed_counter(queue):
    count = 0
    while True:
        if queue.empty():  # Blocking not OK
            yield count; continue  # noqa: E702
        c = queue.get()
        if c == KILL:      # sentinel value
            break
        count += 1; yield count  # noqa: E702


def feed_counter_test(BOOK, FLUSH_SIZE=64):
    vowel_q, consonant_q, other_q = SimpleQueue(), SimpleQueue(), SimpleQueue()
    vowel_fc, consonant_fc, other_fc = map(feed_counter, (vowel_q, consonant_q, other_q))
    vowel = consonant = other = 0

    def feed(queue, fc, count, c):
        queue.put(c)
        if queue.qsize() == FLUSH_SIZE:  # "safely handle a few events at a time"
            for count in islice(fc, 0, FLUSH_SIZE):
                pass
        return count

    for c in BOOK:
        if c in 'aeiouAEIOU':
            vowel = feed(vowel_q, vowel_fc, vowel, c)
        elif c in letters:
            consonant = feed(consonant_q, consonant_fc, consonant, c)
        else:
            other = feed(other_q, other_fc, other, c)

    # Kill off the generators with a sentinel value: fewer than FLUSH_SIZE events are left in
    # each queue, so FLUSH_SIZE pulls reach KILL and end the generator.
    totals = []
    for queue, fc, count in ((vowel_q, vowel_fc, vowel), (consonant_q, consonant_fc, consonant),
                             (other_q, other_fc, other)):
        queue.put(KILL)
        for count in islice(fc, 0, FLUSH_SIZE):
            pass
        totals.append(count)
    return LetterTypes(*totals)
# [feed_counter_test]


if __name__ == '__main__':
    sys.exit(main(chapter=5, title='Count letters with generators fed through queues',
                  mechanism='SimpleQueue + islice over a generator', takes_batch=True,
                  count=lambda book, batch: feed_counter_test(book, batch or 64)))
