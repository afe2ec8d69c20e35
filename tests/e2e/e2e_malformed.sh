#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test (d): bad input from the network.  From a host on the internet side,
# send pub (203.0.113.10:4790) a fixed list of malformed datagrams (empty,
# truncated headers, unknown versions and types, empty or tag-less bodies,
# oversized), well-formed headers with garbage (handshake and sealed), a
# handshake flood from random sessions and a few thousand random datagrams.
# Afterwards pub is still running, counted every malformed datagram in
# drop_malformed, answers proxyctl, and its link with site-a is still up.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3
RANDOM_N=${E2E_MALFORMED_RANDOM:-3000}
HS_FLOOD_N=${E2E_MALFORMED_HS_FLOOD:-500}
SEED=${E2E_MALFORMED_SEED:-$RANDOM}

e2e_traps

ATTACKER=203.0.113.99

# udp_in_errors SHORT: the namespace's UDP InErrors (datagrams the kernel
# dropped before any socket read them, e.g. receive buffer full).
udp_in_errors() {
	nsx "$1" awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) f[$i] = i; h = 1 }
	    else print $f["InErrors"] }' /proc/net/snmp
}

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# The sender: prints one JSON object with what it sent.  Every datagram is
# classified by the documented wire format (lib/pkt.h): "invalid" ones have
# a header no decoder may accept (shorter than the header, version != 1,
# unknown type, empty handshake body, sealed body shorter than the tag).
write_sender() {
	cat >"$WORLD_DIR/send.py" <<'EOF'
import json, os, random, socket, struct, sys, time

host, port, seed, n_random, n_hs = (sys.argv[1], int(sys.argv[2]),
                                    int(sys.argv[3]), int(sys.argv[4]),
                                    int(sys.argv[5]))
rng = random.Random(seed)
MAXUDP = 65507
TAG = 16

def invalid(d):
    if len(d) < 6 or d[0] != 1 or d[1] not in (1, 2):
        return True
    if d[1] == 1:
        return len(d) == 6
    return len(d) < 14 + TAG

def rb(n):
    return bytes(rng.getrandbits(8) for _ in range(n))

def hdr(ver, typ, session, seq=None):
    h = struct.pack("!BBI", ver, typ, session)
    return h if seq is None else h + struct.pack("!Q", seq)

fixed = [
    b"",                                   # empty
    b"\x01",                               # version only
    b"\x00",
    b"\x01\x01",                           # no session
    b"\x01\x01\x00\x00\x00",               # session cut short
    hdr(1, 1, 0x1234),                     # handshake, empty body
    hdr(1, 2, 0x1234),                     # sealed, no seq
    hdr(1, 2, 0x1234) + b"\x00" * 7,       # sealed, seq cut short
    hdr(1, 2, 0x1234, 1),                  # sealed, empty body
    hdr(1, 2, 0x1234, 1) + b"\xaa" * 15,   # sealed, body shorter than tag
    hdr(0, 1, 1) + b"x" * 40,              # unknown versions
    hdr(2, 1, 1) + b"x" * 40,
    hdr(255, 2, 1, 1) + b"x" * 40,
    hdr(1, 0, 1) + b"x" * 40,              # unknown types
    hdr(1, 3, 1) + b"x" * 40,
    hdr(1, 127, 1) + b"x" * 40,
    hdr(1, 255, 1) + b"x" * 40,
    b"\x16\xfe\xfd" + b"\x00" * 60,        # a bare DTLS record, no header
    b"\x00" * 4 + rb(200),                 # looks like IKE on 4500 (marker)
    hdr(2, 2, 7, 7) + rb(9000 - 14),       # oversized, wrong version
    hdr(255, 1, 7) + rb(MAXUDP - 6),       # largest UDP datagram, bad version
    # Well-formed headers with garbage: not "invalid", must still be harmless.
    hdr(1, 1, 0xdeadbeef) + rb(100),       # handshake garbage
    hdr(1, 1, 0xdeadbeef) + b"\x16\xfe\xfd" + rb(300),
    hdr(1, 2, 0xdeadbeef, 1) + rb(64),     # sealed, unknown session
    hdr(1, 2, 0, 0) + rb(TAG),             # sealed, empty plaintext
    hdr(1, 2, 0xfeedface, 2**64 - 1) + rb(MAXUDP - 14),  # oversized sealed
]

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
stats = {"sent": 0, "invalid": 0, "bytes": 0, "errors": 0,
         "fixed": len(fixed), "hs_flood": n_hs, "random": n_random,
         "seed": seed}

def send(d):
    try:
        sock.sendto(d, (host, port))
    except OSError:
        stats["errors"] += 1
        return
    stats["sent"] += 1
    stats["bytes"] += len(d)
    if invalid(d):
        stats["invalid"] += 1
    # Pace the flood so the receiver's socket buffer, not the daemon, is
    # the only thing that could lose datagrams (and that is measured).
    if stats["sent"] % 50 == 0:
        time.sleep(0.005)

for d in fixed:
    send(d)
for _ in range(n_hs):                      # handshake flood, random sessions
    send(hdr(1, 1, rng.getrandbits(32)) + rb(rng.randint(1, 300)))
for i in range(n_random):                  # random bytes, random lengths
    n = rng.randint(0, 9000) if i % 100 == 0 else rng.randint(0, 1472)
    d = rb(n)
    if i % 4 == 0 and n >= 2:              # a quarter keep version 1
        d = b"\x01" + d[1:]
    send(d)
print(json.dumps(stats))
EOF
}

