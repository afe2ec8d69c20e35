#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# proxyd benchmarks, side by side with kernel routing, tinc and Nebula.
#
# Usage (root, Debian 12, from anywhere in the tree):
#
#   bash tools/bench.sh                  # BENCH_RUNS (3) runs, ~35 minutes
#   BENCH_QUICK=1 bash tools/bench.sh    # 1 run, 2 s tests, 50 pings, ~15 minutes
#
# One command: installs what is missing (tinc, iperf3, gnuplot-nox, ...),
# uses the newest proxyd build like tests/lib/world.sh does (top_builddir; if
# there is none, builds one in build-bench/), builds the two-site world of
# tests/lib/world.sh in network namespaces once, and in every run measures these
# paths between hostA (10.1.0.10, inner 172.16.1.1) and hostB (10.2.0.10,
# inner 172.16.2.1), one after the other, on the same traffic:
#
#   (a) kernel   kernel routing between the two LANs: no NAT on either site,
#                hosts route the other LAN via their NAT box, no proxies.
#                The physical limit of this machine.
#   (b) relay    proxyd relayed through pub: site A MASQUERADE, site B
#                MASQUERADE --random-fully, pub without an alternate address;
#                checked: proxyctl routes says channel "relay".
#   (c) direct   proxyd over a direct hole-punched channel: both sites
#                MASQUERADE, pub with the alternate address 203.0.113.11;
#                checked: channel "direct".
#   (d) tinc     tinc 1.0 (Debian's tincd): a public node on PUB, router-mode
#                nodes with their own TUN on PXA and PXB (ConnectTo = pub),
#                both sites MASQUERADE; hosts route via PXA/PXB as for
#                proxyd.  tinc punches a direct UDP path here.
#   (e) tinc-relay  the same with site B MASQUERADE --random-fully: tinc
#                cannot punch and relays through the public node.
#   (f) nebula   Nebula 1.6 (Debian's nebula): its own CA and certificates
#                made here with nebula-cert, lighthouse and relay (am_relay)
#                on PUB, sites on PXA and PXB with their LANs as certificate
#                subnets and unsafe_routes, relays = [pub]; both sites
#                MASQUERADE: Nebula punches a direct path (the sites
#                without use_relays: Nebula 1.6.1 relays at once and never
#                moves to the punched path otherwise; bench_world.sh).
#   (g) nebula-relay  the same with site B MASQUERADE --random-fully:
#                Nebula relays through pub (checked with pub's counters of
#                Nebula's UDP port: bytes through pub per byte moved).
#   (h) bare     the ceiling: tools/tunfwd, the barest userspace relay one
#                can write here, in place of the proxies: on PXA and PXB a
#                TUN (MTU 1468: the largest whose datagrams cross a
#                1500-byte path unfragmented; BENCH_BARE_MTU) read in
#                batches, one UDP datagram per packet to PUB's public
#                address (sendmmsg, UDP GSO); on PUB one UDP socket
#                forwarding each datagram (recvmmsg with UDP GRO,
#                sendmmsg with GSO) to the other site's address as it
#                observed it; no crypto, no TUN offloads, no control plane.
#                Site B MASQUERADE --random-fully as in (b), hosts route
#                the other LAN via PXA/PXB as for proxyd; checked with
#                pub's counters of its UDP port 4794 (bytes through pub
#                per ping byte >= 1).  Plain, and "ipsec" (the endpoints
#                at their default MTU: their 1464-byte ESP in UDP fits
#                the 1468-byte TUN whole, as it crosses proxyd's links
#                whole with header compression).  What any userspace
#                relay through three processes reaches on this machine:
#                the targets table shows each target's ratio with (h) in
#                place of proxyd, so an unmet target shows its ceiling.
#   (h') bare-aead  the same with AES-256-GCM per hop (tunfwd --aead:
#                OpenSSL 3, the cipher proxyd uses; the relay decrypts and
#                encrypts again): the cost of the crypto alone.  Plain
#                only: its 1444-byte TUN is smaller than the endpoints'
#                full-size ESP in UDP.
#   (i) bare-direct  the ceiling for the direct path: tools/tunfwd site to
#                site without the relay (--direct PORT: each site
#                sends to the other's NAT address at the port both bind;
#                their hellos every second open both NATs, as a hole punch
#                does), both sites MASQUERADE as in (c), the same TUN and
#                batches as (h), no crypto; checked with pub's counters
#                (bytes through pub per ping byte < 0.1).  The relay on
#                pub runs idle beside it, as proxyd's pub does in (c).
#                Plain and "ipsec": what (c)'s targets reach with the
#                least a userspace hop can do in place of the two proxies.
#
# Every path but (h) and (h') is measured as "plain" (hostA 10.1.0.10 -> hostB 10.2.0.10;
# the proxies run with forward = all) and "ipsec" (a strongSwan IKEv2 tunnel
# between the endpoints, userspace ESP in UDP 4500, traffic 172.16.1.1 ->
# 172.16.2.1 inside it, the endpoints at their default tunnel MTU, as an
# operator deploys them), and kernel, relay and direct once more as
# "ipsec1336" (the same tunnel with the endpoints' ipsec0 MTU lowered to
# 1336, the old advice).  Per path and variant:
#
#   TCP        iperf3 TCP, one stream, BENCH_TCP_SECS (5) s: receiver Mbit/s
#   UDP 64     iperf3 -u -b 0 -l 64 for BENCH_UDP_SECS (5) s: packets the
#              receiver got per second (the sender blasts; losses are the
#              point: this is what the path delivers)
#   UDP MTU    the same with 1372-byte payloads (1400-byte IP packets, the
#              proxyd TUN MTU, so every path carries them unfragmented);
#              1300 bytes inside IPsec (the ESP-in-UDP packet then fits 1400)
#   RTT        BENCH_PINGS (200) pings at 0.01 s: median and 99th percentile;
#              then BENCH_BUSY_PINGS (1000) at 0.001 s: median ("RTT busy").
#              At 100 pings/s the CPUs idle between pings and every process
#              on the path (ping, and each proxy once per direction) pays a
#              wake-up from idle, which on this VM costs tens of
#              microseconds; at 1000/s they stay warm and what remains is
#              the path's own work.
#   IKE        IPsec only: IKE SA + CHILD_SA set-up time, as hostA's wire
#              sees it (tcpdump): first IKE_SA_INIT request out to the
#              IKE_AUTH response in, i.e. swanctl --initiate to CHILD_SA
#              installed without swanctl's own start-up and VICI round trips
#              (~20 ms on this machine, more than the exchange itself); the
#              whole swanctl call is in the CSV as ike_wall_ms
#   CPU/GB     per proxy process (proxyd or tincd on PXA, PUB, PXB):
#              utime+stime from /proc/PID/stat before/after the TCP run,
#              divided by the TCP bytes the receiver got (inner bytes for
#              ipsec); "total" is the sum of the three processes
#   RSS        VmRSS of each proxy process after the variant's tests
#   via pub    bytes PUB received (iptables counters on tinc's TCP/UDP 655
#              and proxyd's UDP 4790/4791) per TCP byte moved: ~0 = direct,
#              >= 1 = relayed through pub
#
# Runs: BENCH_RUNS (3); the paths are interleaved within each run (a b c d e,
# then again), the world stays up, proxies/tinc/charon are restarted per path.
# Reported: the median over runs of each figure, and each figure as a ratio
# to (a) and to (d): per run, value(path, variant) / value(reference,
# same variant, same run), then the median of those per-run ratios.  For
# throughput and pps a ratio below 1 is slower than the reference; for RTT,
# IKE, CPU and memory a ratio above 1 is worse.
#
# CAVEAT: this machine is shared and noisy (2 cores, other jobs).  Absolute
# figures move between runs and between days; only ratios from the same run
# mean anything, and even those have a noise of several percent.
#
# Output: a markdown table on stdout and in bench-results/bench-DATE.md, raw
# per-run numbers in bench-results/bench-DATE.csv, a gnuplot bar chart (TCP
# throughput and RTT per path, with and without IPsec) in
# bench-results/bench-DATE.png.  Progress goes to stderr.
#
# Knobs: BENCH_RUNS, BENCH_QUICK=1, BENCH_PATHS ("kernel relay direct tinc
# tinc-relay nebula nebula-relay bare bare-aead bare-direct", a subset is fine but
# ratios need kernel, tinc and nebula; e.g. "kernel relay bare" for the
# ceiling alone), BENCH_VARIANTS ("plain ipsec ipsec1336", a subset is
# fine: e.g. "ipsec" alone for repeated IPsec runs; the state of every proxy
# after each variant, proxyctl -j status and neighbours, is kept with
# BENCH_KEEP=1; the bare relay runs "plain" and "ipsec", with AES-GCM
# "plain" only),
# BENCH_BARE_MTU (the bare relay's TUN MTU: auto, or a number),
# BENCH_TCP_SECS, BENCH_UDP_SECS, BENCH_PINGS, BENCH_BUSY_PINGS, BENCH_OUT (results directory),
# BENCH_PROXY_EXTRA (more proxy_conf_std settings for every proxyd, e.g.
# "mtu=1436": the TUN MTU below which no packet is split on a 1500-byte path),
# BENCH_TIMEOUT (seconds for the whole run, 3600; quick 1500), BENCH_KEEP=1
# (keep the world directory with every iperf3 JSON and log), top_builddir,
# TINC_CIPHER / TINC_DIGEST (default: tinc's own, aes-256-cbc / sha256),
# CHARON_MTU (the endpoints' ipsec0 MTU for "ipsec": empty, libipsec's
# default), BENCH_MTU_LOW (the "ipsec1336" MTU, 1336), BENCH_HOLD=FILE (for
# profiling: with the IPsec tunnel of each path up, create FILE and wait
# until it is removed).
# Everything is bounded in time and torn down on exit (world_down; tincd,
# iperf3 and charon are killed by their recorded pids).

