# SPDX-License-Identifier: ISC
# shellcheck shell=bash disable=SC2034 # the WORLD_* plan is used by sourcing scripts
#
# The end-to-end test world, as a bash library: source it, then call
# world_up / world_down and the helpers below.  It builds network namespaces
# joined by veth pairs and bridges, with netfilter NATs, strongSwan endpoints
# (userspace ESP via kernel-libipsec) and proxyd instances.
#
#   HOSTA 10.1.0.10 ─┐                                        ┌─ HOSTB 10.2.0.10
#   (lo 172.16.1.1)  ├─ br0 NATA ─wan─ INET ─wan─ NATB br0 ──┤  (lo 172.16.2.1)
#   PXA   10.1.0.2  ─┘  10.1.0.1  192.0.2.2 │ 198.51.100.2    └─ PXB  10.2.0.2
#                                           │ brpub 203.0.113.1
#                                           └─ PUB 203.0.113.10 (+ inet_host ...)
#
# Namespaces are named "$PXT_PREFIX<short>" (short: inet nata natb pub hosta
# hostb pxa pxb, plus whatever inet_host adds).  PXT_PREFIX defaults to
# "pxt<pid>-", so parallel runs never collide.  Everything a run creates
# (configs, logs, pid files, certificates, charon's private /run) lives in
# WORLD_DIR (a fresh /tmp/pxt.XXXXXX unless set).  world_down kills only the
# processes whose pids it recorded and whatever else runs in namespaces with
# our prefix, deletes only those namespaces, and removes WORLD_DIR unless
# WORLD_KEEP=1.  It is idempotent.  world_up first cleans what killed runs
# left (world_clean_stale).  In a test that called e2e_traps, the teardown
# also checks every proxy's exit and log and any sanitizer report.
#
# The simulated internet is 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24;
# INET has no default route, so nothing can leave the world.
#
# Variables read: PXT_PREFIX, WORLD_DIR, WORLD_KEEP, top_srcdir, top_builddir,
# PROXYD_BUILD (a build directory, absolute or relative to top_srcdir, that
# wins over top_builddir: e.g. build-asan), PROXYD (binary), PROXYCTL
# (binary), PROXYD_WRAPPER (e.g. "valgrind -q"), WORLD_STOP_BOUND (seconds
# a proxy has to exit on SIGTERM, default 5), E2E_LOG_EXPECT (see "Teardown
# checks"),
# CHARON_RETRANSMIT ("tries timeout base", default "4 1 1.5"),
# CHARON_MTU (MTU set on the endpoints' ipsec0 TUN once charon made it;
# default: libipsec's fixed 1400),
# WORLD_VERBOSE=1 (trace the commands that build the world).

# --------------------------------------------------------------------------
# Basics

: "${PXT_PREFIX:=pxt$$-}"
if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fi
if [ -n "${PROXYD_BUILD:-}" ] || [ -z "${top_builddir:-}" ]; then
	# PROXYD_BUILD, else the most recently built daemon among the usual
	# build directories
	# shellcheck source=tests/lib/builddir.sh
	. "$top_srcdir/tests/lib/builddir.sh"
	top_builddir=$(builddir_pick "$top_srcdir")
fi
: "${PROXYD:=$top_builddir/proxyd/proxyd}"
: "${PROXYCTL:=$top_builddir/tools/proxyctl}"
: "${PROXYD_CA:=$top_srcdir/tools/proxyd-ca}"
: "${CHARON:=/usr/lib/ipsec/charon}"
: "${CHARON_RETRANSMIT:=4 1 1.5}"

# Site plan: the addresses every helper and test agrees on.  A test may
# set the LAN ones (a /24 each) before sourcing this file, e.g. both sites
# on the same range (e2e_overlap.sh).

: "${WORLD_A_LAN:=10.1.0.0/24}"  "${WORLD_B_LAN:=10.2.0.0/24}"
: "${WORLD_A_GW:=10.1.0.1}"      "${WORLD_B_GW:=10.2.0.1}"
: "${WORLD_A_HOST:=10.1.0.10}"   "${WORLD_B_HOST:=10.2.0.10}"
: "${WORLD_A_PX:=10.1.0.2}"      "${WORLD_B_PX:=10.2.0.2}"
WORLD_A_INNER=172.16.1.1    WORLD_B_INNER=172.16.2.1
WORLD_A_INNER_NET=172.16.1.0/24 WORLD_B_INNER_NET=172.16.2.0/24
WORLD_A_WAN=192.0.2.2       WORLD_B_WAN=198.51.100.2
WORLD_A_WAN_GW=192.0.2.1    WORLD_B_WAN_GW=198.51.100.1
WORLD_PUB_ADDR=203.0.113.10 WORLD_PUB_GW=203.0.113.1
WORLD_PUB_PORT=4790

wlog() { echo "# $*" >&2; }

# ns SHORT: the full namespace name of a world host ("HOSTA" works too).
ns() { local s=${1,,}; echo "$PXT_PREFIX$s"; }

# nsx SHORT CMD...: runs CMD inside that namespace.
nsx() {
	local n
	n=$(ns "$1"); shift
	ip netns exec "$n" "$@"
}

# Internal: runs a world-building command, traced if WORLD_VERBOSE=1; a
# failure names the command and fails the caller.
_w() {
	[ "${WORLD_VERBOSE:-0}" = 1 ] && echo "+ $*" >&2
	"$@" || { wlog "world: command failed: $*"; return 1; }
}

# now_ms: wall clock in milliseconds.
now_ms() { date +%s%3N; }

# tunnel_stream MB: MB megabytes of TCP from hostA's inner address to a
# sink on hostB's (port 5201), within 60 s, through whatever carries them
# (tests/lib/tcp_stream.py: the sink counts and hashes every byte until the
# sender closes, and answers).  Prints "# ... in N ms: M Mbit/s".  Sets
# STREAM_RX and STREAM_RX_SUM (bytes and SHA-256 at hostB), STREAM_TX_SUM
# (hostA's) and STREAM_MS.  0 only if all MB arrived and the hashes agree.
tunnel_stream() {
	local mb=$1 got rc
	nsx hostb python3 "$top_srcdir/tests/lib/tcp_stream.py" sink \
	    "$WORLD_B_INNER" 5201 >"$WORLD_DIR/tcp-sink.log" 2>&1 </dev/null &
	_pid_record tcp-sink $! "$(ns hostb)"
	wait_for 5 nsx hostb sh -c "ss -ltn | grep -q '$WORLD_B_INNER:5201'"
	STREAM_MS=$(now_ms)
	got=$(nsx hosta timeout 60 python3 "$top_srcdir/tests/lib/tcp_stream.py" \
	    source "$WORLD_B_INNER" "$WORLD_A_INNER" 5201 "$mb" \
	    2>"$WORLD_DIR/tcp-source.log")
	rc=$?
	STREAM_MS=$(( $(now_ms) - STREAM_MS ))
	_pid_stop tcp-sink
	echo "# $mb MB through the tunnel in $STREAM_MS ms: $(( mb * 8388608 / (STREAM_MS > 0 ? STREAM_MS : 1) / 1000 )) Mbit/s"
	# shellcheck disable=SC2086 # the two answers, as words
	set -- $got
	STREAM_RX=${1:-none} STREAM_RX_SUM=${2:-none} STREAM_TX_SUM=${4:-none}
	[ "$rc" = 0 ] && [ "$#" = 4 ] && [ "$1" = $(( mb * 1048576 )) ] &&
	    [ "$1" = "$3" ] && [ "$2" = "$4" ]
}

