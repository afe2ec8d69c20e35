#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: a cloned appliance, and a restart that is none.
#  1. Clone: site-b runs twice with one certificate and key: behind NAT B
#     as usual, and a copy on the internet (203.0.113.55).  Both dial pub.
#     The copy takes over at once (a restart looks just like that); the
#     original's link dies and it dials again while the copy is alive: pub
#     must detect two live proxies named site-b (a warning naming both
#     addresses, clones_detected in status, CLONE in `proxyctl neighbours`
#     and its JSON), keep the established link and refuse the other (which
#     is told and logs it), and for E2E_CLONE_WATCH_S (45) seconds more the
#     kept link stays up, never replaced, at the same address: no loop.
#  2. Restart: site-a is SIGKILLed and started at once at another address
#     (a copy on the internet, 203.0.113.56): pub takes the link over at
#     once (time printed, bound E2E_CLONE_TAKEOVER_MS, 5000: it includes waiting for the
#     new proxy's control socket and polling pub on a loaded machine); that copy is
#     SIGKILLed in turn and, 10 s later, site-a starts again behind NAT A,
#     the address just replaced: again at once, and no clone is detected.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq
WATCH_S=${E2E_CLONE_WATCH_S:-45}
TAKEOVER_MS=${E2E_CLONE_TAKEOVER_MS:-5000}

e2e_traps

CLONE_B=203.0.113.55
CLONE_A=203.0.113.56

# nb_field PROXY NEIGHBOUR FIELD: one field of PROXY's row for NEIGHBOUR.
nb_field() {
	pjson "$1" neighbours | jq -r --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n and .state == "up")) | .[0][$f] // empty'
}

# copy_conf NAME COPY: NAME's config as COPY.conf, its own control socket.
copy_conf() {
	sed "s|^control = .*|control = \"$WORLD_DIR/$2.sock\";|" \
	    "$WORLD_DIR/$1.conf" >"$WORLD_DIR/$2.conf"
}

pub_addr_of() { nb_field pub "$1" addr; }
clones_seen() { [ "$(pstatus pub clones_detected)" -ge 1 ] 2>/dev/null; }

echo "# world: pub, site-a, site-b behind MASQUERADE; copies of site-b and site-a on the internet (prefix $PXT_PREFIX)"
world_up || bail "world up"
make_certs "$WORLD_DIR/pki" || bail "certificates"
inet_host cloneb "$CLONE_B" && inet_host clonea "$CLONE_A" ||
    bail "namespaces for the copies"
for name in pub site-a site-b; do
	proxy_conf_std "$name" >/dev/null || bail "config for $name"
done
copy_conf site-b site-b-copy
copy_conf site-a site-a-copy
for name in pub site-a site-b; do
	proxy_start "$(proxy_ns "$name")" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "$name started"
done
wait_for 20 neighbour_up pub site-b && wait_for 20 neighbour_up pub site-a ||
    bail "site-a and site-b linked to pub"
orig_b=$(pub_addr_of site-b)
echo "# pub sees site-b at $orig_b"

# ---- 1. the clone
proxy_start cloneb site-b-copy "$WORLD_DIR/site-b-copy.conf" ||
    bail "the copy of site-b started"
copy_b() { [ "$(pub_addr_of site-b)" = "$CLONE_B:4790" ]; }
wait_for 10 copy_b
ok $? "the copy of site-b took the link over at once (pub sees $(pub_addr_of site-b))"

t0=$(now_ms)
wait_for 60 clones_seen
ok $? "pub detects two live proxies named site-b ($(( ($(now_ms) - t0) / 1000 )) s after the takeover)"
line=$(grep -m1 "two proxies named 'site-b' are alive at once" "$WORLD_DIR/pub.log")
echo "# pub: ${line#* warning: }"
case $line in
*"$CLONE_B:4790"*"$orig_b"*|*"$orig_b"*"$CLONE_B:4790"*) rc=0 ;;
*) rc=1 ;;
esac
ok $rc "pub's warning names site-b and both addresses ($orig_b, $CLONE_B:4790)"
kept=$(pub_addr_of site-b)
clone_json=$(nb_field pub site-b clone)
echo "# pub keeps site-b at $kept; its neighbours row says clone=$clone_json held=$(nb_field pub site-b clone_held)"
[ -n "$kept" ] && [ -n "$clone_json" ] && [ "$clone_json" != "$kept" ] &&
    { [ "$clone_json" = "$orig_b" ] || [ "$clone_json" = "$CLONE_B:4790" ]; }
