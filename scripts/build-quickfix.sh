#!/usr/bin/env bash
# Build (once) the patched quickfix 1.16.0 wheel and print its path.
#
# Why patched: the SWIG wrapper of the PyPI sdist calls PyType_Modified() every time it
# wraps a C++ object for Python (every callback's message, every typed field), which walks
# thousands of field classes (swig/swig#3561) and costs ~75 us per typed getField. The patch
# in patches/ removes that one call, fixes a crash on acceptor stop, authenticates a Logon before it can reset
# anything, redacts passwords in every QuickFIX log, and turns on QuickFIX's TLS support (patches/README.md).
# Why cached: compiling takes ~7-17 minutes on 2 cores (16 with other work running), so
# the wheel is kept outside the clone, keyed by the patch's hash, and reused by every setup.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3.11}
version=1.16.0
sdist_sha256=825aceb72cfd69c30fbbf5b380b66f464abe1fe3188374f13d8c9987dd8eb4e9
patch="$here/patches/quickfix-$version-fixgw.patch"
key=$(cat "$patch" | sha256sum | cut -c1-16)
cache=${FIXGW_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fixgw/wheels}/quickfix-$version-$key
existing=$(ls "$cache"/quickfix-$version-*.whl 2>/dev/null | head -n1 || true)
if [ -n "$existing" ]; then
  echo "$existing"
  exit 0
fi

# The build links QuickFIX's TLS support (SSLSocketAcceptor) against the system OpenSSL: it needs its headers.
if ! printf '#include <openssl/ssl.h>\n' | "${CXX:-c++}" -x c++ -fsyntax-only - >/dev/null 2>&1; then
  echo "build-quickfix: error: OpenSSL headers not found (openssl/ssl.h); install them, e.g. apt-get install libssl-dev" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building patched quickfix $version wheel (about 7-17 minutes, once per machine)..." >&2
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "setuptools==80.9.0" "wheel==0.45.1" >&2
"$work/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  "quickfix==$version" -d "$work" >&2
echo "$sdist_sha256  $work/quickfix-$version.tar.gz" | sha256sum --check --quiet >&2
tar -xzf "$work/quickfix-$version.tar.gz" -C "$work"
src="$work/quickfix-$version"
patch --quiet -p1 -d "$src" < "$patch"
# Compile the ~80 C++ files on every core (setuptools' build_ext --parallel).
printf '\n[build_ext]\nparallel = %s\n' "$(nproc)" >> "$src/setup.cfg"
(cd "$src" && "$work/venv/bin/python" setup.py --quiet bdist_wheel --dist-dir "$work/dist" >&2)
mkdir -p "$cache"
cp "$work"/dist/quickfix-$version-*.whl "$cache/"
ls "$cache"/quickfix-$version-*.whl | head -n1
