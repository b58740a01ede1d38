#!/bin/sh
# Writes an X-macro list of every errno name the C library's <errno.h> defines:
#   gen-errno.sh OUTPUT CC [CC-ARGS...]
# The values are left to the compiler: the list holds names only.
set -eu
out=$1
shift
echo '#include <errno.h>' | "$@" -E -dM -x c - |
	sed -n 's/^#define \(E[A-Z0-9]*\) .*/X(\1)/p' | LC_ALL=C sort -u >"$out.tmp"
[ -s "$out.tmp" ] || { echo "gen-errno.sh: no errno names found" >&2; exit 1; }
mv "$out.tmp" "$out"
