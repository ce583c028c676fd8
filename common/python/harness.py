"""The harness every chapter's Python peer shares: options, the book, the talk's three lines.

A chapter's `.py` file holds the talk's program, the part worth reading beside the C++; this module
does the rest the same way for all of them, as common/src/runner.cpp does for the C++ chapters:

    python3 chapters/01_serial/serial.py [--book PATH|-] [--runs N] [--limit N] [--json]

The book is read as bytes and decoded as Latin-1, so each byte is one character, one event, as in
the talk's Python 2. Without --book, the workbook's default book is used: the bytes that
`./workbook corpus` writes, taken from the `workbook-corpus` program of a build folder (or the
program that the environment variable WORKBOOK_CORPUS names).
"""

import argparse
import collections
import contextlib
import glob
import io
import json
import os
import platform
import string
import subprocess
import shutil
import sys
import tempfile
import time
from collections import namedtuple

# The talk's `letters`: Python 2's string.letters in the C locale, the ASCII letters.
letters = string.ascii_letters

# The talk's result type; its fields are the counters themselves, printed by their repr().
LetterTypes = namedtuple('LetterTypes', 'vowel consonant other')


class Counter(object):
    """The talk's counter object (chapter 01's), for the later chapters to call, as the C++
    chapters share workbook::Counter."""

    def __init__(self, name):
        self.name = name
        self.count = 0

    def __call__(self, *args, **kws):
        self.count += 1

    def __repr__(self):
        return repr(self.count)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class UsageError(Exception):
    """A malformed command line: exit status 2, one line on stderr."""


class _Parser(argparse.ArgumentParser):
    # argparse's own errors take two lines; the workbook's programs say what is wrong in one.
    def error(self, message):
        raise UsageError(message)


def _whole_number(minimum):
    def parse(text):
        try:
            value = int(text, 10)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                'needs a whole number of at least %d, got %r' % (minimum, text))
        return value
    return parse


def built_program(name, variable):
    """The workbook program `name` (e.g. workbook-corpus): the one the environment variable
    `variable` names, else the build folder of the preset in use, then any other; None if none."""
    preset = os.environ.get('WORKBOOK_PRESET', 'default')
    candidates = [os.environ[variable]] if os.environ.get(variable) else []
    candidates += [os.path.join(ROOT, 'build', preset, 'bin', name)]
    candidates += sorted(glob.glob(os.path.join(ROOT, 'build', '*', 'bin', name)))
    for program in candidates:
        if os.access(program, os.X_OK):
            return program
    return None


def _corpus_program():
    return built_program('workbook-corpus', 'WORKBOOK_CORPUS')


def load_book(path):
    """The book's bytes, decoded as Latin-1: one character per byte, every byte value kept."""
    if path == '-':
        return sys.stdin.buffer.read().decode('latin-1'), '<stdin>'
    if path is not None:
        try:
            with open(path, 'rb') as book:
                return book.read().decode('latin-1'), path
        except OSError as error:
            raise OSError("cannot read book '%s': %s" % (path, error.strerror or error)) from None
    program = _corpus_program()
    if program is None:
        raise OSError('no --book given and no workbook-corpus program built to write the default book; '
                      'run ./workbook corpus > book.txt once, then pass --book book.txt')
    written = subprocess.run([program], stdout=subprocess.PIPE, check=False)
    if written.returncode != 0:
        raise OSError('%s failed with status %d' % (program, written.returncode))
    return written.stdout.decode('latin-1'), '<default book>'


def _number(counter):
    # The talk's counters print their count through repr(); plain ints are accepted too.
    return counter if isinstance(counter, int) else int(repr(counter))


def _interpreter():
    """'CPython 3.11.7', or 'PyPy 7.3.11': PyPy by its own version, not the Python it implements."""
    if platform.python_implementation() == 'PyPy':
        return 'PyPy %d.%d.%d' % sys.pypy_version_info[:3]
    return '%s %s' % (platform.python_implementation(), platform.python_version())


