#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: links over TCP for a site whose UDP is blocked (issue 14).  Site B's
# NAT drops every outbound UDP datagram; pub listens on TCP 443 besides its
# UDP port, and site-b's neighbour entry gives tcp_port 443 (transport auto).
#
#   1. site-b links to pub over TCP within 5 s of its start; neighbours
#      shows "tcp" on both ends, status says UDP is blocked.
#   2. (Links rekey every 5 s, over TCP too.)  A strongSwan tunnel between the sites comes up through the proxies
#      (site-a over UDP, site-b over TCP); ping and a TCP transfer cross it
#      (its throughput is measured); site-b does not punch: explain says
#      UDP is blocked, and no punches were sent.
#   3. The TCP path dies (the NAT resets it): the link comes back over TCP.
#   4. UDP is unblocked: the link moves to UDP within 30 s, with no gap
#      longer than 1 s in a continuous ping; a second TCP transfer runs
#      over UDP for comparison (same run).
#   5. Malformed and truncated streams on pub's TCP port, and more
#      connections than may be in their handshake at once: counted, pub
#      serves on (its links stay up).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping iperf3 python3 openssl
CHARON_RETRANSMIT="5 1 1.5"
TCP_PORT=443
EVIL=203.0.113.66

e2e_traps

both_installed() { child_sa_installed hosta tunnel && child_sa_installed hostb tunnel; }

# transport PROXY NEIGHBOUR: "udp" or "tcp" of that link (nothing if none).
transport() {
	pjson "$1" neighbours | jq -r --arg n "$2" \
	    'map(select(.name == $n)) | .[0].transport // empty'
}
up_over() {	# PROXY NEIGHBOUR TRANSPORT
	[ "$(pjson "$1" neighbours | jq -r --arg n "$2" \
	    'map(select(.name == $n and .state == "up")) | .[0].transport // empty')" = "$3" ]
}
nfield() {	# PROXY NEIGHBOUR FIELD
	pjson "$1" neighbours | jq -r --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n)) | .[0][$f] // empty'
}

udp_block() { nsx natb iptables -w -I FORWARD 1 -i br0 -p udp -j DROP; }
udp_unblock() { nsx natb iptables -w -D FORWARD -i br0 -p udp -j DROP; }

# iperf_run LABEL: a 5 s TCP transfer hosta -> hostb through the tunnel;
# prints bits/s (0 on failure).
iperf_run() {
	local label=$1 bps
	nsx hostb iperf3 -s -1 -B "$WORLD_B_INNER" >"$WORLD_DIR/iperf3-$label-server.log" 2>&1 </dev/null &
	_pid_record "iperf3-$label" $! "$(ns hostb)"
	wait_for 5 nsx hostb sh -c "ss -ltn | grep -q '$WORLD_B_INNER:5201'"
	nsx hosta timeout 30 iperf3 -c "$WORLD_B_INNER" -B "$WORLD_A_INNER" -t 5 -J \
	    >"$WORLD_DIR/iperf3-$label.json" 2>"$WORLD_DIR/iperf3-$label-client.log"
	bps=$(jq '.end.sum_received.bits_per_second // 0 | floor' \
	    "$WORLD_DIR/iperf3-$label.json" 2>/dev/null)
	_pid_stop "iperf3-$label"
	echo "${bps:-0}"
}

echo "# world: masquerade NATs; site B's NAT drops outbound UDP; pub on UDP $WORLD_PUB_PORT and TCP $TCP_PORT (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
make_certs "$WORLD_DIR/pki" evil=none || bail "certificates made"
# links rekey every 5 s: rekeys run over the TCP link too
proxy_conf_std pub extra="rekey = { time = 5; };" >/dev/null &&
    proxy_conf_std site-a >/dev/null &&
    proxy_conf_std site-b extra="rekey = { time = 5; };" >/dev/null ||
    bail "configs written"
# pub listens on TCP too; site-b may dial it there
sed -i "s/^listen = { \(.*\) };/listen = { \1 tcp_port = $TCP_PORT; };/" "$WORLD_DIR/pub.conf"
sed -i "s/port = $WORLD_PUB_PORT; }/port = $WORLD_PUB_PORT; tcp_port = $TCP_PORT; }/" "$WORLD_DIR/site-b.conf"
grep -q "tcp_port = $TCP_PORT" "$WORLD_DIR/pub.conf" &&
    grep -q "tcp_port = $TCP_PORT" "$WORLD_DIR/site-b.conf" ||
    bail "tcp_port in the configs"
