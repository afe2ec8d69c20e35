#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# A live link is its session and its keys, not an address.  site-a (behind
# NAT A, MASQUERADE) links to pub; an attacker on the internet side.
#  1. Forged and replayed sealed datagrams: a real sealed datagram from
#     site-a to pub is captured on pub's wire and sent again from the
#     attacker, unchanged (a replay: drop_replay), with a flipped ciphertext
#     or tag bit or just a new sequence number (forgeries: drop_auth) and
#     with another session (drop_nosession).  Each is counted exactly once;
#     pub's link to site-a does not move to the attacker's address, and it
#     still carries traffic (no forged sequence number entered the replay
#     window).
#  2. NAT re-mapping: NAT A gets a new SNAT port range and forgets its
#     mappings, so site-a's next packet reaches pub from a new port.  pub
#     follows the link there by its session id: the same link (no new link
#     up in pub's log, its up time goes on), site-a's reconnect counter does
#     not move, and the link stays up and carries traffic both ways.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3 conntrack

e2e_traps

ATTACKER=203.0.113.99
REMAP_PORTS=40000-40099
N_REPLAY=5	# replays of the captured datagram
N_FORGE=3	# of each of the three forgeries
N_NOSESS=2	# with another session

T_SEALED=$(sed -n '/^enum pkt_type {/,/^};/p' "$top_srcdir/lib/pkt.h" |
    sed -n 's/^[[:space:]]*PKT_SEALED[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p')

# pjson_ok NAME COMMAND: pjson, but it fails (printing nothing) when
# proxyctl fails, so an unreadable proxy is never read as an empty table.
pjson_ok() {
	local out
	out=$(pctl "$(proxy_ns "$1")" "$(proxy_sock "$1")" -j "$2") || return 1
	jq -cs '[ .[] | if type == "array" then .[] else . end
		  | if type == "object" and has("row") then .row else . end
		  | select(type != "object" or (has("end") | not)) ]' <<<"$out"
}
is_count() { [[ ${1:-} =~ ^[0-9]+$ ]]; }
# nbr_field PROXY NEIGHBOUR FIELD: fails if unreadable or no such row.
nbr_field() {
	local j
	j=$(pjson_ok "$1" neighbours) || return 1
	jq -er --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n)) | .[0] // error("no row") | .[$f] | tostring' \
	    <<<"$j" 2>/dev/null
}
pub_status() { pjson_ok pub status | jq -ce '.[0] // error("empty")'; }
delta() {	# FIELD: AFTER's minus BEFORE's
	jq -n --argjson a "$BEFORE" --argjson b "$AFTER" --arg f "$1" \
	    '(($b[$f] // 0) - ($a[$f] // 0))'
}
# echo_ok: proxyctl ping pub from site-a is answered over the link
# (sealed both ways).
echo_ok() {
	pctl pxa "$(proxy_sock site-a)" -j ping pub 2>/dev/null |
	    jq -se '[.[] | if type == "array" then .[] else . end
		     | if has("row") then .row else . end] |
		    any(.[]; .name == "pub" and .rtt_ms > 0)' >/dev/null
}
link_ups() {	# how often pub's log says its link with site-a came up
	grep -c "peer 'site-a' (.*): link up" "$WORLD_DIR/pub.log"
}

# sniff.py SRC PORT TYPE OUT SECONDS: on this namespace's wire, the first
# UDP datagram from SRC to PORT whose payload is a proxyd datagram of TYPE;
# its payload goes to OUT as hex.  Exit 1 if none within SECONDS.
# forge.py HOST PORT IN NREPLAY NFORGE NNOSESS: sends the captured datagram
# again, forged and replayed; prints what it sent.
write_scripts() {
	cat >"$WORLD_DIR/sniff.py" <<'EOF'
import socket, struct, sys, time
src, port, typ, out, secs = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                             sys.argv[4], float(sys.argv[5]))
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.settimeout(0.2)
open(out + ".ready", "w").close()
end = time.monotonic() + secs
while time.monotonic() < end:
    try:
        pkt, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING or len(pkt) < 28 or pkt[9] != 17:
        continue
    ihl = (pkt[0] & 15) * 4
    if socket.inet_ntoa(pkt[12:16]) != src:
        continue
    sport, dport, ulen = struct.unpack("!HHH", pkt[ihl:ihl + 6])
    p = pkt[ihl + 8:ihl + ulen]
    if dport == port and len(p) >= 30 and p[0] == 1 and p[1] == typ:
        with open(out, "w") as f:
            f.write(p.hex())
        sys.exit(0)