set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
export LC_ALL=C

BENCH_QUICK=${BENCH_QUICK:-0}
if [ "$BENCH_QUICK" = 1 ]; then
	: "${BENCH_RUNS:=1}" "${BENCH_TCP_SECS:=2}" "${BENCH_UDP_SECS:=2}"
	: "${BENCH_PINGS:=50}" "${BENCH_BUSY_PINGS:=500}" "${BENCH_TIMEOUT:=1500}"
else
	: "${BENCH_RUNS:=3}" "${BENCH_TCP_SECS:=5}" "${BENCH_UDP_SECS:=5}"
	: "${BENCH_PINGS:=200}" "${BENCH_BUSY_PINGS:=1000}" "${BENCH_TIMEOUT:=3600}"
fi
: "${BENCH_PATHS:=kernel relay direct tinc tinc-relay nebula nebula-relay bare bare-aead bare-direct}"
: "${BENCH_VARIANTS:=plain ipsec ipsec1336}"
variant_on() { case " $BENCH_VARIANTS " in *" $1 "*) return 0 ;; esac; return 1; }
# tools/tunfwd's relay port on pub (the bare relay, paths bare and
# bare-aead), and both sites' port in bare-direct
: "${TUNFWD_PORT:=4794}"
# the bare relay's TUN MTU: "auto" = the largest whose datagrams cross a
# 1500-byte path unfragmented (1468 plain, 1444 with AES-GCM: tunfwd cannot
# split a packet in two datagrams as proxyd does, and IP fragments through
# both NATs and pub's reassembly are no ceiling), or a number (1500 =
# proxyd's TUN MTU, full-size packets then IP-fragmented).
: "${BENCH_BARE_MTU:=auto}"
export TUNFWD_PORT
: "${BENCH_OUT:=$top_srcdir/bench-results}"
PUB_ALT=203.0.113.11
# The endpoints' ipsec0 MTU, the same on every path: libipsec's default
# (1400: full-size ESP-in-UDP datagrams of 1464 bytes) unless CHARON_MTU
# says otherwise; "ipsec1336" lowers it to BENCH_MTU_LOW, where a full-size
# datagram is exactly 1400 bytes (AES-GCM: +36, UDP/IP: +28), the old
# proxyd TUN MTU (README, "MTU").
: "${CHARON_MTU:=}"
export CHARON_MTU
: "${BENCH_MTU_LOW:=1336}"
UDP_BIG_PLAIN=1372
UDP_BIG_IPSEC=1300
CLK_TCK=$(getconf CLK_TCK)

blog() { echo "# bench: $*" >&2; }
die() { blog "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"

# ---------------------------------------------------------------------------
# Dependencies (Debian packages only)

pkg_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
need=()
for p in tinc nebula iperf3 gnuplot-nox jq tcpdump iproute2 iptables conntrack iputils-ping \
    procps strongswan-charon strongswan-swanctl libstrongswan-standard-plugins \
    libstrongswan-extra-plugins libcharon-extra-plugins openssl; do
	pkg_installed "$p" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	blog "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt_i() {
		apt-get install -y -q --no-install-recommends \
		    -o Dpkg::Options::=--force-confdef \
		    -o Dpkg::Options::=--force-confold "${need[@]}" >&2
	}
	apt_i || { apt-get update -q >&2 && apt_i; } || die "apt-get install failed"
fi

# ---------------------------------------------------------------------------
# The daemon: the newest build (world.sh's choice), else build one.

# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"
# shellcheck source=tests/bench/bench_world.sh
. "$top_srcdir/tests/bench/bench_world.sh"

if [ ! -x "$PROXYD" ] || [ ! -x "$PROXYCTL" ]; then
	blog "no proxyd build found: building in build-bench/"
	bash "$top_srcdir/tools/install-deps.sh" >&2 || die "install-deps failed"
	( cd "$top_srcdir" && { [ -x configure ] || ./autogen.sh; } &&
	  mkdir -p build-bench && cd build-bench &&
	  { [ -f Makefile ] || ../configure; } && make -j"$(nproc)" ) >&2 ||
	    die "build failed"
	top_builddir=$top_srcdir/build-bench
	PROXYD=$top_builddir/proxyd/proxyd
	PROXYCTL=$top_builddir/tools/proxyctl
fi

world_require swanctl jq ping iperf3 tincd ss tcpdump nebula nebula-cert

# ---------------------------------------------------------------------------
# Clean-up and the time bound

PXT_PREFIX=pxbench$$-
WORLD_DIR=$(mktemp -d /tmp/pxbench.XXXXXX) || die "mktemp failed"
[ "${BENCH_KEEP:-0}" = 1 ] && export WORLD_KEEP=1
WATCHDOG=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	world_down
	[ "${BENCH_KEEP:-0}" = 1 ] && blog "world directory kept: $WORLD_DIR"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$BENCH_TIMEOUT" & sp=$!
	wait "$sp"
	echo "# bench: time limit of $BENCH_TIMEOUT s reached, stopping" >&2
	kill -TERM $$
) &
WATCHDOG=$!

# A private copy of the binaries: the tree is rebuilt concurrently.
mkdir -p "$WORLD_DIR/bin"
{ cp "$PROXYD" "$WORLD_DIR/bin/proxyd" &&
    cp "$PROXYCTL" "$WORLD_DIR/bin/proxyctl"; } || die "cannot copy the binaries"
# the bare relay (tools/tunfwd, built by make beside proxyd)
TUNFWD=$WORLD_DIR/bin/tunfwd
case " $BENCH_PATHS " in
*" bare "*|*" bare-aead "*|*" bare-direct "*)
	if [ ! -x "$top_builddir/tools/tunfwd" ]; then
		blog "no tools/tunfwd in $top_builddir: making it"
		make -C "$top_builddir" tools/tunfwd >&2 || die "cannot build tools/tunfwd"
	fi
	cp "$top_builddir/tools/tunfwd" "$TUNFWD" || die "cannot copy tools/tunfwd" ;;
esac
BUILD_DESC="$top_builddir ($(date -r "$PROXYD" '+%F %T'))"
PROXYD=$WORLD_DIR/bin/proxyd PROXYCTL=$WORLD_DIR/bin/proxyctl

STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$BENCH_OUT" || die "cannot create $BENCH_OUT"
CSV=$BENCH_OUT/bench-$STAMP.csv
MD=$BENCH_OUT/bench-$STAMP.md
PNG=$BENCH_OUT/bench-$STAMP.png
NOTES=$WORLD_DIR/notes.md
: >"$NOTES"
T_START=$(date +%s)
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------
# The world

blog "building the world (prefix $PXT_PREFIX, dir $WORLD_DIR)"
world_up --nat-a none --nat-b none --routes nat >/dev/null || die "world_up failed"
make_certs "$WORLD_DIR/pki" || die "make_certs failed"
tinc_setup || die "tinc_setup failed"
nebula_setup || die "nebula_setup failed"
pub_counters_add || die "cannot add the counters on pub"
PUB_IF=$(nsx pub ip -o -4 addr show | awk '/203\.0\.113\.10\//{ print $2 }')
for h in hosta hostb; do
	# no TCP metrics carried from one path's connections to the next
	nsx "$h" sysctl -qw net.ipv4.tcp_no_metrics_save=1
done

# proxyd / tinc process names per path (site A, pub, site B)
procs_of() {
	case $1 in
	relay|direct) echo "proxy-site-a proxy-pub proxy-site-b" ;;
	tinc|tinc-relay) echo "tinc-sitea tinc-pub tinc-siteb" ;;
	nebula|nebula-relay) echo "nebula-sitea nebula-pub nebula-siteb" ;;
	bare|bare-aead|bare-direct) echo "tunfwd-sitea tunfwd-pub tunfwd-siteb" ;;
	*) echo "" ;;
	esac
}

