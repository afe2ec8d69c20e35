#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Issue 16: header compression on links (lib/hc.h), and a valid but
# hostile proxy that abuses it.  The standard world (pub, site-a, site-b,
# every path 1500 bytes, site B behind a symmetric NAT: relayed through
# pub), the strongSwan endpoints at libipsec's default tunnel MTU, so their
# full-size ESP in UDP is 1464 bytes: 28 over what a 1500-byte path takes
# with a link's 64 bytes around it.
#
#  (1) A 16 MB TCP transfer through the tunnel completes, every byte
#      counted and hashed at hostB.  site-a and pub sent the packets with
#      their IP and UDP headers left out (hc_tx), pub and site-b put every
#      one back (hc_rx); what was still split is only the contexts sent
#      whole (frag_tx at most twice hc_set_tx); no proxy dropped anything.
#  (2) "rogue" (tests/tools/pxrogue, a certificate binding 10.66.0.0/24,
#      linked to pub) sends crafted HC and HC_SET messages over its
#      authenticated link, while a ping crosses the tunnel:
#      a. 500 HC for contexts pub never got: each dropped, counted
#         (drop_hc_miss + 500);
#      b. 200 HC naming contexts 16..255 and 100 HC_SET whose packet is
#         not IPv4/UDP as compressed (TCP, IP options, a bad header
#         checksum, a fragment, a UDP length that disagrees): each
#         refused as malformed (+300);
#      c. an HC_SET and 200 HC from a site A address (not rogue's): pub
#         expands them (hc_set_rx + 1, hc_rx + 200) and its source check
#         drops every one (drop_source + 201): an expanded packet meets
#         every check a DATA message meets;
#      d. rogue advertises 10.66.0.0/24 (signed, inside its certificate);
#         an HC_SET and 200 HC from 10.66.0.5 to hostB's port 4500 reach
#         hostB, all 201, at the right length (an iptables counter there);
#      e. 20000 HC_SET at 5000/s cycling all 16 contexts with new
#         generations: pub's memory stays flat (RSS grows < 1 MiB) and it
#         answers its control socket;
#      f. 2000 PKT_MSG_FEATURES that never say they heard pub's: pub
#         answers only up to its cap (200 datagrams to rogue at most, not
#         one answer each).
#      Throughout, the tunnel's ping does not break.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping python3 iptables
: "${PXROGUE:=$top_builddir/tests/tools/pxrogue}"
: "${LSAGEN:=$top_builddir/tests/tools/lsagen}"
CHARON_RETRANSMIT="5 1 1.5"

e2e_traps

ROGUE_ADDR=203.0.113.66
ROGUE_NET=10.66.0.0/24
PUB_EP=pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT
PING_N=${E2E_HC_PING_N:-250}		# 0.2 s apart

both_installed() { child_sa_installed hosta tunnel && child_sa_installed hostb tunnel; }
num() { local v; v=$(pstatus "$1" "$2"); echo "${v:-0}"; }
route_dest() {	# PROXY PREFIX
	pjson "$1" routes | jq -r --arg p "$2" \
	    'map(select(.prefix == $p)) | .[0].dest // empty'
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$(proxy_pid "$1")/status"; }

world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] && [ -x "$PXROGUE" ] && [ -x "$LSAGEN" ] ||
    bail "daemon, pxrogue and lsagen built (make check-e2e)"
make_certs "$WORLD_DIR/pki" "rogue=$ROGUE_NET" || bail "certificates"
for name in pub site-a site-b; do
	proxy_conf_std "$name" >/dev/null || bail "config for $name"
done
unset CHARON_MTU
charon_start hosta && charon_start hostb && swanctl_load hosta &&
    swanctl_load hostb || bail "strongSwan on hosta and hostb"
ep_mtu=$(nsx hosta cat /sys/class/net/ipsec0/mtu 2>/dev/null)
echo "# endpoints' ipsec0 MTU: ${ep_mtu:-?} (libipsec's default, untouched)"
for name in pub site-a site-b; do
	proxy_start "$(proxy_ns "$name")" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "proxy $name started"
done
wait_for 30 has_route site-a "$WORLD_B_LAN" && wait_for 30 has_route site-b "$WORLD_A_LAN" ||
    bail "routes"
swanctl_initiate hosta tunnel 20 && wait_for 10 both_installed ||
    bail "IPsec tunnel hosta <-> hostb up through the proxies"
