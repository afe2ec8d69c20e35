#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: exclusive ports (issue 12).  pub listens on 0.0.0.0:4790 with its
# alternate port 4791 and an alternate address 203.0.113.11 on port 4790
# (the one pair the kernel binds only with SO_REUSEADDR on both sockets,
# which proxyd sets for that bind alone and clears at once).  Then:
#   - a second proxyd on a busy address and port (the same wildcard, pub's
#     address, the alternate address, a listen port whose alternate port is
#     busy) exits 1 within PORTS_EXIT_BOUND s, and its message names the
#     address and port: "cannot bind UDP A.B.C.D:P: Address already in use";
#   - an unprivileged local user (nobody, via setpriv) cannot bind any of
#     pub's ports, on any address, with or without SO_REUSEADDR and
#     SO_REUSEPORT; as a control, nobody can bind a free port;
#   - nothing needed SO_REUSEADDR: site-a links to pub and its NAT trials
#     (probe sockets, pub's alternate port and address) finish, and pub
#     restarted at once after it stopped binds again and site-a links again.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq setpriv
PY=/usr/bin/python3	# an interpreter nobody can run (not a pyenv shim)
[ -x "$PY" ] || { echo "# SKIP: no $PY"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "# SKIP: no user nobody"; exit 77; }
BOUND=${PORTS_EXIT_BOUND:-5}	# seconds a refused second proxyd may take
PUB_ALT=203.0.113.11

e2e_traps

# nobody_bind ADDR PORT OPTS: as nobody:nogroup in pub's namespace, binds
# a UDP socket to ADDR:PORT after setting OPTS ("none", "reuseaddr",
# "reuseport" or "both").  Prints "bound" or the error name; status 0 only
# if it bound.
nobody_bind() {
	nsx pub setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$PY" -c '
import errno, socket, sys
addr, port, opts = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if opts in ("reuseaddr", "both"):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if opts in ("reuseport", "both"):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind((addr, port))
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(1)
print("bound")
' "$1" "$2" "$3"
}

# second NAME CONF: runs a second proxyd in pub's namespace (bounded by
# 3 x BOUND s); sets RC, MS (its run time) and OUT (what it printed).
second() {
	local t0 f=$WORLD_DIR/$1.out
	t0=$(now_ms)
	nsx pub timeout $((3 * BOUND)) "$PROXYD" -f -c "$2" >"$f" 2>&1 </dev/null
	RC=$?
	MS=$(( $(now_ms) - t0 ))
	OUT=$(cat "$f")
}

# measured: site-a's NAT trials toward pub are done.
measured() {
	local t
	t=$(pjson site-a nat | jq -r 'map(select(.name == "pub")) | .[0].type // empty')
	[ -n "$t" ] && [ "$t" != probing ] && [ "$t" != unknown ]
}

echo "# world: pub on 0.0.0.0:4790 (+4791, +$PUB_ALT:4790), site-a (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
make_certs "$WORLD_DIR/pki" pub2 || bail "certificates made"
pubif=$(nsx pub ip -o -4 addr show | awk '/203\.0\.113\.10\//{print $2}')
nsx pub ip addr add "$PUB_ALT/24" dev "$pubif" || bail "alternate address on pub"

conf_pub=$(proxy_conf pub listen=0.0.0.0:4790 alt_address="$PUB_ALT") ||
    bail "pub's configuration"
proxy_start pub pub "$conf_pub" || bail "pub started"
for a in 0.0.0.0:4790 0.0.0.0:4791 "$PUB_ALT:4790"; do
	grep -q "listening on UDP $a\$" "$WORLD_DIR/pub.log"
	ok $? "pub listens on UDP $a"
done

# ---- A second proxyd on a busy address and port exits 1, naming it
while read -r listen alt want; do
	conf=$(proxy_conf pub2 listen="$listen" alt_port="$alt") ||
	    bail "second configuration"
	second pub2 "$conf"
	echo "# second proxyd, listen $listen, alt_port $alt: status $RC after $MS ms: $(grep -m 1 'cannot bind' <<<"$OUT")"
	[ "$RC" = 1 ] && [ "$MS" -le $((BOUND * 1000)) ]
	ok $? "a second proxyd on $listen (alt_port $alt) exits 1 within $BOUND s (status $RC, $MS ms)"
	grep -q "cannot bind UDP $want: Address already in use" <<<"$OUT"
	ok $? "its message names the busy address and port: 'cannot bind UDP $want: Address already in use'"
done <<EOF
0.0.0.0:4790 none 0.0.0.0:4790
$WORLD_PUB_ADDR:4790 none $WORLD_PUB_ADDR:4790
$PUB_ALT:4790 none $PUB_ALT:4790
$WORLD_PUB_ADDR:4789 4791 $WORLD_PUB_ADDR:4791
EOF
proxy_alive pub
ok $? "pub still runs after the refused second proxies"

# ---- An unprivileged user cannot take any of pub's ports
r=$(nobody_bind "$WORLD_PUB_ADDR" 4799 none)
ok $? "control: nobody binds a free port, $WORLD_PUB_ADDR:4799 ($r)"
for a in 0.0.0.0:4790 "$WORLD_PUB_ADDR:4790" "$PUB_ALT:4790" 127.0.0.1:4790 \
    0.0.0.0:4791 "$PUB_ALT:4791"; do
	res=
	for o in none reuseaddr reuseport both; do
		res="$res $o=$(nobody_bind "${a%:*}" "${a##*:}" $o)"
	done
	! grep -q '=bound' <<<"$res" && [ "$(grep -o '=EADDRINUSE' <<<"$res" | wc -l)" = 4 ]
	ok $? "nobody cannot bind $a while pub runs:$res"
done

# ---- Nothing relied on SO_REUSEADDR: trials, and a restart at once
proxy_start pxa site-a "$(proxy_conf_std site-a)" || bail "site-a started"
wait_for 20 neighbour_up site-a pub
ok $? "site-a links to pub"
wait_for 20 measured
ok $? "site-a's NAT trials toward pub finish (probe sockets, pub's alternate port and address): $(pjson site-a nat | jq -c 'map(select(.name == "pub")) | .[0] | {type, mapping, filtering}')"

proxy_stop pub
t0=$(now_ms)
proxy_start pub pub "$conf_pub"
ok $? "pub starts again at once after it stopped ($(( $(now_ms) - t0 )) ms)"
n=$(grep -c 'cannot bind' "$WORLD_DIR/pub.log")
[ "$n" = 0 ]
ok $? "pub's log has no bind failure ($n)"
wait_for 30 neighbour_up site-a pub
ok $? "site-a links to the restarted pub"
r=$(nobody_bind 0.0.0.0 4790 both)
[ "$r" = EADDRINUSE ]
ok $? "nobody still cannot bind 0.0.0.0:4790 after the restart ($r)"

t_summary
