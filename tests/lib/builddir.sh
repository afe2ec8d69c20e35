# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# This file owns the choice of the build that scripts run when they are not
# told one (top_builddir unset): tests/lib/world.sh (so the end-to-end
# tests, tools/bench.sh and tools/demo.sh) and tools/bench-scale.sh source it.
#
# builddir_newest SRCDIR prints the build directory, among the usual ones
# (SRCDIR itself for an in-tree build, build/, build-werror/, build-demo/,
# build-asan/), whose proxyd/proxyd was built last; SRCDIR if none has one.

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