def main(chapter, title, mechanism, count, default_runs=10, default_limit=0, takes_batch=False, options=None,
         demonstrate=None):
    """A chapter's whole program: parse the options, load the book, run `count`, print.

    `count(book, batch)` counts the string `book` (batch is the --batch value, 0 = one message per
    event) and returns a LetterTypes. Exit status 0 counted, 1 the counts of two runs differ or
    the mechanism failed, 2 a malformed option or an unreadable book.

    A program with options of its own passes `options(parser)`, which declares them and returns a
    function that checks them once parsed (raising UsageError) and returns the count function to
    use, called as `count(book, batch)`; anything that function opens it closes by exit.

    A chapter that first shows the talk's own example (`A C B D`) passes `demonstrate()`, which
    prints it; its lines come before the three lines, as the C++ chapter prints them, and not
    with --json. They are held back until the count has succeeded: a failed run prints nothing.
    """
    program = os.path.basename(sys.argv[0])
    parser = _Parser(prog=program, description=title + ' (the Python peer of chapter %02d: %s)'
                     % (chapter, mechanism))
    parser.add_argument('--book', default=None, help="count the bytes of PATH, or of standard input for '-' "
                        '(default: the generated default book)', metavar='PATH')
    parser.add_argument('--runs', type=_whole_number(1), default=default_runs,
                        help='count N times and report the total time (default %(default)s)', metavar='N')
    parser.add_argument('--limit', type=_whole_number(0), default=default_limit,
                        help='count only the first N events; 0 counts the whole book (default %(default)s)',
                        metavar='N')
    if takes_batch:
        parser.add_argument('--batch', type=_whole_number(1), default=0,
                            help='send events N at a time (default: one message per event)', metavar='N')
    parser.add_argument('--json', action='store_true', help='print one JSON object instead of the three lines')
    own_options = options(parser) if options else None
    try:
        options = parser.parse_args()
        if own_options:
            count = own_options(options)
        if options.book == '':
            raise UsageError('--book needs a path, or - for standard input')
        book, book_name = load_book(options.book)
    except UsageError as error:
        sys.stderr.write('%s: %s; %s\n' % (program, error, ' '.join(parser.format_usage().split())))
        return 2
    except OSError as error:
        sys.stderr.write('%s: %s\n' % (program, error))
        return 2

    events = book[:options.limit] if 0 < options.limit < len(book) else book
    batch = getattr(options, 'batch', 0)
    run_seconds = []
    first = None
    shown = io.StringIO()
    try:
        if demonstrate is not None and not options.json:
            with contextlib.redirect_stdout(shown):
                demonstrate()
            # Python 2's `print "A",` left no space at the end of a line; print(..., end=' ') does.
            shown = ''.join(line.rstrip(' ') + '\n' for line in shown.getvalue().splitlines())
        else:
            shown = ''
        for run in range(options.runs):
            start = time.perf_counter()
            counts = tuple(_number(counter) for counter in count(events, batch))
            run_seconds.append(time.perf_counter() - start)
            if first is None:
                first = counts
            elif counts != first:
                raise RuntimeError('run %d counted %s but run 1 counted %s' % (run + 1, counts, first))
    except Exception as error:  # the mechanism failed: one line, status 1, nothing on stdout
        sys.stderr.write('%s: %s\n' % (program, error))
        return 1
    except KeyboardInterrupt:  # Ctrl-C: one line and the shell's status for SIGINT, no traceback
        sys.stderr.write('%s: interrupted\n' % program)
        return 130

    seconds = sum(run_seconds)
    vowels, consonants, others = first
    if options.json:
        print(json.dumps({
            'chapter': chapter, 'title': title, 'mechanism': mechanism, 'batch': batch,
            'takes_batch': takes_batch, 'book': book_name, 'book_events': len(book), 'events': len(events),
            'runs': options.runs, 'seconds': seconds, 'run_seconds': run_seconds,
            'ns_per_event': seconds * 1e9 / (len(events) * options.runs) if events else 0.0,
            'vowels': vowels, 'consonants': consonants, 'others': others,
            'interpreter': _interpreter(),
            **{key: value for key, value in [('counter', getattr(options, 'counter', None)),
                                             ('in_flight', getattr(options, 'in_flight', None))] if value is not None},
        }, separators=(',', ':')))
        return 0
    sys.stdout.write(shown)
    print(title)
    print('vowels=%d consonants=%d others=%d' % (vowels, consonants, others))
    print('%d %s in %f seconds' % (options.runs, 'run' if options.runs == 1 else 'runs', seconds))
    if len(events) < len(book):
        print('(only the first %d of %d events; --limit 0 counts them all)' % (len(events), len(book)))
    return 0