ok 0 "IPsec tunnel hosta <-> hostb up"
pmtu_1500() {
	[ "$(pjson site-a neighbours | jq -r 'map(select(.name == "pub")) | .[0].pmtu')" = 1500 ] &&
	    [ "$(pjson pub neighbours | jq -r 'map(select(.name == "site-b")) | .[0].pmtu')" = 1500 ]
}
wait_for 15 pmtu_1500
ok $? "site-a -> pub and pub -> site-b measured a 1500-byte path"

# ---- (1) a full-size transfer, unsplit
declare -A c0
for name in site-a pub site-b; do
	for f in hc_tx hc_set_tx hc_rx hc_set_rx frag_tx drop_hc_miss; do
		c0[$name.$f]=$(num "$name" "$f")
	done
done
tunnel_stream 16
ok $? "(1) 16 MB through the tunnel, every byte counted and hashed at hostB (received $STREAM_RX of 16777216, SHA-256 $STREAM_RX_SUM, sent $STREAM_TX_SUM)"
d() { echo $(( $(num "$1" "$2") - ${c0[$1.$2]} )); }
for spec in site-a:pub pub:site-b; do
	s=${spec%%:*} r=${spec#*:}
	tx=$(d "$s" hc_tx) set=$(d "$s" hc_set_tx) rx=$(d "$r" hc_rx) srx=$(d "$r" hc_set_rx)
	echo "# $s -> $r: $tx sent short, $set contexts sent whole; $r put back $rx, got $srx contexts"
	# 16 MB in 1464-byte packets is over 11000 of them
	[ "$tx" -ge 10000 ] && [ "$rx" = "$tx" ] && [ "$srx" = "$set" ] && [ "$set" -ge 1 ]
	ok $? "(1) $s sent the full-size packets to $r with their headers left out, and $r put back every one ($tx sent, $rx put back; contexts $set sent, $srx received)"
done
for name in site-a pub; do
	f=$(d "$name" frag_tx) set=$(d "$name" hc_set_tx)
	[ "$f" -le $(( 2 * set )) ]
	ok $? "(1) $name split only the contexts it sent whole ($f pieces for $set contexts)"
done
for name in site-a pub site-b; do
	m=$(d "$name" drop_hc_miss) df=$(num "$name" drop_frag) dm=$(num "$name" drop_malformed)
	[ "$m" = 0 ] && [ "$df" = 0 ] && [ "$dm" = 0 ]
	ok $? "(1) $name dropped nothing (drop_hc_miss $m, drop_frag $df, drop_malformed $dm)"
done

# ---- (2) rogue
NS_BG_OUT=$WORLD_DIR/ping.out ns_bg tunnel-ping hosta \
    ping -n -i 0.2 -W 2 -c "$PING_N" -I "$WORLD_A_INNER" "$WORLD_B_INNER"
inet_host rogue "$ROGUE_ADDR" || bail "internet host for rogue"
conf_rogue=$(proxy_conf rogue listen="$ROGUE_ADDR:$WORLD_PUB_PORT" \
    neighbours="$PUB_EP" tun=no) || bail "rogue's configuration"
pki=$WORLD_DIR/pki

# bodies KIND FILE: records (u16 length + the message, its type byte first:
# pxrogue --raw 0) of crafted HC and HC_SET messages, made by the Python
# below.
bodies() {
	python3 - "$@" <<'EOF'
import struct, sys

def fnv(name):			# lib/pkt.c pkt_origin_id()
    h = 2166136261
    for c in name.encode():
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(a):
    return bytes(int(x) for x in a.split("."))

def packet(src, dst, sport, dport, payload, proto=17, opts=b"", flags=0x4000,
           badsum=False, udplen=None):
    ihl = 5 + len(opts) // 4
    l4 = 8 + len(payload)
    tot = ihl * 4 + l4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 0x1234, flags, 64,
                    proto, 0, ip4(src), ip4(dst)) + opts
    s = csum(h)
    if badsum:
        s ^= 0x5555
    h = h[:10] + struct.pack("!H", s) + h[12:]
    ulen = l4 if udplen is None else udplen
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, l4)
    u = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo + u) or 0xffff
    u = u[:6] + struct.pack("!H", c) + u[8:]
    return h + u

def hc_set(ttl, origin, ctx, gen, pkt):	# PKT_MSG_HC_SET
    return struct.pack("!BBIBB", 23, ttl, origin, ctx, gen) + pkt

def hc(ttl, ctx, gen, udpsum, payload):		# PKT_MSG_HC
    return struct.pack("!BBBBH", 24, ttl, ctx, gen, udpsum) + payload

