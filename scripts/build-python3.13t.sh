#!/usr/bin/env bash
# Build a free-threaded CPython 3.13 (python3.13t, no GIL) from Debian's source package, for
# `nox -s freethreaded` and `nox -s power` on a machine that has no python3.13t.
#
#   scripts/build-python3.13t.sh            # installs into ~/.cache/py313t (or $PY313T_PREFIX)
#
# Prints the interpreter's path on its last line. About 4 minutes on 2 cores (make -j2). Needs a
# Debian-based system, root (it adds a deb-src line for trixie to apt's sources) and the build
# dependencies of python3.13 (a C compiler, make, libssl-dev, zlib1g-dev, libffi-dev ...:
# `apt-get build-dep python3.13` installs them all). Does nothing when the interpreter exists.
set -euo pipefail

prefix=${PY313T_PREFIX:-$HOME/.cache/py313t}
python="$prefix/bin/python3.13t"
if [ -x "$python" ]; then
    echo "$python"
    exit 0
fi
command -v apt-get >/dev/null || { echo "build-python3.13t: needs apt-get (Debian or Ubuntu)" >&2; exit 1; }

# Debian's source index for trixie, on the machine's own mirror, unless a deb-src line exists.
sources=/etc/apt/sources.list.d/trixie-src.sources
if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" >"$sources"
fi
apt-get update -qq

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only -qq python3.13
tar xf python3.13_*.orig.tar.*
cd Python-3.13.*/
./configure -q --disable-gil --prefix="$prefix" --without-ensurepip
make -s -j2 >build.log 2>&1 || { tail -40 build.log >&2; exit 1; }
make -s install >install.log 2>&1 || { tail -40 install.log >&2; exit 1; }

"$python" -c 'import sys; assert not sys._is_gil_enabled(), "the GIL is on: not a free-threaded build"'
echo "$python"
