#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# IPv6 firewall classification without alternates (issue 13): sites whose
# IPv6 has no translation, only a home-router firewall (ip6tables:
# established,related inbound only), toward a public proxy on IPv6 with no
# alternate port and no alternate address.
#  1. site-a alone with pub: no filtering trial can run (pub has neither
#     alternate and no third proxy), so nothing proves that unsolicited
#     packets get in: site-a's NAT toward pub is mapping none, filtering
#     address-and-port-dependent assumed (said in "assumed"),
#     port-restricted cone; never "open" by default.
#  2. site-b then: pub has a third proxy (site-a, linked over IPv6), which
#     sends to site-b's address; site-b's firewall drops it: filter-third
#     not-received, the firewall proven without an alternate address.
#  3. pub itself is open toward site-a (site-a's alternate port's packet
#     arrived unsolicited and nothing was refused).
#  4. The feasibility matrix asks for a punch: the channel between the
#     sites goes direct over IPv6 through both firewalls, and pub relays
#     none of the pings that cross it.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq ping ip6tables conntrack
e2e_traps

nat_field() {	# PROXY NEIGHBOUR FIELD (strings; arrays joined by "; ")
	pjson "$1" nat | jq -r --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n)) | .[0][$f] // empty
	     | if type == "array" then join("; ") else . end'
}
trial() {	# PROXY NEIGHBOUR TRIAL: its outcome
	pjson "$1" nat | jq -r --arg n "$2" --arg t "$3" \
	    'map(select(.name == $n)) | .[0].trials // []
	     | map(select(.trial == $t)) | .[0].outcome // empty'
}
measured() {	# PROXY NEIGHBOUR: its trials are classified
	local t
	t=$(nat_field "$1" "$2" type)
	[ -n "$t" ] && [ "$t" != probing ] && [ "$t" != unknown ]
}

world_up >/dev/null || { ok 1 "world up"; t_summary; exit 1; }
world6_up --a v6only --b v6only
ok $? "world up: the sites reach the internet over IPv6 only, through home-router firewalls"
make_certs "$WORLD_DIR/pki" || bail "certificates"
PUB6="[$WORLD6_PUB_ADDR]:$WORLD_PUB_PORT"

proxy_start pub pub "$(proxy_conf_std pub addresses="::" alt_port=0)" &&
proxy_start pxa site-a "$(proxy_conf_std site-a addresses="::" \
    neighbours="pub@$PUB6")"
ok $? "pub on :: with no alternate port or address; site-a dials it"

# --- 1. no filtering trial possible -----------------------------------------
ok "$(wait_for 20 measured site-a pub; echo $?)" "site-a's trials toward pub are classified"
echo "# site-a toward pub: $(pjson site-a nat | jq -c '.[] | select(.name == "pub") | {type, mapping, filtering, mapped, trials, assumed}')"
m=$(nat_field site-a pub mapping) f=$(nat_field site-a pub filtering)
t=$(nat_field site-a pub type) a=$(nat_field site-a pub assumed)
ok "$([ "$(nat_field site-a pub mapped)" = "[$WORLD6_A_PX]:$WORLD_PUB_PORT" ]; echo $?)" \
    "pub sees site-a at its own IPv6 address: no translation"
ok "$([ "$m" = none ] && [ "$f" = address-and-port-dependent ]; echo $?)" \
    "site-a: mapping $m, filtering $f"
ok "$([ "$(trial site-a pub filter-alt-port)" = untested ] &&
    [ "$(trial site-a pub filter-alt-addr)" = untested ] &&
    [ "$(trial site-a pub filter-third)" = untested ]; echo $?)" \
    "no filtering trial could run (pub has no alternates, no third proxy)"
ok "$([ "$t" = port-restricted-cone ]; echo $?)" \
    "so site-a's path is a port-restricted cone by assumption, not open ($t)"
ok "$(grep -q 'filtering untested' <<<"$a" &&
    grep -q 'firewall not ruled out' <<<"$a"; echo $?)" \
    "and it says what it assumed ($a)"
ok "$([ "$(nat_field pub site-a remote_type)" = port-restricted-cone ]; echo $?)" \
    "pub holds site-a's result"

# --- 2. a third proxy proves the firewall ----------------------------------
proxy_start pxb site-b "$(proxy_conf_std site-b addresses="::" \
    neighbours="pub@$PUB6")"
ok $? "site-b started"
ok "$(wait_for 20 measured site-b pub; echo $?)" "site-b's trials toward pub are classified"
echo "# site-b toward pub: $(pjson site-b nat | jq -c '.[] | select(.name == "pub") | {type, mapping, filtering, trials, assumed}')"
m=$(nat_field site-b pub mapping) f=$(nat_field site-b pub filtering)
t=$(nat_field site-b pub type) th=$(trial site-b pub filter-third)
ok "$([ "$th" = not-received ]; echo $?)" \
    "the third proxy's packet (site-a, asked by pub) was dropped by site-b's firewall ($th)"
ok "$([ "$m" = none ] && [ "$f" = address-and-port-dependent ] &&
    [ "$t" = port-restricted-cone ]; echo $?)" \
    "site-b: mapping $m, filtering $f, $t: the firewall proven without an alternate address"

# --- 3. pub, with nothing in front of it ------------------------------------
ok "$(wait_for 10 measured pub site-a; echo $?)" "pub's trials toward site-a are classified"
t=$(nat_field pub site-a type)
ok "$([ "$t" = open ] && [ "$(trial pub site-a filter-alt-port)" = received ]; echo $?)" \
    "pub toward site-a is open: an unsolicited packet (site-a's alternate port) arrived ($t)"

# --- 4. two firewalled sites punch a direct IPv6 link ------------------------
is_direct() { [ "$(route_field site-a "$WORLD_B_LAN" channel)" = direct ]; }
t0=$(now_ms)
nsx hosta ping -n -c 1 -W 1 "$WORLD_B_HOST" >/dev/null 2>&1 &
first_ping=$!
ok "$(wait_for 20 is_direct; echo $?)" "site-a's channel to site-b went direct"
t1=$(now_ms)
wait "$first_ping"
echo "# time to the direct IPv6 channel: $((t1 - t0)) ms; site-a: $(route_field site-a "$WORLD_B_LAN" reason)"
a_b=$(nbr_field site-a site-b addr)
ok "$([ "${a_b%:*}" = "[$WORLD6_B_PX]" ]; echo $?)" \
    "the direct link runs to site-b's own IPv6 address through its firewall ($a_b)"
r1=$(relay_icmp)
got=$(ping_all 10)
ok $? "hosts ping each other over the direct link ($got replies)"
r2=$(relay_icmp)
ok "$(is_count "$r1" && is_count "$r2" && [ "$r1" = "$r2" ]; echo $?)" \
    "pub relayed none of them (icmp via pub: ${r1:-?} -> ${r2:-?})"

t_summary
