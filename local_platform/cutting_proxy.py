"""A TCP proxy that cuts answers short, as a network or a store that fails
while it sends a body does.

Clients reach the real server through it. Between
:meth:`CuttingProxy.cut_answers_after` and :meth:`~CuttingProxy.let_answers_through`
every connection, pooled or new, is closed once the server has sent that
many bytes on it: a client that retries is cut again. Between
:meth:`~CuttingProxy.hold_answers` and :meth:`~CuttingProxy.release_answers`
answers wait in the proxy, for a test to stop the server in the meantime.
"""

import contextlib
import socket
import threading

from .process import HOST

RECEIVE_SIZE = 64 * 1024


class CuttingProxy:
    """Forwards loopback connections to ``target`` (host, port)."""

    def __init__(self, target):
        self.target = target
        self._listener = socket.create_server((HOST, 0))
        self.host, self.port = HOST, self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._limit = None  # bytes an answer may have, None: no limit
        self._generation = 0  # counts the changes of _limit
        self._connections = []
        # Cleared by hold_answers: answers wait; answer_held is set meanwhile.
        self._flowing = threading.Event()
        self._flowing.set()
        self.answer_held = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def cut_answers_after(self, count):
        self._set_limit(count)

    def let_answers_through(self):
        self._set_limit(None)

    def hold_answers(self):
        """Keep what the server sends until :meth:`release_answers`."""
        self.answer_held.clear()
        self._flowing.clear()

    def release_answers(self):
        self._flowing.set()

    def _set_limit(self, limit):
        with self._lock:
            self._limit = limit
            self._generation += 1

    def close(self):
        # Shut down first: a close alone leaves accept() waiting on a file
        # descriptor the next socket opened may reuse.
        _close(self._listener)
        self._acceptor.join()
        for connection in self._connections:
            _close(connection)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _accept(self):
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:  # shut down
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:  # the server is down: so is the connection
                _close(client)
                continue
            self._connections += [client, server]
            for pump, source, sink in (
                (self._forward_requests, client, server),
                (self._forward_answers, server, client),
            ):
                threading.Thread(target=pump, args=(source, sink), daemon=True).start()

    def _forward_requests(self, source, sink):
        with _closing(source, sink):
            while data := source.recv(RECEIVE_SIZE):
                sink.sendall(data)

    def _forward_answers(self, source, sink):
        generation, sent = None, 0  # bytes sent since the limit last changed
        with _closing(source, sink):
            while data := source.recv(RECEIVE_SIZE):
                if not self._flowing.is_set():
                    self.answer_held.set()
                    self._flowing.wait()
                with self._lock:
                    limit, current = self._limit, self._generation
                if generation != current:
                    generation, sent = current, 0
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[: limit - sent])
                    return
                sink.sendall(data)
                sent += len(data)


@contextlib.contextmanager
def _closing(*connections):
    """Close ``connections`` once forwarding ends, however it ends."""
    try:
        yield
    except OSError:  # the other side went away
        pass
    finally:
        for connection in connections:
            _close(connection)


def _close(connection):
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()
