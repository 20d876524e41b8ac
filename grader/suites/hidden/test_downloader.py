"""Hidden checks of downloader.py: real concurrency, every URL attempted, no thread left.

The fake server's callbacks run in the downloading threads, so they count the requests really in
flight. A barrier of ``max_workers`` parties proves that many overlap (a sequential loop can never
fill it) and the in-flight count proves no more do. Deterministic: no timing is measured.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType

import pytest

from grader.budgets import DOWNLOAD_TIMEOUT
from grader.suites.http_mock import body_for, serving
from grader.testing import SHORT_TIMEOUT, call_within, submission, threads_left_behind

TIMEOUT = DOWNLOAD_TIMEOUT  # below the per-run timeout: a hang gets the message naming download_all()


@pytest.fixture
def mod() -> ModuleType:
    return submission("downloader")


@pytest.mark.parametrize("workers", [3, 4])
def test_exactly_max_workers_requests_in_flight(mod: ModuleType, tmp_path: Path, workers: int) -> None:
    names = [f"part{i}.bin" for i in range(3 * workers)]
    barrier = threading.Barrier(workers, timeout=SHORT_TIMEOUT)
    with serving(dict.fromkeys(names, "ok"), barrier=barrier) as server:
        urls = [server.url(n) for n in names]
        try:
            call_within(lambda: mod.download_all(urls, tmp_path, max_workers=workers), "download_all", TIMEOUT)
        except mod.DownloadError:
            pass  # judged below from what the server saw
    assert server.most_in_flight <= workers, (
        f"{server.most_in_flight} requests were in flight at once, but max_workers={workers}"
    )
    assert not server.problems, (
        f"with max_workers={workers} and {len(names)} URLs, at most {server.most_in_flight} request(s) "
        f"were in flight at once: {workers} downloads should overlap (a sequential loop cannot)"
    )
    for name in names:
        assert (tmp_path / name).read_bytes() == body_for(name), f"{name} was not saved correctly"


def test_every_url_is_attempted_even_when_some_fail(mod: ModuleType, tmp_path: Path) -> None:
    routes = {f"f{i}.bin": ("ok" if i % 3 else ("500" if i % 2 else "broken")) for i in range(12)}
    with serving(routes) as server:
        urls = [server.url(n) for n in routes]
        with pytest.raises(mod.DownloadError) as caught:
            call_within(lambda: mod.download_all(urls, tmp_path, max_workers=3), "download_all", TIMEOUT)
            pytest.fail("download_all should raise DownloadError when some URLs fail")
    missing = sorted(set(urls) - set(server.requested))
    assert not missing, f"{len(missing)} URL(s) were never requested, e.g. {missing[0]}: every URL must be attempted"
    failed = {server.url(n) for n, kind in routes.items() if kind != "ok"}
    got = set(caught.value.errors)
    assert got == failed, (
        f"DownloadError.errors lists {len(got)} URL(s), {len(failed)} failed: "
        f"missing {sorted(failed - got)[:2]}, extra {sorted(got - failed)[:2]}"
    )
    for name, kind in routes.items():
        path = tmp_path / name
        if kind == "ok":
            assert path.read_bytes() == body_for(name), f"{name} succeeded but its file is wrong or missing"
        else:
            assert not path.exists(), f"{name} failed but a file was left at {name}"


def test_paths_follow_url_order_when_downloads_finish_out_of_order(mod: ModuleType, tmp_path: Path) -> None:
    routes = {"first.bin": "after:second.bin", "second.bin": "ok", "third.bin": "ok"}
    with serving(routes) as server:
        urls = [server.url(n) for n in routes]
        paths = call_within(lambda: mod.download_all(urls, tmp_path, max_workers=3), "download_all", TIMEOUT)
    got = [Path(p).name for p in paths]
    assert got == list(routes), (
        f"second.bin finished before first.bin, and download_all returned {got}: "
        "the paths must follow the order of urls, not the order downloads finished"
    )


def test_no_thread_is_left_running(mod: ModuleType, tmp_path: Path) -> None:
    before = threading.enumerate()
    names = [f"t{i}.bin" for i in range(8)]
    with serving({**dict.fromkeys(names, "ok"), "x.bin": "404"}) as server:
        call_within(lambda: mod.download_all([server.url(n) for n in names], tmp_path / "a", max_workers=4),
                    "download_all", TIMEOUT)
        left = threads_left_behind(before, grace=0.0)
        assert not left, (f"download_all returned with {len(left)} thread(s) still running: "
                          "join them (or use `with` on the executor)")
        with pytest.raises(mod.DownloadError):
            call_within(
                lambda: mod.download_all([server.url(n) for n in names] + [server.url("x.bin")], tmp_path / "b",
                                         max_workers=4),
                "download_all", TIMEOUT,
            )
        left = threads_left_behind(before, grace=0.0)
        assert not left, f"download_all raised with {len(left)} thread(s) still running: join them also on failure"