"$PROXYD" -t -c "$WORLD_DIR/site-b.conf" >/dev/null 2>&1
ok $? "proxyd -t accepts neighbour tcp_port and listen.tcp_port"

udp_block || bail "UDP blocked at site B's NAT"
ok 0 "site B's NAT drops outbound UDP"

charon_start hosta && charon_start hostb || bail "charons started"
swanctl_load hosta && swanctl_load hostb || bail "swanctl configs loaded"

# ---- 1. link over TCP within 5 s
proxy_start pub pub "$WORLD_DIR/pub.conf" || bail "pub started"
proxy_start pxa site-a "$WORLD_DIR/site-a.conf" || bail "site-a started"
t0=$(now_ms)
proxy_start pxb site-b "$WORLD_DIR/site-b.conf" || bail "site-b started"
if wait_for 15 up_over site-b pub tcp; then
	T_TCP=$(( $(now_ms) - t0 ))
	echo "# site-b linked to pub over TCP $T_TCP ms after its start"
	[ "$T_TCP" -le 5000 ]
	ok $? "site-b links to pub over TCP within 5 s of its start ($T_TCP ms)"
else
	echo "# site-b neighbours: $(pjson site-b neighbours)"
	bail "site-b links to pub over TCP"
fi
wait_for 5 up_over pub site-b tcp
ok $? "pub shows site-b's link as tcp"
up_over site-a pub udp
ok $? "site-a's link stays on udp"
pctl pxb "$(proxy_sock site-b)" neighbours | tee "$WORLD_DIR/nb.txt" | sed 's/^/#   /'
grep -E '^pub[[:space:]].*[[:space:]]tcp[[:space:]]' "$WORLD_DIR/nb.txt" >/dev/null
ok $? "proxyctl neighbours (text) shows tcp for pub"
[ "$(pjson site-b status | jq -r '.[0].udp_blocked')" = true ]
ok $? "site-b's status says its UDP is blocked"
[ "$(pstatus site-b udp_fallbacks)" -ge 1 ]
ok $? "site-b counted the fallback to TCP ($(pstatus site-b udp_fallbacks))"
if [ -r "$top_srcdir/tests/e2e/json_contract.py" ]; then
	pjson site-b neighbours >"$WORLD_DIR/nb.json"
	python3 "$top_srcdir/tests/e2e/json_contract.py" \
	    "$top_srcdir/man/proxyctl.8" neighbours "$WORLD_DIR/nb.json" >/dev/null
	ok $? "neighbours JSON with transport matches proxyctl(8)"
	pjson site-b status | jq '.[0]' >"$WORLD_DIR/st.json"
	python3 "$top_srcdir/tests/e2e/json_contract.py" \
	    "$top_srcdir/man/proxyctl.8" status "$WORLD_DIR/st.json" >/dev/null
	ok $? "status JSON with the TCP counters matches proxyctl(8)"
fi

# ---- 2. tunnel, ping, TCP transfer over the TCP link
wait_for 30 has_route site-a "$WORLD_B_LAN" &&
    wait_for 30 has_route site-b "$WORLD_A_LAN" || bail "routes between the sites"
swanctl_initiate hosta tunnel 20 && wait_for 15 both_installed
ok $? "strongSwan tunnel up through the proxies (site-b over TCP)"
nsx hosta ping -n -q -c 3 -W 2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
ok $? "ping through the tunnel"
BPS_TCP=$(iperf_run tcp)
echo "# iperf3 TCP through IPsec, site-b's link over TCP: $(( BPS_TCP / 1000000 )) Mbit/s"
[ "$BPS_TCP" -gt 0 ]
ok $? "TCP transfer through the tunnel over the TCP link"
echo "# site-b drop_tcp_queue after the transfer: $(pstatus site-b drop_tcp_queue)"
rk=$(nfield site-b pub rekeys)
[ "${rk:-0}" -ge 1 ] && up_over site-b pub tcp
ok $? "the TCP link rekeyed without going down ($rk rekeys)"
pctl pxa "$(proxy_sock site-a)" explain site-b >"$WORLD_DIR/explain-a.txt" 2>&1
pctl pxb "$(proxy_sock site-b)" explain site-a >"$WORLD_DIR/explain-b.txt" 2>&1
sed 's/^/#   a: /' "$WORLD_DIR/explain-a.txt"
sed 's/^/#   b: /' "$WORLD_DIR/explain-b.txt"
grep -q "UDP is blocked at this proxy" "$WORLD_DIR/explain-b.txt" &&
    grep -q "runs over tcp" "$WORLD_DIR/explain-b.txt"