route_field() {	# PROXY PREFIX FIELD
	pjson "$1" routes | jq -r --arg p "$2" --arg f "$3" \
	    'map(select(.prefix == $p)) | .[0][$f] // empty'
}
channel_of() { route_field site-a "$WORLD_B_LAN" channel; }
nat_type() {	# PROXY: its NAT type toward pub
	pjson "$1" nat | jq -r 'map(select(.name == "pub")) | .[0].type // empty'
}
nat_settled() {	# PROXY...: every one's NAT type toward pub is measured
	local p t
	for p in "$@"; do
		t=$(nat_type "$p")
		case $t in ''|probing|unknown) return 1 ;; esac
	done
}
plain_ping() { nsx hosta ping -n -q -c 1 -W 1 "$WORLD_B_HOST" >/dev/null 2>&1; }
is_direct() { [ "$(channel_of)" = direct ]; }
# A channel is (re)requested by the next packet after the route's path NAT
# type changes (e.g. when the far side's NAT trials finish): ping, then look.
ping_relay() { plain_ping && [ "$(channel_of)" = relay ]; }
tinc_both_direct() { tinc_direct sitea siteb && tinc_direct siteb sitea; }
# nebula_via_pub: bytes of Nebula's UDP that PUB received during a burst of
# 50 pings of 1000 bytes, per ping byte (~0: direct; >= 1: relayed).
nebula_via_pub() {
	local b0 b1
	b0=$(pub_bytes | awk '{ print $4 }')
	nsx hosta ping -n -q -c 50 -i 0.01 -s 1000 -W 1 "$WORLD_B_HOST" >/dev/null 2>&1
	b1=$(pub_bytes | awk '{ print $4 }')
	awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.2f\n", (b - a) / (50 * 1028) }'
}
nebula_direct() { awk -v v="$(nebula_via_pub)" 'BEGIN { exit !(v < 0.1) }'; }
# tunfwd_via_pub: the same for the bare relay's UDP port on pub.
tunfwd_via_pub() {
	local b0 b1
	b0=$(pub_bytes | awk '{ print $5 }')
	nsx hosta ping -n -q -c 50 -i 0.01 -s 1000 -W 1 "$WORLD_B_HOST" >/dev/null 2>&1
	b1=$(pub_bytes | awk '{ print $5 }')
	awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.2f\n", (b - a) / (50 * 1028) }'
}

# tunfwd_start [--aead | --direct]: the bare relay on PUB, then a site on
# PXA and PXB (TUN tfw0, MTU BENCH_BARE_MTU) dialling pub's public address
# (--direct: the other site's NAT address, both bound to TUNFWD_PORT; the
# relay then idles), each routing the other site's LAN and inner prefix
# into its TUN.
tunfwd_start() {
	local s id peer_lan peer_inner peer mtu=$BENCH_BARE_MTU
	local -a rargs=() sargs=()
	case ${1:-} in
	--aead) rargs=(--aead) sargs=(--aead) ;;
	--direct) sargs=(--direct "$TUNFWD_PORT") ;;
	esac
	if [ "$mtu" = auto ]; then
		# 1500 - IP/UDP 28 - tunfwd's header 4 (+ counter 8 + tag 16)
		mtu=1468
		[ "${1:-}" = --aead ] && mtu=1444
	fi
	ns_bg tunfwd-pub pub "$TUNFWD" relay "$WORLD_PUB_ADDR" "$TUNFWD_PORT" "${rargs[@]}" || return 1
	for s in a b; do
		if [ $s = a ]; then id=0 peer_lan=$WORLD_B_LAN peer_inner=$WORLD_B_INNER_NET peer=$WORLD_B_WAN
		else id=1 peer_lan=$WORLD_A_LAN peer_inner=$WORLD_A_INNER_NET peer=$WORLD_A_WAN; fi
		[ "${1:-}" = --direct ] || peer=$WORLD_PUB_ADDR
		ns_bg "tunfwd-site$s" "px$s" "$TUNFWD" site "$id" tfw0 \
		    "$peer" "$TUNFWD_PORT" --mtu "$mtu" "${sargs[@]}" || return 1
		wait_for 5 nsx "px$s" ip link show tfw0 up >/dev/null 2>&1 || return 1
		nsx "px$s" ip route replace "$peer_lan" dev tfw0 &&
		    nsx "px$s" ip route replace "$peer_inner" dev tfw0 || return 1
	done
	sleep 0.3
	for s in tunfwd-pub tunfwd-sitea tunfwd-siteb; do
		pid_of "$s" >/dev/null && kill -0 "$(pid_of "$s")" 2>/dev/null || {
			blog "tunfwd: $s exited at once: $(head -c 300 "$WORLD_DIR/$s.out")"
			return 1; }
	done
}

# tunfwd_stop: stops the three (SIGTERM: each prints its counters) and
# notes the relay's counters.
tunfwd_stop() {
	local n
	for n in tunfwd-siteb tunfwd-sitea tunfwd-pub; do _pid_stop "$n"; done
	[ -s "$WORLD_DIR/tunfwd-pub.out" ] &&
	    echo "- $(tail -n 1 "$WORLD_DIR/tunfwd-pub.out")" >>"$NOTES"
	return 0
}

flush_caches() {
	local h
	for h in hosta hostb pxa pxb; do
		nsx "$h" ip route flush cache 2>/dev/null
		nsx "$h" ip tcp_metrics flush all 2>/dev/null
	done
	return 0
}

proxies_start() {	# [alt]
	local n extra
	for n in pub site-a site-b; do
		extra=${BENCH_PROXY_EXTRA:-}
		[ "$n" = pub ] && [ "${1:-}" = alt ] && extra="$extra alt_address=$PUB_ALT"
		rm -f "$(proxy_sock "$n")"
		# shellcheck disable=SC2086
		proxy_start "$(proxy_ns "$n")" "$n" \
		    "$(proxy_conf_std "$n" forward=all log=info $extra)" || return 1
	done
	wait_for 30 has_route site-a "$WORLD_B_LAN" &&
	    wait_for 30 has_route site-b "$WORLD_A_LAN"
}

# path_up PATH: builds one path; sets PATH_NOTE (what was checked).
PATH_NOTE=
path_up() {
	PATH_NOTE=
	case $1 in
	kernel)
		nat_mode a none && nat_mode b none &&
		host_routes hosta nat && host_routes hostb nat || return 1
		flush_caches
		wait_for 10 plain_ping || { PATH_NOTE="no ping"; return 1; }
		PATH_NOTE="routed, no NAT"
		;;
	relay)
		nat_mode a masquerade && nat_mode b random &&
		host_routes hosta proxy && host_routes hostb proxy || return 1
		flush_caches
		proxies_start || { PATH_NOTE="proxies did not come up"; return 1; }
		wait_for 20 nat_settled site-a site-b
		wait_for 10 plain_ping || { PATH_NOTE="no ping"; return 1; }
		sleep 1
		wait_for 10 ping_relay
		PATH_NOTE="site-a $(nat_type site-a), site-b $(nat_type site-b); channel $(channel_of): $(route_field site-a "$WORLD_B_LAN" reason)"
		[ "$(channel_of)" = relay ] || { PATH_NOTE="channel is not relay: $PATH_NOTE"; return 1; }
		;;
	direct)
		nat_mode a masquerade && nat_mode b masquerade &&
		host_routes hosta proxy && host_routes hostb proxy || return 1
		flush_caches
		nsx pub ip addr replace "$PUB_ALT/24" dev "$PUB_IF" || return 1
		proxies_start alt || { PATH_NOTE="proxies did not come up"; return 1; }
		wait_for 20 nat_settled site-a site-b
		wait_for 10 plain_ping || { PATH_NOTE="no ping"; return 1; }
		nsx hosta ping -n -q -c 5 -i 0.2 "$WORLD_B_HOST" >/dev/null 2>&1
		wait_for 15 is_direct
		PATH_NOTE="site-a $(nat_type site-a), site-b $(nat_type site-b); channel $(channel_of): $(route_field site-a "$WORLD_B_LAN" reason)"
		is_direct || { PATH_NOTE="channel is not direct: $PATH_NOTE"; return 1; }
		;;
	tinc|tinc-relay)
		nat_mode a masquerade || return 1
		if [ "$1" = tinc ]; then nat_mode b masquerade; else nat_mode b random; fi || return 1
		host_routes hosta proxy && host_routes hostb proxy || return 1
		flush_caches
		if ! { tinc_start pub && tinc_start sitea && tinc_start siteb; }; then
			PATH_NOTE="tincd did not start"
			return 1
		fi
		wait_for 20 plain_ping || { PATH_NOTE="no ping"; return 1; }
		nsx hosta ping -n -q -c 5 -i 0.2 "$WORLD_B_HOST" >/dev/null 2>&1
		if [ "$1" = tinc ]; then
			wait_for 30 tinc_both_direct
		else
			sleep 3	# let its UDP probes toward siteb fail
		fi
		PATH_NOTE="sitea's node list: $(tinc_node_line sitea siteb | sed 's/^.*]: *//')"
		;;
	nebula|nebula-relay)
		nat_mode a masquerade || return 1
		if [ "$1" = nebula ]; then nat_mode b masquerade; else nat_mode b random; fi || return 1
		host_routes hosta proxy && host_routes hostb proxy || return 1
		flush_caches
		local how=
		[ "$1" = nebula ] && how=direct
		if ! { nebula_start pub $how && nebula_start sitea $how &&
		    nebula_start siteb $how; }; then
			PATH_NOTE="nebula did not start"
			return 1
		fi
		wait_for 30 plain_ping || { PATH_NOTE="no ping"; return 1; }
		if [ "$1" = nebula ]; then
			wait_for 30 nebula_direct
		else
			sleep 3	# let its punches toward siteb fail
		fi
		local v
		v=$(nebula_via_pub)
		PATH_NOTE="Nebula's bytes through pub per ping byte: $v; sitea's log: $(grep -ciE 'relay' "$WORLD_DIR/nebula/sitea/nebula.log") lines on relays"
		if [ "$1" = nebula-relay ] && ! awk -v v="$v" 'BEGIN { exit !(v >= 1) }'; then
			PATH_NOTE="Nebula does not relay via pub: $PATH_NOTE"
			return 1
		fi
		if [ "$1" = nebula ] && ! awk -v v="$v" 'BEGIN { exit !(v < 0.1) }'; then
			PATH_NOTE="Nebula is not direct: $PATH_NOTE"
			return 1
		fi
		;;
	bare|bare-aead|bare-direct)
		# the relay (B symmetric, the datagrams cross pub) or site to
		# site (both MASQUERADE, nothing crosses pub)
		local how= natb=random
		case $1 in
		bare-aead) how=--aead ;;
		bare-direct) how=--direct natb=masquerade ;;
		esac
		nat_mode a masquerade && nat_mode b "$natb" &&
		host_routes hosta proxy && host_routes hostb proxy || return 1
		flush_caches
		# shellcheck disable=SC2086 # empty or one word
		tunfwd_start $how || { PATH_NOTE="tunfwd did not start"; return 1; }
		wait_for 10 plain_ping || { PATH_NOTE="no ping"; return 1; }
		local v
		v=$(tunfwd_via_pub)
		PATH_NOTE="tunfwd${how:+ $how}: bytes through pub per ping byte: $v"
		if [ "$1" = bare-direct ]; then
			awk -v v="$v" 'BEGIN { exit !(v < 0.1) }' ||
			    { PATH_NOTE="not direct: $PATH_NOTE"; return 1; }
		else
			awk -v v="$v" 'BEGIN { exit !(v >= 1) }' ||
			    { PATH_NOTE="not relayed via pub: $PATH_NOTE"; return 1; }
		fi
		;;
	*) PATH_NOTE="unknown path"; return 1 ;;
	esac
	return 0
}

