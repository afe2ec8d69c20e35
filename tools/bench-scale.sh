#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# bench-scale.sh: the control plane at scale (issues 6 and 16).  A live run of N
# proxies in one network namespace, all on 127.0.0.1, no TUN (pure relays,
# so no prefixes: convergence is counted in origins, not routes).
#
# Usage (root, from anywhere in the tree):
#
#   bash tools/bench-scale.sh            # N=50 proxies, R=3 repetitions
#   N=200 R=1 bash tools/bench-scale.sh  # issue 16's size (README: minutes
#                                        # on a shared 2-core VM)
#   N=20 R=1 bash tools/bench-scale.sh
#
# What it does:
#   - one CA and N certificates with tools/proxyd-ca (once, reused by every
#     repetition; takes a while for large N);
#   - a namespace "pxscale<pid>" with only lo; proxy i (name pNNN) listens on
#     127.0.0.1:(20000+i), alternate port 30000+i, and dials p(i+1 mod N)
#     (a ring) and, for even i, p(i+7 mod N) (a chord): every proxy has 2-4
#     configured links, the graph is connected and multi-hop.  proxyd itself
#     may add links to proxies it learns are reachable from outside (up to
#     16, README "Links");
#   - per repetition: start all N proxies (as fast as the shell can), then
#     poll every proxy's "proxyctl -j status" field "proxies" (origins in
#     its topology database) until each knows all N: "converge" is the time
#     from the first start to the moment the last proxy got there (bounded
#     by CONVERGE_MAX, 120 s or 1.5 s per proxy, whichever is more).
#     At that moment: VmRSS per proxy (median and max, from
#     /proc/PID/status), CPU seconds (utime+stime from
#     /proc/PID/stat) per proxy (median, max) and of all proxies, and the
#     namespace's UDP datagrams received and receive-buffer drops
#     (/proc/net/snmp) since the start; the advertisements whose signature
#     the proxies checked (status "lsa_verified", summed) and the CPU of all
#     proxies divided by that: the cost per advertisement, signature check
#     included (an upper bound: start-up, handshakes and keepalives are in
#     the CPU too);
#   - settling: SETTLE (60) more seconds, in 5 s steps, with a timeline on
#     stderr (datagrams/s, drops/s, CPU of all proxies).  Then links up per
#     proxy (median, max), max VmRSS, CPU of all proxies while settling,
#     the mean datagram rate, the drops and the rate of the last 5 s;
#   - then SIGTERM of p000 (a chord-bearing proxy): time until every
#     remaining proxy's "proxyctl -j topology" shows exactly the live
#     proxies as reachable (the stopped one unreachable or absent), bounded
#     by TERM_MAX (60 s);
#   - SIGKILL of another chord-bearing proxy (about N/2): the same, bounded
#     by KILL_MAX (60 s + the 15 s dead-link time);
#   - stop everything, next repetition.
#
# Output: a markdown table on stdout (one row per figure, one column per
# repetition plus the median); progress on stderr.  Nothing is written into
# the tree.  A run of N=50, R=3 takes about 6 minutes.
#
# Knobs: N (50), R (3), CONVERGE_MAX (max(120, 1.5 N)), TERM_MAX (60), KILL_MAX (75),
# POLL (0.2 s between polling rounds), SETTLE (60), LOG (proxyd log level,
# "info"), KEEPALIVE ("5:120", min:max), KEEP=1 (keep the temporary
# directory with configurations and logs), PKI=DIR (keep the CA and the
# certificates in DIR and reuse those already there: making 200 takes
# minutes), PROXYD, PROXYCTL, PROXYD_CA
# (default: the newest build in the tree, as tests/lib/builddir.sh picks it;
# the daemon and proxyctl are copied into the temporary directory first,
# so a rebuild meanwhile does not disturb the run).
#
# The poller (tools/bench-scale-poll.py, one python3 process per wait) runs
# outside the namespace: the control sockets are files, not network
# addresses.  It replaced one proxyctl, grep and head per proxy per round,
# which at N=200 cost more CPU than the proxies; the time resolution is one
# polling round.
# Every loop is bounded; the trap kills only the proxies this script
# started (by pid), deletes its namespace and its temporary directory.

set -u

