"""A real UDP endpoint that records the StatsD metrics sent to it.

StatsD is fire-and-forget over UDP, so there is no server to run: a socket and
a thread that keeps every datagram are enough to see what the code under test
actually put on the wire.
"""

import contextlib
import socket
import threading

from .process import HOST, wait_until


class StatsdReceiver:
    """Records every datagram received on 127.0.0.1:``port``."""

    def __init__(self):
        self.host = HOST
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.host, 0))
        self.port = self.sock.getsockname()[1]
        # The timeout lets the thread notice close() within a tenth of a second.
        self.sock.settimeout(0.1)
        self._packets = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread = threading.Thread(
            target=self._receive, name=f"statsd-receiver-{self.port}", daemon=True
        )
        self._thread.start()

    def _receive(self):
        while not self._closing.is_set():
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            with self._lock:
                self._packets.append(data.decode("utf-8", errors="replace"))

    @property
    def packets(self):
        """The datagrams received so far, decoded, oldest first."""
        with self._lock:
            return list(self._packets)

    def lines(self):
        """Every metric line received so far: a pipelined datagram holds several."""
        return [line for packet in self.packets for line in packet.splitlines()]

    def wait_for(self, predicate, timeout=5):
        """Wait until ``predicate(lines())`` is true and return those lines."""
        received = []

        def matched():
            received[:] = self.lines()
            return predicate(received)

        try:
            wait_until(matched, timeout, f"statsd lines matching {predicate}")
        except TimeoutError as error:
            raise TimeoutError(f"{error}; received {received}") from None
        return received

    def clear(self):
        """Forget what was received, so that a test sees only its own metrics."""
        with self._lock:
            self._packets.clear()

    def close(self):
        self._closing.set()
        self._thread.join()
        self.sock.close()


@contextlib.contextmanager
def run_statsd_receiver():
    """A StatsdReceiver listening until the block exits."""
    receiver = StatsdReceiver()
    try:
        yield receiver
    finally:
        receiver.close()
