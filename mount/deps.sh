# Sourced by mount/run and tests/run: installs, from Debian's archive, whatever the
# build (and, with "tests", the test suite) needs and this machine lacks.

osfs_build_packages="meson ninja-build gcc pkg-config libfuse3-dev fuse3 libcjson-dev libcurl4-openssl-dev libffi-dev libmagic-dev help2man"
# clang and its runtime libraries: the libFuzzer harnesses (tests/fuzz/run).
osfs_fuzz_packages="clang libclang-rt-14-dev"
# systemd and man-db: systemd-analyze verify checks the unit and its man page.
# file(1): Python's platform.architecture(), the tests' reference, asks it.
# iproute2: tests/test_spool.py's fleet, osfs hosts in network namespaces of their own.
# debhelper, dpkg-dev, build-essential, lintian: tests/test_packaging.py builds,
# checks and installs the Debian packages.
osfs_test_packages="$osfs_fuzz_packages python3 python3-pytest attr file util-linux procps tzdata coreutils logrotate rsyslog python3-aiosmtpd python3-cryptography openssl iproute2 systemd man-db debhelper dpkg-dev build-essential lintian"

osfs_missing() {
	local p missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	echo "$missing"
}

# What the commands mount/run prints use: jq, getfattr (attr), man.
osfs_run_packages="jq attr man-db"
# git, rsync, tar, make: tests/test_tools.py runs them over the whole mount.
osfs_test_packages="$osfs_test_packages $osfs_run_packages git rsync tar make"

# g++ and spdlog: the logging benchmark's C++ reference (tests/bench/logging);
# lxcfs, rsyslog and util-linux's logger: the peers of tests/bench/peers.
osfs_bench_packages="g++ libspdlog-dev lxcfs rsyslog util-linux"

# osfs_deps [run|tests|fuzz|bench]
osfs_deps() {
	local want="$osfs_build_packages"
	[ "${1:-}" = run ] && want="$want $osfs_run_packages"
	[ "${1:-}" = tests ] && want="$want $osfs_test_packages"
	[ "${1:-}" = fuzz ] && want="$want $osfs_fuzz_packages"
	[ "${1:-}" = bench ] && want="$want $osfs_bench_packages"
	local missing
	missing=$(osfs_missing $want)
	[ -z "$missing" ] && return 0
	echo "osfs: installing:$missing" >&2
	local sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || {
			echo "osfs: need root (or sudo) to install:$missing" >&2
			return 1
		}
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	$sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# osfs_build DIR [MESON-OPTIONS...]: configures DIR once, then builds it.
osfs_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || meson setup "$dir" "$@"
	fi
	# quiet when all is well; a compiler's warning is shown (the build is warning-free)
	local log
	log=$(ninja -C "$dir" 2>&1) || { printf '%s\n' "$log" >&2; return 1; }
	grep -A4 'warning:' <<<"$log" >&2 || true
}
