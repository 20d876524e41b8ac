"""Exercise 1: a threaded downloader (I/O-bound work on threads).

What to build
-------------
``download_file`` streams one URL to a file; ``download_all`` downloads many URLs at once with at
most ``max_workers`` threads. See docs/SPEC.md section 1; the API below is fixed. Use
``requests`` (the grader replaces its transport with a fake server, so no network is needed).

Why threads
-----------
A download spends nearly all its time *waiting* for the network. While a thread waits on a socket
it releases the GIL, so another thread can run: threads overlap their waits, and eight downloads
take about as long as the slowest one instead of the sum of all. (For CPU-bound work that would
not help: see exercise 5.) ``concurrent.futures.ThreadPoolExecutor(max_workers=...)`` gives you a
bounded pool of threads, and ``with ThreadPoolExecutor(...) as pool:`` joins them all at the end.

What the grader checks
----------------------
- ``download_file`` returns the number of bytes written; a 4xx/5xx status raises
  ``requests.HTTPError``; on *any* failure (bad status, connection dropped half-way) nothing is left
  at ``dest`` (not even a partial file) and an existing file at ``dest`` is not clobbered;
- ``download_all`` saves ``urls[i]`` as ``dest_dir / NAME`` (NAME = last segment of the URL's path),
  returns the paths in the order of ``urls`` (not the order the downloads finished), creates
  ``dest_dir`` if missing;
- bad input is refused with ``ValueError`` *before any request*: ``max_workers < 1``, a NAME that is
  empty, ``.`` or ``..``, two URLs with the same NAME;
- exactly ``max_workers`` requests in flight at once when there are enough URLs (not more, and not
  fewer: a sequential loop fails);
- every URL is attempted even when some fail; then ``DownloadError`` maps *each* failed URL to its
  exception, and the files of the URLs that succeeded stay;
- when it returns or raises, no thread it started is still running.

Pitfalls
--------
- Writing straight into ``dest``: a failure leaves half a file, or destroys the old one. Write to a
  temporary file in the same folder, then ``os.replace()`` it into place.
- ``as_completed`` order is completion order: keep the futures in a list in URL order.
- ``executor.shutdown(wait=False)`` or daemon threads: the function returns while threads still run.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence

import requests  # noqa: F401  - requests.get(url, stream=True, timeout=...)


class DownloadError(Exception):
    """Some downloads failed. ``errors`` maps each failed URL to what went wrong."""

    errors: dict[str, BaseException]

    def __init__(self, errors: dict[str, BaseException]) -> None:
        # TODO: keep `errors` and pass a readable summary to Exception.__init__.
        raise NotImplementedError("DownloadError.__init__")


def download_file(url: str, dest: str | os.PathLike[str], *, timeout: float = 10.0) -> int:
    """Stream *url* to *dest* and return the number of bytes written."""
    # TODO: requests.get(url, stream=True, timeout=timeout); raise_for_status(); write the chunks of
    # iter_content() to a temporary file beside dest; os.replace() it into place; on any failure,
    # delete the temporary file and re-raise.
    raise NotImplementedError("download_file")


def download_all(
    urls: Sequence[str],
    dest_dir: str | os.PathLike[str],
    *,
    max_workers: int = 8,
    timeout: float = 10.0,
) -> list[pathlib.Path]:
    """Download every URL into *dest_dir*, at most *max_workers* at once; paths in URL order."""
    # TODO: validate everything first (ValueError); create dest_dir; submit one download_file per
    # URL to a ThreadPoolExecutor; collect every failure; raise DownloadError if any failed.
    raise NotImplementedError("download_all")