path_down() {
	charon_stop hosta; charon_stop hostb
	case $1 in
	relay|direct)
		local n
		for n in site-b site-a pub; do
			proxy_stop "$n"
		done
		nsx pub ip addr del "$PUB_ALT/24" dev "$PUB_IF" 2>/dev/null
		;;
	tinc|tinc-relay) tinc_stop ;;
	nebula|nebula-relay) nebula_stop ;;
	bare|bare-aead|bare-direct) tunfwd_stop ;;
	esac
	_pid_stop iperf3-server
	return 0
}

# ipsec_up: charons, connections, the timed initiation.  Sets IKE_MS (on
# the wire at hostA: first IKE_SA_INIT request out to the IKE_AUTH response
# in, from tcpdump timestamps) and IKE_WALL_MS (the whole swanctl --initiate
# call, which includes its own start and VICI round trips, ~20 ms).
IKE_MS=NA IKE_WALL_MS=NA IKE_RETX=NA
ipsec_up() {
	local t0 t1 cap=$WORLD_DIR/ike.txt
	IKE_MS=NA IKE_WALL_MS=NA IKE_RETX=NA
	charon_start hosta && charon_start hostb &&
	    swanctl_load hosta && swanctl_load hostb || return 1
	ip netns exec "$(ns hosta)" tcpdump -i eth0 -n -tt -l -U \
	    'udp and (port 500 or port 4500)' >"$cap" 2>"$cap.err" </dev/null &
	_pid_record tcpdump-ike $! "$(ns hosta)"
	wait_for 3 grep -q listening "$cap.err"
	t0=$(now_ms)
	swanctl_initiate hosta tunnel 20
	local rc=$?
	t1=$(now_ms)
	sleep 0.2
	_pid_stop tcpdump-ike
	[ $rc = 0 ] || return 1
	wait_for 5 child_sa_installed hostb tunnel || return 1
	IKE_WALL_MS=$((t1 - t0))
	IKE_MS=$(awk -v b="$WORLD_B_HOST" '
	    NR == 1 { t0 = $1 }
	    { split($3, a, "."); if (a[1] "." a[2] "." a[3] "." a[4] == b) t1 = $1 }
	    END { if (t0 != "" && t1 != "") printf "%.1f\n", (t1 - t0) * 1000; else print "NA" }' "$cap")
	# charon logs every retransmission ("sending retransmit N of request")
	IKE_RETX=$(cat "$(_charon_dir hosta)/run/charon.log" \
	    "$(_charon_dir hostb)/run/charon.log" 2>/dev/null | grep -c 'retransmit')
	nsx hosta ping -n -q -c 3 -i 0.2 -W 1 -I "$WORLD_A_INNER" "$WORLD_B_INNER" \
	    >/dev/null 2>&1
	return 0
}

CSV_HEADER="run,path,variant,load1,mode,tcp_mbps,tcp_retrans,udp_rcvbuf_err,udp64_kpps,udp64_loss_pct,udpbig_kpps,udpbig_loss_pct,rtt_med_ms,rtt_p99_ms,ping_loss_pct,ike_ms,ike_wall_ms,cpu_a_s_gb,cpu_pub_s_gb,cpu_b_s_gb,cpu_total_s_gb,rss_a_kb,rss_pub_kb,rss_b_kb,rss_total_kb,pub_per_byte,pub_transport,ike_retransmits,rtt_busy_med_ms"

# csv_fail RUN PATH VARIANT WHY: a row of NA.
csv_fail() {
	local why=${4//,/;}
	echo "$1,$2,$3,$(cut -d' ' -f1 /proc/loadavg),FAILED: ${why:0:120}$(printf ',NA%.0s' $(seq 24))" >>"$CSV"
}

# proxies_state RUN PATH VARIANT: every proxy's status and neighbours after
# the variant's tests (split/join and drop counters, each link's path MTU).
proxies_state() {
	case $2 in relay|direct) ;; *) return 0 ;; esac
	local n
	for n in site-a pub site-b; do
		pjson "$n" status >"$WORLD_DIR/r$1-$2-$3-status-$n.json" 2>/dev/null
		pjson "$n" neighbours >"$WORLD_DIR/r$1-$2-$3-neighbours-$n.json" 2>/dev/null
	done
	return 0
}

