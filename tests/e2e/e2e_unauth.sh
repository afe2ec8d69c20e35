#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: the unauthenticated surface of a listening proxy (pub).
#  1. A flooder on the internet sends junk handshake datagrams (random
#     sessions, 100-300 bytes) at E2E_FLOOD_RATE (10000) per second for
#     E2E_FLOOD_S (20) seconds.  Two seconds in, site-a's proxy starts: it
#     must link to pub within E2E_FLOOD_LINK_MS (2000) ms.  pub answers the
#     flood with cookies only (counted in hs_cookies), keeps no state for
#     it, and its memory stays bounded (printed).
#  2. A spoofed-source handshake: a proxy that never receives what pub
#     sends back (its namespace drops it, as a spoofed address would never
#     see it) dials pub with a real DTLS ClientHello, retransmitting for
#     E2E_SPOOF_S (8) seconds: pub's bytes back are at most the bytes it
#     received (counted by netfilter on both sides).
#  3. Every message type an unproven source can send (handshake, handshake
#     with a bad cookie, cookie, probe, punch, sealed for no session): for
#     each, the bytes pub sends back are at most the bytes it received.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3 iptables
RATE=${E2E_FLOOD_RATE:-10000}
FLOOD_S=${E2E_FLOOD_S:-20}
LINK_MS=${E2E_FLOOD_LINK_MS:-2000}
SPOOF_S=${E2E_SPOOF_S:-8}

e2e_traps

FLOODER=203.0.113.97
SPOOFER=203.0.113.98

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

write_scripts() {
	cat >"$WORLD_DIR/flood.py" <<'EOF'
# flood.py HOST PORT RATE SECONDS: junk handshake datagrams, paced.
import json, random, socket, struct, sys, time
host, port, rate, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rng = random.Random(1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
s.setblocking(False)
pool = [struct.pack("!BBI", 1, 1, rng.getrandbits(32)) +
        bytes(rng.getrandbits(8) for _ in range(rng.randint(94, 294)))
        for _ in range(4096)]
sent = bytes_out = errors = 0
t0 = time.monotonic()
batch = max(1, rate // 200)            # 200 batches a second
while True:
    now = time.monotonic() - t0
    if now >= secs:
        break
    due = int(now * rate)
    while sent < due:
        d = pool[sent % len(pool)]
        # a fresh session each time: the first 6 bytes change
        d = struct.pack("!BBI", 1, 1, (sent * 2654435761) & 0xffffffff) + d[6:]
        try:
            s.sendto(d, (host, port))
            bytes_out += len(d)
        except OSError:
            errors += 1
        sent += 1
    time.sleep(1.0 / 200)
print(json.dumps({"sent": sent, "bytes": bytes_out, "errors": errors,
                  "seconds": round(time.monotonic() - t0, 2)}))
EOF
	cat >"$WORLD_DIR/types.py" <<'EOF'
# types.py HOST PORT: each unauthenticated message type, 20 times, and the
# bytes that came back for it within a second and a half.
import json, os, socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])
def hdr(t, session, seq=None):
    h = struct.pack("!BBI", 1, t, session)
    return h if seq is None else h + struct.pack("!Q", seq)
kinds = {
    "handshake": lambda i: hdr(1, 0x1000 + i) + b"\x16\xfe\xfd" + os.urandom(200),
    "handshake_bad_cookie": lambda i: hdr(6, 0x2000 + i) + os.urandom(16) + b"\x16\xfe\xfd" + os.urandom(200),
    "cookie": lambda i: hdr(5, 0x3000 + i) + os.urandom(16),
    "probe": lambda i: hdr(3, 0, 0x4000 + i),
    "punch": lambda i: hdr(4, 0, 0x5000 + i),
    "sealed_no_session": lambda i: hdr(2, 0x6000 + i, 1) + os.urandom(64),
}
out = {}
for name, make in kinds.items():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    sent = 0
    for i in range(20):
        d = make(i)
        s.sendto(d, (host, port))
        sent += len(d)
    back = 0
    s.settimeout(0.2)
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        try:
            back += len(s.recv(65536))
        except socket.timeout:
            pass
    out[name] = {"sent": sent, "back": back}
    s.close()
print(json.dumps(out))
EOF
}

# ipt_bytes SHORT CHAIN: bytes counted by the first rule of CHAIN.
ipt_bytes() {
	nsx "$1" iptables -w -nvxL "$2" | awk 'NR == 3 { print $2 }'
}

echo "# world: pub, site-a, flooder $FLOODER, spoofer $SPOOFER (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
write_scripts || bail "scripts written"
make_certs "$WORLD_DIR/pki" spoof || bail "certificates"
inet_host flooder "$FLOODER" && inet_host spoofer "$SPOOFER" ||
    bail "internet hosts"
proxy_start pub pub "$(proxy_conf_std pub)" || bail "pub started"
pid=$(proxy_pid pub)
rss0=$(rss_kb "$pid")
before=$(pjson pub status | jq -c '.[0]')

