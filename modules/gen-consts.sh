#!/bin/sh
# Writes an X-macro list of the integer constants that system headers define with
# names matching a pattern: the macros whose value is a number (not a pointer or a
# string), and the enumerators an enum declares without a macro (P_PID).  Names
# come from the headers, values from the compiler; names with "__" are internal.
#   gen-consts.sh OUTPUT 'HEADER [HEADER...]' NAME-REGEX CC [CC-ARGS...]
#   gen-consts.sh consts-P.h sys/wait.h 'P_[A-Z0-9_]*' cc -D_GNU_SOURCE
set -eu
out=$1 headers=$2 pattern=$3
shift 3
source=$(for h in $headers; do echo "#include <$h>"; done)
{
	printf '%s\n' "$source" | "$@" -E -dM -x c - |
		sed -n "s/^#define \\($pattern\\) .*/&/p" | grep -v -e void -e '"' -e "'" |
		sed "s/^#define \\([^ ]*\\) .*/\\1/"
	printf '%s\n' "$source" | "$@" -E -P -x c - | grep -ow "$pattern" || true
} | grep -v '__' | LC_ALL=C sort -u | sed 's/.*/X(&)/' >"$out.tmp"
[ -s "$out.tmp" ] || { echo "gen-consts.sh: no names matching $pattern in $headers" >&2; exit 1; }
mv "$out.tmp" "$out"
