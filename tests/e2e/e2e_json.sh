#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The JSON contract: every reply of a real proxyd, command by command,
# against the field tables of proxyctl(8) (section JSON), through
# tests/e2e/json_contract.py, which reads those tables from the page
# itself: a field the daemon adds, drops or sends with another type than
# the page says fails here, so the documentation cannot drift.
#
# World: pub, site-a and site-b behind their NATs (masquerade), site-a
# also configured with a neighbour nobody answers (its row has a
# last_error), pings from host A to host B through the proxies (flows).
# Checked: the hello and an error answer (raw socket), status,
# neighbours, nat (and each trial), topology (and each link), routes,
# flows, explain, probe, ping and reload (proxyctl -j); -j with --dot is
# refused.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3 ping

e2e_traps

MAN=$top_srcdir/man/proxyctl.8
CHECK=$top_srcdir/tests/e2e/json_contract.py
GHOST=203.0.113.99	# no host there: site-a's dial to it fails

# contract NAME FILE: the JSON in FILE against table NAME of the page.
contract() {
	local out rc
	out=$(python3 "$CHECK" "$MAN" "$1" "$2" 2>&1)
	rc=$?
	ok $rc "$1: every field documented, none missing, types as documented (${out//$'\n'/; })"
}
# json_of NAME FILE ARGS...: proxyctl -j ARGS of proxy NAME into FILE (a
# JSON array); fails if proxyctl does.
json_of() {
	local name=$1 f=$2
	shift 2
	pctl "$(proxy_ns "$name")" "$(proxy_sock "$name")" -j "$@" >"$f"
}
# raw SOCKET LINE...: the lines sent on a connection, the replies printed
# one per line (python: no proxyctl in between).
raw() {
	python3 - "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rwb")
for line in sys.argv[2:]:
    f.write(line.encode() + b"\n")
    f.flush()
    sys.stdout.write(f.readline().decode())
EOF
}

echo "# world: pub, site-a (and a ghost neighbour), site-b; prefix $PXT_PREFIX"
world_up >/dev/null || bail "world up"
make_certs "$WORLD_DIR/pki" || bail "certificates"
conf_a=$(proxy_conf_std site-a \
    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT ghost@$GHOST:4790") ||
    bail "site-a's configuration"
proxy_start pub pub "$(proxy_conf_std pub)" &&
    proxy_start pxa site-a "$conf_a" &&
    proxy_start pxb site-b "$(proxy_conf_std site-b)" || bail "proxies started"
ok 0 "world up, proxies started"

wait_for 30 neighbour_up site-a pub && wait_for 30 neighbour_up site-b pub
ok $? "site-a and site-b linked to pub"
nat_done() {
	pjson site-a nat | jq -e 'any(.[]; .name == "pub" and .type !=
	    "probing" and .type != "unknown" and .remote_type != null and
	    (.trials | length) > 0)' >/dev/null
}
wait_for 30 nat_done
ok $? "site-a's NAT trials toward pub done, pub's result received"
ghost_failed() {
	pjson site-a neighbours | jq -e 'any(.[]; .name == "ghost" and
	    .last_error != null)' >/dev/null
}
wait_for 40 ghost_failed
ok $? "site-a's dial to the ghost neighbour failed and says why ($(pjson site-a neighbours | jq -c 'map(select(.name == "ghost")) | .[0].last_error'))"
wait_for 20 has_route site-a "$WORLD_B_LAN"
ok $? "site-a has a route to site B's LAN"
host_routes hosta proxy && host_routes hostb proxy || bail "host routes"
nsx hosta ping -n -c 3 -i 0.3 -W 3 "$WORLD_B_HOST" >/dev/null 2>&1
got_flows() { [ "$(pjson site-a flows | jq 'length')" -gt 0 ] 2>/dev/null; }
wait_for 10 got_flows
ok $? "host A pinged host B through the proxies: site-a has flows"

# ---- the hello and an error, straight from the socket
f=$WORLD_DIR/json
raw "$(proxy_sock site-a)" '{"id":0,"cmd":"hello","v":[2,0],"client":"e2e_json"}' \
    '{"id":5,"cmd":"nosuchcommand"}' >"$f.raw"
ok $? "hello and an unknown command on a raw connection"
sed -n 1p "$f.raw" >"$f.hello"
sed -n 2p "$f.raw" >"$f.error"
contract hello "$f.hello"
jq -e '.version == "\(.v[0]).\(.v[1])"' "$f.hello" >/dev/null
ok $? "the hello's version is its v as \"major.minor\" ($(cat "$f.hello"))"
contract error "$f.error"

# ---- every command through proxyctl -j
for cmd in status neighbours nat topology routes flows; do
	json_of site-a "$f.$cmd" "$cmd"
	ok $? "proxyctl -j $cmd"
	contract "$cmd" "$f.$cmd"
done
json_of site-a "$f.explain" explain site-b
ok $? "proxyctl -j explain site-b"
contract explain "$f.explain"
json_of site-a "$f.ping" ping site-b
ok $? "proxyctl -j ping site-b"
contract ping "$f.ping"
json_of site-a "$f.probe" probe pub
ok $? "proxyctl -j probe pub"
contract probe "$f.probe"
json_of site-a "$f.reload" reload
ok $? "proxyctl -j reload (nothing changed)"
contract reload "$f.reload"

# The nulls are where they should be, one way only: no "" or -1 anywhere.
bad=$(cat "$f".status "$f".neighbours "$f".nat "$f".topology "$f".routes \
    "$f".flows | jq -c '.. | select(. == "" or . == -1)' 2>/dev/null | head -n 3 | xargs)
ok "$([ -z "$bad" ]; echo $?)" "no field is \"\" or -1 (absent values are null)${bad:+: $bad}"
jq -e 'map(select(.name == "ghost")) | .[0] | .state != "up" and
    .up_s == null and .last_rx_s == null and (.last_error | type) == "string"' \
    "$f.neighbours" >/dev/null
ok $? "the ghost's row: not up, up_s and last_rx_s null, last_error a string"
jq -e 'any(.[]; .hops == 0 and .path_nat == null and .channel_s == null)' \
    "$f.routes" >/dev/null
ok $? "an own prefix's route: path_nat and channel_s null"

out=$(pctl pxa "$(proxy_sock site-a)" -j topology --dot 2>&1)
rc=$?
[ $rc = 1 ] && grep -q 'cannot be combined' <<<"$out"
ok $? "-j with --dot is refused with a message (status $rc: $out)"

t_summary