# measure RUN PATH VARIANT: one row of figures.
measure() {
	local run=$1 path=$2 var=$3 src dst big tag procs p pid
	local rtt_med rtt_p99 rtt_busy ploss bps bytes pps64 loss64 ppsbig lossbig
	local -A pids=() c0=() c1=() rss=()
	local pb0 pb1 mode cpu_a cpu_pub cpu_b cpu_tot rss_a rss_pub rss_b rss_tot
	local via transport ike ikew ikeretx retr load1 rb0 rb1
	if [ "$var" = plain ]; then
		src=$WORLD_A_HOST dst=$WORLD_B_HOST big=$UDP_BIG_PLAIN ike=NA ikew=NA ikeretx=NA
	else
		src=$WORLD_A_INNER dst=$WORLD_B_INNER big=$UDP_BIG_IPSEC
		ike=$IKE_MS ikew=$IKE_WALL_MS ikeretx=$IKE_RETX
	fi
	tag=$WORLD_DIR/r$run-$path-$var
	procs=$(procs_of "$path")
	for p in $procs; do pids[$p]=$(pid_of "$p" || echo); done

	nsx hosta ping -n -q -c 10 -i 0.02 -W 1 -I "$src" "$dst" >/dev/null 2>&1
	read -r rtt_med rtt_p99 ploss < <(ping_stats "$BENCH_PINGS" 0.01 "$src" "$dst")
	read -r rtt_busy _ _ < <(ping_stats "$BENCH_BUSY_PINGS" 0.001 "$src" "$dst")
	sleep 0.5

	for p in $procs; do c0[$p]=$(proc_cpu_ticks "${pids[$p]:-0}"); done
	pb0=$(pub_bytes)
	load1=$(cut -d' ' -f1 /proc/loadavg)
	rb0=$(udp_rcvbuf_errors pxa pub pxb)
	iperf_run "$tag-tcp.json" "$BENCH_TCP_SECS" "$src" "$dst" ||
	    blog "run $run $path $var: iperf3 TCP failed ($(head -c 200 "$tag-tcp.json.err"))"
	pb1=$(pub_bytes)
	rb1=$(udp_rcvbuf_errors pxa pub pxb)
	for p in $procs; do c1[$p]=$(proc_cpu_ticks "${pids[$p]:-0}"); done
	bps=$(tcp_bps "$tag-tcp.json") bytes=$(tcp_bytes "$tag-tcp.json")
	retr=$(jq -r '.end.sum_sent.retransmits // empty' "$tag-tcp.json" 2>/dev/null)
	sleep 1

	iperf_run "$tag-udp64.json" "$BENCH_UDP_SECS" "$src" "$dst" -u -b 0 -l 64 ||
	    blog "run $run $path $var: iperf3 UDP 64 failed"
	read -r pps64 loss64 < <(udp_rx "$tag-udp64.json"; echo)
	sleep 1
	iperf_run "$tag-udpbig.json" "$BENCH_UDP_SECS" "$src" "$dst" -u -b 0 -l "$big" ||
	    blog "run $run $path $var: iperf3 UDP $big failed"
	read -r ppsbig lossbig < <(udp_rx "$tag-udpbig.json"; echo)
	sleep 1

	for p in $procs; do rss[$p]=$(proc_rss_kb "${pids[$p]:-0}"); done

	# how the TCP bytes travelled: through pub or not
	read -r via transport < <(awk -v a="$pb0" -v b="$pb1" -v n="${bytes:-0}" 'BEGIN {
	    split(a, x, " "); split(b, y, " ")
	    tt = y[1] - x[1]; tu = y[2] - x[2]; pu = y[3] - x[3]; nu = y[4] - x[4]
	    fu = y[5] - x[5]
	    s = tt + tu + pu + nu + fu
	    if (n <= 0) { print "NA none"; exit }
	    t = ""
	    if (tt > 0.01 * n) t = t sprintf("tinc-tcp=%.2f;", tt / n)
	    if (tu > 0.01 * n) t = t sprintf("tinc-udp=%.2f;", tu / n)
	    if (pu > 0.01 * n) t = t sprintf("proxyd-udp=%.2f;", pu / n)
	    if (nu > 0.01 * n) t = t sprintf("nebula-udp=%.2f;", nu / n)
	    if (fu > 0.01 * n) t = t sprintf("tunfwd-udp=%.2f;", fu / n)
	    sub(/;$/, "", t)
	    printf "%.3f %s\n", s / n, t == "" ? "none" : t }')
	case $path in
	kernel) mode=routed ;;
	relay|direct)
		local pfx=$WORLD_B_LAN
		[ "$var" = plain ] || pfx=$WORLD_B_INNER_NET
		mode="channel $(route_field site-a "$pfx" channel) (next hop $(route_field site-a "$pfx" next_hop))"
		pjson site-a routes >"$tag-routes-site-a.json" 2>/dev/null
		pjson pub flows >"$tag-flows-pub.json" 2>/dev/null ;;
	tinc|tinc-relay|nebula|nebula-relay|bare|bare-aead|bare-direct)
		if awk -v v="$via" 'BEGIN { exit !(v != "NA" && v < 0.05) }'; then
			mode="direct UDP"
		else
			mode="relayed via pub ($(sed 's/tinc-//g; s/nebula-//g; s/tunfwd-//g; s/=/ /g; s/;/, /g' <<<"$transport"))"
		fi ;;
	esac

	# CPU seconds per GB for each proxy process (A, pub, B) and in total
	read -r cpu_a cpu_pub cpu_b cpu_tot < <(
	    for p in $procs; do
		    echo "${c0[$p]:-NA} ${c1[$p]:-NA}"
	    done | awk -v n="${bytes:-0}" -v hz="$CLK_TCK" -v np="$(wc -w <<<"$procs")" '
	    { if ($1 != "" && $2 != "" && $1 != "NA" && $2 != "NA" && n > 0) {
		  v[NR] = sprintf("%.2f", ($2 - $1) / hz / (n / 1e9)); t += v[NR] }
	      else { v[NR] = "NA"; bad = 1 } }
	    END { if (np == 0) { print "NA NA NA NA"; exit }
		  printf "%s %s %s %s\n", v[1], v[2], v[3], bad ? "NA" : sprintf("%.2f", t) }')
	rss_a=NA rss_pub=NA rss_b=NA rss_tot=NA
	if [ -n "$procs" ]; then
		# shellcheck disable=SC2086 # three names
		set -- $procs
		rss_a=${rss[$1]:-NA} rss_pub=${rss[$2]:-NA} rss_b=${rss[$3]:-NA}
		rss_a=${rss_a:-NA} rss_pub=${rss_pub:-NA} rss_b=${rss_b:-NA}
		case "$rss_a $rss_pub $rss_b" in
		*NA*) ;;
		*) rss_tot=$((rss_a + rss_pub + rss_b)) ;;
		esac
	fi

	awk -v OFS=, -v run="$run" -v path="$path" -v var="$var" -v mode="$mode" \
	    -v load1="$load1" -v rbe="$((rb1 - rb0))" \
	    -v bps="${bps:-}" -v retr="${retr:-NA}" -v p64="${pps64:-}" -v l64="${loss64:-}" \
	    -v pb="${ppsbig:-}" -v lb="${lossbig:-}" -v rm="${rtt_med:--}" \
	    -v r99="${rtt_p99:--}" -v pl="${ploss:-NA}" -v ike="$ike" -v ikew="$ikew" \
	    -v ca="$cpu_a" -v cp="$cpu_pub" -v cb="$cpu_b" -v ct="$cpu_tot" \
	    -v ra="$rss_a" -v rp="$rss_pub" -v rb="$rss_b" -v rt="$rss_tot" \
	    -v via="$via" -v tr="$transport" -v ikeretx="$ikeretx" -v rb1k="${rtt_busy:--}" '
	    function num(x, f) { return (x == "" || x == "-" || x == "NA") ? "NA" : sprintf(f, x) }
	    BEGIN { gsub(/,/, ";", mode); gsub(/,/, ";", tr)
		print run, path, var, load1, mode, num(bps == "" ? "" : bps / 1e6, "%.1f"), retr, rbe,
		num(p64 == "" ? "" : p64 / 1000, "%.2f"), num(l64, "%.1f"),
		num(pb == "" ? "" : pb / 1000, "%.2f"), num(lb, "%.1f"),
		num(rm, "%.3f"), num(r99, "%.3f"), num(pl, "%.1f"), ike, ikew,
		ca, cp, cb, ct, ra, rp, rb, rt, via, tr, ikeretx, num(rb1k, "%.3f") }' >>"$CSV"
	blog "run $run $path $var: $(tail -n 1 "$CSV")"
}

# ---------------------------------------------------------------------------
# The runs

echo "$CSV_HEADER" >"$CSV"
blog "runs $BENCH_RUNS, paths: $BENCH_PATHS; TCP ${BENCH_TCP_SECS}s, UDP ${BENCH_UDP_SECS}s, $BENCH_PINGS pings; daemon $BUILD_DESC"
for run in $(seq 1 "$BENCH_RUNS"); do
	for path in $BENCH_PATHS; do
		blog "run $run: path $path up"
		if ! path_up "$path"; then
			blog "run $run: path $path failed: $PATH_NOTE"
			csv_fail "$run" "$path" plain "$PATH_NOTE"
			case $path in
			bare-aead) ;;
			*) csv_fail "$run" "$path" ipsec "$PATH_NOTE" ;;
			esac
			[ "$run" = 1 ] && world_dump_logs >"$WORLD_DIR/fail-$path.log" 2>&1
			path_down "$path"
			continue
		fi
		echo "- run $run, $path: $PATH_NOTE" >>"$NOTES"
		if variant_on plain; then
			measure "$run" "$path" plain
			proxies_state "$run" "$path" plain
		fi
		case $path in
		bare-aead)
			# plain only: its TUN (1444) is smaller than the
			# endpoints' full-size ESP in UDP (1464)
			path_down "$path"
			continue ;;
		esac
		if ! variant_on ipsec && ! variant_on ipsec1336; then
			:
		elif ipsec_up; then
			if [ -n "${BENCH_HOLD:-}" ]; then
				blog "holding: prefix $PXT_PREFIX; rm $BENCH_HOLD to go on"
				touch "$BENCH_HOLD"
				while [ -e "$BENCH_HOLD" ]; do sleep 1; done
			fi
			if variant_on ipsec; then
				measure "$run" "$path" ipsec
				proxies_state "$run" "$path" ipsec
			fi
			case $path in
			kernel|relay|direct)
				# the old advice: the endpoints' ipsec0 lowered
				if variant_on ipsec1336; then
					nsx hosta ip link set ipsec0 mtu "$BENCH_MTU_LOW" &&
					    nsx hostb ip link set ipsec0 mtu "$BENCH_MTU_LOW" &&
					    flush_caches &&
					    measure "$run" "$path" ipsec1336 ||
					    csv_fail "$run" "$path" ipsec1336 "cannot set ipsec0 mtu"
					proxies_state "$run" "$path" ipsec1336
				fi
				;;
			esac
		else
			blog "run $run: IPsec over $path failed"
			csv_fail "$run" "$path" ipsec "IPsec tunnel did not come up"
		fi
		if [ "$path" = tinc-relay ] || [ "$path" = tinc ]; then
			echo "- run $run, $path after the tests: $(tinc_node_line sitea siteb | sed 's/^.*]: *//')" >>"$NOTES"
		fi
		path_down "$path"
	done
