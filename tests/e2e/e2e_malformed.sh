#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test (d): bad input from the network.  From a host on the internet side,
# send pub (203.0.113.10:4790), in phases, each with exact expected counts:
#  1. datagrams no decoder may accept (empty, truncated headers, unknown
#     versions, outer types that lib/pkt.h's enum pkt_type does not define,
#     empty handshake bodies, sealed bodies shorter than the tag, probes and
#     punches with a session or the wrong length, oversized): each one is
#     counted in drop_malformed, and no other drop counter moves;
#  2. well-formed probes and punches nobody asked for (counted as malformed
#     by the probe and connection engines: there is no trial or channel
#     with their nonce) and sealed datagrams for no session
#     (drop_nosession);
#  3. handshakes with valid cookies from many addresses until the
#     handshake slots run out: LINK_HS_PER_SOURCE per address, then
#     LINK_HS_MAX at once (proxyd/link.h); every one over a limit is
#     counted in drop_hs_limit;
#  4. a flood: well-formed headers with garbage, junk handshakes from
#     random sessions and a few thousand random datagrams: pub stays up,
#     counts at least every datagram with an invalid header, and its memory
#     stays bounded.
# Afterwards pub answers proxyctl, and its link with site-a is still up and
# never reconnected.

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
HS_SRC_BASE=203.0.113.	# handshake sources: .100, .101, ...
HS_SRC_FIRST=100

# enum_value NAME: the value of enum pkt_type's NAME in lib/pkt.h.
enum_value() {
	sed -n '/^enum pkt_type {/,/^};/p' "$top_srcdir/lib/pkt.h" |
	    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p"
}
# define_value FILE NAME: a #define'd number.
define_value() {
	sed -n "s/^#define[[:space:]]\{1,\}$2[[:space:]]\{1,\}\([0-9][0-9]*\).*/\1/p" "$1"
}
KNOWN_TYPES=$(sed -n '/^enum pkt_type {/,/^};/p' "$top_srcdir/lib/pkt.h" |
    sed -n 's/^[[:space:]]*PKT_[A-Z_]*[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' |
    paste -sd, -)
T_HS=$(enum_value PKT_HS) T_SEALED=$(enum_value PKT_SEALED)
T_PROBE=$(enum_value PKT_PROBE) T_PUNCH=$(enum_value PKT_PUNCH)
T_COOKIE=$(enum_value PKT_COOKIE) T_HS_COOKIE=$(enum_value PKT_HS_COOKIE)
HS_MAX=$(define_value "$top_srcdir/proxyd/link.h" LINK_HS_MAX)
HS_PER_SRC=$(define_value "$top_srcdir/proxyd/link.h" LINK_HS_PER_SOURCE)
: "${HS_PER_SRC:=$HS_MAX}"

# udp_in_errors SHORT: the namespace's UDP InErrors (datagrams the kernel
# dropped before any socket read them, e.g. receive buffer full).
udp_in_errors() {
	nsx "$1" awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) f[$i] = i; h = 1 }
	    else print $f["InErrors"] }' /proc/net/snmp
}

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# pub_status: pub's status row as one JSON object; fails when unreadable.
pub_status() {
	local out
	out=$(pctl pub "$(proxy_sock pub)" -j status) || return 1
	jq -ce -s '[ .[] | if type == "array" then .[] else . end
		     | if has("row") then .row else . end
		     | select(has("end") | not) ] | .[0] // error("empty")' <<<"$out"
}