kind, out = sys.argv[1], sys.argv[2]
me = fnv("rogue")
recs = []
if kind == "miss":
    recs = [hc(16, i % 16, 0x5a, 0, b"m" * 100) for i in range(16)]
elif kind == "bad-hc":
    recs = [hc(16, 16 + i, 1, 0, b"b" * 100) for i in range(240)]
elif kind == "bad-set":
    base = dict(src="10.66.0.5", dst="10.2.0.10", sport=4500, dport=4500,
                payload=b"x" * 200)
    for kw in (dict(proto=6), dict(opts=b"\x01\x01\x01\x00"),
               dict(badsum=True), dict(flags=0x2000), dict(udplen=100)):
        recs.append(hc_set(16, me, 3, 7, packet(**dict(base, **kw))))
elif kind in ("spoof", "good"):
    # one context, then 200 packets that use it
    src = "10.1.0.77" if kind == "spoof" else "10.66.0.5"
    pay = b"p" * 1000
    p = packet(src, "10.2.0.10", 4500, 4500, pay)
    recs = [hc_set(16, me, 5, 9, p)]
    recs += [hc(16, 5, 9, struct.unpack("!H", p[26:28])[0], pay)] * 200
elif kind == "flood":
    p = packet("10.66.0.5", "10.2.0.10", 4500, 4500, b"f" * 1400)
    recs = [hc_set(16, me, i % 16, i % 256, p) for i in range(4096)]
with open(out, "wb") as f:
    for r in recs:
        f.write(struct.pack("!H", len(r)) + r)
EOF
}
# rogue_send NAME COUNT RATE: pxrogue sends COUNT messages from
# $WORLD_DIR/NAME.bin over one link (one session: the contexts an HC_SET
# gives are the link's), and must have stayed linked throughout.
rogue_send() {
	NS_BG_OUT=$WORLD_DIR/rogue-$1.out ns_bg "rogue-$1" rogue "$PXROGUE" -c "$conf_rogue" \
	    -n pub --raw 0 --bodies-file "$WORLD_DIR/$1.bin" --count "$2" \
	    --rate "$3" --hold 1
	ns_bg_wait "rogue-$1" 60
}
for k in miss bad-hc bad-set spoof good flood; do
	bodies "$k" "$WORLD_DIR/$k.bin" || bail "crafted messages ($k)"
done

# a. contexts pub never got
m0=$(num pub drop_hc_miss)
rogue_send miss 500 1000
rc=$?
m1=$(num pub drop_hc_miss)
[ "$rc" = 0 ] && [ $(( m1 - m0 )) = 500 ]
ok $? "(2a) 500 HC for contexts pub does not hold: each dropped and counted (drop_hc_miss $m0 -> $m1, rogue exit $rc)"

# b. malformed: HC with contexts 16..255, HC_SET with packets not as compressed
b0=$(num pub drop_malformed)
rogue_send bad-hc 200 1000 && rogue_send bad-set 100 1000
rc=$?
b1=$(num pub drop_malformed)
[ "$rc" = 0 ] && [ $(( b1 - b0 )) = 300 ]
ok $? "(2b) 200 HC naming contexts 16..255 and 100 HC_SET carrying TCP, IP options, a bad header checksum, a fragment or a wrong UDP length: each refused as malformed (drop_malformed $b0 -> $b1)"

# c. a site A source: expanded, then refused by the source check
s0=$(num pub drop_source) h0=$(num pub hc_rx) e0=$(num pub hc_set_rx)
rogue_send spoof 201 1000
rc=$?
s1=$(num pub drop_source) h1=$(num pub hc_rx) e1=$(num pub hc_set_rx)
echo "# pub: hc_set_rx $e0 -> $e1, hc_rx $h0 -> $h1, drop_source $s0 -> $s1"
[ "$rc" = 0 ] && [ $(( e1 - e0 )) = 1 ] && [ $(( h1 - h0 )) = 200 ] &&
    [ $(( s1 - s0 )) = 201 ]
ok $? "(2c) an HC_SET and HC with a site A source: pub put the headers back ($(( e1 - e0 )) context, $(( h1 - h0 )) short) and its source check dropped each ($(( s1 - s0 )))"

# d. rogue's own prefix, advertised: the packets reach hostB whole.  One
# link for all of it (a second link with rogue's name would be refused as
# a clone): its advertisement for 2 s, then a context and 200 packets.
seq0=$(( $(date +%s) << 20 ))
"$LSAGEN" -c "$pki/rogue.crt" -k "$pki/rogue.key" -o rogue -s "$seq0" -n 1 \
    -p "$ROGUE_NET" -l pub -O "$WORLD_DIR/lsa.bin" || bail "rogue's advertisement made"