# ping_unbroken FILE: whether the ping whose output is FILE never broke:
# at most one echo lost in a row (the end included) and under 2 % lost.
# Prints "# tunnel ping: ..." with the counts.
ping_unbroken() {
	local got sent nrecv gap
	got=$(grep -o 'icmp_seq=[0-9]*' "$1" | cut -d= -f2)
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$1")
	nrecv=$(wc -w <<<"$got")
	gap=$(awk -v n="${sent:-0}" 'BEGIN { last = 0; max = 0 }
	    { if ($1 - last - 1 > max) max = $1 - last - 1; last = $1 }
	    END { if (n - last > max) max = n - last; print max }' <<<"$got")
	echo "# tunnel ping: ${sent:-?} sent, $nrecv answered, longest run lost $gap"
	[ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$gap" -le 1 ] &&
	    [ $(( (sent - nrecv) * 50 )) -lt "$sent" ]
}

# wait_for TIMEOUT CMD...: polls CMD (every 0.1 s) until it succeeds or
# TIMEOUT seconds (may be fractional) have passed.  Returns 0 or 1.
wait_for() {
	local timeout=$1 deadline
	shift
	deadline=$(( $(now_ms) + $(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000 }') ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# world_require [TOOL...]: exits 77 (automake's SKIP) when this machine
# cannot host the world: not root, or tools missing.  The reasons it prints
# ("needs root", "missing tools: ...") make it a failure in CI (see t_skip).
world_require() {
	local t missing=
	if [ "$(id -u)" != 0 ]; then
		echo "# SKIP: end-to-end tests need root (network namespaces)"
		exit 77
	fi
	for t in ip iptables conntrack sysctl mount timeout "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		echo "# SKIP: missing tools:$missing (run tools/install-deps.sh)"
		exit 77
	fi
}

# --------------------------------------------------------------------------
# Process bookkeeping: $WORLD_DIR/pids/NAME.pid holds "PID NAMESPACE
# [WRAPPER]": PID is the process itself, inside NAMESPACE (what `ip netns
# identify PID` says); WRAPPER, if any, is the pid a caller got from "$!"
# when it ran a shell function in the background ("nsx NS cmd &" runs a
# bash subshell in the root namespace, whose child is the real process).
# Only the real pid can be checked against its namespace and signalled;
# the wrapper is what this shell can "wait" for.
#
# ns_bg NAME SHORT CMD... starts a background process the right way (its
# "$!" is the real pid); ns_bg_stop and ns_bg_wait end it and reap it.

_pid_record() {	# NAME PID NS
	local name=$1 pid=$2 nsn=$3 real
	mkdir -p "$WORLD_DIR/pids"
	real=$(_pid_resolve "$pid" "$nsn")
	if [ -n "$real" ] && [ "$real" != "$pid" ]; then
		echo "$real $nsn $pid" >"$WORLD_DIR/pids/$name.pid"
	else
		echo "$pid $nsn" >"$WORLD_DIR/pids/$name.pid"
	fi
}

# Internal: the netns inode of a process, or of a named namespace.
_netns_of_pid() { stat -L -c %i "/proc/$1/ns/net" 2>/dev/null; }
_netns_inode() { stat -L -c %i "/run/netns/$1" 2>/dev/null; }

# Internal: true if PID is alive (not a zombie) and in namespace NS.
_pid_in_ns() {	# PID NS
	local a b
	_pid_live "$1" || return 1
	a=$(_netns_of_pid "$1") && b=$(_netns_inode "$2") && [ "$a" = "$b" ]
}

# Internal: true if PID exists and is not a zombie.
_pid_live() {
	local st
	st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Internal: PID's children, grandchildren... (one per line).
_pid_descendants() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		echo "$c"
		_pid_descendants "$c"
	done
}

# Internal: prints the pid of the process that PID stands for in
# namespace NS: PID itself if it is there, else its first descendant that
# is (waiting up to 2 s for "ip netns exec" to get there); PID if none.
_pid_resolve() {	# PID NS
	local pid=$1 nsn=$2 c _
	for _ in $(seq 20); do
		_pid_in_ns "$pid" "$nsn" && { echo "$pid"; return 0; }
		for c in $(_pid_descendants "$pid"); do
			_pid_in_ns "$c" "$nsn" && { echo "$c"; return 0; }
		done
		_pid_live "$pid" || break
		sleep 0.1
	done
	echo "$pid"
}

# pid_of NAME: prints the recorded pid (if the process is still ours).
pid_of() {
	local f=$WORLD_DIR/pids/$1.pid pid nsn
	[ -r "$f" ] || return 1
	read -r pid nsn _ <"$f" || return 1
	_pid_is_ours "$pid" "$nsn" || return 1
	echo "$pid"
}

# A recorded pid is ours if it is alive and still in the namespace we
# started it in (guards against pid reuse after a crash).
_pid_is_ours() {	# PID NS (the full name)
	_pid_in_ns "$1" "$2"
}

# Internal: true if PID is a live (or not yet reaped) child of this shell,
# so "wait" works on it.
_pid_is_child() {
	[ -n "$1" ] && [ "$(awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null)" = "$$" ]
}

# Internal: waits up to MS milliseconds for PID to be gone (or a zombie).
_pid_gone_within() {	# PID MS
	local deadline
	deadline=$(( $(now_ms) + $2 ))
	while _pid_live "$1"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# Stops one recorded process: TERM, up to WORLD_STOP_BOUND seconds
# (default 5), then KILL; then reaps it.  Writes its exit status (when
# known) to $WORLD_DIR/NAME.exit and sets
#   _STOP_HOW  term (it was running and ended on SIGTERM within the bound),
#              killed (it outlived the bound and got SIGKILL), gone (it had
#              ended before), none (no record)
#   _STOP_RC   its exit status (127: not known, e.g. reaped elsewhere)
#   _STOP_MS   milliseconds from SIGTERM to its end
# Never blocks: "wait" is only called for a process that has ended (bash
# keeps the status of a background child it reaped by itself).
_pid_stop() {	# NAME
	local name=$1 f=$WORLD_DIR/pids/$1.pid pid nsn wrapper rc t0 bound
	_STOP_HOW=none _STOP_RC=127 _STOP_MS=0
	[ -r "$f" ] || return 0
	pid='' nsn='' wrapper=''
	read -r pid nsn wrapper <"$f" || { rm -f "$f"; return 0; }
	bound=${WORLD_STOP_BOUND:-5}
	# A record made before its process reached the namespace holds the
	# wrapper only.
	if [ -z "$wrapper" ] && _pid_is_child "$pid" && _pid_live "$pid" &&
	    ! _pid_in_ns "$pid" "$nsn"; then
		wrapper=$pid
	fi
	_STOP_HOW=gone
	if _pid_is_ours "$pid" "$nsn"; then
		_STOP_HOW=term
		t0=$(now_ms)
		kill -TERM "$pid" 2>/dev/null
		if ! _pid_gone_within "$pid" $((bound * 1000)); then
			wlog "world: '$name' (pid $pid) ignored SIGTERM for ${bound} s, killing"
			_STOP_HOW=killed
			kill -KILL "$pid" 2>/dev/null
			_pid_gone_within "$pid" 2000
		fi
		_STOP_MS=$(( $(now_ms) - t0 ))
	fi
	# A wrapper subshell ends with its child; one that does not (it
	# started something else, or its child never got into the namespace)
	# is stopped with everything it started.
	if [ -n "$wrapper" ] && _pid_is_child "$wrapper" &&
	    ! _pid_gone_within "$wrapper" 1000; then
		_pid_kill_tree "$wrapper"
	fi
	rc=127
	if [ -n "$wrapper" ]; then
		_pid_live "$wrapper" || { wait "$wrapper" 2>/dev/null; rc=$?; }
	else
		_pid_live "$pid" || { wait "$pid" 2>/dev/null; rc=$?; }
	fi
	_STOP_RC=$rc
	[ "$rc" = 127 ] || echo "$rc" >"$WORLD_DIR/$name.exit"
	rm -f "$f"
}

# Internal: TERM a process and all its descendants, KILL what is left
# after 1 s.
_pid_kill_tree() {
	local p all
	all="$(_pid_descendants "$1") $1"
	for p in $all; do kill -TERM "$p" 2>/dev/null; done
	_pid_gone_within "$1" 1000
	for p in $all; do kill -KILL "$p" 2>/dev/null; done
	_pid_gone_within "$1" 1000
}

# ns_bg NAME SHORT CMD...: runs CMD in the background in namespace SHORT,
# stdin from /dev/null, stdout and stderr to NS_BG_OUT (default
# $WORLD_DIR/NAME.out), recorded as NAME with its real pid, so that
# ns_bg_stop, ns_bg_wait and world_down reach it.  Call it directly, not
# in a subshell ("$!" must be this shell's child).
ns_bg() {
	local name=$1 n
	n=$(ns "$2")
	shift 2
	ip netns exec "$n" "$@" >"${NS_BG_OUT:-$WORLD_DIR/$name.out}" 2>&1 </dev/null &
	_pid_record "$name" $! "$n"
}

# ns_bg_stop NAME: SIGTERM (SIGKILL after WORLD_STOP_BOUND s) and reap;
# returns the process's exit status (143 for SIGTERM, 127 if unknown).
ns_bg_stop() {
	_pid_stop "$1"
	return "$_STOP_RC"
}

# ns_bg_wait NAME [TIMEOUT]: waits (at most TIMEOUT s, default 60) for the
# process to end by itself, then reaps it (stopping it if the time ran
# out); returns its exit status (127 if unknown, >= 128 if it was stopped).
ns_bg_wait() {
	local f=$WORLD_DIR/pids/$1.pid pid nsn wrapper
	[ -r "$f" ] || return 127
	read -r pid nsn wrapper <"$f"
	_pid_gone_within "$pid" $(( ${2:-60} * 1000 ))
	_pid_stop "$1"
	return "$_STOP_RC"
}

# Internal: every process in namespace NS (full name): TERM, then KILL
# what is left after 1 s.  Catches what nobody recorded.
_ns_kill_all() {	# NS
	local pids p
	pids=$(ip netns pids "$1" 2>/dev/null) || return 0
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # a list of pids
	kill -TERM $pids 2>/dev/null
	for p in $pids; do _pid_gone_within "$p" 1000 || kill -KILL "$p" 2>/dev/null; done
	for p in $pids; do _pid_gone_within "$p" 1000; done
	return 0
}

# world_clean_stale: what killed runs left behind.  A namespace named
# "pxt<PID>-..." whose PID no longer runs (the default PXT_PREFIX is
# "pxt$$-", and tools/run-tests.sh gives each test "pxt<its own pid>-<N>-")
# is emptied (every process in it killed) and deleted; a /tmp/pxt.* world
# directory whose owner (its file "owner") no longer runs is removed.
# Never touches a namespace or directory of a live run.
world_clean_stale() {
	local n owner d
	for n in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		[[ $n =~ ^pxt([0-9]+)- ]] || continue
		owner=${BASH_REMATCH[1]}
		[ -d "/proc/$owner" ] && continue
		wlog "world: deleting stale namespace '$n' (its run, pid $owner, is gone)"
		_ns_kill_all "$n"
		ip netns del "$n" 2>/dev/null
	done
	for d in /tmp/pxt.*; do
		[ -r "$d/owner" ] || continue
		read -r owner _ <"$d/owner" 2>/dev/null
		[[ ${owner:-} =~ ^[0-9]+$ ]] || continue
		[ -d "/proc/$owner" ] && continue
		rm -rf -- "$d"
	done
	return 0
}

# --------------------------------------------------------------------------
# Building the world

# Internal: a namespace with lo up, no IPv6, no redirects.
_ns_new() {	# SHORT
	local n
	n=$(ns "$1")
	_w ip netns add "$n" || return 1
	_w ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	    net.ipv6.conf.default.disable_ipv6=1 \
	    net.ipv4.conf.all.send_redirects=0 \
	    net.ipv4.conf.default.send_redirects=0 \
	    net.ipv4.conf.all.accept_redirects=0 \
	    net.ipv4.conf.default.accept_redirects=0 >/dev/null 2>&1
	return 0
}

# Internal: a veth pair between two namespaces, both ends up.
_veth() {	# SHORT_A IF_A SHORT_B IF_B
	local a b
	a=$(ns "$1") b=$(ns "$3")
	_w ip -n "$a" link add "$2" type veth peer name "$4" netns "$b" &&
	_w ip -n "$a" link set "$2" up &&
	_w ip -n "$b" link set "$4" up
}

# Internal: a bridge in a namespace, with bridge netfilter off.
_bridge() {	# SHORT BRIDGE [ADDR/LEN]
	local n
	n=$(ns "$1")
	_w ip -n "$n" link add "$2" type bridge || return 1
	_w ip -n "$n" link set "$2" up || return 1
	[ -n "${3:-}" ] && { _w ip -n "$n" addr add "$3" dev "$2" || return 1; }
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		ip netns exec "$n" sh -c \
		    'echo 0 >/proc/sys/net/bridge/bridge-nf-call-iptables' 2>/dev/null
	fi
	return 0
}

# Internal: a LAN host HOST attached to SITE's bridge.
_lan_host() {	# SITE(a|b) HOST ADDR GW
	local site=$1 host=$2 addr=$3 gw=$4 n
	_ns_new "$host" || return 1
	_veth "nat$site" "p-$host" "$host" eth0 || return 1
	n=$(ns "nat$site")
	_w ip -n "$n" link set "p-$host" master br0 || return 1
	_w ip -n "$(ns "$host")" addr add "$addr/24" dev eth0 &&
	_w ip -n "$(ns "$host")" route add default via "$gw"
}

# Internal: one site: NAT box with WAN to INET and LAN bridge, endpoint host,
# proxy host.
_site_up() {	# a|b
	local s=$1 S=${1^^} wan wan_gw gw lan host px inner
	eval "wan=\$WORLD_${S}_WAN wan_gw=\$WORLD_${S}_WAN_GW gw=\$WORLD_${S}_GW"
	eval "lan=\$WORLD_${S}_LAN host=\$WORLD_${S}_HOST px=\$WORLD_${S}_PX"
	eval "inner=\$WORLD_${S}_INNER"

	_ns_new "nat$s" || return 1
	_veth inet "nat$s" "nat$s" wan || return 1
	_w ip -n "$(ns inet)" addr add "$wan_gw/24" dev "nat$s" || return 1
	_w ip -n "$(ns "nat$s")" addr add "$wan/24" dev wan || return 1
	_w ip -n "$(ns "nat$s")" route add default via "$wan_gw" || return 1
	_bridge "nat$s" br0 "$gw/24" || return 1
	nsx "nat$s" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1

	_lan_host "$s" "host$s" "$host" "$gw" || return 1
	_w ip -n "$(ns "host$s")" addr add "$inner/32" dev lo || return 1
	_lan_host "$s" "px$s" "$px" "$gw" || return 1
	nsx "px$s" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1
	# The proxy host routes packets from its TUN back onto the LAN: no
	# reverse-path filter in the way.
	nsx "px$s" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	    net.ipv4.conf.default.rp_filter=0 >/dev/null 2>&1
	return 0
}

# world_up [--nat-a MODE] [--nat-b MODE] [--routes proxy|nat|none]
#   Builds the whole world.  NAT modes as in nat_mode (default masquerade);
#   --routes chooses host_routes for both endpoints (default proxy).
#   On failure it tears down what it built and returns 1.
world_up() {
	local nat_a=masquerade nat_b=masquerade routes=proxy
	while [ $# -gt 0 ]; do
		case $1 in
		--nat-a) nat_a=$2; shift 2 ;;
		--nat-b) nat_b=$2; shift 2 ;;
		--routes) routes=$2; shift 2 ;;
		*) wlog "world_up: unknown option '$1'"; return 1 ;;
		esac
	done
	world_clean_stale
	if [ -z "${WORLD_DIR:-}" ]; then
		WORLD_DIR=$(mktemp -d /tmp/pxt.XXXXXX) || return 1
		echo "$$ $PXT_PREFIX" >"$WORLD_DIR/owner"
	fi
	if ip netns list | grep -q "^$PXT_PREFIX"; then
		wlog "world_up: namespaces with prefix '$PXT_PREFIX' already exist"
		return 1
	fi
	# What an earlier run left in this directory is stale: its pid files
	# (never signal those pids, they may be reused), sanitizer reports,
	# proxy records, exit statuses and logs (the teardown checks read them).
	rm -rf "$WORLD_DIR/pids" "$WORLD_DIR/san"
	rm -f "$WORLD_DIR"/*.ns "$WORLD_DIR"/*.exit "$WORLD_DIR"/*.log
	mkdir -p "$WORLD_DIR/pids" || return 1
	chmod 0755 "$WORLD_DIR"
	_world_checks_reset
	_san_setup || return 1
	{
		_ns_new inet &&
		nsx inet sysctl -qw net.ipv4.ip_forward=1 >/dev/null &&
		_bridge inet brpub "$WORLD_PUB_GW/24" &&
		_site_up a && _site_up b &&
		inet_host pub "$WORLD_PUB_ADDR" &&
		nat_mode a $nat_a && nat_mode b $nat_b &&
		host_routes hosta "$routes" && host_routes hostb "$routes"
	} || { wlog "world_up failed; tearing down"; world_down; return 1; }
	return 0
}

# inet_host SHORT ADDR: a new namespace on the internet side, on INET's
# 203.0.113.0/24 bridge, default route via INET (e.g. an attacker, a rogue
# proxy, a second public proxy).
inet_host() {
	local host=$1 addr=$2
	_ns_new "$host" || return 1
	_veth inet "p-$host" "$host" eth0 || return 1
	_w ip -n "$(ns inet)" link set "p-$host" master brpub || return 1
	_w ip -n "$(ns "$host")" addr add "$addr/24" dev eth0 &&
	_w ip -n "$(ns "$host")" route add default via "$WORLD_PUB_GW"
}

# world_down: the teardown checks (when e2e_traps turned them on: see
# "Teardown checks" below), then stops every process we recorded, kills
# whatever else still runs in our namespaces (`ip netns pids`), deletes
# them and WORLD_DIR (unless WORLD_KEEP=1).  Safe to call any number of
# times.
world_down() {
	local f name n
	_world_checks
	if [ -n "${WORLD_DIR:-}" ] && [ -d "$WORLD_DIR/pids" ]; then
		for f in "$WORLD_DIR"/pids/*.pid; do
			[ -e "$f" ] || continue
			name=${f##*/}
			_pid_stop "${name%.pid}"
		done
	fi
	for n in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $n in
		"$PXT_PREFIX"*)
			_ns_kill_all "$n"
			ip netns del "$n" 2>/dev/null ;;
		esac
	done
	_san_restore
	if [ -n "${WORLD_DIR:-}" ] && [ -d "$WORLD_DIR" ]; then
		if [ "${WORLD_KEEP:-0}" != 1 ]; then
			# charon's private /run was bind-mounted only inside its
			# own (now gone) mount namespace; nothing is mounted here.
			rm -rf -- "$WORLD_DIR"
		else
			# kept on purpose: world_clean_stale leaves it alone
			rm -f "$WORLD_DIR/owner"
		fi
	fi
	return 0
}

