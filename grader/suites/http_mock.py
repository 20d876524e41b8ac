"""A fake web server for the downloader's checks, built on ``responses``.

``responses`` replaces requests' transport, so no socket is opened; its callbacks run in the
thread that sent the request, which lets this server count the requests really in flight at once
and hold them at a barrier to prove that ``max_workers`` of them overlap.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import responses

BASE = "http://files.example.test"
WAIT_FOR_OTHER = 10.0  # an "after:NAME" route waits at most this long for NAME to be served


class _FailingRaw(io.RawIOBase):
    """A body that yields *good* bytes, then breaks like a dropped connection."""

    def __init__(self, good: bytes) -> None:
        self._good = io.BytesIO(good)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._good.readinto(buffer)
        if n:
            return n
        raise ConnectionResetError("connection dropped in the middle of the body")


def failing_body(good: bytes) -> io.BufferedReader:
    return io.BufferedReader(_FailingRaw(good), buffer_size=1024)


def body_for(name: str, size: int = 40_000) -> bytes:
    """Deterministic content, different for every name."""
    seed = name.encode() or b"x"
    return (seed * (size // len(seed) + 1))[:size]


@dataclass
class FakeServer:
    """Routes URL -> behaviour, and watches concurrency."""

    barrier: threading.Barrier | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    most_in_flight: int = 0
    requested: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{BASE}/files/{name}"

    def _enter(self, url: str) -> None:
        with self.lock:
            self.requested.append(url)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.barrier is not None:
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                with self.lock:
                    self.problems.append("barrier")
                    self.in_flight -= 1
                raise

    def _leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    finished: dict[str, threading.Event] = field(default_factory=dict)

    def callback(self, name: str, kind: str, body: bytes):  # type: ignore[no-untyped-def]
        done = self.finished.setdefault(name, threading.Event())

        def respond(request):  # type: ignore[no-untyped-def]
            self._enter(request.url)
            try:
                if kind.startswith("after:"):  # answer only once another file has been served
                    other = self.finished.setdefault(kind.split(":", 1)[1], threading.Event())
                    other.wait(WAIT_FOR_OTHER)
                    return 200, {}, body
                if kind == "ok":
                    return 200, {}, body
                if kind == "broken":
                    return 200, {}, failing_body(body[: len(body) // 2])
                return int(kind), {}, b"error page"
            finally:
                self._leave()
                done.set()

        return respond


@contextmanager
def serving(routes: dict[str, str], *, barrier: threading.Barrier | None = None) -> Iterator[FakeServer]:
    """Serve name -> kind under BASE/files/.

    kind is "ok", "broken" (the body breaks half-way), an HTTP status like "404", or "after:OTHER"
    (a good body, sent only once OTHER has been served: makes downloads finish out of order).
    """
    server = FakeServer(barrier=barrier)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for name, kind in routes.items():
            mock.add_callback(responses.GET, server.url(name), callback=server.callback(name, kind, body_for(name)))
        yield server
