#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# IPv6 underlay (issue 13): links between proxies over either family, in a
# dual-stack simulated internet (2001:db8::/32 beside the IPv4 ranges).
#  1. Both sites dual-stack, each behind a symmetric IPv4 NAT (MASQUERADE
#     --random-fully: over IPv4 alone the channel could only relay) and an
#     IPv6 home-router firewall (ip6tables: established,related inbound
#     only); pub dual-stack, named pub.v6.test with an A and an AAAA record.
#     The sites link to pub over IPv6 (Happy Eyeballs prefers it); their NAT
#     trials toward pub say mapping none, filtering
#     address-and-port-dependent, port-restricted cone; the channel between
#     the sites goes direct over IPv6 (a punched link between the two
#     firewalled addresses), pub's relay counters stay flat while the
#     sites' hosts ping each other over it, and the time from the first
#     packet to the direct channel is measured.  proxyctl shows the IPv6
#     addresses in RFC 5952 form and the JSON contract accepts them.
#     Whichever family's handshake finished first, the links end on IPv6
#     (Happy Eyeballs goes on after the race: an IPv4 link moves to IPv6).
#  1b. Happy Eyeballs after the race: site A's firewall drops its IPv6
#     datagrams to pub for the first seconds, so IPv4 wins the race; the
#     direct IPv6 path between the sites is kept closed, so the sites'
#     traffic is relayed through pub over that link.  Once IPv6 is let
#     through, the link moves to IPv6 make-before-break: both ends count
#     the upgrade, neither logs the link down, and a ping at 10/s from host
#     A to host B across the move loses nothing (time to move printed).
#  2. Site A IPv6-only (listens on :: only and has no IPv4 way out), site B
#     IPv4-only (listens on 0.0.0.0 only; its NAT a port-restricted cone):
#     they reach each other through pub, which has both; the channel stays
#     relayed and says why (different address families).
#  3. A TCP link over IPv6 (issue 14's TCP links): pub listens on TCP too,
#     on both families; the IPv6-only site A dials it over TCP only; pings
#     cross it (site A -> pub over TCP/IPv6, pub -> site B over UDP/IPv4).
# Until the overlay carries IPv6 site prefixes, the site traffic is the
# IPv4 hosts' ping, over the IPv6 links.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq ping ip6tables conntrack python3
NAME=pub.v6.test
e2e_traps

nat_field() {	# PROXY NEIGHBOUR FIELD
	pjson "$1" nat | jq -r --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n)) | .[0][$f] // empty'
}
# contract NAME: proxyctl -j NAME's rows of every proxy against proxyctl(8)
contract() {
	local p f rc=0
	for p in pub site-a site-b; do
		f=$WORLD_DIR/contract-$p-$1.json
		pjson "$p" "$1" >"$f" || return 1
		python3 "$top_srcdir/tests/e2e/json_contract.py" \
		    "$top_srcdir/man/proxyctl.8" "$1" "$f" >/dev/null || {
			python3 "$top_srcdir/tests/e2e/json_contract.py" \
			    "$top_srcdir/man/proxyctl.8" "$1" "$f" |
			    sed 's/^/#   /'
			rc=1
		}
	done
	return $rc
}

world_up --nat-a random --nat-b random >/dev/null ||
    { ok 1 "world up"; t_summary; exit 1; }
world6_up --a dual --b dual
ok $? "dual-stack world up (IPv4 NATs symmetric, IPv6 firewalls)"
make_certs "$WORLD_DIR/pki"
printf '%s %s\n%s %s\n' "$WORLD_PUB_ADDR" "$NAME" "$WORLD6_PUB_ADDR" "$NAME" \
    >"$WORLD_DIR/hosts"
PROXYD_WRAPPER=$(hosts_wrapper)