done
T_END=$(date +%s)

# ---------------------------------------------------------------------------
# The report

# report CSV DATFILE: the markdown tables (stdout) and the chart data.
report() {
	awk -F, -v dat="$2" -v paths="$BENCH_PATHS" '
	function isnum(x) { return x != "" && x != "NA" && x != "-" && x ~ /^-?[0-9.]+$/ }
	function median(arr, n,   i, j, x, m) {
		for (i = 2; i <= n; i++) { x = arr[i]; j = i - 1
			while (j > 0 && arr[j] > x) { arr[j + 1] = arr[j]; j-- }
			arr[j + 1] = x }
		if (n == 0) return "NA"
		return (n % 2) ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
	}
	# median over runs of column c for (p, v)
	function med(p, v, c,   r, n, a) {
		n = 0; split("", a)
		for (r = 1; r <= nrun; r++)
			if (((p, v, r) in row) && isnum(val[p, v, r, c])) a[++n] = val[p, v, r, c] + 0
		return median(a, n)
	}
	# median over runs of the per-run ratio p / ref (same variant, same run)
	function rat(p, v, c, ref,   r, n, a) {
		n = 0; split("", a)
		for (r = 1; r <= nrun; r++)
			if (((p, v, r) in row) && ((ref, v, r) in row) && isnum(val[p, v, r, c]) &&
			    isnum(val[ref, v, r, c]) && val[ref, v, r, c] + 0 != 0)
				a[++n] = val[p, v, r, c] / val[ref, v, r, c]
		return median(a, n)
	}
	function f(x, fmt) { return x == "NA" ? "–" : sprintf(fmt, x) }
	# median over runs of (p - ref) / div, same variant, same run
	function dper(p, v, c, ref, div,   r, n, a) {
		n = 0; split("", a)
		for (r = 1; r <= nrun; r++)
			if (((p, v, r) in row) && ((ref, v, r) in row) && isnum(val[p, v, r, c]) &&
			    isnum(val[ref, v, r, c]))
				a[++n] = (val[p, v, r, c] - val[ref, v, r, c]) / div
		return median(a, n)
	}
	# largest value over runs
	function maxv(p, v, c,   r, m) {
		m = "NA"
		for (r = 1; r <= nrun; r++)
			if (((p, v, r) in row) && isnum(val[p, v, r, c]) &&
			    (m == "NA" || val[p, v, r, c] + 0 > m)) m = val[p, v, r, c] + 0
		return m
	}
	function target(what, x, op, goal, unit,   shown, met) {
		shown = x == "NA" ? "–" : unit == "x" ? fr(x) : unit == "ms" ? sprintf("%.3f", x) : unit == "s/GB" ? sprintf("%.1f s/GB", x) : sprintf("%d", x)
		if (op == "") { printf "| %s | %s | | |\n", what, shown; return }
		met = x == "NA" ? "not measured" : (op == ">=" ? x >= goal : x <= goal) ? "yes" : "**no**"
		printf "| %s | %s | %s %s%s | %s |\n", what, shown, op == ">=" ? "≥" : "≤",
		    unit == "x" ? "×" : "", goal, met
	}
	function has(p, v,   r) {
		for (r = 1; r <= nrun; r++) if ((p, v, r) in row) return 1
		return 0
	}
	function fr(x) { if (x == "NA") return "–"
		return x >= 100 ? sprintf("×%.0f", x) : x >= 10 ? sprintf("×%.1f", x) : sprintf("×%.2f", x) }
	function mib(x) { return x == "NA" ? "–" : sprintf("%.1f", x / 1024) }
	function modes(p, v,   r, s, seen) {
		s = ""; split("", seen)
		for (r = 1; r <= nrun; r++) if (((p, v, r) in row) && !(val[p, v, r, col["mode"]] in seen)) {
			seen[val[p, v, r, col["mode"]]] = 1
			s = s (s == "" ? "" : "; ") val[p, v, r, col["mode"]] }
		return s
	}
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{ row[$2, $3, $1] = 1; for (i = 1; i <= NF; i++) val[$2, $3, $1, i] = $i
	  if ($1 + 0 > nrun) nrun = $1 + 0
	  l = $col["load1"] + 0; if (lmin == "" || l < lmin) lmin = l; if (l > lmax) lmax = l }
	END {
		np = split(paths, P, " ")
		label["kernel"] = "(a) kernel routing, no NAT"
		label["relay"] = "(b) proxyd relayed via pub"
		label["direct"] = "(c) proxyd direct"
		label["tinc"] = "(d) tinc 1.0"
		label["tinc-relay"] = "(e) tinc 1.0, B symmetric"
		label["nebula"] = "(f) Nebula 1.6"
		label["nebula-relay"] = "(g) Nebula 1.6 relayed, B symmetric"
		label["bare"] = "(h) bare relay (tunfwd) via pub, B symmetric"
		label["bare-aead"] = "(h) bare relay + AES-GCM"
		label["bare-direct"] = "(i) bare direct (tunfwd site to site)"
		short["kernel"] = "kernel"; short["relay"] = "proxyd relay"
		short["direct"] = "proxyd direct"; short["tinc"] = "tinc"
		short["tinc-relay"] = "tinc relay"; short["nebula"] = "nebula"
		short["nebula-relay"] = "nebula relay"
		short["bare"] = "bare relay"; short["bare-aead"] = "bare relay+GCM"
		short["bare-direct"] = "bare direct"
		vlabel["plain"] = "no"; vlabel["ipsec"] = "yes"
		vlabel["ipsec1336"] = "yes, MTU 1336"
		nv = split("plain ipsec ipsec1336", V, " ")
		c_tcp = col["tcp_mbps"]; c_retr = col["tcp_retrans"]; c_rbe = col["udp_rcvbuf_err"]; c_u64 = col["udp64_kpps"]; c_ub = col["udpbig_kpps"]
		c_rm = col["rtt_med_ms"]; c_r99 = col["rtt_p99_ms"]; c_rbz = col["rtt_busy_med_ms"]; c_ike = col["ike_ms"]; c_retx = col["ike_retransmits"]
		c_ca = col["cpu_a_s_gb"]; c_cp = col["cpu_pub_s_gb"]; c_cb = col["cpu_b_s_gb"]
		c_ct = col["cpu_total_s_gb"]; c_ra = col["rss_a_kb"]; c_rp = col["rss_pub_kb"]
		c_rb = col["rss_b_kb"]; c_rt = col["rss_total_kb"]; c_via = col["pub_per_byte"]

		print "### Medians over " nrun " run(s)"
		print ""
		printf "Load average (1 min) when the tests started: %.1f to %.1f (2 cores).\n\n", lmin, lmax
		print "| path | IPsec | how it went | TCP Mbit/s | TCP retransmits (socket drops) | UDP 64 B kpps | UDP MTU kpps | RTT median ms | RTT p99 ms | RTT busy ms | IKE ms | CPU s/GB A / pub / B (total) | RSS MiB A / pub / B | via pub |"
		print "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
		for (i = 1; i <= np; i++) for (j = 1; j <= nv; j++) {
			p = P[i]; v = V[j]
			if (!has(p, v)) continue
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s (%s) | %s / %s / %s | %s |\n",
			    label[p], vlabel[v], modes(p, v),
			    f(med(p, v, c_tcp), "%.0f"), f(med(p, v, c_retr), "%.0f") " (" f(med(p, v, c_rbe), "%.0f") ")", f(med(p, v, c_u64), "%.1f"), f(med(p, v, c_ub), "%.1f"),
			    f(med(p, v, c_rm), "%.3f"), f(med(p, v, c_r99), "%.3f"), f(med(p, v, c_rbz), "%.3f"), f(med(p, v, c_ike), "%.1f"),
			    f(med(p, v, c_ca), "%.1f"), f(med(p, v, c_cp), "%.1f"), f(med(p, v, c_cb), "%.1f"),
			    f(med(p, v, c_ct), "%.1f"),
			    mib(med(p, v, c_ra)), mib(med(p, v, c_rp)), mib(med(p, v, c_rb)),
			    f(med(p, v, c_via), "%.2f")
		}
		for (k = 1; k <= 3; k++) {
			ref = k == 1 ? "kernel" : k == 2 ? "tinc" : "nebula"
			if (!has(ref, "plain") && !has(ref, "ipsec")) continue
			print ""
			print "### Ratios to " label[ref] " (per-run ratio, same variant, median over runs)"
			print ""
			print "| path | IPsec | TCP | UDP 64 B | UDP MTU | RTT median | RTT p99 | IKE | CPU s/GB total | RSS total |"
			print "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
			for (i = 1; i <= np; i++) for (j = 1; j <= nv; j++) {
				p = P[i]; v = V[j]
				if (!has(p, v) || !has(ref, v)) continue
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				    label[p], vlabel[v],
				    fr(rat(p, v, c_tcp, ref)), fr(rat(p, v, c_u64, ref)), fr(rat(p, v, c_ub, ref)),
				    fr(rat(p, v, c_rm, ref)), fr(rat(p, v, c_r99, ref)), fr(rat(p, v, c_ike, ref)),
				    fr(rat(p, v, c_ct, ref)), fr(rat(p, v, c_rt, ref))
			}
		}
		# the targets of issue 16, from the same per-run figures
		print ""
		print "### Targets (per-run figures, median over runs)"
		print ""
		print "| target | measured | goal | met |"
		print "|---|--:|--:|---|"
		target("IPsec TCP, endpoints at default MTU: proxyd relayed / kernel routed", rat("relay", "ipsec", c_tcp, "kernel"), ">=", 0.95, "x")
		target("IPsec TCP, endpoints at default MTU: proxyd direct / kernel routed", rat("direct", "ipsec", c_tcp, "kernel"), ">=", 0.95, "x")
		target("(MTU 1336) IPsec TCP: proxyd relayed / kernel routed", rat("relay", "ipsec1336", c_tcp, "kernel"), "", "", "x")
		target("(MTU 1336) IPsec TCP: proxyd direct / kernel routed", rat("direct", "ipsec1336", c_tcp, "kernel"), "", "", "x")
		target("plain TCP: proxyd relayed / Nebula relayed", rat("relay", "plain", c_tcp, "nebula-relay"), ">=", 4, "x")
		target("IPsec TCP: proxyd relayed / Nebula relayed", rat("relay", "ipsec", c_tcp, "nebula-relay"), "", "", "x")
		target("relay CPU s/GB: proxyd pub / Nebula pub (plain TCP)", rat("relay", "plain", c_cp, "nebula-relay"), "<=", 0.12, "x")
		target("UDP MTU-sized pps: proxyd relayed / kernel routed", rat("relay", "plain", c_ub, "kernel"), ">=", 0.6, "x")
		target("UDP 64 B pps: proxyd relayed / kernel routed", rat("relay", "plain", c_u64, "kernel"), ">=", 0.9, "x")
		target("added RTT per proxy hop at 1000 pings/s, relayed: (relay - kernel) / 3, ms", dper("relay", "plain", c_rbz, "kernel", 3), "<=", 0.05, "ms")
		target("added RTT per proxy hop at 1000 pings/s, direct: (direct - kernel) / 2, ms", dper("direct", "plain", c_rbz, "kernel", 2), "<=", 0.05, "ms")
		target("(Nebula) added RTT per hop at 1000 pings/s, relayed: (nebula relay - kernel) / 3, ms", dper("nebula-relay", "plain", c_rbz, "kernel", 3), "", "", "ms")
		target("(tinc) plain TCP: proxyd relayed / tinc relayed", rat("relay", "plain", c_tcp, "tinc-relay"), "", "", "x")
		# the ceiling: each relayed target with the bare relay in place of proxyd
		if (has("bare", "plain")) {
			target("(ceiling) plain TCP: bare relay / Nebula relayed", rat("bare", "plain", c_tcp, "nebula-relay"), "", "", "x")
			target("(ceiling) relay CPU s/GB: bare relay pub / Nebula pub (plain TCP)", rat("bare", "plain", c_cp, "nebula-relay"), "", "", "x")
			target("(ceiling) UDP MTU-sized pps: bare relay / kernel routed", rat("bare", "plain", c_ub, "kernel"), "", "", "x")
			target("(ceiling) UDP 64 B pps: bare relay / kernel routed", rat("bare", "plain", c_u64, "kernel"), "", "", "x")
			target("(ceiling) added RTT per hop at 1000 pings/s: (bare relay - kernel) / 3, ms", dper("bare", "plain", c_rbz, "kernel", 3), "", "", "ms")
			target("proxyd relayed / bare relay: plain TCP", rat("relay", "plain", c_tcp, "bare"), "", "", "x")
			target("proxyd relayed / bare relay: UDP MTU-sized pps", rat("relay", "plain", c_ub, "bare"), "", "", "x")
			target("proxyd relayed / bare relay: UDP 64 B pps", rat("relay", "plain", c_u64, "bare"), "", "", "x")
			target("proxyd relayed / bare relay: pub CPU s/GB", rat("relay", "plain", c_cp, "bare"), "", "", "x")
			target("proxyd relayed - bare relay: RTT at 1000 pings/s per hop, ms", dper("relay", "plain", c_rbz, "bare", 3), "", "", "ms")
		}
		if (has("bare", "ipsec")) {
			target("(ceiling) IPsec TCP, endpoints at default MTU: bare relay / kernel routed", rat("bare", "ipsec", c_tcp, "kernel"), "", "", "x")
			target("proxyd relayed / bare relay: IPsec TCP, endpoints at default MTU", rat("relay", "ipsec", c_tcp, "bare"), "", "", "x")
			target("(ceiling) IPsec TCP, default MTU: CPU s/GB of the three relay processes, bare relay", med("bare", "ipsec", c_ct), "", "", "s/GB")
			target("IPsec TCP, default MTU: CPU s/GB of the three proxies, proxyd relayed", med("relay", "ipsec", c_ct), "", "", "s/GB")
		}
		if (has("bare-direct", "ipsec")) {
			target("(ceiling) IPsec TCP, endpoints at default MTU: bare direct / kernel routed", rat("bare-direct", "ipsec", c_tcp, "kernel"), "", "", "x")
			target("proxyd direct / bare direct: IPsec TCP, endpoints at default MTU", rat("direct", "ipsec", c_tcp, "bare-direct"), "", "", "x")
		}
		if (has("bare-direct", "plain")) {
			target("(ceiling) added RTT per hop at 1000 pings/s, direct: (bare direct - kernel) / 2, ms", dper("bare-direct", "plain", c_rbz, "kernel", 2), "", "", "ms")
			target("proxyd direct - bare direct: RTT at 1000 pings/s per hop, ms", dper("direct", "plain", c_rbz, "bare-direct", 2), "", "", "ms")
		}
		if (has("bare-aead", "plain")) {
			target("(ceiling, AES-GCM per hop) plain TCP: bare relay + GCM / Nebula relayed", rat("bare-aead", "plain", c_tcp, "nebula-relay"), "", "", "x")
			target("(ceiling, AES-GCM per hop) relay CPU s/GB: bare relay + GCM pub / Nebula pub", rat("bare-aead", "plain", c_cp, "nebula-relay"), "", "", "x")
			target("(ceiling, AES-GCM per hop) UDP MTU-sized pps: bare relay + GCM / kernel routed", rat("bare-aead", "plain", c_ub, "kernel"), "", "", "x")
			target("(ceiling, AES-GCM per hop) UDP 64 B pps: bare relay + GCM / kernel routed", rat("bare-aead", "plain", c_u64, "kernel"), "", "", "x")
			target("(ceiling, AES-GCM per hop) added RTT per hop at 1000 pings/s, ms", dper("bare-aead", "plain", c_rbz, "kernel", 3), "", "", "ms")
			target("proxyd relayed / bare relay + GCM: plain TCP", rat("relay", "plain", c_tcp, "bare-aead"), "", "", "x")
			target("proxyd relayed / bare relay + GCM: UDP MTU-sized pps", rat("relay", "plain", c_ub, "bare-aead"), "", "", "x")
			target("proxyd relayed / bare relay + GCM: pub CPU s/GB", rat("relay", "plain", c_cp, "bare-aead"), "", "", "x")
		}
		target("IKE retransmissions, proxyd relayed (most in a run)", maxv("relay", "ipsec", c_retx), "<=", 0, "n")
		target("IKE retransmissions, proxyd direct (most in a run)", maxv("direct", "ipsec", c_retx), "<=", 0, "n")
		# proxy capacity: plain traffic, proxyd relayed next to tinc relayed
		print ""
		print "### Proxy capacity: plain traffic through a relaying public proxy"
		print ""
		print "| path | how it went | TCP Mbit/s | UDP 64 B kpps | UDP MTU kpps | pub CPU s/GB | sites CPU s/GB (A + B) | pub RSS MiB | via pub |"
		print "|---|---|--:|--:|--:|--:|--:|--:|--:|"
		for (i = 1; i <= np; i++) {
			p = P[i]; if (p != "relay" && p != "tinc-relay" && p != "nebula-relay" && p != "bare" && p != "bare-aead") continue
			sa = med(p, "plain", c_ca); sb = med(p, "plain", c_cb)
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label[p], modes(p, "plain"),
			    f(med(p, "plain", c_tcp), "%.0f"), f(med(p, "plain", c_u64), "%.1f"),
			    f(med(p, "plain", c_ub), "%.1f"), f(med(p, "plain", c_cp), "%.1f"),
			    (sa == "NA" || sb == "NA") ? "–" : sprintf("%.1f", sa + sb),
			    mib(med(p, "plain", c_rp)), f(med(p, "plain", c_via), "%.2f")
		}
		if (("relay", "plain", 1) in row && ("tinc-relay", "plain", 1) in row) {
			printf "| proxyd relay / tinc relay (per-run ratio) | | %s | %s | %s | %s | | %s | |\n",
			    fr(rat("relay", "plain", c_tcp, "tinc-relay")), fr(rat("relay", "plain", c_u64, "tinc-relay")),
			    fr(rat("relay", "plain", c_ub, "tinc-relay")), fr(rat("relay", "plain", c_cp, "tinc-relay")),
			    fr(rat("relay", "plain", c_rp, "tinc-relay"))
		}
		if (("relay", "plain", 1) in row && ("nebula-relay", "plain", 1) in row) {
			printf "| proxyd relay / Nebula relay (per-run ratio) | | %s | %s | %s | %s | | %s | |\n",
			    fr(rat("relay", "plain", c_tcp, "nebula-relay")), fr(rat("relay", "plain", c_u64, "nebula-relay")),
			    fr(rat("relay", "plain", c_ub, "nebula-relay")), fr(rat("relay", "plain", c_cp, "nebula-relay")),
			    fr(rat("relay", "plain", c_rp, "nebula-relay"))
		}
		for (k = 1; k <= 2; k++) {
			ref = k == 1 ? "bare" : "bare-aead"
			if (!(("relay", "plain", 1) in row && (ref, "plain", 1) in row)) continue
			printf "| proxyd relay / %s (per-run ratio) | | %s | %s | %s | %s | | %s | |\n", label[ref],
			    fr(rat("relay", "plain", c_tcp, ref)), fr(rat("relay", "plain", c_u64, ref)),
			    fr(rat("relay", "plain", c_ub, ref)), fr(rat("relay", "plain", c_cp, ref)),
			    fr(rat("relay", "plain", c_rp, ref))
		}
		# chart data: label, TCP plain, TCP ipsec, RTT plain, RTT ipsec
		for (i = 1; i <= np; i++) {
			p = P[i]
			printf "\"%s\" %s %s %s %s\n", short[p], med(p, "plain", c_tcp), med(p, "ipsec", c_tcp),
			    med(p, "plain", c_rm), med(p, "ipsec", c_rm) > dat
		}
	}' "$1"
}