# --------------------------------------------------------------------------
# IPv6 (issue 13): a dual-stack internet on 2001:db8::/32 beside the IPv4
# one, added to a world_up world by world6_up.  Defaults stay IPv4 only:
# nothing here runs unless a test calls it.
#
#   NATA wan 2001:db8:a::2 ── INET 2001:db8:a::1 / 2001:db8:b::1 ── NATB wan 2001:db8:b::2
#   site LANs 2001:db8:10a::/64, 2001:db8:10b::/64 (proxies ::2, gateways ::1)
#   brpub 2001:db8:f::1, PUB 2001:db8:f::10
#
# The sites have no NAT on IPv6, only a home-router firewall on their NAT
# box (ip6tables: LAN to WAN accepted, WAN to LAN only ESTABLISHED,RELATED,
# ICMPv6 packet-too-big let through).

WORLD6_A_WAN=2001:db8:a::2  WORLD6_A_WAN_GW=2001:db8:a::1
WORLD6_B_WAN=2001:db8:b::2  WORLD6_B_WAN_GW=2001:db8:b::1
WORLD6_A_LAN=2001:db8:10a::/64 WORLD6_B_LAN=2001:db8:10b::/64
WORLD6_A_GW=2001:db8:10a::1 WORLD6_B_GW=2001:db8:10b::1
WORLD6_A_PX=2001:db8:10a::2 WORLD6_B_PX=2001:db8:10b::2
WORLD6_PUB_GW=2001:db8:f::1 WORLD6_PUB_ADDR=2001:db8:f::10

# Internal: IPv6 on in namespace SHORT (addresses usable at once: no DAD);
# a router also forwards.
_ns6_on() {	# SHORT [router]
	local i
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
	    net.ipv6.conf.default.disable_ipv6=0 \
	    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
	    >/dev/null || return 1
	for i in $(ip -n "$(ns "$1")" -o link show | awk -F': ' '{print $2}' |
	    sed 's/@.*//'); do
		nsx "$1" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=0" \
		    "net.ipv6.conf.$i.accept_dad=0" >/dev/null 2>&1
	done
	if [ "${2:-}" = router ]; then
		nsx "$1" sysctl -qw net.ipv6.conf.all.forwarding=1 >/dev/null ||
		    return 1
	fi
	return 0
}

# Internal: ip6tables in namespace (full name) NS.
_ip6t() { local n=$1; shift; _w ip netns exec "$n" ip6tables -w "$@"; }