ok $? "site-b's explain says its link runs over tcp and UDP is blocked"
grep -Eq "UDP is blocked at 'site-b'|a NAT type is unknown" "$WORLD_DIR/explain-a.txt" &&
    ! grep -Eq "punches sent [1-9]" "$WORLD_DIR/explain-a.txt" "$WORLD_DIR/explain-b.txt"
ok $? "no direct channel tried toward the UDP-blocked site (no punches)"

# ---- 3. the TCP path dies: back over TCP
rc0=$(nfield site-b pub reconnects)
nsx natb iptables -w -I FORWARD 1 -p tcp --dport "$TCP_PORT" -j REJECT --reject-with tcp-reset
nsx hosta ping -n -q -c 2 -W 1 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null 2>&1
wait_for 20 eval '[ "$(nfield site-b pub state)" != up ]'
ok $? "site-b's TCP link goes down when the NAT resets it"
nsx natb iptables -w -D FORWARD -p tcp --dport "$TCP_PORT" -j REJECT --reject-with tcp-reset
t1=$(now_ms)
wait_for 20 up_over site-b pub tcp
ok $? "the link comes back over TCP ($(( $(now_ms) - t1 )) ms after the path returned; reconnects $rc0 -> $(nfield site-b pub reconnects))"
wait_for 20 nsx hosta ping -n -q -c 1 -W 1 -I "$WORLD_A_INNER" "$WORLD_B_INNER"
ok $? "ping through the tunnel after the TCP link came back"

# ---- 4. UDP unblocked: back to UDP, make-before-break
p0=$(now_ms)
nsx hosta ping -n -D -i 0.1 -W 1 -I "$WORLD_A_INNER" "$WORLD_B_INNER" \
    >"$WORLD_DIR/ping-move.txt" 2>&1 </dev/null &
_pid_record ping-move $! "$(ns hosta)"
sleep 1
udp_unblock || bail "UDP unblocked"
t2=$(now_ms)
if wait_for 35 up_over site-b pub udp; then
	T_BACK=$(( $(now_ms) - t2 ))
	echo "# site-b's link moved back to UDP $T_BACK ms after UDP was unblocked"
	[ "$T_BACK" -le 30000 ]
	ok $? "the link moves to UDP within 30 s ($T_BACK ms)"
else
	T_BACK=-1
	ok 1 "the link moves to UDP within 30 s"
