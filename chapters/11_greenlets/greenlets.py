"""Chapter 11 in Python: greenlets, "micro-threads with no implicit scheduling", on the greenlet library.

The talk's last step: "greenlets solve the issue addressed by PEP 380 in a somewhat different
style". Each counter is a greenlet with a stack of its own; the reader (the main greenlet) switches
straight to the counter of each event, passing the event; the counter counts it and switches
back. First greenlet's own documentation example (`12 56 34`) and the talk's imagined direct
coroutines (`A x C a B c D b`), which greenlets are; then the book. Cost: two switches per event
(to the counter and back). Under CPython this is the greenlet package (Debian's python3-greenlet);
PyPy ships a greenlet module of its own, built on its continulets.

    /usr/bin/python3 chapters/11_greenlets/greenlets.py --book pg100.txt
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import Counter, LetterTypes, letters, main  # noqa: E402
from greenlet import greenlet, getcurrent  # noqa: E402


# [demonstrate]
def ping_pong():
    def test1():
        print(12, end=" ")
        gr2.switch()
        print(34, end=" ")

    def test2():
        print(56, end=" ")
        gr1.switch()
        print(78, end=" ")  # never printed: nobody switches back to test2

    gr1, gr2 = greenlet(test1), greenlet(test2)
    gr1.switch()  # prints 12 56 34


def direct_coroutines():
    # The talk's "language similar to Python" with direct coroutines: routine1('x') needs no trampoline.
    def routine1(data):
        print("A", data, end=" "); data = r2.switch('a')
        print("B", data, end=" "); data = r2.switch('b')

    def routine2(data):
        print("C", data, end=" "); data = r1.switch('c')
        print("D", data, end=" ")

    r1, r2 = greenlet(routine1), greenlet(routine2)
    r1.switch('x')  # prints A x C a B c D b


def demonstrate():
    ping_pong()
    print()
    direct_coroutines()
# [demonstrate]


# [count_on_greenlets]
def count_on_greenlets(BOOK):
    vowel, consonant, other = map(Counter, ['vowel', 'consonant', 'other'])
    reader = getcurrent()

    def counting(count):
        # Count the event, switch back to the reader, receive the next event there. It never
        # returns; a greenlet left suspended is unwound when collected (GreenletExit).
        def run(event):
            while True:
                count(event)
                event = reader.switch()
        return run

    vowels, consonants, others = greenlet(counting(vowel)), greenlet(counting(consonant)), greenlet(counting(other))
    for c in BOOK:  # Each letter is an event
        if c in 'aeiouAEIOU':
            vowels.switch(c)
        elif c in letters:
            consonants.switch(c)
        else:
            others.switch(c)
    return LetterTypes(vowel, consonant, other)
# [count_on_greenlets]


if __name__ == '__main__':
    sys.exit(main(chapter=11, title='Count letters with greenlets switching to each other',
                  mechanism='greenlet switch', demonstrate=demonstrate,
                  count=lambda book, batch: count_on_greenlets(book)))