# fw6 a|b: site a's or b's NAT box filters IPv6 like a home router.
fw6() {
	local n
	n=$(ns "nat$1")
	_ip6t "$n" -F && _ip6t "$n" -P FORWARD DROP &&
	_ip6t "$n" -A FORWARD -i br0 -o wan -j ACCEPT &&
	_ip6t "$n" -A FORWARD -i wan -o br0 -m conntrack \
	    --ctstate ESTABLISHED,RELATED -j ACCEPT &&
	_ip6t "$n" -A FORWARD -p ipv6-icmp --icmpv6-type packet-too-big \
	    -j ACCEPT &&
	_ip6t "$n" -A INPUT -i wan -p ipv6-icmp -j ACCEPT &&
	_ip6t "$n" -A INPUT -i wan -m conntrack \
	    --ctstate ESTABLISHED,RELATED -j ACCEPT &&
	_ip6t "$n" -A INPUT -i wan -j DROP || return 1
	ip netns exec "$n" conntrack -f ipv6 -F >/dev/null 2>&1
	return 0
}

# Internal: site s on IPv6 (dual or v6only); v6only also takes the proxy's
# IPv4 way out (its default route), so its links can only be IPv6.
_site6_up() {	# a|b dual|v6only
	local s=$1 S=${1^^} mode=$2 wan wan_gw gw lan px
	eval "wan=\$WORLD6_${S}_WAN wan_gw=\$WORLD6_${S}_WAN_GW"
	eval "gw=\$WORLD6_${S}_GW lan=\$WORLD6_${S}_LAN px=\$WORLD6_${S}_PX"
	_ns6_on "nat$s" router && _ns6_on "px$s" || return 1
	_w ip -n "$(ns inet)" -6 addr add "$wan_gw/64" dev "nat$s" nodad &&
	_w ip -n "$(ns "nat$s")" -6 addr add "$wan/64" dev wan nodad &&
	_w ip -n "$(ns "nat$s")" -6 route add default via "$wan_gw" &&
	_w ip -n "$(ns "nat$s")" -6 addr add "$gw/64" dev br0 nodad &&
	_w ip -n "$(ns inet)" -6 route add "$lan" via "$wan" &&
	_w ip -n "$(ns "px$s")" -6 addr add "$px/64" dev eth0 nodad &&
	_w ip -n "$(ns "px$s")" -6 route add default via "$gw" &&
	fw6 "$s" || return 1
	if [ "$mode" = v6only ]; then
		_w ip -n "$(ns "px$s")" route del default || return 1
	fi
	return 0
}

# world6_up [--a dual|v6only|v4only] [--b ...]: IPv6 on the internet side
# and at pub (always), and at the sites as asked (default dual; v4only
# leaves a site as world_up made it).  Call after world_up.
world6_up() {
	local a=dual b=dual
	while [ $# -gt 0 ]; do
		case $1 in
		--a) a=$2; shift 2 ;;
		--b) b=$2; shift 2 ;;
		*) wlog "world6_up: unknown option '$1'"; return 1 ;;
		esac
	done
	_ns6_on inet router && _ns6_on pub &&
	_w ip -n "$(ns inet)" -6 addr add "$WORLD6_PUB_GW/64" dev brpub nodad &&
	_w ip -n "$(ns pub)" -6 addr add "$WORLD6_PUB_ADDR/64" dev eth0 nodad &&
	_w ip -n "$(ns pub)" -6 route add default via "$WORLD6_PUB_GW" ||
	    return 1
	if [ "$a" != v4only ]; then _site6_up a "$a" || return 1; fi
	if [ "$b" != v4only ]; then _site6_up b "$b" || return 1; fi
	return 0
}

# hosts_wrapper: prints a PROXYD_WRAPPER that runs the daemon with
# $WORLD_DIR/hosts bind-mounted over /etc/hosts (in the mount namespace
# "ip netns exec" gives it, so nothing on the host changes): names with A
# and AAAA records without a DNS server.  Write $WORLD_DIR/hosts first.
hosts_wrapper() {
	printf 'mount --bind "%s/hosts" /etc/hosts && exec "$@"\n' \
	    "$WORLD_DIR" >"$WORLD_DIR/with-hosts.sh"
	echo "sh $WORLD_DIR/with-hosts.sh"
}

# --------------------------------------------------------------------------
# NATs and routes

# Internal: iptables in namespace (full name) NS.
_ipt() { local n=$1; shift; _w ip netns exec "$n" iptables -w "$@"; }

# nat_mode a|b MODE [ARGS]: (re)programs site a's or b's NAT.
#   masquerade            MASQUERADE out WAN (port-restricted cone)
#   random                MASQUERADE --random-fully (symmetric-like)
#   static HOST PORT...   DNAT+SNAT of those UDP ports on the WAN address to
#                         LAN host HOST (ports kept; full cone for them), the
#                         rest masqueraded
#   none                  plain routing; INET gets a route to the LAN
# All NAT modes: FORWARD LAN->WAN accepted, WAN->LAN only ESTABLISHED,RELATED
# (plus the static ports), default DROP; INPUT on WAN only ESTABLISHED,RELATED.
# Existing conntrack entries are flushed.
nat_mode() {
	local s=$1 mode=$2 S=${1^^} n wan lan host p
	shift 2
	n=$(ns "nat$s")
	eval "wan=\$WORLD_${S}_WAN lan=\$WORLD_${S}_LAN"

	_ipt "$n" -F && _ipt "$n" -X && _ipt "$n" -t nat -F &&
	_ipt "$n" -t nat -X && _ipt "$n" -t raw -F || return 1
	_ipt "$n" -P INPUT ACCEPT && _ipt "$n" -P OUTPUT ACCEPT || return 1
	ip -n "$(ns inet)" route del "$lan" 2>/dev/null

	case $mode in
	none)
		_ipt "$n" -P FORWARD ACCEPT || return 1
		_w ip -n "$(ns inet)" route replace "$lan" via "$wan" || return 1
		;;
	masquerade|random|static)
		_ipt "$n" -P FORWARD DROP &&
		_ipt "$n" -A FORWARD -i br0 -o wan -j ACCEPT &&
		_ipt "$n" -A FORWARD -i wan -o br0 -m conntrack \
		    --ctstate ESTABLISHED,RELATED -j ACCEPT &&
		_ipt "$n" -A INPUT -i wan -m conntrack \
		    --ctstate ESTABLISHED,RELATED -j ACCEPT &&
		_ipt "$n" -A INPUT -i wan -j DROP || return 1
		if [ "$mode" = static ]; then
			host=${1:?nat_mode static needs HOST PORT...}
			shift
			[ $# -gt 0 ] || { wlog "nat_mode static: no ports"; return 1; }
			for p in "$@"; do
				_ipt "$n" -t nat -A PREROUTING -i wan -d "$wan" -p udp \
				    --dport "$p" -j DNAT --to-destination "$host:$p" &&
				_ipt "$n" -t nat -A POSTROUTING -o wan -s "$host" -p udp \
				    --sport "$p" -j SNAT --to-source "$wan:$p" &&
				_ipt "$n" -A FORWARD -i wan -o br0 -d "$host" -p udp \
				    --dport "$p" -j ACCEPT || return 1
			done
		fi
		if [ "$mode" = random ]; then
			_ipt "$n" -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully
		else
			_ipt "$n" -t nat -A POSTROUTING -o wan -j MASQUERADE
		fi || return 1
		;;
	*)
		wlog "nat_mode: unknown mode '$mode'"
		return 1 ;;
	esac
	ip netns exec "$n" conntrack -F >/dev/null 2>&1
	return 0
}

# nat_udp_timeout a|b SECS [STREAM_SECS]: the NAT's UDP mapping lifetime
# (one-way, and after replies; STREAM_SECS defaults to SECS).
nat_udp_timeout() {
	nsx "nat$1" sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$2" \
	    net.netfilter.nf_conntrack_udp_timeout_stream="${3:-$2}" >/dev/null
}

# nat_reboot a|b: forgets every mapping (conntrack -F), as a NAT reboot does.
nat_reboot() { nsx "nat$1" conntrack -F >/dev/null 2>&1; return 0; }

# host_routes hosta|hostb proxy|nat|none: how the endpoint reaches the
# other site's LAN and inner (protected) prefix: via its proxy (the design),
# via its NAT (the plain internet path), or only by its default route.
# The other LAN is left alone when it is the endpoint's own range (sites
# that overlap reach each other by alias: the test routes those).
host_routes() {
	local h=$1 how=$2 s S R px gw n net own
	s=${h#host}; S=${s^^}
	[ "$s" = a ] && R=B || R=A
	eval "px=\$WORLD_${S}_PX gw=\$WORLD_${S}_GW own=\$WORLD_${S}_LAN"
	n=$(ns "$h")
	for net in $(eval "echo \$WORLD_${R}_LAN \$WORLD_${R}_INNER_NET"); do
		[ "$net" = "$own" ] && continue
		ip -n "$n" route del "$net" 2>/dev/null
		case $how in
		proxy) _w ip -n "$n" route replace "$net" via "$px" || return 1 ;;
		nat) _w ip -n "$n" route replace "$net" via "$gw" || return 1 ;;
		none) ;;
		*) wlog "host_routes: unknown '$how'"; return 1 ;;
		esac
	done
	return 0
}

# ipt_count SHORT TABLE CHAIN: sum of the packet counters of all rules in
# that chain (use rules without a target as pure counters).
ipt_count() {
	nsx "$1" iptables -w -t "$2" -L "$3" -nvx 2>/dev/null |
	    awk 'NR > 2 { n += $1 } END { print n + 0 }'
}

# --------------------------------------------------------------------------
# strongSwan endpoints (hosta, hostb)

_charon_dir() { echo "$WORLD_DIR/charon-${1,,}"; }
_vici() { echo "unix://$(_charon_dir "$1")/run/charon.vici"; }