# --- 1. both sites dual-stack ---------------------------------------------
proxy_start pub pub "$(proxy_conf_std pub addresses="0.0.0.0 ::")" &&
proxy_start pxa site-a "$(proxy_conf_std site-a addresses="0.0.0.0 ::" \
    neighbours="pub@$NAME:$WORLD_PUB_PORT")" &&
proxy_start pxb site-b "$(proxy_conf_std site-b addresses="0.0.0.0 ::" \
    neighbours="pub@$NAME:$WORLD_PUB_PORT")"
ok $? "proxies started (pub on 0.0.0.0 and ::, the sites dial '$NAME')"
ok "$(grep -c 'listening on UDP \[::\]:4790' "$WORLD_DIR/pub.log" |
    grep -qx 1; echo $?)" "pub listens on [::]:4790 beside 0.0.0.0:4790"

links_up() {
	[ "$(nbr_field site-a pub state)" = up ] &&
	    [ "$(nbr_field site-b pub state)" = up ]
}
ok "$(wait_for 15 links_up; echo $?)" "both sites linked to pub"
# IPv4 may win the race on a loaded machine: the link then moves to IPv6
# (its race handshake, or the retry 5 s after that one fails)
on_v6() {
	[ "$(nbr_field site-a pub addr)" = "[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" ] &&
	    [ "$(nbr_field site-b pub addr)" = "[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" ]
}
wait_for 40 on_v6
for p in site-a site-b; do
	echo "# $p: first link to pub over $(grep -q 'link up over IPv4 first' "$WORLD_DIR/$p.log" && echo 'IPv4, then moved to IPv6' || echo IPv6)"
done
a_pub=$(nbr_field site-a pub addr) b_pub=$(nbr_field site-b pub addr)
ok "$([ "$a_pub" = "[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" ] &&
    [ "$b_pub" = "[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" ]; echo $?)" \
    "the links to pub are IPv6, shown in RFC 5952 form (site-a: $a_pub, site-b: $b_pub)"
pub_a=$(nbr_field pub site-a addr)
ok "$([ "${pub_a%:*}" = "[$WORLD6_A_PX]" ]; echo $?)" \
    "pub sees site-a at its own IPv6 address ($pub_a): no translation"

trials_done() {
	[ "$(nat_field site-a pub type)" = port-restricted-cone ] &&
	    [ "$(nat_field site-b pub type)" = port-restricted-cone ]
}
ok "$(wait_for 30 trials_done; echo $?)" \
    "both sites measured a port-restricted cone toward pub over IPv6"
m=$(nat_field site-a pub mapping) f=$(nat_field site-a pub filtering)
ok "$([ "$m" = none ] && [ "$f" = address-and-port-dependent ]; echo $?)" \
    "site-a's IPv6 path: mapping $m, filtering $f (a firewall, no NAT)"
echo "# site-a toward pub: $(pjson site-a nat | jq -c '.[0] | {type, mapping, filtering, mapped, assumed}')"

# The time to a direct IPv6 channel: from the first packet for site-b's LAN
# (a one-packet ping) to site-a's route saying direct.
is_direct() { [ "$(route_field site-a "$WORLD_B_LAN" channel)" = direct ]; }
t0=$(now_ms)
nsx hosta ping -n -c 1 -W 1 "$WORLD_B_HOST" >/dev/null 2>&1 &
first_ping=$!
ok "$(wait_for 20 is_direct; echo $?)" "site-a's channel to site-b went direct"
t1=$(now_ms)
wait "$first_ping"
echo "# time to the direct IPv6 channel: $((t1 - t0)) ms (from the first packet; polled every 0.2 s or so)"
echo "# site-a: $(route_field site-a "$WORLD_B_LAN" reason)"
a_b=$(nbr_field site-a site-b addr)
ok "$([ "${a_b%:*}" = "[$WORLD6_B_PX]" ]; echo $?)" \
    "the direct link runs over IPv6, to site-b's own address ($a_b)"

