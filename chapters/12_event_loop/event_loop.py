"""Chapter 12 in Python: greenlets on gevent's hub, on the real gevent.

The talk's closing "third party stuff": gevent "uses greenlet to provide a high-level synchronous
API on top of the libevent event loop". A pool of --in-flight greenlets each take the next event
of the book and call its counter. With --counter service (or redis) the counter is a server, and
the call is redis-py's `incr` on a socket that gevent's monkey-patching has made cooperative: the
call sends its request and waits on the hub, which runs the loop and switches back with the reply.
With local counters the wait is `gevent.sleep(0)`: one trip through the hub per event, as in the
C++. Run it beside the C++, with the interpreter that has gevent (Debian's python3-gevent):

    /usr/bin/python3 chapters/12_event_loop/event_loop.py --counter service --wait 1000 --limit 2000
    ./build/default/bin/12_event_loop --counter service --wait 1000 --limit 2000

Each event costs two greenlet switches through the hub; with a server, one request and one reply
on the one connection, pipelined.
"""
from gevent import monkey
monkey.patch_all()

import atexit  # noqa: E402
import collections  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.lock  # noqa: E402
import redis  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import (LetterTypes, counter_keys, counter_server, declare_server_options,  # noqa: E402
                     letters, main, server_started)


class Counter(object):
    """The talk's Counter; with a server, each call is also an INCR of the counter's key there."""

    def __init__(self, name, server=None, key=None):
        self.name = name
        self.count = 0
        self.server, self.key = server, key

    def __call__(self, *args, **kws):
        if self.server is None:
            gevent.sleep(0)               # local: the hub's next turn switches back
        else:
            self.server.incr(self.key)    # sends, waits on the hub, back with the reply
        self.count += 1

    def __repr__(self):
        return repr(self.count)


# [hub_test]
def hub_test(BOOK, in_flight, server=None, keys=(None, None, None)):
    vowel, consonant, other = [Counter(name, server, key) for name, key in zip(['vowel', 'consonant', 'other'], keys)]
    events = iter(BOOK)                   # shared: each greenlet takes the next event

    def worker():
        for c in events:                  # Each letter is an event
            if c in 'aeiouAEIOU':
                vowel(c)
            elif c in letters:
                consonant(c)
            else:
                other(c)

    pool = [gevent.spawn(worker) for _ in range(min(in_flight, max(len(BOOK), 1)))]
    gevent.joinall(pool, raise_error=True)  # the main greenlet waits on the hub until all are done
    return LetterTypes(vowel, consonant, other)
# [hub_test]



class Connection(object):
    """redis-py's connection to the server, its socket made cooperative by the monkey-patching,
    shared by every greenlet: each call writes its command at once and waits on the hub for its
    reply; one reading greenlet hands the replies, in order, to the calls waiting (a server
    answers a connection's requests in order). So all the greenlets wait at once on one
    connection, pipelined, as the C++ chapter's do, rather than on a connection each."""

    def __init__(self, socket, timeout):
        self.connection = redis.UnixDomainSocketConnection(path=socket, socket_timeout=timeout)
        self.connection.connect()
        self.writing = gevent.lock.Semaphore()  # one writer at a time: requests and waiters in one order
        self.waiting = collections.deque()      # an AsyncResult per request written, oldest first
        self.reader = None

    def command(self, *words):
        reply = gevent.event.AsyncResult()
        with self.writing:
            self.waiting.append(reply)
            try:
                self.connection.send_packed_command(self.connection.pack_command(*words), check_health=False)
            except redis.RedisError as error:
                self.fail(error)
        if self.reader is None and self.waiting:
            self.reader = gevent.spawn(self.read)
        return reply.get()

    def incr(self, key):
        return self.command('INCR', key)

    def read(self):
        try:
            while self.waiting:
                try:
                    value = self.connection.read_response()
                except redis.ResponseError as error:
                    self.waiting.popleft().set_exception(error)
                except redis.RedisError as error:
                    self.fail(error)
                else:
                    self.waiting.popleft().set(value)
        finally:
            self.reader = None

    def fail(self, error):
        while self.waiting:
            self.waiting.popleft().set_exception(error)

    def close(self):
        self.connection.disconnect()


class Server(object):
    """The counter service or Redis: a private one on a Unix socket in a directory of its own,
    removed with it by its keeper, or (--socket) one already listening there."""

    def __init__(self, kind, wait_us, socket=None):
        self.client = None
        self.process, self.socket, self.name = counter_server(kind, wait_us, socket)
        # A reply is awaited as long as the C++ clients await it: a second, or ten times the wait.
        timeout = max(1.0, wait_us * 10e-6)
        self.client = server_started(self.process, self.name, self.socket, lambda: Connection(self.socket, timeout),
                                     redis.ConnectionError, gevent.sleep)
        self.client.command('PING')

    def stop(self, keys=()):
        if self.client is not None:
            if keys and self.process is None:  # a server shared with others keeps none of the run's keys
                try:
                    self.client.command('DEL', *keys)
                except redis.RedisError:
                    pass
            self.client.close()
        if self.process is not None:
            self.process.stop()


def declare_options(parser):
    check_server_options = declare_server_options(parser, 'greenlets')

    def check(options):
        check_server_options(options)
        servers = []

        def count(book, batch):
            if options.counter == 'local':
                return hub_test(book, options.in_flight)
            keys = counter_keys()
            if not servers:
                servers.append(Server(options.counter, options.wait or 0, options.socket))
                atexit.register(servers[0].stop, keys)
            server = servers[0]
            try:
                server.client.command('DEL', *keys)
                counts = hub_test(book, options.in_flight, server.client, keys)
                held = tuple(int(server.client.command('GET', key) or 0) for key in keys)
            except redis.RedisError as error:
                raise RuntimeError('%s: %s' % (server.name, error)) from None
            if held != tuple(counter.count for counter in counts):
                raise RuntimeError('%s counted %s, the greenlets %s' % (server.name, held, counts))
            return counts
        return count
    return check


if __name__ == '__main__':
    sys.exit(main(chapter=12, title='Count letters with greenlets waiting on an event loop hub',
                  mechanism="greenlets on gevent's hub", count=None, default_runs=3, options=declare_options))