# Internal: the plugins we want that this machine has, in load order
# (kernel-libipsec first, so it provides the IPsec backend).
_charon_plugins() {
	local p out=
	for p in kernel-libipsec kernel-netlink socket-default vici openssl \
	    nonce random pem x509 pubkey pkcs1 pkcs8 constraints revocation \
	    hmac gcm aes sha1 sha2 curve25519 kdf updown; do
		[ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] && out="$out $p"
	done
	echo "${out# }"
}

# charon_start hosta|hostb: starts charon in that namespace, in a mount
# namespace of its own with a private directory ($WORLD_DIR/charon-HOST/run)
# bind-mounted over /run, with a generated strongswan.conf (userspace ESP,
# short retransmits: see CHARON_RETRANSMIT).  Waits (10 s) for its VICI
# socket.  The configuration and the log live inside that private directory
# and charon is given their paths as it sees them (/run/...): WORLD_DIR may
# itself be under /run, which the bind mount hides from charon.
charon_start() {
	local h=${1,,} d n tries tmo base pid
	d=$(_charon_dir "$h")
	n=$(ns "$h")
	read -r tries tmo base <<<"$CHARON_RETRANSMIT"
	if ! [ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ]; then
		wlog "charon_start: no kernel-libipsec plugin (install libcharon-extra-plugins)"
		return 1
	fi
	rm -rf "$d/run"
	mkdir -p "$d/run" "$d/swanctl" || return 1
	cat >"$d/run/strongswan.conf" <<EOF
# generated by tests/lib/world.sh for $n; charon sees this directory as /run
charon {
	load = $(_charon_plugins)
	install_routes = yes
	retransmit_tries = $tries
	retransmit_timeout = $tmo
	retransmit_base = $base
	filelog {
		log {
			path = /run/charon.log
			time_format = %b %e %T
			default = 1
			ike = 2
			cfg = 1
			net = 1
			esp = 1
			flush_line = yes
		}
	}
	plugins {
		kernel-libipsec {
			allow_peer_ts = no
		}
	}
}
EOF
	ip netns exec "$n" sh -c \
	    'mount --bind "$1" /run && exec env STRONGSWAN_CONF=/run/strongswan.conf "$2"' \
	    sh "$d/run" "$CHARON" >"$d/charon.out" 2>&1 </dev/null &
	pid=$!
	_pid_record "charon-$h" "$pid" "$n"
	if ! wait_for 10 test -S "$d/run/charon.vici"; then
		wlog "charon_start $h: no VICI socket after 10 s; charon.out:"
		sed 's/^/#   /' "$d/charon.out" >&2
		return 1
	fi
	# libipsec 5.9 has no MTU option: set it on the interface it made
	if [ -n "${CHARON_MTU:-}" ] &&
	    ! nsx "$h" ip link set ipsec0 mtu "$CHARON_MTU"; then
		wlog "charon_start $h: cannot set mtu $CHARON_MTU on ipsec0"
		return 1
	fi
	return 0
}

# charon_stop hosta|hostb (no argument: both).
charon_stop() {
	local h
	for h in ${1:-hosta hostb}; do
		_pid_stop "charon-${h,,}"
	done
	return 0
}

# swanctl_x HOST COMMAND [OPTIONS...]: swanctl against HOST's charon
# (bounded to 30 s); swanctl wants the command before its options.
swanctl_x() {
	local h=${1,,} cmd=$2 d
	shift 2
	d=$(_charon_dir "$h")
	SWANCTL_DIR=$d/swanctl timeout 30 swanctl "$cmd" --uri "$(_vici "$h")" "$@"
}

# swanctl_load HOST [CONN=REMOTE_ADDR[,LOCAL_ADDR] ...]: loads the PSK,
# IKEv2 connection "tunnel" to the peer's private LAN address (local_addrs =
# own private address, encap = yes, child "tunnel" from own 172.16.x.1/32 to
# the peer's), plus one more connection per CONN=REMOTE_ADDR (same
# identities and child, child named like the connection; local_addrs
# LOCAL_ADDR if given), e.g. "via-nat=198.51.100.2".
swanctl_load() {
	local h=${1,,} s S R d laddr raddr lin rin lid rid spec ra la
	shift
	s=${h#host}; S=${s^^}
	[ "$s" = a ] && R=B || R=A
	eval "laddr=\$WORLD_${S}_HOST raddr=\$WORLD_${R}_HOST"
	eval "lin=\$WORLD_${S}_INNER rin=\$WORLD_${R}_INNER"
	lid=host$s.test
	rid=host${R,,}.test
	d=$(_charon_dir "$h")
	mkdir -p "$d/swanctl"
	{
		echo "# generated by tests/lib/world.sh"
		echo "connections {"
		for spec in "tunnel=$raddr" "$@"; do
			ra=${spec#*=} la=$laddr
			case $ra in *,*) la=${ra#*,} ra=${ra%%,*} ;; esac
			cat <<EOF
	${spec%%=*} {
		version = 2
		local_addrs = $la
		remote_addrs = $ra
		encap = yes
		mobike = no
		proposals = aes128gcm16-prfsha256-x25519, aes128-sha256-ecp256
		local {
			auth = psk
			id = $lid
		}
		remote {
			auth = psk
			id = $rid
		}
		children {
			${spec%%=*} {
				mode = tunnel
				local_ts = $lin/32
				remote_ts = $rin/32
				esp_proposals = aes128gcm16, aes128-sha256
				start_action = none
			}
		}
	}
EOF
		done
		cat <<EOF
}
secrets {
	ike-world {
		id-a = hosta.test
		id-b = hostb.test
		secret = "proxyd-test-world-psk-not-a-secret"
	}
}
EOF
	} >"$d/swanctl/swanctl.conf"
	swanctl_x "$h" --load-all --noprompt >"$d/swanctl-load.out" 2>&1 || {
		wlog "swanctl_load $h failed:"
		sed 's/^/#   /' "$d/swanctl-load.out" >&2
		return 1
	}
}

# swanctl_initiate HOST [CONN [TIMEOUT]]: initiates CONN's child (default
# "tunnel"), waiting at most TIMEOUT seconds (default 20).  Returns swanctl's
# status (0 = established).  Output goes to charon-HOST/initiate-CONN.out.
swanctl_initiate() {
	local h=${1,,} c=${2:-tunnel} t=${3:-20} d
	d=$(_charon_dir "$h")
	SWANCTL_DIR=$d/swanctl timeout $((t + 5)) swanctl --initiate \
	    --uri "$(_vici "$h")" --ike "$c" --child "$c" --timeout "$t" \
	    >"$d/initiate-$c.out" 2>&1
}

# child_sa_installed HOST [CHILD]: true (0) if HOST has an INSTALLED
# CHILD_SA (named CHILD, if given), else 1.  Quiet.
child_sa_installed() {
	local out
	out=$(swanctl_x "$1" --list-sas 2>/dev/null) || return 1
	if [ -n "${2:-}" ]; then
		grep -Eq "^ +$2: #[0-9]+, reqid [0-9]+, INSTALLED" <<<"$out"
	else
		grep -q 'INSTALLED' <<<"$out"
	fi
}

# --------------------------------------------------------------------------
# proxyd

# make_certs DIR [NAME[=P1,P2...]...]: a CA in DIR plus certificates for
# pub, site-a and site-b and any further NAMEs.  Certificates bind prefixes
# (RFC 3779 address blocks, proxyd-ca --prefix): site-a and site-b their
# standard LAN and inner network, pub none (it claims nothing), NAME=P1,P2
# exactly those, NAME=none none; a bare NAME inherits the CA's blocks (may
# claim anything), for tests whose subject is not the binding.  A NAME
# given for pub, site-a or site-b replaces its standard certificate.
make_certs() {
	local dir=$1 spec name blocks p args
	shift
	"$PROXYD_CA" init "$dir" >/dev/null || return 1
	local std=() a
	for spec in pub=none "site-a=$WORLD_A_LAN,$WORLD_A_INNER_NET" \
	    "site-b=$WORLD_B_LAN,$WORLD_B_INNER_NET"; do
		for a in "$@"; do	# a NAME given overrides the standard
			[ "${a%%=*}" = "${spec%%=*}" ] && continue 2
		done
		std+=("$spec")
	done
	for spec in "${std[@]}" "$@"; do
		name=${spec%%=*}
		args=()
		if [ "$name" = "$spec" ]; then
			blocks=inherit
		else
			blocks=${spec#*=}
		fi
		case $blocks in
		none) ;;
		inherit) _cert_inherit "$dir" "$name" || return 1; continue ;;
		*)
			IFS=, read -r -a p <<<"$blocks"
			for blocks in "${p[@]}"; do args+=(--prefix "$blocks"); done ;;
		esac
		"$PROXYD_CA" issue "$dir" "$name" "${args[@]}" >/dev/null || return 1
	done
}

# Internal: a certificate for NAME whose address blocks say "inherit" (as an
# operator's own openssl PKI may issue: the CA's blocks apply).
_cert_inherit() {
	local dir=$1 name=$2 ext
	ext=$(mktemp "$dir/.$name.ext.XXXXXX") || return 1
	cat >"$ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:$name
sbgp-ipAddrBlock = critical,IPv4:inherit
EOF
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$dir/$name.key" 2>/dev/null) &&
	openssl req -new -key "$dir/$name.key" -subj "/CN=$name" 2>/dev/null |
	    openssl x509 -req -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
	    -CAcreateserial -days 30 -sha256 -extfile "$ext" \
	    -out "$dir/$name.crt" 2>/dev/null
	local rc=$?
	rm -f "$ext"
	[ $rc -eq 0 ] || wlog "make_certs: cannot issue '$name' (inherit)"
	return $rc
}