# The keeper of a private server, run by the interpreter running the peer: it starts the server
# (dying with the keeper: PR_SET_PDEATHSIG) and waits until its standard input, a pipe only the peer
# holds the other end of, closes (the peer ended, in any way, even by SIGKILL) or the server ends;
# then it stops the server, waits for it and removes the private directory with its socket. So the
# cleanup does not depend on the peer's own `finally`, which SIGKILL never runs.
_KEEPER = r"""
import ctypes, os, select, shutil, signal, subprocess, sys
directory, command = sys.argv[1], sys.argv[2:]
keeper = os.getpid()
def arm():
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != keeper:
        os._exit(1)
try:
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=arm)
except OSError as error:
    shutil.rmtree(directory, ignore_errors=True)
    sys.stderr.write('cannot start %s: %s\n' % (command[0], error.strerror or error))
    sys.exit(127)
ended = os.pidfd_open(server.pid) if hasattr(os, 'pidfd_open') else None  # PyPy has none: poll
while True:
    ready = select.select([0] + ([ended] if ended is not None else []), [], [], None if ended is not None else 0.05)[0]
    if ended in ready or server.poll() is not None or (0 in ready and not os.read(0, 4096)):
        break
if server.poll() is None:
    server.terminate()
status = server.wait()
shutil.rmtree(directory, ignore_errors=True)
sys.exit(status if status >= 0 else 128 - status)
"""


class PrivateServerProcess(object):
    """The keeper of a private server: poll() and returncode tell whether it (and so the server)
    has ended; stop() ends the server and waits until it is gone with its directory."""

    def __init__(self, command, directory):
        self.directory = directory
        # In a session of its own, so that Ctrl-C at the peer's terminal does not reach it first.
        self._keeper = subprocess.Popen([sys.executable, '-c', _KEEPER, directory] + command,
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        start_new_session=True)
        self.pid = self._keeper.pid

    @property
    def returncode(self):
        return self._keeper.returncode

    def poll(self):
        return self._keeper.poll()

    def stop(self):
        if self._keeper.stdin is not None:
            self._keeper.stdin.close()  # the keeper's cue: stop the server, remove the directory
        self._keeper.wait()