fi
sleep 3
_pid_stop ping-move
# the gaps between replies, counting from the ping's start (over TCP
# first: a ping that only got answers once on UDP has a gap at its start)
gap=$(awk -F'[][]' -v p="$(awk -v t="$p0" 'BEGIN { printf "%.3f", t / 1000 }')" \
    '/bytes from/ { t = $2 + 0; d = t - p; if (d > m) m = d; p = t; n++ }
    END { printf "%.3f %d", m, n }' "$WORLD_DIR/ping-move.txt")
echo "# continuous ping (0.1 s) across the move: largest gap between replies ${gap% *} s, ${gap#* } replies"
awk -v g="${gap% *}" -v n="${gap#* }" 'BEGIN { exit !(g <= 1.0 && n >= 20) }'
ok $? "no gap longer than 1 s in the ping across the move to UDP (${gap% *} s)"
up_over pub site-b udp
ok $? "pub shows site-b's link on udp too"
[ "$(nfield site-b pub moves)" -ge 1 ]
ok $? "the link moved without going down (moves $(nfield site-b pub moves))"
[ "$(pjson site-b status | jq -r '.[0].udp_blocked')" = false ]
ok $? "site-b no longer says UDP is blocked"
BPS_UDP=$(iperf_run udp)
echo "# iperf3 TCP through IPsec, site-b's link over UDP: $(( BPS_UDP / 1000000 )) Mbit/s"
[ "$BPS_UDP" -gt 0 ]
ok $? "TCP transfer through the tunnel over the UDP link"
echo "# SAME RUN: IPsec TCP throughput over the TCP link $(( BPS_TCP / 1000000 )) Mbit/s, over UDP $(( BPS_UDP / 1000000 )) Mbit/s"

# ---- 5. bad input on pub's TCP port
inet_host evil "$EVIL" || bail "attacker host"
a0=$(pstatus pub tcp_accepted) m0=$(pstatus pub tcp_malformed)
t0c=$(pstatus pub tcp_truncated) l0=$(pstatus pub tcp_hs_limit)
# garbage instead of a TLS ClientHello
nsx evil python3 - "$WORLD_PUB_ADDR" "$TCP_PORT" <<'EOF'
import socket, sys, os, time
a, p = sys.argv[1], int(sys.argv[2])
def conn():
    s = socket.create_connection((a, p), timeout=3)
    return s
# 1. random bytes
s = conn(); s.sendall(os.urandom(3000)); time.sleep(0.3); s.close()
# 2. a TLS record header announcing 16 KiB, then the connection ends
s = conn(); s.sendall(bytes([0x16, 3, 1, 0x40, 0]) + os.urandom(100)); time.sleep(0.3); s.close()
# 3. nothing at all, closed at once
s = conn(); s.close()
EOF
# a valid TLS session with a network certificate, then a bad frame length
printf '\000\001X' | nsx evil timeout 5 openssl s_client -quiet -tls1_3 \
    -connect "$WORLD_PUB_ADDR:$TCP_PORT" -cert "$WORLD_DIR/pki/evil.crt" \
    -key "$WORLD_DIR/pki/evil.key" -CAfile "$WORLD_DIR/pki/ca.crt" \
    >/dev/null 2>&1
# more connections than may be in their handshake at once
nsx evil python3 - "$WORLD_PUB_ADDR" "$TCP_PORT" <<'EOF'
import socket, sys, time
a, p = sys.argv[1], int(sys.argv[2])
socks = []
for i in range(20):
    try:
        socks.append(socket.create_connection((a, p), timeout=3))
    except OSError:
        pass
time.sleep(1.5)
for s in socks:
    s.close()
EOF
sleep 1
a1=$(pstatus pub tcp_accepted) m1=$(pstatus pub tcp_malformed)
t1c=$(pstatus pub tcp_truncated) l1=$(pstatus pub tcp_hs_limit)
echo "# pub: tcp_accepted $a0 -> $a1, tcp_malformed $m0 -> $m1, tcp_truncated $t0c -> $t1c, tcp_hs_limit $l0 -> $l1"
[ "$m1" -ge $((m0 + 2)) ]
ok $? "malformed streams counted (garbage and a bad frame length: $m0 -> $m1)"
[ "$t1c" -gt "$t0c" ]
ok $? "truncated streams counted ($t0c -> $t1c)"
[ "$l1" -ge $((l0 + 10)) ]
ok $? "connections over the per-source handshake limit refused and counted ($l0 -> $l1)"
proxy_alive pub
ok $? "pub still runs"
neighbour_up pub site-a && neighbour_up pub site-b
ok $? "pub's links to site-a and site-b stay up"
nsx hosta ping -n -q -c 3 -W 2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
ok $? "ping through the tunnel after the bad input"

echo "# NUMBERS: link over TCP with UDP blocked ${T_TCP:-?} ms; back to UDP ${T_BACK:-?} ms; IPsec TCP ${BPS_TCP:-0} bit/s over TCP link vs ${BPS_UDP:-0} bit/s over UDP"

charon_stop
for name in site-b site-a pub; do
	proxy_stop "$name"
	rc=$(cat "$WORLD_DIR/$name.exit" 2>/dev/null || echo '?')
	[ "$rc" = 0 ]
	ok $? "proxy $name exits cleanly on SIGTERM (status $rc)"
done
t_summary
