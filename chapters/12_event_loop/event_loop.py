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
on one of up to N connections (redis-py's pool opens one per greenlet waiting at once).
"""
from gevent import monkey
monkey.patch_all()

import atexit  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
import redis  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, UsageError, letters, main, start_private_server  # noqa: E402


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


def hub_test(BOOK, in_flight, server=None, prefix=''):
    vowel, consonant, other = [Counter(name, server, prefix + name) for name in ['vowel', 'consonant', 'other']]
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



class Server(object):
    """The counter service or Redis: a private one on a Unix socket in a directory of its own,
    removed with it by its keeper, or (--socket) one already listening there."""

    def __init__(self, kind, wait_us, socket=None):
        self.process = None
        if socket is None:
            self.process, self.socket, self.name = start_private_server(kind, wait_us)
        else:
            self.socket, self.name = socket, 'the counter service' if kind == 'service' else 'Redis'
        self.client = redis.Redis(unix_socket_path=self.socket)
        with gevent.Timeout(10, OSError('%s did not start within 10 seconds' % self.name)):
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise OSError('%s exited with status %d at start' % (self.name, self.process.returncode))
                try:
                    self.client.ping()
                    break
                except redis.ConnectionError as error:
                    if self.process is None:
                        raise OSError('cannot reach %s at %s: %s' % (self.name, self.socket, error)) from None
                    gevent.sleep(0.005)

    def stop(self, keys=()):
        if keys and self.process is None:
            try:                          # a server shared with others keeps none of the run's keys
                self.client.delete(*keys)
            except redis.RedisError:
                pass
        self.client.close()
        if self.process is not None:
            self.process.stop()


def declare_options(parser):
    parser.add_argument('--counter', choices=['local', 'service', 'redis'], default='local',
                        help='where each counter call goes (default local)')
    parser.add_argument('--wait', type=int, default=None, metavar='US',
                        help='with --counter service: the service answers after US microseconds (default 0)')
    parser.add_argument('--in-flight', type=int, default=100, metavar='N',
                        help='greenlets, each taking the next event (default %(default)s)')
    parser.add_argument('--socket', default=None, metavar='PATH',
                        help='with --counter service or redis: the server already listening on the Unix socket '
                        'PATH, instead of a private one')

    def check(options):
        if options.in_flight < 1:
            raise UsageError('--in-flight: needs a whole number of at least 1, got %d' % options.in_flight)
        if options.wait is not None and (options.counter != 'service' or options.wait < 0):
            raise UsageError('--wait is for --counter service, as a whole number of microseconds')
        if options.socket is not None and (options.counter == 'local' or options.wait is not None or not options.socket):
            raise UsageError('--socket is for --counter service or redis, without --wait (the server has its own)')
        servers = []

        def count(book, batch):
            if options.counter == 'local':
                return hub_test(book, options.in_flight)
            prefix = 'workbook:%d:' % os.getpid()
            if not servers:
                servers.append(Server(options.counter, options.wait or 0, options.socket))
                atexit.register(servers[0].stop, [prefix + name for name in ('vowel', 'consonant', 'other')])
            server = servers[0]
            server.client.delete(*[prefix + name for name in ('vowel', 'consonant', 'other')])
            try:
                counts = hub_test(book, options.in_flight, server.client, prefix)
            except redis.RedisError as error:
                raise RuntimeError('%s: %s' % (server.name, error)) from None
            held = tuple(int(server.client.get(prefix + name) or 0) for name in ('vowel', 'consonant', 'other'))
            if held != tuple(counter.count for counter in counts):
                raise RuntimeError('%s counted %s, the greenlets %s' % (server.name, held, counts))
            return counts
        return count
    return check


if __name__ == '__main__':
    sys.exit(main(chapter=12, title='Count letters with greenlets waiting on an event loop hub',
                  mechanism="greenlets on gevent's hub", count=None, default_runs=3, options=declare_options))