r1=$(relay_icmp)
got=$(ping_all 20)
ok $? "hosts ping each other over the direct IPv6 link ($got replies)"
r2=$(relay_icmp)
ok "$(is_count "$r1" && is_count "$r2" && [ "$r1" = "$r2" ]; echo $?)" \
    "pub relayed none of them (icmp packets via pub: ${r1:-unreadable} -> ${r2:-unreadable}: $(( ${r2:-0} - ${r1:-0} )) of the 40)"
echo "# share of the hosts' traffic via pub: $(( ${r2:-0} - ${r1:-0} )) of 40 icmp packets ($(( (${r2:-0} - ${r1:-0}) * 100 / 40 ))%)"

for t in neighbours nat topology; do
	contract "$t"
	ok $? "proxyctl -j $t with IPv6 addresses keeps the JSON contract"
done
pub_eps() {
	pjson "$1" topology |
	    jq -r '.[] | select(.origin == "pub") | .endpoints | join(" ")'
}
ep=$(pub_eps site-a)
echo "# pub advertises endpoints: ${ep:-none} (only IPv6 links so far: only the IPv6 mapping was observed)"
ok "$([ "$ep" = "[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" ]; echo $?)" \
    "pub advertises the IPv6 endpoint its neighbours observed"
txt=$(pctl pxa "$(proxy_sock site-a)" neighbours)
ok "$(grep -qF "[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" <<<"$txt"; echo $?)" \
    "proxyctl neighbours (text) shows [ipv6]:port"
sed 's/^/#   /' <<<"$txt"

proxy_stop site-a
proxy_stop site-b

# --- 1b. IPv4 wins the race, then the link moves to IPv6 --------------------
# icmp_seq numbers answered in ping output FILE -> "lost/sent" between the
# first and the last answer (a request still in flight at the stop is not
# a loss)
seq_loss() {
	sed -n 's/.*icmp_seq=\([0-9]*\).*/\1/p' "$1" | sort -n | uniq |
	    awk 'NR == 1 { lo = $1 } { hi = $1; n++ }
		END { if (n == 0) print "all/0"; else print (hi - lo + 1 - n) "/" (hi - lo + 1) }'
}
v6_to_pub="-i br0 -d $WORLD6_PUB_ADDR -p udp --dport $WORLD_PUB_PORT -j DROP"
no_direct6="-i br0 -d $WORLD6_B_PX -p udp -j DROP"
# shellcheck disable=SC2086
_ip6t "$(ns nata)" -I FORWARD 1 $v6_to_pub &&
    _ip6t "$(ns nata)" -I FORWARD 1 $no_direct6
ok $? "site A's firewall drops its IPv6 datagrams to pub (for now) and to site B (for this part)"
pub_down0=$(grep -c "peer 'site-a'.*link down" "$WORLD_DIR/pub.log")
up0=$(pstatus pub family_upgrades)
proxy_start pxa site-a "$(proxy_conf_std site-a addresses="0.0.0.0 ::" \
    neighbours="pub@$NAME:$WORLD_PUB_PORT")" &&
proxy_start pxb site-b "$(proxy_conf_std site-b addresses="0.0.0.0 ::" \
    neighbours="pub@$NAME:$WORLD_PUB_PORT")"
ok $? "sites started again"
a_up() { [ "$(nbr_field site-a pub state)" = up ]; }
wait_for 15 links_up
a_pub=$(nbr_field site-a pub addr)
ok "$([ "$a_pub" = "$WORLD_PUB_ADDR:$WORLD_PUB_PORT" ]; echo $?)" \
    "with IPv6 to pub dropped, site-a's link to pub came up over IPv4 ($a_pub)"
grep -q 'link up over IPv4 first' "$WORLD_DIR/site-a.log"
ok $? "site-a logged that IPv4 won and its IPv6 handshake goes on beside"
# the sites' traffic crosses that link (relayed: no direct path)
wait_for 20 eval 'ping_all 1 >/dev/null'
ns_bg pingmv hosta ping -n -i 0.1 -W 2 -c 900 "$WORLD_B_HOST"
pingmv=$!
sleep 3
# shellcheck disable=SC2086
_ip6t "$(ns nata)" -D FORWARD $v6_to_pub
t0=$(now_ms)
moved() { [ "$(nbr_field site-a pub addr)" = "[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" ]; }
wait_for 45 moved
rc=$?
T_MOVE=$(( $(now_ms) - t0 ))
ok $rc "once IPv6 is let through, site-a's link moves to IPv6 ($(nbr_field site-a pub addr), $T_MOVE ms after)"
echo "# time from IPv6 let through to the move: $T_MOVE ms"
sleep 3
kill -INT "$pingmv" 2>/dev/null
wait_for 5 eval '! kill -0 "$pingmv" 2>/dev/null'
ns_bg_stop pingmv
loss=$(seq_loss "$WORLD_DIR/pingmv.out")
echo "# ping across the move: $loss lost; $(grep -E 'transmitted' "$WORLD_DIR/pingmv.out")"
ok "$([ "${loss%%/*}" = 0 ] && [ "${loss##*/}" -ge 30 ]; echo $?)" \
    "a ping at 10/s from host A to host B across the move lost nothing ($loss)"
grep -E "peer 'pub'.*link moved from IPv4 $WORLD_PUB_ADDR:$WORLD_PUB_PORT to IPv6 \[$WORLD6_PUB_ADDR\]:$WORLD_PUB_PORT" \
    "$WORLD_DIR/site-a.log" | sed 's/^/#   /'
ok "${PIPESTATUS[0]}" "site-a logged the move naming pub and both addresses"
ok "$([ "$(pstatus site-a family_upgrades)" = 1 ] &&
    [ "$(nbr_field site-a pub upgrades)" = 1 ] &&
    [ "$(pstatus pub family_upgrades)" -ge $((up0 + 1)) ] &&
    [ "$(nbr_field pub site-a upgrades)" = 1 ]; echo $?)" \
    "both ends counted the upgrade (site-a family_upgrades $(pstatus site-a family_upgrades), pub $(pstatus pub family_upgrades); tries $(pstatus site-a family_upgrade_tries), failed $(pstatus site-a family_upgrade_failed))"
pub_a=$(nbr_field pub site-a addr)
ok "$([ "${pub_a%:*}" = "[$WORLD6_A_PX]" ] &&
    [ "$(grep -c "peer 'site-a'.*link down" "$WORLD_DIR/pub.log")" = "$pub_down0" ] &&
    ! grep -q "peer 'pub'.*link down" "$WORLD_DIR/site-a.log" &&
    [ "$(pstatus pub clones_detected)" = 0 ]; echo $?)" \
    "pub moved too ($pub_a): no link down on either end, no clone"