: "${N:=50}" "${R:=3}" "${TERM_MAX:=60}" "${KILL_MAX:=75}"
: "${CONVERGE_MAX:=$(( N * 3 / 2 > 120 ? N * 3 / 2 : 120 ))}"
: "${POLL:=0.2}" "${SETTLE:=60}" "${LOG:=info}" "${KEEPALIVE:=5:120}" "${KEEP:=0}"

top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${top_builddir:-}" ]; then
	# shellcheck source=tests/lib/builddir.sh
	. "$top_srcdir/tests/lib/builddir.sh"
	top_builddir=$(builddir_newest "$top_srcdir")
fi
: "${PROXYD:=$top_builddir/proxyd/proxyd}"
: "${PROXYCTL:=$top_builddir/tools/proxyctl}"
: "${PROXYD_CA:=$top_srcdir/tools/proxyd-ca}"

exec 3>&2	# progress goes to fd 3, so 2>/dev/null cannot swallow it
log() { echo "# $*" >&3; }
# nap SECONDS: a sleep a signal interrupts at once (the trap runs then,
# not when the sleep ends)
nap() { sleep "$1" & wait $!; }
die() { log "bench-scale: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespace)"
for t in ip openssl awk getconf python3; do
	command -v "$t" >/dev/null 2>&1 || die "missing tool '$t'"
done
[ -x "$PROXYD" ] || die "no daemon at '$PROXYD' (build it)"
[ -x "$PROXYCTL" ] || die "no proxyctl at '$PROXYCTL' (build it)"
if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 10 ] || [ "$N" -gt 1000 ]; then
	die "N must be 10..1000 (the chord is i+7, ports 20000+i and 30000+i)"
fi
if ! [[ $R =~ ^[0-9]+$ ]] || [ "$R" -lt 1 ]; then die "R must be >= 1"; fi

NS=pxscale$$
DIR=$(mktemp -d /tmp/pxscale.XXXXXX) || die "mktemp failed"
declare -a PID=()	# PID[i] of proxy i while it runs
CLK_TCK=$(getconf CLK_TCK)

# --------------------------------------------------------------------------
# Clean-up: our pids only, our namespace only, our directory only.

stop_all() {
	local i pid
	for i in "${!PID[@]}"; do
		pid=${PID[$i]}
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	done
	for _ in $(seq 50); do
		local alive=0
		for i in "${!PID[@]}"; do
			kill -0 "${PID[$i]}" 2>/dev/null && { alive=1; break; }
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for i in "${!PID[@]}"; do
		kill -KILL "${PID[$i]}" 2>/dev/null
		wait "${PID[$i]}" 2>/dev/null
	done
	PID=()
}

cleanup() {
	trap - EXIT INT TERM
	stop_all
	ip netns del "$NS" 2>/dev/null
	if [ "$KEEP" = 1 ]; then
		log "kept $DIR"
	else
		rm -rf -- "$DIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --------------------------------------------------------------------------
# Helpers

now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }
name_of() { printf 'p%03d' "$1"; }
sock_of() { echo "$DIR/$(name_of "$1").sock"; }
ctlj() { local i=$1; shift; "$PROXYCTL" -j -s "$(sock_of "$i")" "$@"; }

# median of the numbers on stdin ("-" if none)
median() {
	sort -g | awk '{ a[n++] = $1 } END {
		if (n == 0) { print "-"; exit }
		if (n % 2) print a[(n - 1) / 2]; else print (a[n / 2 - 1] + a[n / 2]) / 2 }'
}
maxof() { sort -g | tail -n 1; }

write_conf() {	# IDX
	local i=$1 name first=1 j
	name=$(name_of "$i")
	local -a peers=( $(( (i + 1) % N )) )
	[ $(( i % 2 )) = 0 ] && peers+=( $(( (i + 7) % N )) )
	{
		echo "name = \"$name\";"
		echo "listen = { address = \"127.0.0.1\"; port = $((20000 + i)); alt_port = $((30000 + i)); };"
		printf 'neighbours = ('
		for j in "${peers[@]}"; do
			[ $first = 1 ] || printf ','
			printf ' { name = "%s"; host = "127.0.0.1"; port = %d; }' \
			    "$(name_of "$j")" $((20000 + j))
			first=0
		done
		echo ' );'
		echo "tls = { ca = \"$DIR/pki/ca.crt\"; cert = \"$DIR/pki/$name.crt\"; key = \"$DIR/pki/$name.key\"; };"
		echo "control = \"$(sock_of "$i")\";"
		echo "keepalive = { min = ${KEEPALIVE%:*}; max = ${KEEPALIVE#*:}; };"
		echo "log = \"$LOG\";"
	} >"$DIR/$name.conf"
}