sys.exit(1)
EOF
	cat >"$WORLD_DIR/forge.py" <<'EOF'
import json, os, socket, struct, sys, time
host, port, inp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n_replay, n_forge, n_nosess = (int(a) for a in sys.argv[4:7])
d = bytes.fromhex(open(inp).read().strip())
session = struct.unpack("!I", d[2:6])[0]
seq = struct.unpack("!Q", d[6:14])[0]
def with_seq(b, q):
    return b[:6] + struct.pack("!Q", q) + b[14:]
def flip(b, i):
    return b[:i] + bytes([b[i] ^ 0x01]) + b[i + 1:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = {"replay": 0, "forged": 0, "nosession": 0}
def send(b, k):
    s.sendto(b, (host, port))
    sent[k] += 1
    time.sleep(0.002)
for _ in range(n_replay):                    # the very same bytes
    send(d, "replay")
for i in range(n_forge):                     # fresh sequence numbers, so
    q = seq + 100000 + 3 * i                 # only authentication stops them
    send(flip(with_seq(d, q), 14), "forged")         # ciphertext bit
    send(flip(with_seq(d, q + 1), len(d) - 1), "forged")  # tag bit
    send(with_seq(d, q + 2), "forged")               # only the seq (in the AAD)
for i in range(n_nosess):                    # another session
    send(d[:2] + struct.pack("!I", session ^ 0x5a5a5a5a) + d[6:], "nosession")
sent.update({"session": "%08x" % session, "seq": seq, "len": len(d)})
print(json.dumps(sent))
EOF
}

echo "# world: pub and site-a behind NAT A (MASQUERADE), attacker at $ATTACKER (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
[ -n "$T_SEALED" ] || bail "PKT_SEALED read from lib/pkt.h"
write_scripts || bail "scripts written"
make_certs "$WORLD_DIR/pki" || bail "certificates"
inet_host attacker "$ATTACKER" || bail "attacker host on the internet"
proxy_start pub pub "$(proxy_conf_std pub)" &&
proxy_start pxa site-a "$(proxy_conf_std site-a)" || bail "pub and site-a started"
wait_for 30 neighbour_up site-a pub && wait_for 10 neighbour_up pub site-a ||
    bail "site-a links to pub"
ok 0 "pub and site-a started, linked"
reconnects0=$(nbr_field site-a pub reconnects)
addr0=$(nbr_field pub site-a addr)
ups0=$(link_ups)
echo "# pub sees site-a at ${addr0:-?}; site-a's reconnects ${reconnects0:-?}"

# ---- 1. forged and replayed sealed datagrams
cap=$WORLD_DIR/sealed.hex
ip netns exec "$(ns pub)" timeout 15 python3 "$WORLD_DIR/sniff.py" \
    "$WORLD_A_WAN" "$WORLD_PUB_PORT" "$T_SEALED" "$cap" 10 \
    >"$WORLD_DIR/sniff.out" 2>&1 &
sniff_pid=$!
wait_for 5 test -e "$cap.ready"
echo_ok	# a sealed echo from site-a to pub
wait "$sniff_pid"
rc=$?
ok "$([ $rc = 0 ] && [ -s "$cap" ]; echo $?)" \
    "a sealed datagram from site-a ($WORLD_A_WAN) to pub captured on pub's wire ($(( $(wc -c <"$cap" 2>/dev/null || echo 0) / 2 )) bytes)"

BEFORE=$(pub_status) || bail "pub's status readable"
out=$(nsx attacker timeout 30 python3 "$WORLD_DIR/forge.py" "$WORLD_PUB_ADDR" \
    "$WORLD_PUB_PORT" "$cap" "$N_REPLAY" "$N_FORGE" "$N_NOSESS")