# proxy_conf NAME [key=value ...]: writes $WORLD_DIR/NAME.conf and prints
# its path.  Keys (defaults in brackets):
#   listen=ADDR:PORT [0.0.0.0:4790]   alt_port=N|none [PORT+1]
#   alt_address=ADDR                  public=ADDR:PORT
#   neighbours="n1@host:port n2@host:port" []
#   prefixes="10.1.0.0/24 ..." []     tun=yes|no [yes if prefixes]
#     (REAL=ALIAS for a prefix known by an alias: { prefix; as; })
#   tun_name [pxy0]  mtu [1500]       forward="ike esp icmp"
#   pki=DIR [$WORLD_DIR/pki]  ca= cert= key= [pki/ca.crt, pki/NAME.crt, .key]
#   crl=FILE [none]                   (tls.crl)
#   control=PATH [$WORLD_DIR/NAME.sock]  keepalive=MIN:MAX [5:120]
#   log=LEVEL [debug]                 extra="raw libconfig lines"
#   addresses="0.0.0.0 ::" [none]     listen.address as a list (the port
#                                     stays listen's); neighbours may be
#                                     NAME@[IPV6]:PORT
#   require_prefixes=true|false [$WORLD_REQUIRE_PREFIXES, true]: tls key
proxy_conf() {
	local name=$1 kv k v
	shift
	local listen=0.0.0.0:4790 alt_port='' alt_address='' public='' addresses=''
	local neighbours='' prefixes='' tun='' tun_name=pxy0 mtu=1500
	local forward="ike esp icmp" pki=$WORLD_DIR/pki ca='' cert='' key=''
	local control='' keepalive=5:120 log=debug extra='' crl=''
	local require_prefixes=${WORLD_REQUIRE_PREFIXES:-true}
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		case $k in
		listen|alt_port|alt_address|public|neighbours|prefixes|tun|addresses|\
		tun_name|mtu|forward|pki|ca|cert|key|control|keepalive|log|extra|\
		require_prefixes|crl)
			printf -v "$k" '%s' "$v" ;;
		*) wlog "proxy_conf: unknown key '$k'"; return 1 ;;
		esac
	done
	: "${ca:=$pki/ca.crt}" "${cert:=$pki/$name.crt}" "${key:=$pki/$name.key}"
	: "${control:=$WORLD_DIR/$name.sock}"
	[ -n "$tun" ] || { [ -n "$prefixes" ] && tun=yes || tun=no; }
	[ -n "$alt_port" ] || alt_port=$(( ${listen##*:} + 1 ))

	local f=$WORLD_DIR/$name.conf first n h
	{
		echo "# generated by tests/lib/world.sh"
		echo "name = \"$name\";"
		if [ -n "$addresses" ]; then
			# a list: one address of each family (issue 13)
			printf 'listen = { address = ['
			first=1
			for n in $addresses; do
				[ $first = 1 ] || printf ','
				printf ' "%s"' "$n"
				first=0
			done
			printf ' ]; port = %s;' "${listen##*:}"
		else
			printf 'listen = { address = "%s"; port = %s;' \
			    "${listen%:*}" "${listen##*:}"
		fi
		[ "$alt_port" != none ] && printf ' alt_port = %s;' "$alt_port"
		[ -n "$alt_address" ] && printf ' alt_address = "%s";' "$alt_address"
		echo ' };'
		[ -n "$public" ] && echo "public = \"$public\";"
		printf 'neighbours = ('
		first=1
		for n in $neighbours; do
			h=${n#*@}
			[ $first = 1 ] || printf ','
			# host:port, or [ipv6]:port
			v=${h%:*}
			v=${v#[}
			v=${v%]}
			printf ' { name = "%s"; host = "%s"; port = %s; }' \
			    "${n%%@*}" "$v" "${h##*:}"
			first=0
		done
		echo ' );'
		case $prefixes in *=*) printf 'prefixes = (' ;;
		*) printf 'prefixes = [' ;; esac
		first=1
		for n in $prefixes; do
			[ $first = 1 ] || printf ','
			case $n in
			*=*) printf ' { prefix = "%s"; as = "%s"; }' \
			    "${n%%=*}" "${n#*=}" ;;
			*) printf ' "%s"' "$n" ;;
			esac
			first=0
		done
		case $prefixes in *=*) echo ' );' ;; *) echo ' ];' ;; esac
		[ "$tun" = yes ] &&
		    echo "tun = { name = \"$tun_name\"; mtu = $mtu; };"
		printf 'forward = ['
		first=1
		for n in $forward; do
			[ $first = 1 ] || printf ','
			printf ' "%s"' "$n"
			first=0
		done
		echo ' ];'
		printf 'tls = { ca = "%s"; cert = "%s"; key = "%s"; require_prefixes = %s;%s };\n' \
		    "$ca" "$cert" "$key" "$require_prefixes" "${crl:+ crl = \"$crl\";}"
		echo "control = \"$control\";"
		echo "keepalive = { min = ${keepalive%:*}; max = ${keepalive#*:}; };"
		echo "log = \"$log\";"
		if [ -n "$extra" ]; then printf '%s\n' "$extra"; fi
	} >"$f" || return 1
	echo "$f"
}

# proxy_ns NAME: the short namespace name of a standard proxy.
proxy_ns() {
	case $1 in
	pub) echo pub ;;
	site-a) echo pxa ;;
	site-b) echo pxb ;;
	*) cat "$WORLD_DIR/$1.ns" 2>/dev/null || return 1 ;;
	esac
}

# proxy_sock NAME: the control socket of a proxy made with proxy_conf.
proxy_sock() { echo "$WORLD_DIR/$1.sock"; }

# proxy_conf_std pub|site-a|site-b [key=value ...]: the standard topology:
# "pub" on 203.0.113.10:4790 with no prefixes and no TUN; "site-a" and
# "site-b" with their LAN and inner prefixes, linking to pub.  Extra keys
# override.  Prints the path.
proxy_conf_std() {
	local name=$1
	shift
	case $name in
	pub)
		proxy_conf pub listen="$WORLD_PUB_ADDR:$WORLD_PUB_PORT" "$@" ;;
	site-a)
		proxy_conf site-a \
		    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" \
		    prefixes="$WORLD_A_LAN $WORLD_A_INNER_NET" "$@" ;;
	site-b)
		proxy_conf site-b \
		    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" \
		    prefixes="$WORLD_B_LAN $WORLD_B_INNER_NET" "$@" ;;
	*) wlog "proxy_conf_std: unknown proxy '$name'"; return 1 ;;
	esac
}

# proxies_std_up [key=value ...]: pub, site-a and site-b started with
# proxy_conf_std and the keys given, then routes between the sites and a
# ping hostA -> hostB through them; bails out when any of it fails.
proxies_std_up() {
	local n
	for n in pub site-a site-b; do
		proxy_start "$(proxy_ns "$n")" "$n" \
		    "$(proxy_conf_std "$n" "$@")" || bail "$n started"
	done
	wait_for 30 has_route site-a "$WORLD_B_LAN" &&
	    wait_for 30 has_route site-b "$WORLD_A_LAN" ||
	    bail "routes between the sites"
	wait_for 20 nsx hosta ping -n -q -c 1 -W 1 "$WORLD_B_HOST" ||
	    bail "ping hosta -> hostb through the proxies"
}

# Internal: a starting proxy is ready (control socket there) or gone.
_proxy_ready() { [ -S "$1" ] || ! kill -0 "$2" 2>/dev/null; }

# proxy_start NS NAME CONF: runs "proxyd -f -c CONF" in namespace NS in the
# background, logging to $WORLD_DIR/NAME.log, and waits (at most 5 s) until
# its control socket ($WORLD_DIR/NAME.sock, unless CONF says otherwise)
# exists.  Fails if the binary is missing or the process exits meanwhile.
# Call it directly (not in a subshell), so proxy_stop can learn the exit
# status.
proxy_start() {
	local short=$1 name=$2 conf=$3 n pid sock
	n=$(ns "$short")
	if [ ! -x "$PROXYD" ]; then
		wlog "proxy_start: no daemon at '$PROXYD' (build it, or set top_builddir)"
		return 1
	fi
	sock=$(sed -n 's/^[[:space:]]*control[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' \
	    "$conf" 2>/dev/null | head -n 1)
	: "${sock:=$WORLD_DIR/$name.sock}"
	echo "$short" >"$WORLD_DIR/$name.ns"
	rm -f "$WORLD_DIR/$name.exit"
	# shellcheck disable=SC2046,SC2086 # PROXYD_WRAPPER is a command line
	ip netns exec "$n" $(_san_env "$name") ${PROXYD_WRAPPER:-} \
	    "$PROXYD" -f -c "$conf" >>"$WORLD_DIR/$name.log" 2>&1 </dev/null &
	pid=$!
	_pid_record "proxy-$name" "$pid" "$n"
	wait_for 5 _proxy_ready "$sock" "$pid"
	if ! kill -0 "$pid" 2>/dev/null; then
		wlog "proxy_start: '$name' exited at once; its log:"
		sed 's/^/#   /' "$WORLD_DIR/$name.log" >&2
		return 1
	fi
	[ -S "$sock" ] || wlog "proxy_start: '$name' has no control socket '$sock' after 5 s"
	return 0
}

# proxy_pid NAME: the pid of a running proxy.
proxy_pid() { pid_of "proxy-$1"; }

# proxy_alive NAME: true while the proxy process runs.
proxy_alive() { pid_of "proxy-$1" >/dev/null; }

# proxy_stop NAME: SIGTERM (then SIGKILL after WORLD_STOP_BOUND s, default
# 5); its exit status is in $WORLD_DIR/NAME.exit afterwards.  Under
# e2e_traps a proxy that does not exit 0 within the bound is a "not ok"
# (see "Teardown checks").  A proxy that had already ended is a "not ok"
# too, unless its status is 0, 137 (SIGKILL, which only a test sends) or
# not known (the test reaped it itself).
proxy_stop() {
	_pid_stop "proxy-$1"
	if [ -r "$WORLD_DIR/proxy-$1.exit" ]; then
		mv -f "$WORLD_DIR/proxy-$1.exit" "$WORLD_DIR/$1.exit"
	fi
	_proxy_stop_check "$1"
	return 0
}

