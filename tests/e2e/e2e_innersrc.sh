#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The inner source check (issue 11, part 5): a packet that arrives over a
# link goes on (or onto a LAN) only when its inner source lies inside a
# prefix of the proxy it came from.
#  - hostb pings hosta from 10.2.0.10 (site-b's LAN): answered
#    (the control: the check lets real traffic through);
#  - hostb pings hosta from 10.88.0.1, an address of no site: site-b's
#    proxy sends it (it does not filter its own LAN), pub drops every one
#    and counts it in drop_source; hosta never sees one;
#  - a rogue proxy with a valid certificate (tests/tools/pxrogue), linked
#    to pub, sends DATA frames in its own name with a source inside
#    site-b's LAN (10.2.0.77) toward hosta: pub drops and counts each,
#    hosta sees none; the same frames with a source of nobody's are
#    dropped as well.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3 ping

e2e_traps

PXROGUE=${PXROGUE:-$top_builddir/tests/tools/pxrogue}
ROGUE_ADDR=203.0.113.31
SPOOF=10.88.0.1 FORGED=10.2.0.77
N=5
[ -x "$PXROGUE" ] || bail "no $PXROGUE (make check builds it)"

is_count() { [[ ${1:-} =~ ^[0-9]+$ ]]; }
stat_of() {
	local v
	v=$(pstatus "$1" "$2") && is_count "$v" && echo "$v"
}
# hosta_saw SRC: ICMP packets from SRC hosta's INPUT counted
hosta_saw() {
	nsx hosta iptables -w -L INPUT -nvx 2>/dev/null |
	    awk -v s="$1" '$8 == s { n += $1 } END { print n + 0 }'
}
# ping_from SRC: N pings from hostb to hosta with source SRC; the replies
ping_from() {
	nsx hostb timeout 20 ping -n -c "$N" -i 0.3 -W 2 -I "$1" \
	    "$WORLD_A_HOST" 2>/dev/null |
	    sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p'
}
routes_up() {
	has_route site-b "$WORLD_A_LAN" && has_route site-a "$WORLD_B_LAN"
}
# data_hex TTL ORIGIN SRC DST: a DATA body (after the type byte) carrying
# an ICMP echo request SRC -> DST, in the name of proxy ORIGIN
data_hex() {
	python3 - "$@" <<'EOF'
import socket, struct, sys
ttl, origin, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
h = 2166136261
for c in origin.encode():
    h = ((h ^ c) * 16777619) & 0xffffffff
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
icmp = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + b'forged!!'
icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
sys.stdout.write((struct.pack('!BI', ttl, h) + ip + icmp).hex())
EOF
}

world_up || bail "world built"
make_certs "$WORLD_DIR/pki" rogue || bail "certificates"
nsx hostb ip addr add "$SPOOF/32" dev lo || bail "hostb's spoofed address"
for src in "$SPOOF" "$FORGED" "$WORLD_B_HOST"; do
	nsx hosta iptables -w -I INPUT -p icmp -s "$src" -j ACCEPT ||
	    bail "counter for $src"
done
proxy_std_up || bail "standard proxies started"
wait_for 60 routes_up || bail "site-a and site-b route to each other"
ok 0 "site-a and site-b route to each other"

# ---- the control: a source of site-b's
got=$(ping_from "$WORLD_B_HOST")
[ "${got:-0}" -ge $((N - 1)) ]
ok $? "hostb -> hosta from $WORLD_B_HOST (site-b's LAN): ${got:-0}/$N answered (hosta saw $(hosta_saw "$WORLD_B_HOST"); site-a tun_tx $(stat_of site-a tun_tx), site-b tun_rx $(stat_of site-b tun_rx) drop_noroute $(stat_of site-b drop_noroute) drop_policy $(stat_of site-b drop_policy))"
d0=$(stat_of pub drop_source)
[ "${d0:-x}" = 0 ]
ok $? "pub dropped nothing for its source so far (drop_source ${d0:-?})"

# ---- a LAN host of site-b with an address of no site
got=$(ping_from "$SPOOF")
sleep 0.5
d1=$(stat_of pub drop_source) seen=$(hosta_saw "$SPOOF")
is_count "$d1" && [ $((d1 - d0)) -ge "$N" ] && [ "${got:-0}" = 0 ]
ok $? "hostb -> hosta from $SPOOF (no site's): each dropped at pub (drop_source ${d0:-?} -> ${d1:-?}), ${got:-0} answered"
[ "$seen" = 0 ]
ok $? "hosta saw none of them ($seen)"

# ---- a rogue proxy with a valid certificate injects forged sources
inet_host rogue "$ROGUE_ADDR" || bail "rogue host"
conf=$(proxy_conf rogue listen="$ROGUE_ADDR:4790" \
    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT") || bail "rogue config"
body=$(data_hex 8 rogue "$FORGED" "$WORLD_A_HOST") || bail "frame built"
body2=$(data_hex 8 rogue "$SPOOF" "$WORLD_A_HOST") || bail "frame built"
d2=$(stat_of pub drop_source)
nsx rogue timeout 40 "$PXROGUE" -c "$conf" -n pub --raw 4 --body-hex "$body" \
    --count 20 --rate 50 >"$WORLD_DIR/pxrogue.out" 2>&1
rc=$?
nsx rogue timeout 40 "$PXROGUE" -c "$conf" -n pub --raw 4 --body-hex "$body2" \
    --count 20 --rate 50 >>"$WORLD_DIR/pxrogue.out" 2>&1
rc2=$?
echo "# pxrogue: $(tr '\n' ';' <"$WORLD_DIR/pxrogue.out")"
[ "$rc" = 0 ] && [ "$rc2" = 0 ] && grep -q "^sent 20 " "$WORLD_DIR/pxrogue.out"
ok $? "the rogue linked to pub and sent 2 x 20 DATA frames (exit $rc, $rc2)"
sleep 0.5
d3=$(stat_of pub drop_source)
is_count "$d3" && [ $((d3 - d2)) = 40 ]
ok $? "pub dropped and counted every forged frame (drop_source ${d2:-?} -> ${d3:-?})"
seen=$(hosta_saw "$FORGED")
[ "$seen" = 0 ]
ok $? "hosta saw no packet from $FORGED ($seen)"
got=$(ping_from "$WORLD_B_HOST")
[ "${got:-0}" -ge $((N - 1)) ]
ok $? "real traffic still flows afterwards (${got:-0}/$N answered)"

t_summary
