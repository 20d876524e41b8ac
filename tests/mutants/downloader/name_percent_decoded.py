"""NAME is percent-decoded (unquote), so 'a%20b.txt' is saved as 'a b.txt'."""

from __future__ import annotations

import os
import pathlib
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit

import requests

CHUNK = 64 * 1024


class DownloadError(Exception):
    """Some URLs failed; ``errors`` maps each failed URL to its exception."""

    def __init__(self, errors: dict[str, BaseException]) -> None:
        self.errors = dict(errors)
        summary = ", ".join(f"{url}: {type(exc).__name__}" for url, exc in list(self.errors.items())[:3])
        more = f" and {len(self.errors) - 3} more" if len(self.errors) > 3 else ""
        super().__init__(f"{len(self.errors)} download(s) failed: {summary}{more}")


def download_file(url: str, dest: str | os.PathLike[str], *, timeout: float = 10.0) -> int:
    """Stream *url* to *dest*; return the number of bytes written. Nothing is left on failure."""
    dest = pathlib.Path(dest)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out, requests.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                written += len(chunk)
        os.replace(tmp_name, dest)  # atomic: readers see the old file or the whole new one
    except BaseException:
        pathlib.Path(tmp_name).unlink(missing_ok=True)
        raise
    return written


def _name(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def download_all(
    urls: Sequence[str],
    dest_dir: str | os.PathLike[str],
    *,
    max_workers: int = 8,
    timeout: float = 10.0,
) -> list[pathlib.Path]:
    """Download every URL into *dest_dir*, *max_workers* at once; paths in the order of *urls*."""
    if isinstance(max_workers, bool) or not isinstance(max_workers, int):
        raise TypeError("max_workers must be an int")
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {max_workers}")
    names = [_name(url) for url in urls]
    for url, name in zip(urls, names):
        if name in ("", ".", ".."):
            raise ValueError(f"cannot tell a file name from {url!r}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"several URLs would be saved as {duplicates[0]!r}")
    folder = pathlib.Path(dest_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in names]
    errors: dict[str, BaseException] = {}
    with ThreadPoolExecutor(max_workers=max_workers) as pool:  # the with block joins every thread
        futures = [pool.submit(download_file, url, path, timeout=timeout) for url, path in zip(urls, paths)]
        for url, future in zip(urls, futures):
            exc = future.exception()
            if exc is not None:
                errors[url] = exc
    if errors:
        raise DownloadError(errors)
    return paths
