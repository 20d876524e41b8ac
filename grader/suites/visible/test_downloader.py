"""Visible checks of downloader.py: SPEC section 1 against a fake server (no network)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
import requests

from grader.budgets import DOWNLOAD_TIMEOUT
from grader.suites.http_mock import body_for, serving
from grader.testing import call_within, submission

TIMEOUT = DOWNLOAD_TIMEOUT  # a download here takes milliseconds; below the per-run timeout


@pytest.fixture
def mod() -> ModuleType:
    return submission("downloader")


def leftovers(folder: Path, allowed: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in allowed)


def test_download_file_streams_the_body_and_returns_its_size(mod: ModuleType, tmp_path: Path) -> None:
    with serving({"data.bin": "ok"}) as server:
        size = mod.download_file(server.url("data.bin"), tmp_path / "data.bin")
    body = body_for("data.bin")
    assert size == len(body), f"download_file returned {size}, but {len(body)} bytes were written"
    assert (tmp_path / "data.bin").read_bytes() == body, "the saved file differs from the body served"


@pytest.mark.parametrize("kind", ["404", "500"])
def test_http_error_status_raises_and_leaves_nothing(mod: ModuleType, tmp_path: Path, kind: str) -> None:
    with serving({"gone.bin": kind}) as server, pytest.raises(requests.HTTPError):
        mod.download_file(server.url("gone.bin"), tmp_path / "gone.bin")
        pytest.fail(f"a {kind} response should raise requests.HTTPError (response.raise_for_status())")
    left = leftovers(tmp_path, set())
    assert not left, f"after a {kind} response these files were left behind: {left}"


def prove_it_downloads(mod: ModuleType, folder: Path) -> None:
    """A failure check must not pass for code that cannot download at all (a stub raises too)."""
    with serving({"proof.bin": "ok"}) as server:
        mod.download_file(server.url("proof.bin"), folder / "proof.bin")
    (folder / "proof.bin").unlink()


def test_broken_download_leaves_no_partial_file(mod: ModuleType, tmp_path: Path) -> None:
    prove_it_downloads(mod, tmp_path)
    with serving({"cut.bin": "broken"}) as server, pytest.raises(Exception):  # noqa: B017 - SPEC: any error
        mod.download_file(server.url("cut.bin"), tmp_path / "cut.bin")
        pytest.fail("a connection dropped in the middle of the body should raise")
    left = leftovers(tmp_path, set())
    assert not left, (
        f"a download that broke half-way left {left} behind: write to a temporary file and "
        "os.replace() it into place only when the body is complete, and delete it on failure"
    )


def test_failed_download_does_not_clobber_an_existing_file(mod: ModuleType, tmp_path: Path) -> None:
    prove_it_downloads(mod, tmp_path)
    dest = tmp_path / "keep.bin"
    dest.write_bytes(b"the old, good content")
    for kind in ("broken", "500"):
        with serving({"keep.bin": kind}) as server, pytest.raises(Exception):  # noqa: B017 - SPEC: any error
            mod.download_file(server.url("keep.bin"), dest)
            pytest.fail(f"a failed download ({kind}) should raise")
        assert dest.exists() and dest.read_bytes() == b"the old, good content", (
            f"a failed download ({'broken body' if kind == 'broken' else 'status ' + kind}) "
            "overwrote or deleted the existing file"
        )
        assert leftovers(tmp_path, {"keep.bin"}) == [], f"temporary files left: {leftovers(tmp_path, {'keep.bin'})}"


def test_download_all_saves_every_url_in_order(mod: ModuleType, tmp_path: Path) -> None:
    names = [f"file{i}.dat" for i in range(6)]
    dest = tmp_path / "new" / "folder"
    with serving(dict.fromkeys(names, "ok")) as server:
        urls = [server.url(n) for n in names]
        try:
            paths = call_within(lambda: mod.download_all(urls, dest, max_workers=3), "download_all", TIMEOUT)
        except FileNotFoundError as exc:
            pytest.fail(f"download_all into a folder that does not exist yet raised {exc!r}: it must create "
                        "dest_dir, with missing parents (mkdir(parents=True, exist_ok=True))")
    got = [Path(p).name for p in paths]
    assert got == names, f"download_all returned the files in the order {got}, expected the order of urls {names}"
    assert [Path(p) for p in paths] == [dest / n for n in names], \
        "download_all should return dest_dir / NAME for each URL"
    for name in names:
        assert (dest / name).read_bytes() == body_for(name), f"{name} was not saved correctly"


@pytest.mark.parametrize(
    ("names", "kwargs", "why"),
    [
        (["a.txt"], {"max_workers": 0}, "max_workers=0"),
        (["a.txt", ""], {}, "a URL whose last path segment is empty"),
        (["a.txt", "."], {}, "a URL whose name is '.'"),
        (["a.txt", ".."], {}, "a URL whose name is '..'"),
        (["a.txt", "b.txt", "a.txt"], {}, "two URLs with the same name"),
        (["a.txt?v=1", "a.txt?v=2"], {}, "two URLs with the same name and different queries"),
        (["a.txt", "b.txt#top", "b.txt"], {}, "two URLs with the same name, one with a fragment"),
        (["a.txt", "?page=2"], {}, "a URL whose last path segment is empty (only a query follows)"),
        ([], {"max_workers": 0}, "max_workers=0 and no URLs"),
        ([], {"max_workers": -1}, "max_workers=-1 and no URLs"),
    ],
    ids=["max-workers-0", "empty-name", "dot", "dot-dot", "duplicate-name", "duplicate-name-queries",
         "duplicate-name-fragment", "empty-name-query", "max-workers-0-no-urls", "max-workers-negative-no-urls"],
)
def test_bad_input_is_refused_before_any_request(
    mod: ModuleType, tmp_path: Path, names: list[str], kwargs: dict[str, int], why: str
) -> None:
    with serving({n.split("?")[0].split("#")[0]: "ok" for n in names if n not in ("", ".", "..")}) as server:
        urls = [server.url(n) if n not in (".", "..") else f"http://files.example.test/files/{n}" for n in names]
        if "" in names:
            urls = [u if not u.endswith("/files/") else "http://files.example.test/files/" for u in urls]
        with pytest.raises(ValueError):
            call_within(lambda: mod.download_all(urls, tmp_path, **kwargs), "download_all", TIMEOUT)
            pytest.fail(f"download_all with {why} should raise ValueError")
        assert not server.requested, f"with {why}, {len(server.requested)} request(s) were sent before refusing"


def test_failures_are_collected_in_download_error(mod: ModuleType, tmp_path: Path) -> None:
    routes = {"ok1.bin": "ok", "bad.bin": "404", "ok2.bin": "ok", "cut.bin": "broken"}
    with serving(routes) as server:
        urls = [server.url(n) for n in routes]
        with pytest.raises(mod.DownloadError) as caught:
            call_within(lambda: mod.download_all(urls, tmp_path, max_workers=2), "download_all", TIMEOUT)
            pytest.fail("download_all should raise DownloadError when some URLs fail")
    errors = caught.value.errors
    failed = {server.url("bad.bin"), server.url("cut.bin")}
    assert set(errors) == failed, \
        f"DownloadError.errors has keys {sorted(errors)}, expected the failed URLs {sorted(failed)}"
    assert all(isinstance(e, BaseException) for e in errors.values()), "errors must map each URL to its exception"
    for name in ("ok1.bin", "ok2.bin"):
        assert (tmp_path / name).read_bytes() == body_for(name), f"{name} succeeded, its file must stay"
    left = leftovers(tmp_path, {"ok1.bin", "ok2.bin"})
    assert left == [], f"files left for failed URLs: {left}"


def test_names_are_the_last_path_segment_as_written(mod: ModuleType, tmp_path: Path) -> None:
    served = {"report.csv": "ok", "page.html": "ok", "a%20b.txt": "ok", "deep/er/data.json": "ok",
              "caf%C3%A9.txt": "ok"}
    written = ["report.csv?version=2&user=x", "page.html#section-2", "a%20b.txt", "deep/er/data.json",
               "caf%C3%A9.txt?x=1#y"]
    expected = ["report.csv", "page.html", "a%20b.txt", "data.json", "caf%C3%A9.txt"]
    dest = tmp_path / "out"
    with serving(served) as server:
        urls = [server.url(w) for w in written]
        paths = call_within(lambda: mod.download_all(urls, dest, max_workers=2), "download_all", TIMEOUT)
    got = [Path(p).name for p in paths]
    for url, name, saved in zip(urls, expected, got, strict=False):
        assert saved == name, (
            f"download_all saved {url} as {saved!r}, expected {name!r}: NAME is the last segment of the URL's "
            "path as written (no query, no fragment, no percent-decoding)"
        )
    assert sorted(p.name for p in dest.iterdir()) == sorted(expected), (
        f"dest_dir holds {sorted(p.name for p in dest.iterdir())}, expected {sorted(expected)}"
    )