# delta FIELD: AFTER's FIELD minus BEFORE's (both status objects).
delta() {
	jq -n --argjson a "$BEFORE" --argjson b "$AFTER" --arg f "$1" \
	    '(($b[$f] // 0) - ($a[$f] // 0))'
}
# other_drops FIELD...: the drop_* deltas other than FIELDs, as an object
# of the non-zero ones ({} when none moved).
other_drops() {
	jq -n -c --argjson a "$BEFORE" --argjson b "$AFTER" --arg keep "$*" \
	    '($keep | split(" ")) as $k
	     | [$b | to_entries[] | select((.key | startswith("drop_")) and
		 (.key as $x | $k | index([$x]) | not))
		 | {(.key): (.value - ($a[.key] // 0))} | select(.[] != 0)] | add // {}'
}

# phase_begin / phase_end SENT: status before; after SENT datagrams have
# been read (rx_packets grew by at least SENT less the kernel's drops) and
# the counters stopped moving.  Sets BEFORE, AFTER, KDROP.
phase_begin() {
	BEFORE=$(pub_status) || bail "pub's status readable"
	KDROP0=$(udp_in_errors pub)
}
_phase_last=
_phase_settled() {
	local now
	now=$(pub_status) || return 1
	KDROP=$(( $(udp_in_errors pub) - KDROP0 ))
	[ "$(jq -n --argjson a "$BEFORE" --argjson b "$now" '$b.rx_packets - $a.rx_packets')" \
	    -ge $(( _phase_sent - KDROP )) ] || return 1
	now=$(jq -c '[to_entries[] | select(.key | startswith("drop_"))]' <<<"$now")
	[ "$now" = "$_phase_last" ] && return 0
	_phase_last=$now
	return 1
}
phase_end() {
	_phase_sent=$1 _phase_last=
	sleep 0.2
	wait_for 15 _phase_settled
	AFTER=$(pub_status) || bail "pub's status readable"
	KDROP=$(( $(udp_in_errors pub) - KDROP0 ))
}

# The sender.  Modes:
#   fixed HOST PORT KNOWN PROBE PUNCH: datagrams no decoder may accept
#   unsolicited HOST PORT PROBE PUNCH SEALED N: N probes, N punches and N
#       sealed datagrams for no session
#   hs HOST PORT HS COOKIE HS_COOKIE PLAN: PLAN is "ADDR:N ADDR:N ...";
#       from each ADDR, N handshakes of fresh sessions, each answering the
#       cookie it gets (COOKIE 0: none expected)
#   flood HOST PORT KNOWN SEED N_RANDOM N_HS: garbage, junk handshakes and
#       random datagrams; "invalid" counts the ones no decoder may accept
# Each prints one JSON object with what it sent.
write_sender() {
	cat >"$WORLD_DIR/send.py" <<'EOF'
import json, os, random, socket, struct, sys, time

MAXUDP = 65507
TAG = 16
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
args = sys.argv[4:]

def hdr(ver, typ, session, seq=None):
    h = struct.pack("!BBI", ver, typ, session)
    return h if seq is None else h + struct.pack("!Q", seq)

def ints(s):
    return [int(x) for x in s.split(",") if x]

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
stats = {"sent": 0, "bytes": 0, "errors": 0}

def send(d, s=sock):
    try:
        s.sendto(d, (host, port))
    except OSError:
        stats["errors"] += 1
        return False
    stats["sent"] += 1
    stats["bytes"] += len(d)
    # Pace, so the receiver's socket buffer, not the daemon, is the only
    # thing that could lose datagrams (and that is measured).
    if stats["sent"] % 50 == 0:
        time.sleep(0.005)
    return True

if mode == "fixed":
    known, probe, punch = ints(args[0]), int(args[1]), int(args[2])
    unknown = sorted({0, max(known) + 1, max(known) + 2, 0x7f, 0x80, 0xff} -
                     set(known))
    fixed = [
        b"",                                   # empty
        b"\x01", b"\x00",                      # version only
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
        b"\x16\xfe\xfd" + b"\x00" * 60,        # a bare DTLS record, no header
        b"\x00" * 4 + os.urandom(200),         # looks like IKE on 4500 (marker)
        hdr(2, 2, 7, 7) + os.urandom(9000 - 14),   # oversized, wrong version
        hdr(255, 1, 7) + os.urandom(MAXUDP - 6),   # largest datagram, bad version
    ]
    for t in unknown:                          # types enum pkt_type lacks
        fixed += [hdr(1, t, 1) + b"x" * 40, hdr(1, t, 0), hdr(1, t, 0, 1)]
    for t in (probe, punch):                   # probe/punch layout broken
        fixed += [hdr(1, t, 7, 1),             # a session
                  hdr(1, t, 0) + b"\x00" * 7,  # nonce cut short
                  hdr(1, t, 0, 1) + b"\x00",   # a byte too many
                  hdr(1, t, 0)]                # no nonce
    for d in fixed:
        send(d)
    stats["unknown_types"] = unknown
elif mode == "unsolicited":
    probe, punch, sealed, n = (int(a) for a in args[:4])
    for i in range(n):
        send(hdr(1, probe, 0, random.getrandbits(64)))
        send(hdr(1, punch, 0, random.getrandbits(64)))
        send(hdr(1, sealed, random.getrandbits(32) | 1, i + 1) + os.urandom(64))
elif mode == "hs":
    hs, cookie, hs_cookie = int(args[0]), int(args[1]), int(args[2])
    stats.update({"tried": 0, "cookies": 0, "with_cookie": 0})
    # a DTLS record header whose length runs past the datagram: DTLS
    # drops such a record silently, so the handshake waits (and holds its
    # slot) until it times out
    body = lambda: b"\x16\xfe\xfd" + b"\x00" * 8 + b"\xff\xff" + os.urandom(100)
    for spec in args[3].split():
        addr, n = spec.split(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, 0))
        s.settimeout(1.0)
        for _ in range(int(n)):
            session = random.getrandbits(32) | 1
            b = body()
            stats["tried"] += 1
            send(hdr(1, hs, session) + b, s)
            if cookie == 0:
                continue
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                try:
                    r = s.recv(2048)
                except socket.timeout:
                    break
                if len(r) >= 6 and r[1] == cookie and \
                        struct.unpack("!I", r[2:6])[0] == session:
                    stats["cookies"] += 1
                    send(hdr(1, hs_cookie, session) + r[6:] + b, s)
                    stats["with_cookie"] += 1
                    break
        s.close()
elif mode == "flood":
    known, seed = set(ints(args[0])), int(args[1])
    n_random, n_hs = int(args[2]), int(args[3])
    rng = random.Random(seed)
    rb = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
    stats.update({"invalid": 0, "seed": seed})
    def invalid(d):
        # what no version of the decoder may accept
        if len(d) < 6 or d[0] != 1 or d[1] not in known:
            return True
        if d[1] == 1:
            return len(d) == 6
        if d[1] == 2:
            return len(d) < 14 + TAG
        if d[1] in (3, 4):
            return len(d) != 14 or d[2:6] != b"\x00" * 4
        return False
    garbage = [
        hdr(1, 1, 0xdeadbeef) + rb(100),       # handshake garbage
        hdr(1, 1, 0xdeadbeef) + b"\x16\xfe\xfd" + rb(300),
        hdr(1, 2, 0xdeadbeef, 1) + rb(64),     # sealed, unknown session
        hdr(1, 2, 0, 0) + rb(TAG),             # sealed, empty plaintext
        hdr(1, 2, 0xfeedface, 2**64 - 1) + rb(MAXUDP - 14),  # oversized sealed
    ]
    def fsend(d):
        if send(d) and invalid(d):
            stats["invalid"] += 1
    for d in garbage:
        fsend(d)
    for _ in range(n_hs):                      # junk handshakes, random sessions
        fsend(hdr(1, 1, rng.getrandbits(32)) + rb(rng.randint(1, 300)))
    for i in range(n_random):                  # random bytes, random lengths
        n = rng.randint(0, 9000) if i % 100 == 0 else rng.randint(0, 1472)
        d = rb(n)
        if i % 4 == 0 and n >= 2:              # a quarter keep version 1
            d = b"\x01" + d[1:]
        fsend(d)
print(json.dumps(stats))
EOF
}

# attack MODE ARGS...: runs the sender in the attacker's namespace; its JSON
# in $OUT.
attack() {
	OUT=$(nsx attacker timeout 120 python3 "$WORLD_DIR/send.py" "$1" \
	    "$WORLD_PUB_ADDR" "$WORLD_PUB_PORT" "${@:2}")
}
sent_of() { jq -r '.sent // 0' <<<"$OUT" 2>/dev/null; }

echo "# world: pub and site-a, attacker at $ATTACKER (prefix $PXT_PREFIX, seed $SEED)"
echo "# lib/pkt.h types: $KNOWN_TYPES; proxyd/link.h: $HS_MAX handshakes at once, $HS_PER_SRC per source"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
[ -n "$KNOWN_TYPES" ] && [ -n "$T_PROBE" ] && [ -n "$T_PUNCH" ] &&
    [ -n "$HS_MAX" ] || bail "message types and handshake limits read from lib/pkt.h and proxyd/link.h"
write_sender || bail "sender script written"
make_certs "$WORLD_DIR/pki" || bail "certificates"
inet_host attacker "$ATTACKER" || bail "attacker host on the internet"
proxy_start pub pub "$(proxy_conf_std pub)" &&
proxy_start pxa site-a "$(proxy_conf_std site-a)" || bail "pub and site-a started"
wait_for 30 neighbour_up site-a pub || bail "site-a links to pub"
ok 0 "pub and site-a started, site-a linked to pub"

pid=$(proxy_pid pub)
reconnects0=$(pjson site-a neighbours | jq '.[] | select(.name == "pub") | .reconnects')
rss0=$(rss_kb "$pid")
echo "# pub before: $(pub_status)"

# ---- 1. datagrams no decoder may accept
phase_begin
attack fixed "$KNOWN_TYPES" "$T_PROBE" "$T_PUNCH" || bail "the sender ran (fixed)"
n=$(sent_of)
phase_end "$n"
d_mal=$(delta drop_malformed)
others=$(other_drops drop_malformed)
echo "# unknown types sent: $(jq -c '.unknown_types' <<<"$OUT")"
[ "$KDROP" = 0 ] && [ "$n" -gt 0 ] && [ "$d_mal" = "$n" ] && [ "$others" = '{}' ]
ok $? "1. each of $n invalid datagrams (unknown versions and types, short or broken layouts) is counted in drop_malformed and nowhere else (+$d_mal; other drops $others; kernel drops $KDROP)"

# ---- 2. well-formed, but nobody asked for them
N_UNSOL=10
phase_begin
attack unsolicited "$T_PROBE" "$T_PUNCH" "$T_SEALED" "$N_UNSOL" || bail "the sender ran (unsolicited)"
phase_end "$(sent_of)"
d_mal=$(delta drop_malformed)
d_nos=$(delta drop_nosession)
others=$(other_drops drop_malformed drop_nosession)
[ "$KDROP" = 0 ] && [ "$d_mal" = $((2 * N_UNSOL)) ] && [ "$others" = '{}' ]
ok $? "2. $N_UNSOL probes and $N_UNSOL punches nobody asked for are each counted in drop_malformed (+$d_mal; other drops $others)"
[ "$KDROP" = 0 ] && [ "$d_nos" = "$N_UNSOL" ]
ok $? "2. $N_UNSOL sealed datagrams for no session are each counted in drop_nosession (+$d_nos)"

# ---- 3. the handshake slots
# From one source HS_PER_SRC + 5 handshakes: 5 over its own limit.  Then
# more sources, HS_PER_SRC each, until HS_MAX are held, and 3 from one
# more source: 3 over the limit for all.  Junk DTLS: each handshake holds
# its slot until it times out.
plan1="$HS_SRC_BASE$HS_SRC_FIRST:$((HS_PER_SRC + 5))"
plan2= held=$HS_PER_SRC i=$((HS_SRC_FIRST + 1))
while [ "$held" -lt "$HS_MAX" ]; do
	k=$(( HS_MAX - held < HS_PER_SRC ? HS_MAX - held : HS_PER_SRC ))
	plan2="$plan2 $HS_SRC_BASE$i:$k"
	held=$((held + k)) i=$((i + 1))
done
plan2="${plan2# } $HS_SRC_BASE$i:3"
for a in $(seq "$HS_SRC_FIRST" "$i"); do
	nsx attacker ip addr add "$HS_SRC_BASE$a/24" dev eth0 || bail "handshake source $HS_SRC_BASE$a"
done
# hs_phase PLAN WANT WHAT: the handshakes of PLAN; WANT of them over a
# limit.
hs_phase() {
	local tried d_lim
	phase_begin
	attack hs "$T_HS" "${T_COOKIE:-0}" "${T_HS_COOKIE:-0}" "$1" ||
	    bail "the sender ran (handshakes)"
	echo "# handshakes: $OUT (plan: $1)"
	phase_end "$(sent_of)"
	tried=$(jq -r '.tried' <<<"$OUT")
	d_lim=$(delta drop_hs_limit)
	[ -z "$T_COOKIE" ] || [ "$(jq -r '.with_cookie' <<<"$OUT")" = "$tried" ]
	ok $? "3. $3: every handshake got a cookie and came back with it ($(jq -r '.cookies' <<<"$OUT") cookies for $tried handshakes)"
	[ "$KDROP" = 0 ] && [ "$d_lim" = "$2" ]
	ok $? "3. $3: the $2 handshakes over the limit are each counted in drop_hs_limit (+$d_lim; other drops $(other_drops drop_hs_limit))"
}
hs_phase "$plan1" 5 "$((HS_PER_SRC + 5)) from one address (limit $HS_PER_SRC per source)"
hs_phase "$plan2" 3 "then up to $HS_MAX at once from more addresses, and 3 more (limit $HS_MAX)"

# ---- 4. the flood
phase_begin
attack flood "$KNOWN_TYPES" "$SEED" "$RANDOM_N" "$HS_FLOOD_N"
rc=$?
echo "# sender: $OUT"
sent=$(sent_of)
invalid=$(jq -r '.invalid // 0' <<<"$OUT" 2>/dev/null)
[ $rc = 0 ] && [ "${sent:-0}" -gt 0 ] ||
    bail "the sender ran (exit $rc)"
ok 0 "4. sent $sent datagrams to pub ($invalid with an invalid header)"
phase_end "$sent"

proxy_alive pub
ok $? "pub is still running"
echo "# pub after: $AFTER"
d_mal=$(delta drop_malformed)
d_rx=$(delta rx_packets)
echo "# deltas: drop_malformed $d_mal, rx_packets $d_rx, kernel UDP InErrors $KDROP;" \
    "other drops: $(other_drops drop_malformed)"
[ "$d_mal" -ge $(( invalid - KDROP )) ] && [ "$invalid" -gt 0 ]
ok $? "4. drop_malformed counts every datagram with an invalid header ($d_mal >= $invalid - $KDROP kernel drops)"
[ "$d_rx" -ge $(( sent - KDROP )) ]
ok $? "4. pub received every datagram the kernel delivered ($d_rx >= $sent - $KDROP)"

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
reconnects1=$(pjson site-a neighbours | jq '.[] | select(.name == "pub") | .reconnects')
[[ ${reconnects0:-} =~ ^[0-9]+$ ]] && [ "$reconnects1" = "$reconnects0" ]
ok $? "site-a did not have to reconnect (reconnects ${reconnects0:-unreadable} -> ${reconnects1:-unreadable})"
pctl pxa "$(proxy_sock site-a)" status >/dev/null
ok $? "site-a's proxyctl status answers"

t_summary
