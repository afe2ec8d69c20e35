#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# NAT-type probing end to end (issue "NAT-type probing on every link").
# Site A's proxy sits behind a netfilter NAT in each mode in turn, linked to
# the public proxy "pub" (which has an alternate address and port, and a
# second neighbour, site-b, that can serve as third proxy).  Both ends of
# the link must classify A's NAT the same way:
#   none -> open, static SNAT+DNAT -> full cone, MASQUERADE -> port-restricted
#   cone, MASQUERADE --random-fully -> symmetric.
# Then the binding-lifetime trial against conntrack UDP timeouts lowered to
# LIFETIME_TRUE seconds: the estimate is within 30%, the keepalive interval
# follows it, and the link survives an idle period several times the
# timeout.  Finally "proxyctl probe" re-runs the trials.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq conntrack
LIFETIME_TRUE=${LIFETIME_TRUE:-20}
PUB_ALT=203.0.113.11

e2e_traps

# nat_field PROXY NEIGHBOUR FIELD
nat_field() {
	pjson "$1" nat | jq -r --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n)) | .[0][$f] // empty'
}

# measured PROXY NEIGHBOUR: true once the trials (not the lifetime) are done
# and the neighbour's own result has arrived.
measured() {
	local t r
	t=$(nat_field "$1" "$2" type)
	r=$(nat_field "$1" "$2" remote_type)
	[ -n "$t" ] && [ "$t" != probing ] && [ "$t" != unknown ] &&
	    [ -n "$r" ] && [ "$r" != unknown ]
}

start_proxies() {	# KA
	local ka=$1
	proxy_stop site-a; proxy_stop site-b; proxy_stop pub
	proxy_start pub pub "$(proxy_conf_std pub alt_address=$PUB_ALT)" &&
	proxy_start pxb site-b "$(proxy_conf_std site-b)" &&
	proxy_start pxa site-a "$(proxy_conf_std site-a keepalive="$ka")"
}

world_up >/dev/null || { ok 1 "world up"; t_summary; exit 1; }
ok 0 "world up"
make_certs "$WORLD_DIR/pki"
pubif=$(nsx pub ip -o -4 addr show | awk '/203\.0\.113\.10\//{print $2}')
nsx pub ip addr add "$PUB_ALT/24" dev "$pubif"
nat_mode b masquerade

# mode  expected-type  expected-mapping  expected-filtering (or -)
while read -r mode type mapping filtering; do
	case $mode in
	static) nat_mode a static "$WORLD_A_PX" 4790 4791 ;;
	*) nat_mode a "$mode" ;;
	esac
	start_proxies 5:120 || { ok 1 "$mode: proxies start"; continue; }
	if ! wait_for 20 measured site-a pub || ! wait_for 10 measured pub site-a
	then
		ok 1 "$mode: trials finish on both ends"
		continue
	fi
	got=$(nat_field site-a pub type)
	ok "$([ "$got" = "$type" ]; echo $?)" \
	    "$mode: site-a classifies its NAT toward pub as $type (got $got)"
	got=$(nat_field pub site-a remote_type)
	ok "$([ "$got" = "$type" ]; echo $?)" \
	    "$mode: pub holds the same result for site-a ($got)"
	got=$(nat_field site-a pub mapping)
	ok "$([ "$got" = "$mapping" ]; echo $?)" \
	    "$mode: mapping behaviour $mapping (got $got)"
	if [ "$filtering" != - ]; then
		got=$(nat_field site-a pub filtering)
		ok "$([ "$got" = "$filtering" ]; echo $?)" \
		    "$mode: filtering behaviour $filtering (got $got)"
	fi
	got=$(nat_field pub site-a type)
	ok "$([ "$got" = open ]; echo $?)" \
	    "$mode: pub, on the internet, classifies its own side as open ($got)"
	echo "# $mode: $(pjson site-a nat | jq -c '.[0] | {type, mapping, filtering, mapped, trials, assumed}')"
done <<'MODES'
none        open                  none                       -
static      full-cone             endpoint-independent       endpoint-independent
masquerade  port-restricted-cone  endpoint-independent       address-and-port-dependent
random      symmetric             address-and-port-dependent -
MODES

# Binding lifetime against lowered conntrack timeouts.
nat_mode a masquerade
nat_udp_timeout a "$LIFETIME_TRUE"
start_proxies 5:60 || ok 1 "lifetime: proxies start"
lifetime_done() { [ "$(nat_field site-a pub lifetime)" = measured ]; }
if wait_for $((LIFETIME_TRUE * 3 + 30)) lifetime_done; then
	lt=$(nat_field site-a pub lifetime_s)
	lo=$((LIFETIME_TRUE * 7 / 10)) hi=$((LIFETIME_TRUE * 13 / 10))
	ok "$([ "$lt" -ge "$lo" ] && [ "$lt" -le "$hi" ]; echo $?)" \
	    "lifetime: measured $lt s against a true ${LIFETIME_TRUE} s conntrack timeout (allowed $lo-$hi)"
	echo "# lifetime: true ${LIFETIME_TRUE} s, measured $lt s"
	ka=$(nat_field site-a pub ka_interval_s)
	ok "$([ "$ka" = $((lt / 2)) ] || { [ $((lt / 2)) -lt 5 ] && [ "$ka" = 5 ]; }; echo $?)" \
	    "lifetime: keepalive interval follows it ($ka s)"
	rc0=$(pjson site-a neighbours | jq '.[0].reconnects')
	idle=$((LIFETIME_TRUE * 7 / 2))
	echo "# idling ${idle} s (3.5 x the conntrack timeout) with only keepalives"
	sleep "$idle"
	rc1=$(pjson site-a neighbours | jq '.[0].reconnects')
	ok "$(neighbour_up site-a pub && [ "$rc0" = "$rc1" ]; echo $?)" \
	    "lifetime: the link survived ${idle} s idle without reconnecting (reconnects $rc0 -> $rc1)"
	ok "$(nsx nata conntrack -L -p udp --orig-port-dst 4790 2>/dev/null | grep -q 203.0.113.10; echo $?)" \
	    "lifetime: the NAT still holds the link's mapping"
else
	ok 1 "lifetime: measured within $((LIFETIME_TRUE * 3 + 30)) s"
fi

# proxyctl probe re-runs the trials.
before=$(nat_field site-a pub measured_s)
sleep 2
out=$(pctl pxa "$(proxy_sock site-a)" probe pub 2>&1)
ok $? "proxyctl probe pub is accepted ($out)"
rerun() { [ "$(nat_field site-a pub measured_s | cut -d. -f1)" -lt "${before%.*}" ]; }
ok "$(wait_for 15 rerun; echo $?)" "the trials ran again (measured ${before}s ago before)"
ok "$([ "$(nat_field site-a pub type)" = port-restricted-cone ]; echo $?)" \
    "re-run keeps the classification"
out=$(pctl pxa "$(proxy_sock site-a)" probe nosuch 2>&1)
ok "$([ $? = 1 ] && grep -q "no up link" <<<"$out"; echo $?)" \
    "proxyctl probe of an unknown neighbour fails clearly ($out)"
t_summary
