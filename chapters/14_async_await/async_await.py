"""Chapter 14 in Python: async/await tasks on asyncio's event loop, or on uvloop's.

After the talk, Python put the skeleton of these libraries into the language: PEP 492's `async def`
and `await`, coroutines driven as Tasks by asyncio's event loop. A pool of --in-flight tasks each
take the next event of the book and await its counter. With --counter service (or redis) the
counter is a server, and the call is `await client.incr(key)` on redis-py's asyncio client
(Debian's python3-redis): the task sends its request and suspends; the loop resumes it with the
reply. With local counters the wait is `await asyncio.sleep(0)`: one trip through the loop per
event, as in the C++. `--loop uvloop` runs the same tasks on uvloop, libuv's loop for asyncio
(python3-uvloop, CPython only). Run it beside the C++, with the interpreter that has them:

    /usr/bin/python3 chapters/14_async_await/async_await.py --counter service --wait 1000 --limit 2000
    ./build/default/bin/14_async_await --counter service --wait 1000 --limit 2000

Each event costs a task's suspension and resumption by the loop; with a server, one request and one
reply on one of up to N connections (redis-py's pool opens one per task waiting at once).
"""
import asyncio
import atexit
import os
import sys
import time

import redis.asyncio

try:
    import uvloop
except ImportError:  # CPython only; --loop uvloop then says what to install
    uvloop = None

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, UsageError, letters, main, start_private_server  # noqa: E402


class Counter(object):
    """The talk's Counter; calling it is awaited, and with a server it is also an INCR there."""

    def __init__(self, name, server=None, key=None):
        self.name = name
        self.count = 0
        self.server, self.key = server, key

    async def __call__(self, *args, **kws):
        if self.server is None:
            await asyncio.sleep(0)            # local: the loop's next turn resumes the task
        else:
            await self.server.incr(self.key)  # sends, suspends the task, resumed with the reply
        self.count += 1

    def __repr__(self):
        return repr(self.count)


async def task_test(BOOK, in_flight, server=None, prefix=''):
    vowel, consonant, other = [Counter(name, server, prefix + name) for name in ['vowel', 'consonant', 'other']]
    events = iter(BOOK)                       # shared: each task takes the next event

    async def worker():
        for c in events:                      # Each letter is an event
            if c in 'aeiouAEIOU':
                await vowel(c)
            elif c in letters:
                await consonant(c)
            else:
                await other(c)

    tasks = [asyncio.ensure_future(worker()) for _ in range(min(in_flight, max(len(BOOK), 1)))]
    try:
        await asyncio.gather(*tasks)          # the first failure comes out here
    finally:
        for task in tasks:                    # after one, the others are cancelled at their await
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return LetterTypes(vowel, consonant, other)


class Server(object):
    """The counter service or Redis: a private one on a Unix socket in a directory of its own,
    removed with it by its keeper, or (--socket) one already listening there."""

    def __init__(self, loop, kind, wait_us, socket=None):
        self.loop = loop
        self.process = None
        if socket is None:
            self.process, self.socket, self.name = start_private_server(kind, wait_us)
        else:
            self.socket, self.name = socket, 'the counter service' if kind == 'service' else 'Redis'
        # A reply is awaited as long as the C++ clients await it: a second, or ten times the wait.
        self.client = redis.asyncio.Redis(unix_socket_path=self.socket, socket_timeout=max(1.0, wait_us * 10e-6))
        loop.run_until_complete(self.started())

    async def started(self):
        deadline = time.monotonic() + 10
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise OSError('%s exited with status %d at start' % (self.name, self.process.returncode))
            if time.monotonic() > deadline:
                raise OSError('%s did not start within 10 seconds' % self.name)
            try:
                await self.client.ping()
                return
            except redis.ConnectionError as error:
                if self.process is None:
                    raise OSError('cannot reach %s at %s: %s' % (self.name, self.socket, error)) from None
                await asyncio.sleep(0.005)

    def stop(self, keys=()):
        try:
            if keys and self.process is None:  # a server shared with others keeps none of the run's keys
                self.loop.run_until_complete(self.client.delete(*keys))
            self.loop.run_until_complete(self.client.close(close_connection_pool=True))
        except (redis.RedisError, OSError):
            pass                              # a server that has gone is no error here
        if self.process is not None:
            self.process.stop()


def declare_options(parser):
    parser.add_argument('--loop', choices=['asyncio', 'uvloop'], default='asyncio',
                        help="asyncio: the standard library's event loop; uvloop: libuv's (default asyncio)")
    parser.add_argument('--counter', choices=['local', 'service', 'redis'], default='local',
                        help='where each counter call goes (default local)')
    parser.add_argument('--wait', type=int, default=None, metavar='US',
                        help='with --counter service: the service answers after US microseconds (default 0)')
    parser.add_argument('--in-flight', type=int, default=100, metavar='N',
                        help='tasks, each taking the next event (default %(default)s)')
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
        if options.loop == 'uvloop' and uvloop is None:
            raise UsageError('--loop uvloop: this interpreter has no uvloop (Debian python3-uvloop, for CPython)')
        loop = uvloop.new_event_loop() if options.loop == 'uvloop' else asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        atexit.register(loop.close)           # registered first: it runs after the server's stop
        servers = []

        def count(book, batch):
            if options.counter == 'local':
                return loop.run_until_complete(task_test(book, options.in_flight))
            prefix = 'workbook:%d:' % os.getpid()
            keys = [prefix + name for name in ('vowel', 'consonant', 'other')]
            if not servers:
                servers.append(Server(loop, options.counter, options.wait or 0, options.socket))
                atexit.register(servers[0].stop, keys)
            server = servers[0]
            try:
                loop.run_until_complete(server.client.delete(*keys))
                counts = loop.run_until_complete(task_test(book, options.in_flight, server.client, prefix))
                held = tuple(int(loop.run_until_complete(server.client.get(key)) or 0) for key in keys)
            except redis.RedisError as error:
                raise RuntimeError('%s: %s' % (server.name, error)) from None
            except AttributeError as error:
                # redis-py 4.3's asyncio client words a failed read with the server's host, which a
                # Unix socket's connection has not: the error it was reporting is the one to say.
                if not isinstance(error.__context__, (OSError, redis.RedisError)):
                    raise
                raise RuntimeError('%s: %s' % (server.name, error.__context__)) from None
            if held != tuple(counter.count for counter in counts):
                raise RuntimeError('%s counted %s, the tasks %s' % (server.name, held, counts))
            return counts
        return count
    return check


if __name__ == '__main__':
    sys.exit(main(chapter=14, title='Count letters with async/await tasks on an event loop',
                  mechanism="async/await tasks on asyncio's event loop", count=None, default_runs=3,
                  options=declare_options))