python3 - "$WORLD_DIR/lsa.bin" "$WORLD_DIR/good.bin" <<'EOF2'
import struct, sys
d = open(sys.argv[1], "rb").read()
n = struct.unpack("!H", d[:2])[0]
lsa = struct.pack("!HB", n + 1, 11) + d[2:2 + n]	# PKT_MSG_LSA, typed
good = open(sys.argv[2], "rb").read()
open(sys.argv[2], "wb").write(lsa * 100 + good)
EOF2
# hostB counts UDP from 10.66.0.5 to its port 4500 of the crafted length
nsx hostb iptables -I INPUT 1 -s 10.66.0.5 -p udp --dport 4500 -m length --length 1028 -j DROP ||
    bail "hostB's counter"
ipt_count() { nsx hostb iptables -L INPUT 1 -v -x -n | awk '{ print $1 }'; }
h0=$(num pub hc_rx)
NS_BG_OUT=$WORLD_DIR/rogue-good.out ns_bg rogue-good rogue "$PXROGUE" -c "$conf_rogue" \
    -n pub --raw 0 --bodies-file "$WORLD_DIR/good.bin" --count 301 --rate 50 --hold 1
rogue_routed() { [ "$(route_dest site-b "$ROGUE_NET")" = rogue ]; }
wait_for 30 rogue_routed
ok $? "(2d) site-b knows rogue's $ROGUE_NET (signed, inside its certificate)"
ns_bg_wait rogue-good 60
rc=$?
h1=$(num pub hc_rx)
n=$(ipt_count)
echo "# hostB counted ${n:-?} packets of 1028 bytes from 10.66.0.5 (pub hc_rx $h0 -> $h1, rogue exit $rc)"
[ "$rc" = 0 ] && [ $(( h1 - h0 )) = 200 ] && [ "$n" = 201 ]
ok $? "(2d) an HC_SET and 200 HC from rogue's own 10.66.0.5 reach hostB, all 201, 1028 bytes each"

# e. a flood of contexts
r0=$(rss_kb pub) e0=$(num pub hc_set_rx)
rogue_send flood 20000 5000
rc=$?
e1=$(num pub hc_set_rx) r1=$(rss_kb pub)
t0=$(now_ms); num pub routes >/dev/null; t1=$(now_ms)
echo "# pub: hc_set_rx $e0 -> $e1, RSS $r0 -> $r1 KiB, status answered in $(( t1 - t0 )) ms"
[ "$rc" = 0 ] && [ $(( e1 - e0 )) -ge 19000 ] && [ $(( r1 - r0 )) -lt 1024 ] && proxy_alive pub
ok $? "(2e) 20000 HC_SET over 16 contexts: pub took them ($(( e1 - e0 ))) with its memory flat (RSS +$(( r1 - r0 )) KiB) and is alive"

# f. features that never say "heard": pub answers each only until its own
# cap (2 x PKT_FEAT_SEND_MAX per link up), not one answer per message
python3 -c 'import sys; sys.stdout.buffer.write(b"\x00\x02\x19\x01")' \
    >"$WORLD_DIR/feat.bin"
rogue_link() {	# FIELD: pub's neighbours row for rogue
	pjson pub neighbours | jq -r --arg f "$1" \
	    'map(select(.name == "rogue")) | .[0][$f] // 0'
}
NS_BG_OUT=$WORLD_DIR/rogue-feat.out ns_bg rogue-feat rogue "$PXROGUE" -c "$conf_rogue" \
    -n pub --raw 0 --bodies-file "$WORLD_DIR/feat.bin" --count 2000 --rate 1000 --hold 3
feat_in() { [ "$(rogue_link rx_packets)" -ge 2000 ]; }
wait_for 15 feat_in
frx=$(rogue_link rx_packets) ftx=$(rogue_link tx_packets)
ns_bg_wait rogue-feat 30
rc=$?
echo "# pub's link to rogue: $frx datagrams in, $ftx out (rogue exit $rc)"
[ "$rc" = 0 ] && [ "$frx" -ge 2000 ] && [ "$ftx" -le 200 ]
ok $? "(2f) 2000 features messages that never say heard: pub sent rogue $ftx datagrams in all, not one answer each"

# ---- the ping, all along
ns_bg_wait tunnel-ping $(( PING_N / 5 + 30 ))
ping_unbroken "$WORLD_DIR/ping.out"
ok $? "the tunnel's ping never broke (at most one echo lost in a row, under 2 % lost)"

t_summary
