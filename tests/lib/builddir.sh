# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# This file owns the choice of the build that scripts run: tests/lib/world.sh
# (so the end-to-end tests, tools/bench.sh and tools/demo.sh) and
# tools/bench-scale.sh source it.
#
# builddir_pick SRCDIR prints the build directory to use: PROXYD_BUILD if it
# is set (a path, absolute or relative to SRCDIR, e.g. PROXYD_BUILD=build-asan
# runs the world against the ASan+UBSan build), else builddir_newest's
# choice.  Callers that were given top_builddir (automake's
# TESTS_ENVIRONMENT) use it unless PROXYD_BUILD is set.
#
# builddir_newest SRCDIR prints the build directory, among the usual ones
# (SRCDIR itself for an in-tree build, build/, build-werror/, build-demo/,
# build-asan/), whose proxyd/proxyd was built last; SRCDIR if none has one.

builddir_pick() {
	local src=$1
	if [ -n "${PROXYD_BUILD:-}" ]; then
		case $PROXYD_BUILD in
		/*) printf '%s\n' "$PROXYD_BUILD" ;;
		*) printf '%s\n' "$src/$PROXYD_BUILD" ;;
		esac
		return 0
	fi
	builddir_newest "$src"
}

builddir_newest() {
	local src=$1 best=$1 d
	for d in "$src" "$src/build" "$src/build-werror" \
	    "$src/build-demo" "$src/build-asan"; do
		if [ -x "$d/proxyd/proxyd" ] && { [ ! -x "$best/proxyd/proxyd" ] ||
		    [ "$d/proxyd/proxyd" -nt "$best/proxyd/proxyd" ]; }; then
			best=$d
		fi
	done
	printf '%s\n' "$best"
}