# 1. the flood, and a site linking through it
nsx flooder timeout $((FLOOD_S + 30)) python3 "$WORLD_DIR/flood.py" \
    "$WORLD_PUB_ADDR" "$WORLD_PUB_PORT" "$RATE" "$FLOOD_S" \
    >"$WORLD_DIR/flood.out" 2>&1 &
flood_pid=$!
sleep 2
t0=$(now_ms)
proxy_start pxa site-a "$(proxy_conf_std site-a)" || bail "site-a started"
wait_for 20 neighbour_up site-a pub
up_rc=$?
t_link=$(( $(now_ms) - t0 ))
echo "# site-a linked to pub ${t_link} ms after its start, during the flood"
[ $up_rc = 0 ] && [ "$t_link" -le "$LINK_MS" ]
ok $? "site-a links to pub within ${LINK_MS} ms during a ${RATE}/s handshake flood (${t_link} ms)"
rss_mid=$(rss_kb "$pid")
wait "$flood_pid"
flood=$(cat "$WORLD_DIR/flood.out")
echo "# flood: $flood"
sent=$(jq -r '.sent // 0' <<<"$flood" 2>/dev/null)
[ "${sent:-0}" -ge $(( RATE * FLOOD_S * 8 / 10 )) ]
ok $? "the flooder sent at least 80% of ${RATE}/s for ${FLOOD_S} s ($sent)"
sleep 1
after=$(pjson pub status | jq -c '.[0]')
delta() { jq -n --argjson a "$before" --argjson b "$after" --arg f "$1" \
    '(($b[$f] // 0) - ($a[$f] // 0))'; }
d_cookies=$(delta hs_cookies)
d_limit=$(delta drop_hs_limit)
echo "# pub: hs_cookies +$d_cookies, drop_hs_limit +$d_limit, auth_refused +$(delta auth_refused)"
[ "$d_cookies" -ge $(( sent / 2 )) ]
ok $? "pub answered the flood with cookies, counted ($d_cookies for $sent datagrams)"
[ "$d_limit" -eq 0 ]
ok $? "no handshake slot was taken by the flood (drop_hs_limit +$d_limit)"
rss1=$(rss_kb "$pid")
echo "# pub RSS: ${rss0} KiB before, ${rss_mid} KiB during, ${rss1} KiB after the flood"
[ $(( rss1 - rss0 )) -lt 8192 ] && [ $(( rss_mid - rss0 )) -lt 8192 ]
ok $? "pub's memory stayed bounded (+$(( rss_mid - rss0 )) KiB during, +$(( rss1 - rss0 )) KiB after)"
neighbour_up site-a pub
ok $? "site-a's link to pub is still up after the flood"

# 2. a real ClientHello from a source that never hears back
nsx spoofer iptables -w -A INPUT -p udp -s "$WORLD_PUB_ADDR" -j DROP &&
nsx spoofer iptables -w -A OUTPUT -p udp -d "$WORLD_PUB_ADDR" -j ACCEPT ||
    bail "spoofer's counters"
before=$(pjson pub status | jq -c '.[0]')
proxy_start spoofer spoof "$(proxy_conf spoof \
    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT")" || bail "spoofing proxy started"
sleep "$SPOOF_S"
proxy_stop spoof
b_out=$(ipt_bytes spoofer OUTPUT)
b_back=$(ipt_bytes spoofer INPUT)
after=$(pjson pub status | jq -c '.[0]')
echo "# spoofed handshake: ${b_out} bytes to pub, ${b_back} bytes back in ${SPOOF_S} s;" \
    "pub hs_cookies +$(delta hs_cookies), auth_refused +$(delta auth_refused)"
[ "${b_out:-0}" -gt 0 ]
ok $? "the spoofing proxy sent handshakes to pub (${b_out:-0} bytes)"
[ "${b_back:-1}" -le "${b_out:-0}" ]
ok $? "pub's answer to an unproven ClientHello is no larger than what it sent (${b_back} <= ${b_out} bytes)"

# 3. every unauthenticated message type
types=$(nsx flooder timeout 60 python3 "$WORLD_DIR/types.py" "$WORLD_PUB_ADDR" \
    "$WORLD_PUB_PORT")
echo "# per type (bytes sent, bytes back): $types"
for k in handshake handshake_bad_cookie cookie probe punch sealed_no_session; do
	s=$(jq -r --arg k "$k" '.[$k].sent // 0' <<<"$types" 2>/dev/null)
	b=$(jq -r --arg k "$k" '.[$k].back // 999999' <<<"$types" 2>/dev/null)
	[ "${s:-0}" -gt 0 ] && [ "${b:-1}" -le "${s:-0}" ]
	ok $? "$k from an unproven source: ${b} bytes back for ${s} sent"
done
proxy_alive pub
ok $? "pub is still running"

t_summary
