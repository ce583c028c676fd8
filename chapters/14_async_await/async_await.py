"""Chapter 14 in Python: async/await tasks on asyncio's event loop, or on uvloop's.

After the talk, Python put the skeleton of these libraries into the language: PEP 492's `async def`
and `await`, coroutines driven as Tasks by asyncio's event loop. A pool of --in-flight tasks each
take the next event of the book and await its counter. With --counter service (or redis) the
counter is a server, and the call is `await client.incr(key)` on one connection that every task
shares, an asyncio Protocol whose replies hiredis's reader parses (Debian's python3-hiredis), as
the C++ client's: the task writes its request and suspends on a future; the loop resumes it when
the reply comes. With local counters the wait is `await asyncio.sleep(0)`: one trip through the loop per
event, as in the C++. `--loop uvloop` runs the same tasks on uvloop, libuv's loop for asyncio
(python3-uvloop, CPython only). Run it beside the C++, with the interpreter that has them:

    /usr/bin/python3 chapters/14_async_await/async_await.py --counter service --wait 1000 --limit 2000
    ./build/default/bin/14_async_await --counter service --wait 1000 --limit 2000

Each event costs a task's suspension and resumption by the loop; with a server, one request and one
reply on the one connection, pipelined.
"""
import asyncio
import atexit
import os
import sys

try:
    import uvloop
except ImportError:  # CPython only; --loop uvloop then says what to install
    uvloop = None

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import (LetterTypes, Pipeline, UsageError, counter_keys, counter_server, declare_server_options,  # noqa: E402
                     letters, main, server_started)


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


# [task_test]
async def task_test(BOOK, in_flight, server=None, keys=(None, None, None)):
    vowel, consonant, other = [Counter(name, server, key) for name, key in zip(['vowel', 'consonant', 'other'], keys)]
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
# [task_test]


class Connection(asyncio.Protocol):
    """One connection to the counter service or Redis, shared by every task: each call writes its
    command at once and awaits a future, which the reply settles (harness.Pipeline matches them in
    order). If requests wait longer than `timeout` seconds with no reply, every one fails."""

    def __init__(self, loop, name, timeout):
        self.loop, self.timeout = loop, timeout
        self.pipeline = Pipeline(name, self.settle)
        self.transport = None
        self.timer = None
        self.last = 0.0                       # when a reply last came, or a request went out

    def command(self, *words):
        reply = self.loop.create_future()
        request = self.pipeline.request(reply, *words)
        if request is not None:
            self.transport.write(request)
            self.last = self.loop.time()
            if self.timer is None:
                self.timer = self.loop.call_at(self.last + self.timeout, self.check)
        return reply

    async def incr(self, key):
        return await self.command('INCR', key)

    def check(self):
        self.timer = None
        if not self.pipeline.waiting:
            return
        if self.loop.time() - self.last >= self.timeout:
            self.pipeline.fail('%s did not answer within %g s' % (self.pipeline.name, self.timeout))
            self.transport.close()
        else:
            self.timer = self.loop.call_at(self.last + self.timeout, self.check)

    @staticmethod
    def settle(reply, value, error):
        if not reply.done():                  # a task cancelled at its await leaves its future so
            if error is None:
                reply.set_result(value)
            else:
                reply.set_exception(error)

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.last = self.loop.time()
        if not self.pipeline.received(data):
            self.transport.close()

    def connection_lost(self, error):
        self.pipeline.fail('%s closed the connection' % self.pipeline.name)


class Server(object):
    """The counter service or Redis: a private one on a Unix socket in a directory of its own,
    removed with it by its keeper, or (--socket) one already listening there."""

    def __init__(self, loop, kind, wait_us, socket=None):
        self.loop = loop
        self.client = None
        self.process, self.socket, self.name = counter_server(kind, wait_us, socket)
        # A reply is awaited as long as the C++ clients await it: a second, or ten times the wait.
        timeout = max(1.0, wait_us * 10e-6)
        connect = lambda: loop.run_until_complete(  # noqa: E731
            loop.create_unix_connection(lambda: Connection(loop, self.name, timeout), self.socket))[1]
        self.client = server_started(self.process, self.name, self.socket, connect, OSError)
        self.run(self.client.command('PING'))

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)

    def stop(self, keys=()):
        if self.client is not None and self.client.pipeline.failure is None:
            try:
                if keys and self.process is None:  # a server shared with others keeps none of the run's keys
                    self.run(self.client.command('DEL', *keys))
            except RuntimeError:
                pass                          # a server that has gone is no error here
            self.client.transport.close()
        if self.process is not None:
            self.process.stop()


def declare_options(parser):
    parser.add_argument('--loop', choices=['asyncio', 'uvloop'], default='asyncio',
                        help="asyncio: the standard library's event loop; uvloop: libuv's (default asyncio)")
    check_server_options = declare_server_options(parser, 'tasks')

    def check(options):
        check_server_options(options)
        if options.loop == 'uvloop' and uvloop is None:
            raise UsageError('--loop uvloop: this interpreter has no uvloop (Debian python3-uvloop, for CPython)')
        loop = uvloop.new_event_loop() if options.loop == 'uvloop' else asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        atexit.register(loop.close)           # registered first: it runs after the server's stop
        servers = []

        def count(book, batch):
            if options.counter == 'local':
                return loop.run_until_complete(task_test(book, options.in_flight))
            keys = counter_keys()
            if not servers:
                servers.append(Server(loop, options.counter, options.wait or 0, options.socket))
                atexit.register(servers[0].stop, keys)
            server = servers[0]
            server.run(server.client.command('DEL', *keys))
            counts = server.run(task_test(book, options.in_flight, server.client, keys))
            held = tuple(int(server.run(server.client.command('GET', key)) or 0) for key in keys)
            if held != tuple(counter.count for counter in counts):
                raise RuntimeError('%s counted %s, the tasks %s' % (server.name, held, counts))
            return counts
        return count
    return check


if __name__ == '__main__':
    sys.exit(main(chapter=14, title='Count letters with async/await tasks on an event loop',
                  mechanism="async/await tasks on asyncio's event loop", count=None, default_runs=3,
                  options=declare_options))
