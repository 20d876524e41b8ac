"""A monitor for the pool's stress checks (practice and hidden): it watches every lease.

It sits outside the student's code and sees what luck cannot fake: a resource held by two threads,
one lease too many, one creation too many.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from grader.preempt import preempted
from grader.testing import run_threads


class Resource:
    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"resource #{self.number}"


class Monitor:
    """Counts creations and current holders; records the first invariant that broke."""

    def __init__(self, size: int, fail_every: int = 0, threads: int = 10) -> None:
        self.size = size
        self.threads = threads
        self.fail_every = fail_every
        self.lock = threading.Lock()
        self.calls = 0
        self.made = 0
        self.holders: dict[int, str] = {}  # resource number -> thread name
        self.most_at_once = 0
        self.problems: list[str] = []

    def factory(self) -> Resource:
        with self.lock:
            self.calls += 1
            if self.fail_every and self.calls % self.fail_every == 0:
                raise RuntimeError("factory failed on purpose")
            self.made += 1
            if self.made > self.size:
                self.problems.append(
                    f"the factory was called to make resource #{self.made} but size is {self.size}: "
                    "more resources were created than the pool may ever hold (a lazy-creation race?)"
                )
            return Resource(self.made)

    def took(self, resource: Resource) -> None:
        me = threading.current_thread().name
        with self.lock:
            other = self.holders.get(resource.number)
            if other is not None:
                self.problems.append(f"{resource!r} was held by two threads at once ({other} and {me})")
            self.holders[resource.number] = me
            self.most_at_once = max(self.most_at_once, len(self.holders))
            if len(self.holders) > self.size:
                self.problems.append(
                    f"{len(self.holders)} resources were leased at once, but the pool's size is {self.size}"
                )

    def gives_back(self, resource: Resource) -> None:
        with self.lock:
            self.holders.pop(resource.number, None)

    def verdict(self) -> None:
        assert not self.problems, self.problems[0]

    def run(self, work: Callable[[int], None]) -> None:
        """Run *work* in ``self.threads`` threads under forced preemption, then judge.

        A broken invariant is reported before an exception it caused in a thread (a resource
        shared by two threads makes the second release() fail: the sharing is the real bug).
        """
        try:
            with preempted():
                run_threads(self.threads, work)
        except Exception:
            self.verdict()
            raise
        self.verdict()


def release_own(pool: object, resource: Resource) -> None:
    """Release a resource this thread acquired; explain a refusal in terms of the real bug."""
    try:
        pool.release(resource)  # type: ignore[attr-defined]
    except ValueError:
        pytest.fail(
            f"release() of {resource!r} raised ValueError although this thread had just acquired it: "
            "the pool handed the same resource to two threads, and the other one released it first"
        )
