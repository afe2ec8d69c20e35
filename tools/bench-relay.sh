#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# bench-relay.sh: the relayed path's UDP packet rate and CPU per packet,
# for one or more proxyd builds side by side (issue 16).  A reduced form of
# tools/bench.sh's (a) and (b) legs in one world (tests/lib/world.sh):
# per repetition, the kernel-routed path (no NAT), then for each build the
# three proxies (site B --random-fully, so the channel relays through pub)
# with iperf3 -u -b 0 for SECS seconds at 64 and 1372 bytes, then 1000
# pings at 1000/s.  Printed per line: received kpps and, on the relayed
# path, the CPU microseconds (user + system, /proc/PID/stat) of site-a,
# pub and site-b per packet site-a read from its TUN; on the kernel path
# the CPU shares of the iperf3 sender and receiver; the same-run ratios and
# the added RTT per proxy hop ((relay - kernel) / 3); where packets were
# dropped (site A's TUN queue, the UDP receive buffers); and the wake-up
# ceiling of the RTT (a UDP echo on hostB against pings, tools/udp-rr.c).
#
#   BINS="base=/path/proxyd new=build/proxyd/proxyd" REPS=3 bash tools/bench-relay.sh
#
# Knobs: BINS (default: this tree's build), REPS (2), SECS (4), GRO (1:
# GRO, UDP GRO forwarding and threaded NAPI on every veth, both legs;
# default 0), OUT
# (iperf3 JSON, default a temporary directory), WATCH (time bound in
# seconds, 1500), PINGS (1000).  Root; not part of any test suite.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
: "${BINS:=this=$top_builddir/proxyd/proxyd}"
export LC_ALL=C
. $top_srcdir/tests/lib/world.sh
SECS=${SECS:-4}; REPS=${REPS:-2}; OUT=${OUT:-$(mktemp -d /tmp/pxrelay-out.XXXXXX)}; mkdir -p "$OUT"
# shellcheck disable=SC2034 # read by tests/lib/world.sh
PXT_PREFIX=pxrelay$$-
WORLD_DIR=$(mktemp -d /tmp/pxrelay.XXXXXX)
mkdir -p $WORLD_DIR/bin; cp $top_builddir/tools/proxyctl $WORLD_DIR/bin/
# shellcheck disable=SC2034 # read by tests/lib/world.sh
PROXYCTL=$WORLD_DIR/bin/proxyctl
for b in $BINS; do cp ${b#*=} $WORLD_DIR/bin/proxyd-${b%%=*}; done
WD=
trap '[ -n "$WD" ] && kill "$WD" 2>/dev/null; world_down' EXIT
trap 'exit 143' TERM INT
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "${WATCH:-1500}" & sp=$!
	wait "$sp"
	echo "# bench-relay: time limit reached, stopping" >&2
	kill -TERM $$
) &
WD=$!
world_require iperf3 jq ping
world_up --nat-a none --nat-b none --routes nat >/dev/null || exit 1
if [ "${GRO:-0}" = 1 ]; then
  # GRO on every veth of the world, with UDP GRO forwarding and threaded
  # NAPI: what a host whose NIC batches its receive (interrupt coalescing,
  # GRO) gets after 'ethtool -K IF rx-udp-gro-forwarding on'.  (A veth's
  # NAPI otherwise runs inline in the sender's syscall, one packet per
  # poll, and GRO never joins anything.)  Both legs, kernel-routed and
  # relayed, run with it.
  for n in $(ip netns list | awk -v p="$PXT_PREFIX" 'index($1, p) == 1 {print $1}'); do
    for i in $(ip -n "$n" -o link show type veth | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
      { ip netns exec "$n" ethtool -K "$i" gro on rx-udp-gro-forwarding on >/dev/null 2>&1 &&
        ip netns exec "$n" sh -c "echo 1 >/sys/class/net/$i/threaded"; } ||
        echo "# GRO: cannot set on $n $i" >&2
    done
  done
fi
make_certs "$WORLD_DIR/pki" >/dev/null
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' /proc/$1/stat 2>/dev/null || echo 0; }
rx() { jq -r '.end.sum_received | "\((.packets - .lost_packets) / .seconds / 1000 | .*10|floor/10)"' $1; }
sent() { jq -r '.end.sum_sent | "\(.packets / .seconds / 1000 | .*10|floor/10)"' $1; }
udp() { # SIZE TAG kernel|relay -> "kpps [CPU us per TUN packet: A pub B]"
  local size=$1 tag=$2 mode=$3 a0 a1 p0 p1 b0 b1 t0 t1 g0 g1
  nsx hostb iperf3 -s -1 -B $WORLD_B_HOST >/dev/null 2>&1 &
  local sp=$!
  sleep 0.5
  if [ $mode = relay ]; then a0=$(ticks "$(proxy_pid site-a)"); p0=$(ticks "$(proxy_pid pub)"); b0=$(ticks "$(proxy_pid site-b)"); t0=$(pjson site-a status | jq '.[0].tun_rx'); g0=$(pjson site-a status | jq '.[0].tun_rx_gso // 0'); fi
  nsx hosta timeout $((SECS+10)) iperf3 -c $WORLD_B_HOST -u -b 0 -l $size -t $SECS -J > $OUT/$tag.json 2>/dev/null
  wait $sp 2>/dev/null
  if [ $mode = relay ]; then a1=$(ticks "$(proxy_pid site-a)"); p1=$(ticks "$(proxy_pid pub)"); b1=$(ticks "$(proxy_pid site-b)"); t1=$(pjson site-a status | jq '.[0].tun_rx'); g1=$(pjson site-a status | jq '.[0].tun_rx_gso // 0')
    awk -v k="$(rx "$OUT/$tag.json")" -v n=$((t1-t0)) -v a=$((a1-a0)) -v p=$((p1-p0)) -v b=$((b1-b0)) -v g=$((g1-g0)) -v s="$(sent "$OUT/$tag.json")" -v hz=$HZ 'BEGIN{printf "%s %.2f %.2f %.2f tun-super %d sent %s", k, a/hz/n*1e6, p/hz/n*1e6, b/hz/n*1e6, g, s}'
  else echo "$(rx $OUT/$tag.json) $(jq -r '.end.cpu_utilization_percent | "snd \(.host_total|floor)% rcv \(.remote_total|floor)%"' $OUT/$tag.json) sent $(sent $OUT/$tag.json)"; fi
}
# The wake-up ceiling: round trips to a UDP echo on hostB (tools/udp-rr.c:
# blocking recvfrom and sendto, the least a process can do to pass a
# packet on) against pings, which hostB's kernel answers, at the same
# rate.  The difference is what one pass through a process costs on this
# machine; a relayed round trip passes through a proxy twice per hop.
RR=
# (Not with GRO=1: threaded NAPI adds wake-ups of its own to every hop.)
[ "${GRO:-0}" = 1 ] ||
  { cc -O2 -o "$WORLD_DIR/bin/udp-rr" "$top_srcdir/tools/udp-rr.c" 2>/dev/null && RR=$WORLD_DIR/bin/udp-rr; }
echo_rtt() {
  [ -n "$RR" ] || { echo "-"; return; }
  ip netns exec "$(ns hostb)" "$RR" -s $WORLD_B_HOST 7777 >/dev/null 2>&1 </dev/null & local sp=$!
  sleep 0.3
  nsx hosta timeout 30 "$RR" -c $WORLD_B_HOST 7777 ${PINGS:-1000} 1000 | awk '{print $1}'
  kill $sp 2>/dev/null; wait $sp 2>/dev/null
}
busy() { nsx hosta ping -n -q -c ${PINGS:-1000} -i 0.001 -W 1 $WORLD_B_HOST 2>/dev/null | awk -F/ '/rtt/{print $5}'; }
drops() { # tun tx_dropped on pxa; RcvbufErrors on pxa pub pxb; hostb udp RcvbufErrors
  echo "$(nsx pxa cat /sys/class/net/pxy0/statistics/tx_dropped 2>/dev/null || echo 0) $(for n in pxa pub pxb hostb; do nsx $n nstat -az UdpRcvbufErrors 2>/dev/null | awk '/UdpRcvbufErrors/{print $2}'; done | tr '\n' ' ')"; }
drops_diff() { awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," ");split(b,y," "); printf "pxa-tun-txdrop %d, rcvbuf pxa %d pub %d pxb %d hostb %d", y[1]-x[1], y[2]-x[2], y[3]-x[3], y[4]-x[4], y[5]-x[5]}'; }
start_bin() {
  for n in pub site-a site-b; do proxy_alive $n && proxy_stop $n; done
  # shellcheck disable=SC2034 # read by tests/lib/world.sh
  PROXYD=$WORLD_DIR/bin/proxyd-$1
  for n in pub site-a site-b; do rm -f "$(proxy_sock "$n")"; proxy_start "$(proxy_ns $n)" $n "$(proxy_conf_std $n forward=all log=info)" || return 1; done
  wait_for 30 has_route site-a "$WORLD_B_LAN" && wait_for 30 has_route site-b "$WORLD_A_LAN" || return 1
  wait_for 20 nsx hosta ping -n -q -c 1 -W 1 "$WORLD_B_HOST" || return 1
  sleep 2; nsx hosta ping -n -q -c 5 -i 0.2 "$WORLD_B_HOST" >/dev/null
  local ch
  relayed() { ch=$(pjson site-a routes | jq -r --arg p $WORLD_B_LAN '.[]|select(.prefix==$p)|.channel'); [ "$ch" = relay ]; }
  # the NAT trials that rule direct out take longer on a loaded machine
  wait_for 20 relayed || { echo "channel $ch"; return 1; }
}
echo "# columns: kpps [cpu us/pkt A pub B]; load avg at start of each line"
for rep in $(seq $REPS); do
  for n in pub site-a site-b; do proxy_alive $n && proxy_stop $n; done
  nat_mode a none && nat_mode b none && host_routes hosta nat && host_routes hostb nat
  sleep 1
  d0=$(drops); k64=$(udp 64 k64-$rep kernel); echo "  kernel drops during 64: $(drops_diff "$d0" "$(drops)")"; kbig=$(udp 1372 kbig-$rep kernel); kr=$(busy); ke=$(echo_rtt)
  echo "rep $rep load $(cut -d' ' -f1 /proc/loadavg) kernel: 64 $k64 | 1372 $kbig | rtt1000 $kr | udp echo rtt1000 $ke"
  awk -v e="$ke" -v k="$kr" 'BEGIN{if (e != "-") {printf "  wake-up ceiling: one pass through a process %.3f ms, so at least %.3f ms per proxy hop\n", e-k, 2*(e-k); printf "%.3f\n", 2*(e-k) >> "'"$OUT/floor.txt"'"}}'
  nat_mode a masquerade && nat_mode b random && host_routes hosta proxy && host_routes hostb proxy
  for b in $BINS; do name=${b%%=*}
    start_bin $name || { echo "rep $rep $name: proxies did not come up"; continue; }
    d0=$(drops)
    r64=$(udp 64 $name-r64-$rep relay); echo "  drops during 64: $(drops_diff "$d0" "$(drops)")"; rbig=$(udp 1372 $name-rbig-$rep relay); rr=$(busy)
    echo "rep $rep load $(cut -d' ' -f1 /proc/loadavg) $name: 64 $r64 | 1372 $rbig | rtt1000 $rr" 
    awk -v a="$k64" -v b="$r64" -v c="$kbig" -v d="$rbig" -v e="$kr" -v f="$rr" -v nm=$name 'BEGIN{split(b,y," ");split(d,w," "); printf "  %s ratio 64 %.2f  1372 %.2f  rtt/hop %.3f ms\n", nm, y[1]/a, w[1]/c, (f-e)/3; printf "%s %.2f %.2f %.3f %s %s\n", nm, y[1]/a, w[1]/c, (f-e)/3, y[2], w[2] >> "'"$OUT/ratios.txt"'"}'
  done
done
med() { sort -g | awk '{v[NR]=$1} END{if (NR) printf "%s", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2); else printf "-"}'; }
echo "# medians over $REPS repetitions (per-repetition ratios): relayed/routed 64 B, 1372 B, added RTT per hop ms, site-a CPU us/pkt 64 B, 1372 B"
for b in $BINS; do name=${b%%=*}
  [ -s "$OUT/ratios.txt" ] || break
  echo "  $name: $(for c in 2 3 4 5 6; do awk -v n=$name -v c=$c '$1 == n {print $c}' "$OUT/ratios.txt" | med; printf " "; done)"
done
[ -s "$OUT/floor.txt" ] && echo "  wake-up floor per hop (2 passes through a process), ms: $(med <"$OUT/floor.txt")"
echo "# iperf3 JSON in $OUT"