# CPU seconds (utime+stime) of a pid, as a decimal; builtins only (this
# runs 50 times per sample on a machine the proxies may saturate)
cpu_of() {
	local line f
	read -r line 2>/dev/null <"/proc/$1/stat" || { echo 0; return; }
	line=${line##*) }	# the fields after "(comm) "
	read -r -a f <<<"$line"
	# after comm: state is field 3, utime 14, stime 15 -> f[11], f[12]
	local t=$(( (f[11] + f[12]) * 100 / CLK_TCK ))
	printf '%d.%02d' $(( t / 100 )) $(( t % 100 ))
}
rss_of() {
	local k v rest
	while read -r k v rest; do
		[ "$k" = VmRSS: ] && { echo "$v"; return; }
	done 2>/dev/null <"/proc/$1/status"
	echo 0
}

# true if every proxy in the list is still running; names the dead ones
check_alive() {
	local i ok=0
	for i in "$@"; do
		if ! kill -0 "${PID[$i]}" 2>/dev/null; then
			log "proxy $(name_of "$i") died; log tail:"
			tail -n 20 "$DIR/$(name_of "$i").log" | sed 's/^/#   /' >&2
			ok=1
		fi
	done
	return $ok
}

# --------------------------------------------------------------------------
# One repetition: sets RESULT to "converge_s rss_med rss_max cpu_med cpu_max
# cpu_sum links_med links_max rss_settle cpu_settle term_s kill_s" (a "-" for a figure that timed out).

# wait until every live proxy's topology shows exactly the live set as
# reachable and none of the stopped ones; sets GONE_S to the seconds since
# T0 (ms), or to "-" after MAX seconds.  Not in a subshell: a signal must
# reach the trap at once.
wait_gone() {	# T0 MAX LIVE_IDX... -- GONE_NAME...
	local t0=$1 max=$2 socks=() gone at
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do socks+=("$(sock_of "$1")"); shift; done
	shift
	gone=$(IFS=,; echo "$*")
	at=$(python3 "$POLLER" gone "$t0" "$max" "$POLL" "$gone" "${socks[@]}" 2>&3)
	if [ "$at" = - ] || [ -z "$at" ]; then
		GONE_S=-
		return 1
	fi
	GONE_S=$(awk -v a="$at" -v b="$t0" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
}

# UDP counters of the namespace (a live proxy's /proc/PID/net/snmp is the
# namespace's, without an "ip netns exec"): "InDatagrams RcvbufErrors".
snmp_udp() {	# /proc/net/snmp on stdin
	awk '/^Udp:/ { if (!h) { for (k = 1; k <= NF; k++) col[$k] = k; h = 1; next }
		print $col["InDatagrams"], $col["RcvbufErrors"]; exit }'
}
udp_counters() {
	local i
	for i in "${!PID[@]}"; do
		kill -0 "${PID[$i]}" 2>/dev/null || continue
		snmp_udp <"/proc/${PID[$i]}/net/snmp" 2>/dev/null && return
	done
	ip netns exec "$NS" cat /proc/net/snmp | snmp_udp
}

cpu_all() {	# CPU seconds of all running proxies together
	local i
	for i in "${!PID[@]}"; do cpu_of "${PID[$i]}"; echo; done |
	    awk '{ s += $1 } END { printf "%.2f", s }'
}

# The figures of one repetition, in this order (the report's rows).
METRICS=(conv rss_med rss_max cpu_med cpu_max cpu_sum lsa_conv us_lsa udp_conv drop_conv
    links_med links_max rss_settle cpu_settle udp_settle drop_settle udp_tail
    term kill)
declare -A LABEL=(
	[conv]="converge: first start to all N know all N origins (s)"
	[rss_med]="RSS per proxy at convergence, median (KiB)"
	[rss_max]="RSS per proxy at convergence, max (KiB)"
	[cpu_med]="CPU per proxy until convergence, median (s)"
	[cpu_max]="CPU per proxy until convergence, max (s)"
	[cpu_sum]="CPU of all proxies until convergence (s)"
	[lsa_conv]="advertisements checked (signature) until convergence, all proxies"
	[us_lsa]="CPU per checked advertisement until convergence, all in (us)"
	[udp_conv]="UDP datagrams received until convergence"
	[drop_conv]="UDP receive-buffer drops until convergence"
	[links_med]="links up per proxy after settling, median"
	[links_max]="links up per proxy after settling, max"
	[rss_settle]="RSS per proxy after settling, max (KiB)"
	[cpu_settle]="CPU of all proxies while settling (s)"
	[udp_settle]="UDP datagrams/s while settling"
	[drop_settle]="UDP receive-buffer drops while settling"
	[udp_tail]="UDP datagrams/s in the last 5 s of settling"
	[term]="SIGTERM of p000: gone everywhere after (s)"
	[kill]="SIGKILL of a second proxy: gone everywhere after (s)"
)
declare -A RES=()	# RES[metric,run]

one_run() {	# RUN
	local run=$1 i t0 deadline pending still n out m
	local -A v=()
	for m in "${METRICS[@]}"; do v[$m]=-; done

	for i in $(seq 0 $((N - 1))); do rm -f "$(sock_of "$i")"; done
	local udp0 drop0 udp1 drop1
	read -r udp0 drop0 < <(ip netns exec "$NS" cat /proc/net/snmp | snmp_udp)
	t0=$(now_ms)
	for i in $(seq 0 $((N - 1))); do
		ip netns exec "$NS" "$PROXYD" -f -c "$DIR/$(name_of "$i").conf" \
		    >>"$DIR/$(name_of "$i").log" 2>&1 </dev/null &
		PID[i]=$!
	done
	log "run $run: started $N proxies in $(( $(now_ms) - t0 )) ms"

	# convergence: each proxy's "proxies" reaches N (one poller process
	# for all sockets: a proxyctl per proxy per round cost more CPU than
	# the proxies at N=200)
	local socks=() last
	for i in $(seq 0 $((N - 1))); do socks+=("$(sock_of "$i")"); done
	last=$(python3 "$POLLER" converge "$t0" "$CONVERGE_MAX" "$POLL" "$N" "${socks[@]}" 2>&3)
	check_alive $(seq 0 $((N - 1))) || log "run $run: a proxy died"
	if [ "$last" != - ] && [ -n "$last" ]; then
		v[conv]=$(awk -v a="$last" -v b="$t0" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
	fi
	# resources at (just after) convergence
	local rss=() cpu=() nver=0
	for i in $(seq 0 $((N - 1))); do
		rss+=("$(rss_of "${PID[$i]}")")
		cpu+=("$(cpu_of "${PID[$i]}")")
	done
	local sums
	sums=$(python3 "$POLLER" sum lsa_verified,lsa_unchanged,lsa_queue_dropped,lsa_rate,lsa_full,drop_hs_limit,neighbours_up "${socks[@]}")
	log "run $run: status counters at convergence (field sum median max):"
	sed 's/^/#   /' <<<"$sums" >&3
	nver=$(awk '$1 == "lsa_verified" && $2 != "-" { print $2 }' <<<"$sums")
	nver=${nver:-0}
	read -r udp1 drop1 < <(udp_counters)
	v[udp_conv]=$(( udp1 - udp0 )) v[drop_conv]=$(( drop1 - drop0 ))
	v[rss_med]=$(printf '%s\n' "${rss[@]}" | median)
	v[rss_max]=$(printf '%s\n' "${rss[@]}" | maxof)
	v[cpu_med]=$(printf '%s\n' "${cpu[@]}" | median)
	v[cpu_max]=$(printf '%s\n' "${cpu[@]}" | maxof)
	v[cpu_sum]=$(printf '%s\n' "${cpu[@]}" | awk '{ s += $1 } END { printf "%.2f", s }')
	v[lsa_conv]=$nver
	[ "$nver" -gt 0 ] && v[us_lsa]=$(awk -v c="${v[cpu_sum]}" -v n="$nver" 'BEGIN { printf "%.0f", c * 1e6 / n }')
	log "run $run: converge ${v[conv]}s; per proxy RSS median ${v[rss_med]} KiB max ${v[rss_max]} KiB, CPU median ${v[cpu_med]}s max ${v[cpu_max]}s; all: CPU ${v[cpu_sum]}s, ${v[lsa_conv]} advertisements checked (${v[us_lsa]} us CPU each), UDP in ${v[udp_conv]}, rcvbuf drops ${v[drop_conv]}"

	# settling: SETTLE seconds in 5 s steps, a timeline on stderr (learned
	# links come up meanwhile, NAT trials run, advertisements flood)
	if [ "${v[conv]}" != - ] && [ "$SETTLE" -gt 0 ]; then
		local ts tp cpu_p cpu_n udp_p drop_p udp_n drop_n ta=0 step ms
		ts=$(now_ms) tp=$ts cpu_p=${v[cpu_sum]} udp_p=$udp1 drop_p=$drop1
		while [ $(( $(now_ms) - ts )) -lt $(( SETTLE * 1000 )) ]; do
			nap 5
			cpu_n=$(cpu_all)
			read -r udp_n drop_n < <(udp_counters)
			ms=$(( $(now_ms) - tp )); [ "$ms" -gt 0 ] || ms=1
			step=$(( (udp_n - udp_p) * 1000 / ms ))
			log "  +$(( ($(now_ms) - ts) / 1000 ))s: $step datagrams/s, $(( (drop_n - drop_p) * 1000 / ms )) rcvbuf drops/s, proxies' CPU $(awk -v a="$cpu_n" -v b="$cpu_p" -v t="$ms" 'BEGIN { printf "%.0f", (a - b) * 100000 / t }')% of a core"
			tp=$(now_ms) cpu_p=$cpu_n udp_p=$udp_n drop_p=$drop_n
			v[udp_tail]=$step
		done
		ta=$(( $(now_ms) - ts ))
		v[udp_settle]=$(( (udp_n - udp1) * 1000 / ta ))
		v[drop_settle]=$(( drop_n - drop1 ))
		v[cpu_settle]=$(awk -v a="$cpu_n" -v b="${v[cpu_sum]}" 'BEGIN { printf "%.2f", a - b }')
		local links=() rss2=()
		for i in $(seq 0 $((N - 1))); do
			rss2+=("$(rss_of "${PID[$i]}")")
		done
		sums=$(python3 "$POLLER" sum neighbours_up,lsa_verified,lsa_unchanged,lsa_queue_dropped,lsa_rate,drop_hs_limit "${socks[@]}")
		log "run $run: status counters after settling (field sum median max):"
		sed 's/^/#   /' <<<"$sums" >&3
		read -r _ _ v[links_med] v[links_max] < <(grep '^neighbours_up ' <<<"$sums")
		v[rss_settle]=$(printf '%s\n' "${rss2[@]}" | maxof)
		log "run $run: after ${SETTLE}s settling: links up median ${v[links_med]} max ${v[links_max]}, RSS max ${v[rss_settle]} KiB, CPU of all ${v[cpu_settle]}s, ${v[udp_settle]} datagrams/s, ${v[drop_settle]} rcvbuf drops"
		check_alive $(seq 0 $((N - 1))) || log "run $run: a proxy died while settling"
	fi

	if [ "${v[conv]}" != - ]; then
		# graceful stop of p000 (dials p001 and the chord p007)
		local v1=0 v2 live=()
		v2=$(( (N / 2) - (N / 2) % 2 ))	# even: bears a chord too
		for i in $(seq 1 $((N - 1))); do live+=("$i"); done
		t0=$(now_ms)
		kill -TERM "${PID[$v1]}"
		wait_gone "$t0" "$TERM_MAX" "${live[@]}" -- "$(name_of $v1)"
		v[term]=$GONE_S
		wait "${PID[$v1]}" 2>/dev/null
		log "run $run: SIGTERM $(name_of $v1): gone everywhere after ${v[term]}s"

		# crash of v2
		live=()
		for i in $(seq 1 $((N - 1))); do [ "$i" != "$v2" ] && live+=("$i"); done
		t0=$(now_ms)
		# (braces: bash's "Killed" job notice, wherever it comes, is hushed)
		{
			kill -KILL "${PID[$v2]}"
			wait_gone "$t0" "$KILL_MAX" "${live[@]}" -- "$(name_of $v1)" "$(name_of $v2)"
			wait "${PID[$v2]}"
		} 2>/dev/null
		v[kill]=$GONE_S
		log "run $run: SIGKILL $(name_of $v2): gone everywhere after ${v[kill]}s"
	fi
	stop_all
	for m in "${METRICS[@]}"; do RES[$m,$run]=${v[$m]}; done
}

# --------------------------------------------------------------------------
# Set-up

log "bench-scale: N=$N R=$R, daemon $PROXYD, dir $DIR, namespace $NS"
ip netns add "$NS" || die "cannot create namespace $NS"
ip -n "$NS" link set lo up || die "cannot bring lo up in $NS"

# Private copies of the binaries: a rebuild in the tree while we run
# (another make) must not pull the daemon from under us.
mkdir -p "$DIR/bin" || die "cannot create $DIR/bin"
for _try in 1 2 3 4 5; do
	cp "$PROXYD" "$DIR/bin/proxyd" 2>/dev/null && cp "$PROXYCTL" "$DIR/bin/proxyctl" 2>/dev/null &&
	    "$DIR/bin/proxyd" -V >/dev/null 2>&1 && "$DIR/bin/proxyctl" -h >/dev/null 2>&1 && break
	rm -f "$DIR/bin/proxyd" "$DIR/bin/proxyctl"
	sleep 2
done
[ -x "$DIR/bin/proxyd" ] || die "cannot copy a working proxyd/proxyctl into $DIR/bin"
log "daemon: $("$DIR/bin/proxyd" -V 2>&1 | head -n 1), copied from $PROXYD ($(date -r "$PROXYD" +%H:%M:%S))"
PROXYD=$DIR/bin/proxyd PROXYCTL=$DIR/bin/proxyctl
POLLER=$top_srcdir/tools/bench-scale-poll.py

t=$(now_ms)
if [ -n "${PKI:-}" ]; then	# a kept CA and certificates, reused
	mkdir -p "$PKI" || die "cannot create PKI directory '$PKI'"
	ln -s "$(cd "$PKI" && pwd)" "$DIR/pki" || die "cannot link $PKI"
fi
[ -f "$DIR/pki/ca.crt" ] || "$PROXYD_CA" init "$DIR/pki" >/dev/null ||
    die "proxyd-ca init failed"
for i in $(seq 0 $((N - 1))); do
	[ -f "$DIR/pki/$(name_of "$i").crt" ] ||
	    "$PROXYD_CA" issue "$DIR/pki" "$(name_of "$i")" >/dev/null ||
	    die "proxyd-ca issue $(name_of "$i") failed"
	write_conf "$i"
done
log "certificates and configurations: $(( ($(now_ms) - t) / 1000 ))s"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)	# the machine may be shared
for r in $(seq 1 "$R"); do
	one_run "$r"	# not in a subshell: the trap must see PID[]
	[ "$r" -lt "$R" ] && nap 2	# let the sockets and the ports go
done

# --------------------------------------------------------------------------
# Report

echo
echo "proxyd control plane at scale: N=$N proxies on 127.0.0.1 in one namespace, ring + chords (i+7, even i), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), load average before the proxies started: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
hdr="| figure |" sep="|---|"
for r in $(seq 1 "$R"); do hdr="$hdr run $r |" sep="$sep---:|"; done
[ "$R" -gt 1 ] && hdr="$hdr median |" sep="$sep---:|"
echo "$hdr"
echo "$sep"
for m in "${METRICS[@]}"; do
	row="| ${LABEL[$m]} |"
	for r in $(seq 1 "$R"); do row="$row ${RES[$m,$r]} |"; done
	if [ "$R" -gt 1 ]; then
		row="$row $(for r in $(seq 1 "$R"); do echo "${RES[$m,$r]}"; done |
		    grep -v '^-$' | median) |"
	fi
	echo "$row"
done
echo
echo "converge: until every proxy's status \"proxies\" is N (polled; resolution one polling round); RSS and CPU (utime+stime since start) taken at that moment."
echo "settling: the ${SETTLE}s after convergence; links up = status \"neighbours_up\" (configured + learned); UDP figures are the namespace's (all proxies, /proc/net/snmp)."
echo "gone: from the signal until every remaining proxy's topology shows exactly the live proxies reachable; the SIGKILL victim is p$(printf %03d $(( (N / 2) - (N / 2) % 2 ))); '-' = not within the bound (${TERM_MAX}s / ${KILL_MAX}s) or not converged."