rc=$?
echo "# attacker sent: $out"
[ $rc = 0 ] || bail "the attacker ran (exit $rc)"
n_forged=$(jq -r '.forged' <<<"$out")
counted() {
	AFTER=$(pub_status) || return 1
	[ "$(delta drop_replay)" -ge "$N_REPLAY" ] &&
	    [ "$(delta drop_auth)" -ge "$n_forged" ] &&
	    [ "$(delta drop_nosession)" -ge "$N_NOSESS" ]
}
wait_for 5 counted
sleep 0.3
AFTER=$(pub_status) || bail "pub's status readable"
d_rep=$(delta drop_replay) d_auth=$(delta drop_auth) d_nos=$(delta drop_nosession)
[ "$d_rep" = "$N_REPLAY" ]
ok $? "1. the $N_REPLAY replays of a real sealed datagram are each counted in drop_replay (+$d_rep)"
[ "$d_auth" = "$n_forged" ]
ok $? "1. the $n_forged forgeries (flipped ciphertext, flipped tag, new sequence number) are each counted in drop_auth (+$d_auth)"
[ "$d_nos" = "$N_NOSESS" ]
ok $? "1. the $N_NOSESS copies with another session are counted in drop_nosession (+$d_nos)"
addr1=$(nbr_field pub site-a addr)
[ -n "$addr0" ] && [ "$addr1" = "$addr0" ]
ok $? "1. pub's link to site-a did not move to the attacker ($addr0 -> ${addr1:-unreadable})"
! grep -q "peer 'site-a' .*moved to $ATTACKER" "$WORLD_DIR/pub.log"
ok $? "1. pub's log has no move to the attacker's address"
# No forged sequence number entered the window: site-a's next datagrams
# are taken, both ways.
wait_for 5 echo_ok
ok $? "1. the link still carries traffic both ways (proxyctl ping pub from site-a)"

# ---- 2. NAT re-mapping
iptables_nata() { nsx nata iptables -w -t nat "$@"; }
iptables_nata -I POSTROUTING 1 -o wan -p udp -j MASQUERADE --to-ports "$REMAP_PORTS" &&
    nat_reboot a || bail "NAT A re-mapped to ports $REMAP_PORTS"
t0=$(now_ms)
# moved: pub's link to site-a is at an address of the new range, and it is
# still the link that came up first (a reconnect would get there too).
moved() {
	local a
	a=$(nbr_field pub site-a addr) || return 1
	[ "$(link_ups)" = "$ups0" ] &&
	    [[ $a =~ ^${WORLD_A_WAN//./\\.}:([0-9]+)$ ]] &&
	    [ "${BASH_REMATCH[1]}" -ge "${REMAP_PORTS%-*}" ] &&
	    [ "${BASH_REMATCH[1]}" -le "${REMAP_PORTS#*-}" ]
}
wait_for 20 moved
rc=$?
addr2=$(nbr_field pub site-a addr)
ok $rc "2. pub follows site-a to its new mapping on the same link ($addr0 -> ${addr2:-unreadable} after $(( $(now_ms) - t0 )) ms; link ups in pub's log $ups0 -> $(link_ups))"
grep -m 1 "peer 'site-a' .*moved to" "$WORLD_DIR/pub.log" | sed 's/^/# pub.log: /'
up0=$(nbr_field pub site-a up_s)
sleep 6	# more than a keepalive interval, on the new mapping
up1=$(nbr_field pub site-a up_s)
neighbour_up site-a pub && neighbour_up pub site-a
ok $? "2. the link is up on both sides 6 s after the re-mapping"
reconnects1=$(nbr_field site-a pub reconnects)
is_count "$reconnects0" && [ "$reconnects1" = "$reconnects0" ]
ok $? "2. site-a did not reconnect (reconnects ${reconnects0:-unreadable} -> ${reconnects1:-unreadable})"
ups1=$(link_ups)
awk -v a="${up0:-x}" -v b="${up1:-x}" 'BEGIN { exit !(a + 0 > 0 && b - a >= 5) }' &&
    [ "$ups1" = "$ups0" ]
ok $? "2. it is the same link at pub: up time went on (${up0:-?} s -> ${up1:-?} s), no new link came up ($ups0 -> $ups1 in pub's log)"
echo_ok
ok $? "2. the link carries traffic both ways over the new mapping (proxyctl ping pub from site-a)"
nsx nata conntrack -L -p udp --orig-port-dst "$WORLD_PUB_PORT" 2>/dev/null |
    grep -m 1 "$WORLD_PUB_ADDR" | sed 's/^/# nata: /'

t_summary