ok $? "proxyctl -j neighbours shows the other site-b ($clone_json) beside the kept one ($kept)"
pctl pub "$(proxy_sock pub)" neighbours >"$WORLD_DIR/pub-neighbours.txt" 2>&1
sed 's/^/#   /' "$WORLD_DIR/pub-neighbours.txt"
grep -q '^ *NAME.*CLONE' "$WORLD_DIR/pub-neighbours.txt" &&
    grep -E "^ *site-b .*$clone_json" "$WORLD_DIR/pub-neighbours.txt" >/dev/null
ok $? "proxyctl neighbours (text) has the CLONE column with the other address"

# no loop: the kept link stays, at the same address, never replaced
replaced0=$(grep -c "peer 'site-b' .*replaced by a newer link" "$WORLD_DIR/pub.log")
up0=$(nb_field pub site-b up_s)
sleep "$WATCH_S"
replaced1=$(grep -c "peer 'site-b' .*replaced by a newer link" "$WORLD_DIR/pub.log")
up1=$(nb_field pub site-b up_s)
addr1=$(pub_addr_of site-b)
refused=$(pstatus pub clone_refused)
echo "# over ${WATCH_S} s: site-b replaced $((replaced1 - replaced0)) time(s), up ${up0%.*} s -> ${up1%.*} s at $addr1, refused $refused time(s) in all"
[ "$replaced1" = "$replaced0" ] && [ "$addr1" = "$kept" ] &&
    [ -n "$up1" ] && [ "${up1%.*}" -ge $(( ${up0%.*} + WATCH_S - 2 )) ]
ok $? "no loop: the kept link stayed up at $kept for $WATCH_S s, never replaced"
[ -n "$refused" ] && [ "$refused" -ge 1 ]
ok $? "the other site-b was refused and counted (clone_refused $refused)"
if [ "$kept" = "$CLONE_B:4790" ]; then other_log=site-b; else other_log=site-b-copy; fi
grep -q "refused by the peer.*cloned" "$WORLD_DIR/$other_log.log"
ok $? "the refused site-b ($other_log) was told and logged it"
proxy_stop site-b-copy
proxy_stop site-b

# ---- 2. restarts, the old incarnation gone
orig_a=$(pub_addr_of site-a)
kill -KILL "$(proxy_pid site-a)"
t0=$(now_ms)
proxy_start clonea site-a-copy "$WORLD_DIR/site-a-copy.conf" ||
    bail "site-a restarted at $CLONE_A"
copy_a() { [ "$(pub_addr_of site-a)" = "$CLONE_A:4790" ]; }
wait_for 10 copy_a
rc=$?
ms=$(( $(now_ms) - t0 ))
ok $rc "site-a restarted at another address took its link over at once ($ms ms; was $orig_a)"
[ $rc = 0 ] && [ "$ms" -le "$TAKEOVER_MS" ]
ok $? "within $TAKEOVER_MS ms ($ms ms)"
sleep 2
kill -KILL "$(proxy_pid site-a-copy)"
sleep 10
t0=$(now_ms)
proxy_start pxa site-a "$WORLD_DIR/site-a.conf" || bail "site-a restarted behind NAT A"
back_a() { [ "$(pub_addr_of site-a)" = "$orig_a" ]; }
wait_for 10 back_a
rc=$?
ms=$(( $(now_ms) - t0 ))
[ $rc = 0 ] && [ "$ms" -le "$TAKEOVER_MS" ]
ok $? "site-a back at $orig_a (the address replaced 12 s before) took over at once ($ms ms)"
n=$(pstatus pub clones_detected)
[ "$n" = 1 ]
ok $? "no clone detected for the restarts (clones_detected still $n)"
[ -z "$(nb_field pub site-a clone)" ]
ok $? "site-a's row shows no clone"

t_summary