def start_private_server(kind, wait_us):
    """Starts the counter service (`kind` 'service') or redis-server on a Unix socket in a private
    directory (mkdtemp), under a keeper that removes it when this process ends, in any way;
    returns (PrivateServerProcess, socket path, name)."""
    if kind == 'service':
        program = built_program('workbook-counter-service', 'WORKBOOK_COUNTER_SERVICE')
        if program is None:
            raise OSError('no workbook-counter-service program built; build the workbook first')
    directory = tempfile.mkdtemp(prefix='workbook-')
    socket = os.path.join(directory, kind + '.sock')
    if kind == 'service':
        command, name = [program, '--socket', socket, '--wait', str(wait_us)], 'the counter service'
    else:
        command = ['redis-server', '--port', '0', '--unixsocket', socket, '--unixsocketperm', '700',
                   '--save', '', '--appendonly', 'no', '--dir', directory]
        name = 'Redis'
    try:
        process = PrivateServerProcess(command, directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return process, socket, name


# The loop chapters' peers (12 to 14) take the C++ chapters' counter options and keep their counts
# in three keys of the server, named for the process so that runs sharing a server do not mix.

def declare_server_options(parser, waiters):
    """Declares --counter, --wait, --in-flight (`waiters`: what each of them is) and --socket;
    returns the check of them once parsed, which raises UsageError."""
    parser.add_argument('--counter', choices=['local', 'service', 'redis'], default='local',
                        help='where each counter call goes (default local)')
    parser.add_argument('--wait', type=int, default=None, metavar='US',
                        help='with --counter service: the service answers after US microseconds (default 0)')
    parser.add_argument('--in-flight', type=int, default=100, metavar='N',
                        help='%s, each taking the next event (default %%(default)s)' % waiters)
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
    return check


def counter_server(kind, wait_us, socket=None):
    """(keeper, socket path, name): a private server as start_private_server starts it, or with
    `socket` the one already listening there (keeper None)."""
    if socket is None:
        return start_private_server(kind, wait_us)
    return None, socket, 'the counter service' if kind == 'service' else 'Redis'


def counter_keys():
    """The server's keys for this process's vowel, consonant and other counters."""
    prefix = 'workbook:%d:' % os.getpid()
    return [prefix + name for name in ('vowel', 'consonant', 'other')]


def server_started(process, name, socket, connect, refused, sleep=time.sleep):
    """Calls `connect()` until it returns instead of raising one of `refused`, for at most 10 s
    while a private server (`process`) starts; a server given by --socket gets one try."""
    deadline = time.monotonic() + 10
    while True:
        if process is not None and process.poll() is not None:
            raise OSError('%s exited with status %d at start' % (name, process.returncode))
        try:
            return connect()
        except refused as error:
            if process is None:
                raise OSError('cannot reach %s at %s: %s' % (name, socket, error)) from None
            if time.monotonic() > deadline:
                raise OSError('%s did not start within 10 seconds' % name) from None
            sleep(0.005)


class Pipeline(object):
    """The requests of one connection to the counter service or Redis, pipelined: request() gives
    each command's bytes (RESP) to write at once; received() hands each reply, parsed by hiredis's
    reader, to the oldest request still waiting, since a server answers a connection's requests in
    order. So many waits share one connection, as the C++ AsyncCounterClient's do. The peer's
    `settle(waiter, reply, error)` completes a waiter: a Deferred, a future."""

    def __init__(self, name, settle):
        import hiredis  # only the peers that talk to a server need it
        self._hiredis = hiredis
        self.name, self.settle = name, settle
        self.reader = hiredis.Reader()
        self.waiting = collections.deque()  # a waiter per request written, oldest first
        self.failure = None                 # what ended the connection; every later request fails so

    def request(self, waiter, *words):
        """The bytes of the command `words`, whose reply settles `waiter`; None (and `waiter`
        settled with the failure) if the connection has already failed."""
        if self.failure is not None:
            self.settle(waiter, None, self.failure)
            return None
        self.waiting.append(waiter)
        words = [word if isinstance(word, bytes) else str(word).encode() for word in words]
        return b'*%d\r\n' % len(words) + b''.join(b'$%d\r\n%s\r\n' % (len(w), w) for w in words)

    def received(self, data):
        """Settles a waiter for each whole reply in `data`; False if a reply was malformed (the
        connection has failed: close it)."""
        self.reader.feed(data)
        try:
            while self.waiting:
                reply = self.reader.gets()
                if reply is False:
                    break
                if isinstance(reply, self._hiredis.ReplyError):
                    self.settle(self.waiting.popleft(), None, RuntimeError('%s: %s' % (self.name, reply)))
                else:
                    self.settle(self.waiting.popleft(), reply, None)
        except self._hiredis.ProtocolError as error:
            self.fail('%s sent a malformed reply (%s)' % (self.name, error))
            return False
        return True

    def fail(self, message):
        """Settles every waiter, and every later request, with the error `message`."""
        if self.failure is None:
            self.failure = RuntimeError(message)
        while self.waiting:
            self.settle(self.waiting.popleft(), None, self.failure)
