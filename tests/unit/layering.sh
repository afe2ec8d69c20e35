#!/bin/sh
# SPDX-License-Identifier: ISC
#
# This file owns the check of the daemon's layering (proxyd/): calls go
# down, events come up, and only the dispatch knows every engine.
#   1. the transport (psock, link, txq, tun) includes no engine header;
#   2. an engine (conn, probe, topology, ping, relay) includes no other
#      engine's header: it reaches the others through peer.h only;
#   3. no two modules include each other in a circle, once the dispatch
#      (peer) is taken out of the graph (tsort finds the loops);
#   4. nothing but main.c includes control.h or metrics.h, nothing but
#      main.c and control.c include reload.h (the reload sits above the
#      engines), and nothing below the engines includes peer.h.
# Each check prints "ok N" or "not ok N" with what it found.

top_srcdir=$(cd "${top_srcdir:-.}" && pwd -P) || exit 99
src=$top_srcdir/proxyd
[ -f "$src/peer.c" ] || { echo "Bail out! no $src/peer.c" >&2; exit 99; }

ENGINES="conn probe topology ping relay revoke"
TRANSPORT="psock link txq tun"
n=0
fail=0

# includes MODULE: the proxyd/ headers its .c and .h include, one a line
includes() {
	for f in "$src/$1.c" "$src/$1.h"; do
		[ -f "$f" ] || continue
		sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$f"
	done | sort -u | while read -r h; do
		[ "$h" != "$1" ] && [ -f "$src/$h.h" ] && echo "$h"
	done
}

check() {	# status, description, detail
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2: $3"
		fail=$((fail + 1))
	fi
}

for m in $TRANSPORT; do
	bad=$(includes "$m" | grep -x -E "$(echo $ENGINES peer control | \
	    tr ' ' '|')" | tr '\n' ' ')
	check "$([ -z "$bad" ]; echo $?)" "transport $m includes no engine" \
	    "it includes $bad"
done

for m in $ENGINES; do
	others=$(echo $ENGINES control | tr ' ' '\n' | grep -vx "$m" | \
	    tr '\n' '|')
	bad=$(includes "$m" | grep -x -E "${others%|}" | tr '\n' ' ')
	check "$([ -z "$bad" ]; echo $?)" "engine $m includes no other engine" \
	    "it includes $bad"
done

# every module's edges, the dispatch left out, through tsort
edges=$(for c in "$src"/*.c; do
	m=$(basename "$c" .c)
	[ "$m" = peer ] && continue
	echo "$m $m"
	includes "$m" | grep -vx peer | while read -r h; do echo "$m $h"; done
done)
loops=$(echo "$edges" | tsort 2>&1 >/dev/null | grep -v '^tsort: -: input contains a loop:$' | \
    sed 's/^tsort: //' | tr '\n' ' ')
check "$([ -z "$loops" ]; echo $?)" "no include circle outside the dispatch" \
    "circle through $loops"

users=$(grep -l '^#include "control.h"' "$src"/*.c "$src"/*.h | \
    xargs -n1 basename | grep -vx -e control.c -e main.c | tr '\n' ' ')
check "$([ -z "$users" ]; echo $?)" "only main.c uses control.h" \
    "also $users"

users=$(grep -l '^#include "metrics.h"' "$src"/*.c "$src"/*.h | \
    xargs -n1 basename | grep -vx -e metrics.c -e main.c | tr '\n' ' ')
check "$([ -z "$users" ]; echo $?)" "only main.c uses metrics.h" \
    "also $users"

users=$(grep -l '^#include "reload.h"' "$src"/*.c "$src"/*.h | \
    xargs -n1 basename | grep -vx -e reload.c -e main.c -e control.c | tr '\n' ' ')
check "$([ -z "$users" ]; echo $?)" "only main.c and control.c use reload.h" \
    "also $users"

low=$(for m in $TRANSPORT psock tls rtnl privs proxyd; do
	includes "$m" | grep -qx peer && echo "$m"
done | tr '\n' ' ')
check "$([ -z "$low" ]; echo $?)" "nothing below the engines includes peer.h" \
    "$low"

echo "1..$n"
[ "$fail" -eq 0 ]