echo "# world: pub and site-a, attacker at $ATTACKER (prefix $PXT_PREFIX, seed $SEED)"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
write_sender || bail "sender script written"
make_certs "$WORLD_DIR/pki" || bail "certificates"
inet_host attacker "$ATTACKER" || bail "attacker host on the internet"
proxy_start pub pub "$(proxy_conf_std pub)" &&
proxy_start pxa site-a "$(proxy_conf_std site-a)" || bail "pub and site-a started"
wait_for 30 neighbour_up site-a pub || bail "site-a links to pub"
ok 0 "pub and site-a started, site-a linked to pub"

pid=$(proxy_pid pub)
before=$(pjson pub status | jq -c '.[0]')
reconnects0=$(pjson site-a neighbours | jq '.[] | select(.name == "pub") | .reconnects // 0')
kdrop0=$(udp_in_errors pub)
rss0=$(rss_kb "$pid")
echo "# pub before: $before"

out=$(nsx attacker timeout 120 python3 "$WORLD_DIR/send.py" "$WORLD_PUB_ADDR" \
    "$WORLD_PUB_PORT" "$SEED" "$RANDOM_N" "$HS_FLOOD_N")
rc=$?
echo "# sender: $out"
sent=$(jq -r '.sent // 0' <<<"$out" 2>/dev/null)
invalid=$(jq -r '.invalid // 0' <<<"$out" 2>/dev/null)
[ $rc = 0 ] && [ "${sent:-0}" -gt 0 ] ||
    bail "the sender ran (exit $rc)"
ok 0 "sent $sent datagrams to pub ($invalid with an invalid header)"

# Let pub read everything: wait until its counters stop moving.
last=
settled() {
	local now
	now=$(pjson pub status | jq -c '.[0] | [.rx_packets, .drop_malformed]')
	[ -n "$now" ] && [ "$now" = "$last" ] && return 0
	last=$now
	return 1
}
sleep 0.5
wait_for 15 settled

proxy_alive pub
ok $? "pub is still running"
after=$(pjson pub status | jq -c '.[0]')
[ -n "$after" ]
ok $? "pub's proxyctl status answers"
echo "# pub after: $after"
kdrop=$(( $(udp_in_errors pub) - kdrop0 ))
delta() { jq -n --argjson a "$before" --argjson b "$after" --arg f "$1" \
    '(($b[$f] // 0) - ($a[$f] // 0))'; }
d_mal=$(delta drop_malformed)
d_rx=$(delta rx_packets)
echo "# deltas: drop_malformed $d_mal, rx_packets $d_rx, kernel UDP InErrors $kdrop;" \
    "other drops: $(jq -n -c --argjson a "$before" --argjson b "$after" \
    '[$b | to_entries[] | select(.key | startswith("drop_")) |
      {(.key): (.value - ($a[.key] // 0))}] | add')"

[ "$d_mal" -gt 0 ]
ok $? "drop_malformed grew ($d_mal)"
[ "$d_mal" -ge $(( invalid - kdrop )) ]
ok $? "drop_malformed counts every datagram with an invalid header ($d_mal >= $invalid - $kdrop kernel drops)"
if [ "$d_mal" -eq "$invalid" ]; then
	echo "# drop_malformed equals the number of invalid datagrams sent"
fi
if jq -e 'has("rx_packets")' <<<"$after" >/dev/null; then
	[ "$d_rx" -ge $(( sent - kdrop )) ]
	ok $? "pub received every datagram the kernel delivered ($d_rx >= $sent - $kdrop)"
else
	ok 0 "pub received every datagram # SKIP status has no rx_packets"
fi

rss1=$(rss_kb "$pid")
echo "# pub RSS: ${rss0} KiB before, ${rss1} KiB after"
[ $(( rss1 - rss0 )) -lt 65536 ]
ok $? "pub's memory did not balloon (+$(( rss1 - rss0 )) KiB)"

# The real link survives: still up, with no reconnect, and still up after
# a few more keepalives.
neighbour_up site-a pub
ok $? "site-a's link to pub is still up"
sleep 3
neighbour_up site-a pub && neighbour_up pub site-a
ok $? "the link is still up 3 s later, on both sides"
reconnects1=$(pjson site-a neighbours | jq '.[] | select(.name == "pub") | .reconnects // 0')
[ "${reconnects1:-x}" = "${reconnects0:-y}" ]
ok $? "site-a did not have to reconnect (reconnects $reconnects0 -> $reconnects1)"
pctl pxa "$(proxy_sock site-a)" status >/dev/null
ok $? "site-a's proxyctl status answers"

t_summary