# proxy_std_up [NAME...]: certificates (once), configs and start of the
# standard proxies (default: pub site-a site-b), in that order.
proxy_std_up() {
	local name conf
	[ -e "$WORLD_DIR/pki/ca.crt" ] || make_certs "$WORLD_DIR/pki" || return 1
	[ $# -gt 0 ] || set -- pub site-a site-b
	for name in "$@"; do
		conf=$(proxy_conf_std "$name") || return 1
		proxy_start "$(proxy_ns "$name")" "$name" "$conf" || return 1
	done
}

# pctl NS SOCK ARGS...: proxyctl -s SOCK ARGS in namespace NS (10 s bound).
pctl() {
	local short=$1 sock=$2
	shift 2
	# shellcheck disable=SC2046 # _san_env prints words
	nsx "$short" $(_san_env proxyctl) timeout 10 "$PROXYCTL" -s "$sock" "$@"
}

# pjson NAME COMMAND: "proxyctl -j COMMAND" of a proxy started by
# proxy_start, normalised: tables become one JSON array (whether proxyctl
# prints an array, one object per line, or {"row":...} lines); status
# becomes one object.
pjson() {
	local name=$1 short
	shift
	short=$(proxy_ns "$name") || return 1
	pctl "$short" "$(proxy_sock "$name")" -j "$@" |
	    jq -cs '[ .[] | if type == "array" then .[] else . end
		      | if type == "object" and has("row") then .row else . end
		      | select(type != "object" or (has("end") | not)) ]'
}

# pstatus NAME FIELD: one field of "proxyctl -j status" (a number or string).
pstatus() {
	pjson "$1" status | jq -r --arg f "$2" \
	    'if length == 1 then .[0][$f] else (map(select(has($f))) | .[0][$f]) end // empty'
}

# route_field PROXY PREFIX FIELD: one field of a proxy's route row.
route_field() {
	pjson "$1" routes | jq -r --arg p "$2" --arg f "$3" \
	    'map(select(.prefix == $p)) | .[0][$f] // empty'
}

# nbr_field PROXY NEIGHBOUR FIELD: one field of a proxy's neighbour row.
nbr_field() {
	pjson "$1" neighbours | jq -r --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n)) | .[0][$f] // empty'
}

# relay_icmp: the icmp packets pub's flows counted; fails if unreadable.
relay_icmp() {
	local j
	j=$(pjson pub flows) || return 1
	jq '[.[] | select(.proto == "icmp") | .packets] | add // 0' <<<"$j"
}

is_count() { [[ ${1:-} =~ ^[0-9]+$ ]]; }

# ping_all N: N pings hosta -> hostB's LAN address ($WORLD_B_HOST), 0.2 s
# apart; prints "received/transmitted" and succeeds when all N came back.
ping_all() {
	local n=$1 out rx tx
	out=$(nsx hosta timeout $((n + 10)) ping -n -c "$n" -i 0.2 -W 2 \
	    "$WORLD_B_HOST" 2>&1)
	tx=$(sed -n 's/^\([0-9][0-9]*\) packets transmitted.*/\1/p' <<<"$out")
	rx=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' <<<"$out")
	echo "${rx:-0}/${tx:-0}"
	[ "${tx:-0}" = "$n" ] && [ "${rx:-0}" = "$n" ]
}

# neighbour_state PROXY NEIGHBOUR: prints the state of PROXY's link to
# NEIGHBOUR ("up", "handshake", ... or nothing).
neighbour_state() {
	pjson "$1" neighbours | jq -r --arg n "$2" \
	    'map(select(.name == $n)) | .[0].state // empty'
}

# neighbour_up PROXY NEIGHBOUR: true if that link is "up".
neighbour_up() { [ "$(neighbour_state "$1" "$2")" = up ]; }

# has_route PROXY PREFIX: true if PROXY's routes list PREFIX.
has_route() {
	pjson "$1" routes | jq -e --arg p "$2" 'any(.[]; .prefix == $p)' >/dev/null
}

# routes_both: site-a and site-b each hold a route to the other's LAN, in
# their tables and in their namespaces' kernel tables (a ping sent before
# the kernel route is in place leaves by the host's default route).
routes_both() {
	has_route site-a "$WORLD_B_LAN" && has_route site-b "$WORLD_A_LAN" &&
	    ip -n "$(ns pxa)" -4 route show "$WORLD_B_LAN" | grep -q . &&
	    ip -n "$(ns pxb)" -4 route show "$WORLD_A_LAN" | grep -q .
}

# flow_packets PROXY [PROTO...]: total packets of PROXY's flows with those
# protocols (default: ike esp esp-udp).
flow_packets() {
	local name=$1
	shift
	[ $# -gt 0 ] || set -- ike esp esp-udp
	pjson "$name" flows | jq --arg p "$*" \
	    '($p | split(" ")) as $ps
	     | map(select(.proto as $x | $ps | index([$x]))) | map(.packets) | add // 0'
}

# --------------------------------------------------------------------------
# TAP-ish reporting for the e2e scripts

T_N=0 T_PASS=0 T_FAIL=0 T_SKIP=0

# ok COND_STATUS DESCRIPTION: records one result ("ok N - ..." or "not ok").
# A DESCRIPTION with "# SKIP reason" is a skip (better: t_skip).
ok() {
	local rc=$1
	shift
	T_N=$((T_N + 1))
	if [ "$rc" = 0 ]; then
		case $* in
		*"# SKIP"*) T_SKIP=$((T_SKIP + 1)) ;;
		*) T_PASS=$((T_PASS + 1)) ;;
		esac
		echo "ok $T_N - $*"
	else
		T_FAIL=$((T_FAIL + 1))
		echo "not ok $T_N - $*"
	fi
}

# t_skip DESCRIPTION REASON: a check that did not run: "ok N - DESCRIPTION
# # SKIP REASON".  tools/run-tests.sh counts it as a skip, never as a pass,
# and lists REASON; with CI=true it is a failure when REASON says that a
# tool, root or a user is missing ("missing tools: dot", "not installed",
# "needs root", "no user 'x'"), since CI installs what the tests need.
t_skip() { ok 0 "$1 # SKIP $2"; }

# t_skip_kernel DESCRIPTION WHAT: a skip because the running kernel lacks
# WHAT; the reason names the kernel ("Linux 6.1.0-18-amd64 lacks WHAT"), and
# stays a skip in CI.
t_skip_kernel() { t_skip "$1" "kernel: Linux $(uname -r) lacks $2"; }

# check DESCRIPTION CMD...: runs CMD and records its success.
check() {
	local d=$1 rc=0
	shift
	"$@" || rc=1
	ok $rc "$d"
}

# t_summary: prints "# N passed, N failed, N skipped"; returns 0 only if
# none failed (and at least one check ran).
t_summary() {
	echo "# $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" = 0 ] && [ "$T_N" -gt 0 ]
}

# e2e_traps: the traps every end-to-end test sets after loading this file:
# on exit, the teardown checks, the logs if anything failed, then
# world_down; INT and TERM exit through that too.  A test that passed
# fails (exit 1) if a teardown check failed.
_e2e_finish() {
	local rc=$? fail0=$T_FAIL
	trap - EXIT INT TERM
	_world_checks
	if [ "$T_FAIL" != "$fail0" ]; then
		echo "# with the teardown checks: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	fi
	[ "$rc" = 0 ] && [ "$T_FAIL" != 0 ] && rc=1
	{ [ "$T_FAIL" != 0 ] || [ "$rc" != 0 ]; } && world_dump_logs
	world_down
	exit "$rc"
}
e2e_traps() {
	_E2E_CHECKS=1
	trap _e2e_finish EXIT
	trap '_E2E_SIGNALLED=1; exit 130' INT
	trap '_E2E_SIGNALLED=1; exit 143' TERM
}

# bail DESCRIPTION: records a failure and stops the test (later checks
# would only repeat it).
bail() {
	ok 1 "$*"
	t_summary
	exit 1
}

