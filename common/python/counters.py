"""Slow counters for the Python peers of chapters 01-04 and 09, as common/ gives the C++ chapters:

    --work NS                 each counter call first burns about NS nanoseconds of pure Python
    --counter service         each counter call is also an INCR on the counter service, which
    --wait US                 answers after US microseconds (a private one, or --socket PATH)
    --counter redis           each counter call is also an INCR on Redis (a private one, or --socket PATH)

The burn holds the GIL, so CPython threads cannot share it between cores while processes can; a
call waiting on a socket releases the GIL, so threads can overlap the waits. The servers speak
RESP and are reached through redis-py (python3-redis), imported only when a server is asked for.

A peer passes `options(count)` to harness.main; `count(book, batch, slow)` gets `slow` None for
the talk's own counters (local, no work), so their cost is the one the talk measured, or a Slow
whose `call(name)` gives the function each counter call makes before counting.
"""

import atexit
import os
import sys
import time

from harness import UsageError, start_private_server

NAMES = ('vowel', 'consonant', 'other')


def burn(iterations):
    """A loop of pure Python the interpreter cannot skip; it holds the GIL throughout."""
    x = 1
    for i in range(iterations):
        x = (x * 31 + i) & 0xFFFF
    return x


def iterations_per_ns():
    """How many of burn's iterations take a nanosecond here: the fastest of several timings, once
    the interpreter (PyPy's JIT) has warmed up, so a busy machine does not make every burn too short.
    Calibrated, not clock-read, so a thread that loses the GIL mid-burn still does all its work."""
    n, best = 20000, None
    for _ in range(12):
        start = time.process_time_ns()
        burn(n)
        took = time.process_time_ns() - start
        if took > 0 and (best is None or took < best):
            best = took
    return n / best if best else 1.0


class Slow(object):
    """What a counter call does besides counting: --work, and an INCR on a server. Used across
    fork (a process per event, a pool) and across threads: redis-py's connection pool opens a
    connection in each process and for each thread waiting at once."""

    def __init__(self, kind, work_ns, wait_us, socket):
        self.kind = kind
        self.work = round(work_ns * iterations_per_ns()) if work_ns else 0
        self.prefix = 'workbook:%d:' % os.getpid()
        self.process, self.client, self.name = None, None, None
        if kind == 'local':
            return
        try:
            import redis
        except ImportError:
            raise OSError('--counter %s needs redis-py (python3-redis), which %s cannot import'
                          % (kind, sys.executable)) from None
        self._errors = redis.RedisError
        if socket is None:
            self.process, self.socket, self.name = start_private_server(kind, wait_us)
        else:
            self.socket, self.name = socket, 'the counter service' if kind == 'service' else 'Redis'
        atexit.register(self.stop)
        self.client = redis.Redis(unix_socket_path=self.socket)
        deadline = time.monotonic() + 10
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise OSError('%s exited with status %d at start' % (self.name, self.process.returncode))
            try:
                self.client.ping()
                break
            except redis.ConnectionError as error:
                if self.process is None:
                    raise OSError('cannot reach %s at %s: %s' % (self.name, self.socket, error)) from None
                if time.monotonic() > deadline:
                    raise OSError('%s did not start within 10 seconds' % self.name) from None
                time.sleep(0.005)

    def call(self, name):
        """The function a counter of `name` calls with each event before counting it."""
        work, client, key = self.work, self.client, self.prefix + name
        if client is None:
            return lambda c: burn(work)
        if not work:
            return lambda c: client.incr(key)

        def call(c):
            burn(work)
            client.incr(key)
        return call

    def run(self, count, book):
        """Runs `count()` and, with a server, checks that the server holds what the counters counted."""
        if self.client is None:
            return count()
        keys = [self.prefix + name for name in NAMES]
        try:
            self.client.delete(*keys)
            counts = count()
            held = tuple(int(self.client.get(key) or 0) for key in keys)
        except self._errors as error:
            raise RuntimeError('%s: %s' % (self.name, error)) from None
        counted = tuple(int(repr(counter)) if not isinstance(counter, int) else counter for counter in counts)
        if held != counted:
            raise RuntimeError('%s counted %s, the counters %s' % (self.name, held, counted))
        return counts

    def stop(self):
        if self.client is not None:
            if self.process is None:
                try:  # a server shared with others keeps none of the run's keys
                    self.client.delete(*[self.prefix + name for name in NAMES])
                except self._errors:
                    pass
            self.client.close()
            self.client = None
        if self.process is not None:
            self.process.stop()
            self.process = None


def options(count):
    """The `options` argument of harness.main for a peer whose `count(book, batch, slow)` takes
    slow counters."""
    def declare(parser):
        parser.add_argument('--counter', choices=['local', 'service', 'redis'], default='local',
                            help='where each counter call goes (default local)')
        parser.add_argument('--wait', type=int, default=None, metavar='US',
                            help='with --counter service: the service answers after US microseconds (default 0)')
        parser.add_argument('--work', type=int, default=0, metavar='NS',
                            help='burn about NS nanoseconds of pure Python in each counter call (default 0)')
        parser.add_argument('--socket', default=None, metavar='PATH',
                            help='with --counter service or redis: the server already listening on the Unix '
                            'socket PATH, instead of a private one')

        def check(options):
            if options.work < 0:
                raise UsageError('--work needs a whole number of nanoseconds, got %d' % options.work)
            if options.wait is not None and (options.counter != 'service' or options.wait < 0):
                raise UsageError('--wait is for --counter service, as a whole number of microseconds')
            if options.socket is not None and (options.counter == 'local' or options.wait is not None
                                               or not options.socket):
                raise UsageError('--socket is for --counter service or redis, without --wait (the server has its own)')
            if options.counter == 'local' and not options.work:
                return lambda book, batch: count(book, batch, None)
            slows = []

            def slow_count(book, batch):
                if not slows:  # started on the first run, not while parsing
                    slows.append(Slow(options.counter, options.work, options.wait or 0, options.socket))
                return slows[0].run(lambda: count(book, batch, slows[0]), book)
            return slow_count
        return check
    return declare