# shellcheck disable=SC2086
_ip6t "$(ns nata)" -D FORWARD $no_direct6
proxy_stop site-a
proxy_stop site-b

# --- 2. IPv6-only site A, IPv4-only site B --------------------------------
nat_mode b masquerade
_w ip -n "$(ns pxa)" route del default
ok $? "site-a has no IPv4 way out, site-b's NAT is a port-restricted cone"
proxy_start pxa site-a "$(proxy_conf_std site-a addresses="::" \
    neighbours="pub@[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT")" &&
proxy_start pxb site-b "$(proxy_conf_std site-b \
    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT")"
ok $? "site-a listens on :: only, site-b on 0.0.0.0 only"
ok "$(wait_for 15 links_up; echo $?)" "both linked to pub (site-a over IPv6, site-b over IPv4)"
echo "# site-a -> pub $(nbr_field site-a pub addr), site-b -> pub $(nbr_field site-b pub addr)"
ok "$(wait_for 15 routes_both; echo $?)" "site-a and site-b route to each other's LAN"
r1=$(relay_icmp)
got=$(ping_all 10)
ok $? "an IPv6-only site and an IPv4-only site reach each other ($got replies)"
r2=$(relay_icmp)
ok "$(is_count "$r1" && is_count "$r2" && [ "$r2" -ge $((r1 + 20)) ]; echo $?)" \
    "through pub, which has both families (icmp packets via pub: ${r1:-?} -> ${r2:-?})"
