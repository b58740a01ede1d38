#!/bin/sh
# Writes an X-macro list of the macros a system header defines whose names match
# a pattern, so that C code gets names from the headers and values from the compiler:
#   gen-names.sh OUTPUT HEADER NAME-REGEX CC [CC-ARGS...]
#   gen-names.sh errno-names.h errno.h 'E[A-Z0-9]*' cc
set -eu
out=$1 header=$2 pattern=$3
shift 3
echo "#include <$header>" | "$@" -E -dM -x c - |
	sed -n "s/^#define \\($pattern\\) .*/X(\\1)/p" | LC_ALL=C sort -u >"$out.tmp"
[ -s "$out.tmp" ] || { echo "gen-names.sh: no names matching $pattern in <$header>" >&2; exit 1; }
mv "$out.tmp" "$out"