chart() {	# DAT PNG
	command -v gnuplot >/dev/null 2>&1 || { blog "no gnuplot: no chart"; return 0; }
	gnuplot <<EOF 2>"$WORLD_DIR/gnuplot.err" || blog "gnuplot failed: $(head -c 300 "$WORLD_DIR/gnuplot.err")"
set terminal pngcairo size 1400,560 font "sans,10"
set output "$2"
set datafile missing "NA"
set style data histograms
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20 nomirror
set grid ytics
set key top right
set multiplot layout 1,2 title "proxyd vs kernel routing vs tinc 1.0 vs Nebula 1.6 vs a bare relay (medians of $BENCH_RUNS run(s), $(date +%F))"
set title "TCP throughput hostA -> hostB (iperf3, 1 stream)"
set ylabel "Mbit/s (log scale)"
set logscale y
set yrange [10:*]
plot "$1" using 2:xtic(1) title "plain", "" using 3 title "inside IPsec (strongSwan, userspace ESP, default MTU)", \
     "" using (\$0 - 1.0/6):2:(sprintf("%.0f", \$2)) with labels offset 0,0.6 notitle, \
     "" using (\$0 + 1.0/6):3:(sprintf("%.0f", \$3)) with labels offset 0,0.6 notitle
unset logscale y
set yrange [0:*]
set key top left
set title "ping RTT median"
set ylabel "ms"
plot "$1" using 4:xtic(1) title "plain", "" using 5 title "inside IPsec", \
     "" using (\$0 - 1.0/6):4:(sprintf("%.2f", \$4)) with labels offset 0,0.6 notitle, \
     "" using (\$0 + 1.0/6):5:(sprintf("%.2f", \$5)) with labels offset 0,0.6 notitle
unset multiplot
EOF
}