# once pub has an IPv4 link too, it advertises an endpoint of each family
both_eps() {
	ep=$(pub_eps site-b)
	grep -qF "[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" <<<"$ep" &&
	    grep -qF "$WORLD_PUB_ADDR:$WORLD_PUB_PORT" <<<"$ep"
}
ok "$(wait_for 30 both_eps; echo $?)" \
    "pub's advertisement carries an endpoint of each family ($(pub_eps site-b))"
# pub's new advertisement changes the path, which resets the channel:
# traffic again after it (a ping a try) makes the channel the check reads
relayed_again() {
	ping_all 1 >/dev/null
	[ "$(route_field site-a "$WORLD_B_LAN" channel)" = relay ]
}
wait_for 15 relayed_again
ch=$(route_field site-a "$WORLD_B_LAN" channel)
why=$(route_field site-a "$WORLD_B_LAN" reason)
echo "# site-a: $ch: $why"
ok "$([ "$ch" = relay ] && grep -q 'different address families' <<<"$why"; echo $?)" \
    "the channel stays relayed, and says the families differ"

# --- 3. a TCP link over IPv6 ----------------------------------------------
TCP_PORT=443
proxy_stop site-a
proxy_stop pub
sed -i "s/^listen = { \(.*\) };/listen = { \1 tcp_port = $TCP_PORT; };/" \
    "$WORLD_DIR/pub.conf"
proxy_start pub pub "$WORLD_DIR/pub.conf"
ok $? "pub restarted with TCP links on port $TCP_PORT"
ok "$(grep -q "listening for TCP links on \[::\]:$TCP_PORT" "$WORLD_DIR/pub.log" &&
    grep -q "listening for TCP links on 0.0.0.0:$TCP_PORT" "$WORLD_DIR/pub.log"; echo $?)" \
    "pub listens for TCP links on [::]:$TCP_PORT and 0.0.0.0:$TCP_PORT"
proxy_conf_std site-a addresses="::" \
    neighbours="pub@[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT" >/dev/null
sed -i "s/port = $WORLD_PUB_PORT; }/port = $WORLD_PUB_PORT; tcp_port = $TCP_PORT; transport = \"tcp\"; }/" \
    "$WORLD_DIR/site-a.conf"
grep -q 'transport = "tcp"' "$WORLD_DIR/site-a.conf" &&
    proxy_start pxa site-a "$WORLD_DIR/site-a.conf"
ok $? "site-a (IPv6 only) dials pub over TCP only"
tcp6_up() {
	[ "$(nbr_field site-a pub state)" = up ] &&
	    [ "$(nbr_field site-a pub transport)" = tcp ] &&
	    [ "$(nbr_field site-b pub state)" = up ]
}
ok "$(wait_for 30 tcp6_up; echo $?)" "site-a's link to pub is up over TCP, site-b's again"
a_pub=$(nbr_field site-a pub addr) pub_a=$(nbr_field pub site-a addr)
ok "$([ "$a_pub" = "[$WORLD6_PUB_ADDR]:$TCP_PORT" ] &&
    [ "${pub_a%:*}" = "[$WORLD6_A_PX]" ] &&
    [ "$(nbr_field pub site-a transport)" = tcp ]; echo $?)" \
    "the TCP link runs over IPv6 (site-a -> $a_pub, pub sees $pub_a over $(nbr_field pub site-a transport))"
wait_for 20 eval 'ping_all 1 >/dev/null'
got=$(ping_all 20)
ok $? "hosts ping each other across the TCP link over IPv6 and pub ($got replies)"

t_summary
