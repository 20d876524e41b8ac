"""The one-way channel from the grading child to the grader: JSON lines on an inherited pipe.

Why not files or stdout: the submission runs in the child and can write files and print anything.
Events travel on a pipe whose write end only the child holds, and each carries a random nonce that
the parent sent on the child's stdin, so printed or written look-alikes are ignored. Code running in
the same process could still find both (see the threat model in README); the parent therefore also
requires a ``start`` before every ``end`` and counts a run as passed only when the test body itself
reported that it ran to its last line.
"""

from __future__ import annotations

import json
import os
from typing import Any

MAX_EVENT_BYTES = 256 * 1024  # a longer line is truncated by the sender (stack dumps can be long)


class Sender:
    """Child side: write one event per line, tagged with the nonce."""

    def __init__(self, fd: int, nonce: str) -> None:
        self._fd = fd
        self._nonce = nonce

    def send(self, event: str, **fields: Any) -> None:
        fields["ev"] = event
        fields["nonce"] = self._nonce
        line = json.dumps(fields, default=str)
        if len(line) > MAX_EVENT_BYTES:
            for key in ("details", "message"):
                if isinstance(fields.get(key), str):
                    fields[key] = fields[key][: MAX_EVENT_BYTES // 4] + "\n[... truncated]"
            line = json.dumps(fields, default=str)
        data = (line + "\n").encode()
        while data:  # os.write on a pipe may write less than asked
            written = os.write(self._fd, data)
            data = data[written:]


class Receiver:
    """Parent side: split the byte stream into events, keep only those carrying our nonce."""

    def __init__(self, nonce: str) -> None:
        self._nonce = nonce
        self._buffer = b""
        self.rejected = 0  # lines that were not ours (forged or garbled)

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > 4 * MAX_EVENT_BYTES:  # a flood without newlines: drop it
            self._buffer = b""
            self.rejected += 1
        events = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                self.rejected += 1
                continue
            if isinstance(event, dict) and event.pop("nonce", None) == self._nonce:
                events.append(event)
            else:
                self.rejected += 1
        return events
