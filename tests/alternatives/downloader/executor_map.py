"""A correct downloader using executor.map over a wrapper that returns (path, error)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests


class DownloadError(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__(", ".join(errors))


def download_file(url, dest, *, timeout=10.0):
    dest = Path(dest)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.{id(url)}.part")
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            with open(part, "xb") as fh:
                total = sum(fh.write(c) for c in response.iter_content(16384))
        part.replace(dest)
        return total
    finally:
        part.unlink(missing_ok=True)


def download_all(urls, dest_dir, *, max_workers=8, timeout=10.0):
    if not isinstance(max_workers, int) or max_workers < 1:
        raise ValueError("max_workers must be a positive int")
    names = [urlsplit(u).path.rpartition("/")[2] for u in urls]
    if any(n in {"", ".", ".."} for n in names) or len(set(names)) != len(names):
        raise ValueError("bad or duplicate file names")
    folder = Path(dest_dir)
    folder.mkdir(parents=True, exist_ok=True)

    def fetch(pair):
        url, name = pair
        try:
            download_file(url, folder / name, timeout=timeout)
            return None
        except Exception as exc:  # noqa: BLE001
            return exc

    with ThreadPoolExecutor(max_workers) as pool:
        outcomes = list(pool.map(fetch, zip(urls, names)))
    errors = {u: e for u, e in zip(urls, outcomes) if e is not None}
    if errors:
        raise DownloadError(errors)
    return [folder / n for n in names]
