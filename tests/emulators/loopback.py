"""The lifecycle the loopback emulators share: an HTTP server on 127.0.0.1, on a free port."""

import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from socketserver import BaseRequestHandler
from typing import Self


class LoopbackEmulator:
    """Serves `handler_class` from a daemon thread; `start()` binds 127.0.0.1 on a free port.

    Handlers reach the emulator as `self.server.emulator`. `stop()` sets `_stopping` first, so
    a handler that sleeps with `self._stopping.wait(seconds)` wakes up and the server can stop.
    """

    handler_class: Callable[..., BaseRequestHandler]
    # A short poll interval keeps stop() (which waits for the next poll) fast.
    poll_interval = 0.02

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, port: int = 0) -> Self:
        """Serve on ``port`` (0: a free one). After ``stop()``, ``start(old_port)`` brings
        the same emulator, with its state, back at the same address (a provider's outage)."""
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self.handler_class)
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers (and helper threads) waiting on it
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the emulator first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