DAT=$WORLD_DIR/chart.dat
{
	echo "## proxyd benchmark $(date '+%F %T')"
	echo
	echo "Paths between hostA and hostB in the tests/lib/world.sh namespaces world; $BENCH_RUNS run(s);"
	echo "TCP ${BENCH_TCP_SECS} s, UDP ${BENCH_UDP_SECS} s per test (iperf3 -b 0; MTU-sized = $UDP_BIG_PLAIN-byte payload plain, $UDP_BIG_IPSEC inside IPsec),"
	echo "$BENCH_PINGS pings at 0.01 s.  Machine: $(nproc) cores, kernel $(uname -r), load at start $START_LOAD."
	echo "proxyd: $BUILD_DESC, tree $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null)$(git -C "$top_srcdir" diff --quiet HEAD -- proxyd lib 2>/dev/null || echo '+local changes'); tinc $(tincd --version 2>/dev/null | head -n 1 | awk '{ print $3 }'), default cipher/digest."
	echo "Whole run: $((T_END - T_START)) s.  The machine is shared: compare ratios within this run only."
	echo
	report "$CSV" "$DAT"
	echo
	echo "Units: CPU s/GB = CPU seconds (user + system) of that proxy process per 10^9 bytes of TCP payload the receiver got; system time includes the kernel work done inside its syscalls (TUN, UDP, veth delivery and the forwarding and NAT of the next namespaces, which run inline), the same for proxyd and tincd.  RSS = VmRSS.  TCP retransmits = the sender's count over the TCP test; socket drops = UDP RcvbufErrors on PXA, PUB and PXB during it (datagrams, or GRO batches of datagrams, dropped because a proxy's socket receive buffer was full).  \"via pub\" = bytes PUB received during the TCP test (both directions, with headers and retransmissions) per TCP payload byte delivered: 0 = not through pub.  UDP kpps = thousands of packets per second the receiver got while the sender blasted (-b 0).  IKE ms = first IKE_SA_INIT out to IKE_AUTH response in, on hostA's wire.  RTT median and p99 are from pings at 100/s; RTT busy is the median at 1000/s, where the CPUs do not go idle between pings."
	echo
	echo "Setups: proxyd with forward = all, TUN MTU 1500 (the default), log info, keepalive 5..120 s; (b) site B MASQUERADE --random-fully and pub without alternate address, (c) pub with alternate address $PUB_ALT.  tinc 1.0 in router mode, TUN tinc0 (MTU 1500, tinc's PMTU discovery), Debian defaults aes-256-cbc + sha256 (4-byte MAC), public node on PUB with DeviceType = dummy, sites ConnectTo = pub.  Nebula $(nebula -version 2>/dev/null | awk '{ print $2 }') with its defaults (AES-256-GCM, TUN nebula1 MTU 1300), lighthouse and relay (am_relay) on PUB without a TUN, sites with unsafe_routes and relays = [pub]; whether it relayed is read from PUB's counters of its UDP port 4242 (\"via pub\").  Bare relay (h): tools/tunfwd, TUN tfw0 on PXA and PXB (MTU $BENCH_BARE_MTU; auto = 1468 plain, 1444 with AES-GCM: the largest whose datagrams cross the 1500-byte path unfragmented) without TUN offloads (one read and one write per packet; sendmmsg/recvmmsg batches of 64 with UDP GSO and GRO on the UDP side, 4 MiB socket buffers as proxyd), relay on PUB UDP $TUNFWD_PORT forwarding between the two addresses it observed, no crypto, plain and IPsec at the default MTU (\"+ AES-GCM\": AES-256-GCM per hop, OpenSSL 3, plain only); \"via pub\" from PUB's counters of that port.  Bare direct (i): the same tunfwd sites sending to each other's NAT address (both bound to UDP $TUNFWD_PORT, both sites MASQUERADE; their hellos open the NATs), no relay in the path, no crypto, plain and IPsec at the default MTU.  IPsec rows are at the endpoints' default tunnel MTU (libipsec: 1400) unless marked 1336.  How tinc ran is read from sitea's node list (SIGUSR2 dump: \"via siteb\" with a settled PMTU = direct UDP; PMTU min 0 = no UDP path to siteb) and from PUB's counters during the TCP test: \"relayed via pub (udp N)\" means tinc forwarded the packets as UDP through the public node, \"tcp\" over its TCP meta connections."
	echo
	echo "### What was checked per path"
	echo
	cat "$NOTES"
} >"$MD.tmp"
mv "$MD.tmp" "$MD"
chart "$DAT" "$PNG"
cat "$MD"
blog "results: $MD, $CSV$( [ -s "$PNG" ] && echo ", $PNG"); took $((T_END - T_START)) s"