# world_dump_logs: prints the world's logs (for a failed run).
world_dump_logs() {
	local f
	[ -n "${WORLD_DIR:-}" ] && [ -d "$WORLD_DIR" ] || return 0
	for f in "$WORLD_DIR"/*.log "$WORLD_DIR"/charon-*/run/charon.log \
	    "$WORLD_DIR"/charon-*/*.out; do
		[ -s "$f" ] || continue
		echo "# ---- ${f#"$WORLD_DIR"/} (last 60 lines)"
		tail -n 60 "$f" | sed 's/^/#   /'
	done
}

# --------------------------------------------------------------------------
# Sanitizer builds (PROXYD from a --enable-sanitizers build, e.g.
# PROXYD_BUILD=build-asan): every AddressSanitizer (and LeakSanitizer)
# report goes to a file of its own under $WORLD_DIR/san (log_path NAME.PID,
# NAME being the proxy's name, "proxyctl" for pctl, "cmd" for anything
# else started while the world is up) and stops the process
# (halt_on_error); the teardown checks fail the test for each file they
# find there.  UBSan, as GCC links it beside ASan, ignores log_path and
# reports on stderr, which for a proxy is its log: the teardown's log check
# fails the test for it ("runtime error:"), and the process stops too
# (-fno-sanitize-recover).

# Internal: true if PROXYD is an ASan or UBSan build (cached).
_world_sanitized() {
	if [ -z "${_WORLD_SANITIZED:-}" ]; then
		if grep -aq -e __asan_init -e __ubsan_handle "$PROXYD" 2>/dev/null; then
			_WORLD_SANITIZED=yes
		else
			_WORLD_SANITIZED=no
		fi
	fi
	[ "$_WORLD_SANITIZED" = yes ]
}

# Internal: the options for ASAN_OPTIONS / UBSAN_OPTIONS of process NAME,
# after the caller's own (later options win).
_san_opts() {	# ASAN|UBSAN NAME
	local base
	if [ "$1" = ASAN ]; then
		base=${_SAN_SAVED_ASAN-${ASAN_OPTIONS:-}}
		printf '%shalt_on_error=1:abort_on_error=0:log_path=%s' \
		    "${base:+$base:}" "$WORLD_DIR/san/$2"
	else
		base=${_SAN_SAVED_UBSAN-${UBSAN_OPTIONS:-}}
		printf '%shalt_on_error=1:print_stacktrace=1:log_path=%s' \
		    "${base:+$base:}" "$WORLD_DIR/san/$2"
	fi
}

# _san_env NAME: for a sanitizer build, prints the words
# "env ASAN_OPTIONS=... UBSAN_OPTIONS=..." that send NAME's reports to
# $WORLD_DIR/san/NAME.PID; nothing otherwise.  (A proxy that dropped
# privileges still writes there, the directory being world-writable, and
# LeakSanitizer still works in it: checked with e2e_privs and a leak.)
_san_env() {
	_world_sanitized && [ -n "${WORLD_DIR:-}" ] || return 0
	printf 'env ASAN_OPTIONS=%s UBSAN_OPTIONS=%s\n' \
	    "$(_san_opts ASAN "$1")" "$(_san_opts UBSAN "$1")"
}

# Internal (world_up): the report directory (writable by a proxy that
# dropped privileges), and the options for everything else started while
# the world is up.
_san_setup() {
	mkdir -p "$WORLD_DIR/san" && chmod 1777 "$WORLD_DIR/san" || return 1
	_world_sanitized || return 0
	if [ -z "${_SAN_SAVED_ASAN+set}" ]; then
		_SAN_SAVED_ASAN=${ASAN_OPTIONS:-}
		_SAN_SAVED_UBSAN=${UBSAN_OPTIONS:-}
	fi
	ASAN_OPTIONS=$(_san_opts ASAN cmd)
	UBSAN_OPTIONS=$(_san_opts UBSAN cmd)
	export ASAN_OPTIONS UBSAN_OPTIONS
	wlog "world: $PROXYD is a sanitizer build; reports go to $WORLD_DIR/san"
}

# Internal (world_down): the caller's own options back.
_san_restore() {
	[ -n "${_SAN_SAVED_ASAN+set}" ] || return 0
	ASAN_OPTIONS=$_SAN_SAVED_ASAN UBSAN_OPTIONS=$_SAN_SAVED_UBSAN
	unset _SAN_SAVED_ASAN _SAN_SAVED_UBSAN
}

# --------------------------------------------------------------------------
# Teardown checks, on in every test that calls e2e_traps; _e2e_finish and
# world_down run them once per world, before anything is deleted:
#   - every proxy still running is stopped with proxy_stop, and every stop
#     must end with exit status 0 within WORLD_STOP_BOUND s (default 5) of
#     SIGTERM (proxy_stop prints a "not ok" at once for one that does not;
#     the teardown prints one "ok" per proxy whose every stop was clean);
#   - each proxy's log ($WORLD_DIR/NAME.log) must have no error-level line
#     ("HH:MM:SS.mmm error: ...", or sanitizer output) that the test did
#     not declare: E2E_LOG_EXPECT (an extended regex, for every proxy) or
#     proxy_log_expect NAME REGEX; each other one is a "not ok" naming the
#     proxy and the line;
#   - each sanitizer report under $WORLD_DIR/san is a "not ok" naming the
#     process, and is printed.

declare -gA _PROXY_STOPS=() _PROXY_STOP_FAILS=() _PROXY_LOG_EXPECT=()

# proxy_log_expect NAME REGEX: error-level lines of proxy NAME's log that
# match REGEX (extended) are expected (e.g. a test that makes it fail on
# purpose).  May be called more than once.
proxy_log_expect() {
	_PROXY_LOG_EXPECT[$1]="${_PROXY_LOG_EXPECT[$1]:+${_PROXY_LOG_EXPECT[$1]}|}($2)"
}

# The lines of a proxy's log that count as errors: its own error level, and
# sanitizer output.
WORLD_SAN_RE='runtime error: |^==[0-9]+==(ERROR|WARNING): |(Address|Leak|UndefinedBehavior|Thread|Memory)Sanitizer'
WORLD_LOG_ERROR_RE="^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} error: |$WORLD_SAN_RE"

_world_checks_reset() {
	_WORLD_CHECKED=
	_PROXY_STOPS=() _PROXY_STOP_FAILS=()
}

# Internal (proxy_stop): judges the stop _pid_stop just did.
_proxy_stop_check() {	# NAME
	local name=$1 bound=${WORLD_STOP_BOUND:-5} n ms
	[ "${_E2E_CHECKS:-0}" = 1 ] || return 0
	case $_STOP_HOW in
	term)
		if [ "$_STOP_RC" = 0 ]; then
			read -r n ms <<<"${_PROXY_STOPS[$name]:-0 0}"
			[ "$_STOP_MS" -gt "$ms" ] && ms=$_STOP_MS
			_PROXY_STOPS[$name]="$((n + 1)) $ms"
			return 0
		fi
		ok 1 "proxy $name exits 0 on SIGTERM (it exited with status $_STOP_RC$(_status_name "$_STOP_RC") after $_STOP_MS ms)" ;;
	killed)
		ok 1 "proxy $name exits on SIGTERM within $bound s (it was still running after $bound s and was killed)" ;;
	gone)
		case $_STOP_RC in
		0|127|137) return 0 ;;
		esac
		[ "${_E2E_SIGNALLED:-0}" = 1 ] && [ "$_STOP_RC" = 143 ] && return 0
		ok 1 "proxy $name runs until it is stopped (it had already exited with status $_STOP_RC$(_status_name "$_STOP_RC"))" ;;
	*) return 0 ;;
	esac
	_PROXY_STOP_FAILS[$name]=1
}

# Internal: " (SIGNAME)" for a status above 128.
_status_name() {
	[ "$1" -gt 128 ] 2>/dev/null && [ "$1" -lt 160 ] &&
	    printf ' (SIG%s)' "$(kill -l $(($1 - 128)) 2>/dev/null)"
}

# Internal: the teardown checks (once per world).
_world_checks() {
	local f name n ms lines unexpected total exp nlines first
	[ "${_E2E_CHECKS:-0}" = 1 ] && [ -n "${WORLD_DIR:-}" ] &&
	    [ -d "$WORLD_DIR" ] || return 0
	[ "${_WORLD_CHECKED:-}" = "$WORLD_DIR" ] && return 0
	_WORLD_CHECKED=$WORLD_DIR

	for f in "$WORLD_DIR"/pids/proxy-*.pid; do
		[ -e "$f" ] || continue
		name=${f##*/pids/proxy-}
		proxy_stop "${name%.pid}"
	done
	for f in "$WORLD_DIR"/*.ns; do
		[ -e "$f" ] || continue
		name=${f##*/}; name=${name%.ns}
		if [ -n "${_PROXY_STOPS[$name]:-}" ] && [ -z "${_PROXY_STOP_FAILS[$name]:-}" ]; then
			read -r n ms <<<"${_PROXY_STOPS[$name]}"
			ok 0 "proxy $name exited 0 within ${WORLD_STOP_BOUND:-5} s of SIGTERM ($n stop$([ "$n" = 1 ] || echo s), slowest $ms ms)"
		fi
		[ -r "$WORLD_DIR/$name.log" ] || continue
		exp=${E2E_LOG_EXPECT:-}
		[ -n "${_PROXY_LOG_EXPECT[$name]:-}" ] &&
		    exp="${exp:+($exp)|}${_PROXY_LOG_EXPECT[$name]}"
		lines=$(grep -aE "$WORLD_LOG_ERROR_RE" "$WORLD_DIR/$name.log")
		total=0
		[ -n "$lines" ] && total=$(wc -l <<<"$lines")
		if [ -n "$exp" ] && [ -n "$lines" ]; then
			unexpected=$(grep -avE "$exp" <<<"$lines")
		else
			unexpected=$lines
		fi
		if [ -z "$unexpected" ]; then
			ok 0 "proxy $name's log has no unexpected error line ($total expected, $(grep -ac ' warn: ' "$WORLD_DIR/$name.log") warn lines)"
			continue
		fi
		nlines=$(wc -l <<<"$unexpected")
		while IFS= read -r f; do
			ok 1 "proxy $name's log has no unexpected error line: $f"
		done < <(head -n 5 <<<"$unexpected")
		[ "$nlines" -gt 5 ] && echo "# ... and $((nlines - 5)) more unexpected error lines in $name's log"
	done

	n=0
	for f in "$WORLD_DIR"/san/*; do
		[ -s "$f" ] || continue
		n=$((n + 1))
		name=${f##*/}
		first=$(grep -m 1 -aE 'ERROR: |runtime error: |SUMMARY: ' "$f")
		ok 1 "no sanitizer report: ${name%.*} (pid ${name##*.}): ${first:-see below}"
		echo "# ---- sanitizer report ${f#"$WORLD_DIR"/} (first 60 lines)"
		head -n 60 "$f" | sed 's/^/#   /'
	done
	# UBSan's reports are in the proxies' logs (see above)
	if [ "$n" = 0 ] && _world_sanitized &&
	    ! cat "$WORLD_DIR"/*.log 2>/dev/null | grep -aqE "$WORLD_SAN_RE"; then
		ok 0 "no sanitizer report from the ASan/UBSan build ($PROXYD)"
	fi
	return 0
}
