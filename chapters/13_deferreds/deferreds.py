"""Chapter 13 in Python: Deferreds on the real Twisted's reactor.

The talk: "Twisted uses the Deferred object to manage the callback sequence. A series of functions
are attached to the deferred to be called when the results of the asynchronous request are
available." Each counter call returns at once a Deferred, fired by the reactor when the reply
arrives; --in-flight lanes keep that many waiting. --variant chain: a lane is a plain chain of
callbacks, each reply's callback making the next call. --variant inline (the default): a lane is a
generator under `inlineCallbacks` that yields each call's Deferred and is resumed with its reply.
With --counter service (or redis) the call is an INCR on a Twisted protocol over the server's Unix
socket, its replies parsed by hiredis's reader (Debian packages no Twisted Redis client); with local
counters the reactor fires the Deferred in its next turn (`callLater(0, ...)`). Run it beside the
C++, with the interpreter that has Twisted (Debian's python3-twisted and python3-hiredis):

    /usr/bin/python3 chapters/13_deferreds/deferreds.py --counter service --wait 1000 --limit 2000
    ./build/default/bin/13_deferreds --counter service --wait 1000 --limit 2000

Each event costs a Deferred and a turn of the reactor (and for inline a resume of the generator);
with a server, one request and one reply on the one connection, pipelined.
"""
import atexit
import os
import sys

from twisted.internet import defer, protocol, reactor
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.python.failure import Failure

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import (LetterTypes, Pipeline, counter_keys, counter_server, declare_server_options,  # noqa: E402
                     letters, main, server_started)


class CounterProtocol(protocol.Protocol):
    """One connection to the counter service or Redis: commands pipelined, each reply firing the
    Deferred of its request (harness.Pipeline matches them in order)."""

    def __init__(self, name):
        self.pipeline = Pipeline(name, self.settle)

    def command(self, *words):
        reply = defer.Deferred()
        request = self.pipeline.request(reply, *words)
        if request is not None:
            self.transport.write(request)
        return reply

    @staticmethod
    def settle(reply, value, error):
        if error is None:
            reply.callback(value)
        else:
            reply.errback(Failure(error))

    def dataReceived(self, data):
        if not self.pipeline.received(data):
            self.transport.loseConnection()

    def connectionLost(self, reason=protocol.connectionDone):
        self.pipeline.fail('%s closed the connection' % self.pipeline.name)


def wait_for(deferred):
    """Turns the reactor, as reactor.run()'s mainLoop does, until `deferred` has fired; returns its
    result or raises its error. (A reactor runs once per process; the harness counts several runs.)"""
    outcome = []
    deferred.addBoth(outcome.append)
    while True:
        reactor.runUntilCurrent()
        if outcome:
            break
        reactor.doIteration(reactor.timeout())
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


class Counter(object):
    """The talk's Counter; each call returns a Deferred, fired when the count is in."""

    def __init__(self, name, server=None, key=None):
        self.name = name
        self.count = 0
        self.server, self.key = server, key

    def __call__(self, *args, **kws):
        if self.server is None:
            reply = defer.Deferred()
            reactor.callLater(0, reply.callback, 0)  # local: the reactor's next turn fires it
        else:
            reply = self.server.command('INCR', self.key)
        return reply.addCallback(self.counted)

    def counted(self, value):
        self.count += 1
        return value

    def __repr__(self):
        return repr(self.count)


# [deferred_test]
def deferred_test(BOOK, in_flight, variant, server=None, keys=(None, None, None)):
    vowel, consonant, other = [Counter(name, server, key) for name, key in zip(['vowel', 'consonant', 'other'], keys)]
    events = iter(BOOK)                   # shared: each lane takes the next event

    def counter_of(c):
        if c in 'aeiouAEIOU':
            return vowel
        elif c in letters:
            return consonant
        return other

    @defer.inlineCallbacks
    def inline_lane():
        for c in events:                  # Each letter is an event
            yield counter_of(c)(c)        # resumed with the reply, or raised its error

    def chain_lane():
        done = defer.Deferred()

        def step(_=None):
            for c in events:              # the next event, if any
                counter_of(c)(c).addCallbacks(step, done.errback)
                return
            done.callback(None)
        step()
        return done

    lane = inline_lane if variant == 'inline' else chain_lane
    lanes = [lane() for _ in range(min(in_flight, max(len(BOOK), 1)))]
    try:
        wait_for(defer.gatherResults(lanes, consumeErrors=True))
    except defer.FirstError as error:
        error.subFailure.raiseException()
    return LetterTypes(vowel, consonant, other)
# [deferred_test]



class Server(object):
    """The counter service or Redis: a private one on a Unix socket in a directory of its own,
    removed with it by its keeper, or (--socket) one already listening there."""

    def __init__(self, kind, wait_us, socket=None):
        self.client = None
        self.process, self.socket, self.name = counter_server(kind, wait_us, socket)
        factory = protocol.Factory.forProtocol(lambda: CounterProtocol(self.name))
        connect = lambda: wait_for(UNIXClientEndpoint(reactor, self.socket).connect(factory))  # noqa: E731
        self.client = server_started(self.process, self.name, self.socket, connect, Exception)
        wait_for(self.client.command('PING'))

    def stop(self, keys=()):
        if self.client is not None and self.client.pipeline.failure is None:
            if keys and self.process is None:  # a server shared with others keeps none of the run's keys
                try:
                    wait_for(self.client.command('DEL', *keys))
                except Exception:
                    pass
            self.client.transport.loseConnection()
        if self.process is not None:
            self.process.stop()


def declare_options(parser):
    parser.add_argument('--variant', choices=['inline', 'chain'], default='inline',
                        help='inline: generators under inlineCallbacks; chain: plain callback chains (default inline)')
    check_server_options = declare_server_options(parser, 'lanes')

    def check(options):
        check_server_options(options)
        servers = []

        def count(book, batch):
            if options.counter == 'local':
                return deferred_test(book, options.in_flight, options.variant)
            keys = counter_keys()
            if not servers:
                servers.append(Server(options.counter, options.wait or 0, options.socket))
                atexit.register(servers[0].stop, keys)
            server = servers[0]
            wait_for(server.client.command('DEL', *keys))
            counts = deferred_test(book, options.in_flight, options.variant, server.client, keys)
            held = tuple(int(wait_for(server.client.command('GET', key)) or 0) for key in keys)
            if held != tuple(counter.count for counter in counts):
                raise RuntimeError('%s counted %s, the Deferreds %s' % (server.name, held, counts))
            return counts
        return count
    return check


if __name__ == '__main__':
    sys.exit(main(chapter=13, title='Count letters with Deferreds fired by an event loop',
                  mechanism="Deferreds on Twisted's reactor", count=None, default_runs=3, options=declare_options))
