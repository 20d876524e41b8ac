"""Practice stress checks of downloader.py: real overlap and clean failures, under forced switches.

They ship with the student edition. The fake server's callbacks run in the downloading threads,
so they count the requests really in flight; a barrier of ``max_workers`` parties proves that many
overlap (a sequential loop can never fill it). Threads are switched by force between bytecodes of
your code, as in your instructor's grading, which runs more scenarios, more times.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType

import pytest

from grader.budgets import DOWNLOAD_TIMEOUT
from grader.preempt import preempted
from grader.suites.http_mock import body_for, serving
from grader.testing import SHORT_TIMEOUT, call_within, submission, threads_left_behind

TIMEOUT = DOWNLOAD_TIMEOUT  # below the per-run timeout: a hang gets the message naming download_all()
WORKERS = 3


@pytest.fixture
def mod() -> ModuleType:
    return submission("downloader")


def test_practice_max_workers_requests_overlap_under_preemption(mod: ModuleType, tmp_path: Path) -> None:
    names = [f"part{i}.bin" for i in range(2 * WORKERS)]
    barrier = threading.Barrier(WORKERS, timeout=SHORT_TIMEOUT)
    with serving(dict.fromkeys(names, "ok"), barrier=barrier) as server:
        urls = [server.url(n) for n in names]
        with preempted():
            try:
                call_within(lambda: mod.download_all(urls, tmp_path, max_workers=WORKERS), "download_all", TIMEOUT)
            except mod.DownloadError:
                pass  # judged below from what the server saw
    assert server.most_in_flight <= WORKERS, (
        f"{server.most_in_flight} requests were in flight at once, but max_workers={WORKERS}"
    )
    assert not server.problems, (
        f"with max_workers={WORKERS} and {len(names)} URLs, at most {server.most_in_flight} request(s) "
        f"were in flight at once: {WORKERS} downloads should overlap (a sequential loop cannot)"
    )
    for name in names:
        assert (tmp_path / name).read_bytes() == body_for(name), f"{name} was not saved correctly"


def test_practice_every_url_is_attempted_and_no_thread_is_left(mod: ModuleType, tmp_path: Path) -> None:
    before = threading.enumerate()
    routes = {f"f{i}.bin": ("500" if i == 1 else "ok") for i in range(6)}
    with serving(routes) as server:
        urls = [server.url(n) for n in routes]
        with preempted(), pytest.raises(mod.DownloadError) as caught:
            call_within(lambda: mod.download_all(urls, tmp_path, max_workers=WORKERS), "download_all", TIMEOUT)
            pytest.fail("download_all should raise DownloadError when a URL fails")
    missing = sorted(set(urls) - set(server.requested))
    assert not missing, f"{len(missing)} URL(s) were never requested, e.g. {missing[0]}: every URL must be attempted"
    assert set(caught.value.errors) == {server.url("f1.bin")}, (
        f"DownloadError.errors lists {sorted(caught.value.errors)}, but only f1.bin failed"
    )
    left = threads_left_behind(before, grace=0.0)
    assert not left, f"download_all raised with {len(left)} thread(s) still running: join them also on failure"
