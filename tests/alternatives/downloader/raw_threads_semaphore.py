"""A correct downloader with raw threads bounded by a semaphore, and NamedTemporaryFile for the body."""

import os
import pathlib
import tempfile
import threading
from urllib.parse import urlparse

import requests


class DownloadError(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} failed")
        self.errors = errors


def download_file(url, dest, *, timeout=10.0):
    dest = pathlib.Path(dest)
    tmp = tempfile.NamedTemporaryFile(dir=dest.parent, delete=False, prefix=".dl-")
    try:
        with tmp:
            r = requests.get(url, stream=True, timeout=timeout)
            try:
                r.raise_for_status()
                n = 0
                for chunk in r.iter_content(8192):
                    tmp.write(chunk)
                    n += len(chunk)
            finally:
                r.close()
        os.replace(tmp.name, dest)
        return n
    except BaseException:
        try:
            os.unlink(tmp.name)
        except FileNotFoundError:
            pass
        raise


def download_all(urls, dest_dir, *, max_workers=8, timeout=10.0):
    if max_workers < 1:
        raise ValueError("max_workers")
    names = []
    for u in urls:
        name = urlparse(u).path.split("/")[-1]
        if name in ("", ".", ".."):
            raise ValueError(u)
        if name in names:
            raise ValueError(f"duplicate {name}")
        names.append(name)
    d = pathlib.Path(dest_dir)
    d.mkdir(parents=True, exist_ok=True)
    gate = threading.Semaphore(max_workers)
    errors, lock = {}, threading.Lock()

    def one(u, p):
        try:
            download_file(u, p, timeout=timeout)
        except Exception as e:
            with lock:
                errors[u] = e
        finally:
            gate.release()

    threads = []
    for u, n in zip(urls, names):
        gate.acquire()
        t = threading.Thread(target=one, args=(u, d / n))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    if errors:
        raise DownloadError(errors)
    return [d / n for n in names]
