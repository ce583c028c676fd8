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
import collections
import os
import sys
import time

import hiredis
from twisted.internet import defer, protocol, reactor
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.python.failure import Failure

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common', 'python'))
from harness import LetterTypes, UsageError, letters, main, start_private_server  # noqa: E402


class CounterProtocol(protocol.Protocol):
    """One connection to the counter service or Redis: commands pipelined, replies in order."""

    def __init__(self, name):
        self.name = name
        self.reader = hiredis.Reader()
        self.pending = collections.deque()  # a Deferred per request sent, oldest first
        self.failure = None                 # what ended the connection; every later call fails so

    def command(self, *words):
        reply = defer.Deferred()
        if self.failure is not None:
            reply.errback(self.failure)
            return reply
        words = [word if isinstance(word, bytes) else str(word).encode() for word in words]
        self.transport.write(b'*%d\r\n' % len(words) + b''.join(b'$%d\r\n%s\r\n' % (len(w), w) for w in words))
        self.pending.append(reply)
        return reply

    def dataReceived(self, data):
        self.reader.feed(data)
        try:
            while self.pending:
                reply = self.reader.gets()
                if reply is False:
                    return
                if isinstance(reply, hiredis.ReplyError):
                    self.pending.popleft().errback(RuntimeError('%s: %s' % (self.name, reply)))
                else:
                    self.pending.popleft().callback(reply)
        except hiredis.ProtocolError as error:
            self.fail('%s sent a malformed reply (%s)' % (self.name, error))
            self.transport.loseConnection()

    def connectionLost(self, reason=protocol.connectionDone):
        self.fail('%s closed the connection' % self.name)

    def fail(self, message):
        if self.failure is None:
            self.failure = Failure(RuntimeError(message))
        while self.pending:
            self.pending.popleft().errback(self.failure)


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


def deferred_test(BOOK, in_flight, variant, server=None, prefix=''):
    vowel, consonant, other = [Counter(name, server, prefix + name) for name in ['vowel', 'consonant', 'other']]
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



class Server(object):
    """The counter service or Redis: a private one on a Unix socket in a directory of its own,
    removed with it by its keeper, or (--socket) one already listening there."""

    def __init__(self, kind, wait_us, socket=None):
        self.process = None
        if socket is None:
            self.process, self.socket, self.name = start_private_server(kind, wait_us)
        else:
            self.socket, self.name = socket, 'the counter service' if kind == 'service' else 'Redis'
        self.client = None
        deadline = time.monotonic() + 10
        factory = protocol.Factory.forProtocol(lambda: CounterProtocol(self.name))
        while self.client is None:
            if self.process is not None and self.process.poll() is not None:
                raise OSError('%s exited with status %d at start' % (self.name, self.process.returncode))
            if time.monotonic() > deadline:
                raise OSError('%s did not start within 10 seconds' % self.name)
            try:
                self.client = wait_for(UNIXClientEndpoint(reactor, self.socket).connect(factory))
            except Exception as error:
                if self.process is None:
                    raise OSError('cannot reach %s at %s: %s' % (self.name, self.socket, error)) from None
                time.sleep(0.005)
        wait_for(self.client.command('PING'))

    def stop(self, keys=()):
        if self.client is not None and self.client.failure is None:
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
    parser.add_argument('--counter', choices=['local', 'service', 'redis'], default='local',
                        help='where each counter call goes (default local)')
    parser.add_argument('--wait', type=int, default=None, metavar='US',
                        help='with --counter service: the service answers after US microseconds (default 0)')
    parser.add_argument('--in-flight', type=int, default=100, metavar='N',
                        help='lanes, each taking the next event (default %(default)s)')
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
                return deferred_test(book, options.in_flight, options.variant)
            prefix = 'workbook:%d:' % os.getpid()
            keys = [prefix + name for name in ('vowel', 'consonant', 'other')]
            if not servers:
                servers.append(Server(options.counter, options.wait or 0, options.socket))
                atexit.register(servers[0].stop, keys)
            server = servers[0]
            wait_for(server.client.command('DEL', *keys))
            counts = deferred_test(book, options.in_flight, options.variant, server.client, prefix)
            held = tuple(int(wait_for(server.client.command('GET', key)) or 0) for key in keys)
            if held != tuple(counter.count for counter in counts):
                raise RuntimeError('%s counted %s, the Deferreds %s' % (server.name, held, counts))
            return counts
        return count
    return check


if __name__ == '__main__':
    sys.exit(main(chapter=13, title='Count letters with Deferreds fired by an event loop',
                  mechanism="Deferreds on Twisted's reactor", count=None, default_runs=3, options=declare_options))
