#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: the NAT classification does not depend on what earlier runs left
# in the NAT.  Site A sits behind a MASQUERADE NAT (port-restricted cone)
# and pub has an alternate port and address.  Site A's proxy is restarted
# E2E_NATRESTART_RUNS (10) times in a row, at once, while the NAT's
# conntrack still holds the entries that the previous run's mapping trials
# (toward pub's alternate port and address) opened; after each start, and
# again after each `proxyctl probe pub`, site A must classify its NAT as
# port-restricted cone.  Filtering trials that reused the link's socket
# saw those entries and said full cone.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq conntrack
RUNS=${E2E_NATRESTART_RUNS:-10}
PUB_ALT=203.0.113.11
WANT=port-restricted-cone

e2e_traps

nat_field() {	# PROXY NEIGHBOUR FIELD
	pjson "$1" nat | jq -r --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n)) | .[0][$f] // empty'
}

# classified: site-a has a result toward pub measured after $1 (epoch s)
classified() {
	local t m
	t=$(nat_field site-a pub type)
	m=$(nat_field site-a pub measured_s)
	[ -n "$t" ] && [ "$t" != probing ] && [ "$t" != unknown ] &&
	    [ -n "$m" ] && [ "$(jq -n --argjson m "$m" --argjson s "$1" \
	    --argjson now "$(date +%s)" '$m >= 0 and ($now - $m) >= $s')" = true ]
}

world_up || bail "world up"
ok 0 "world up"
make_certs "$WORLD_DIR/pki" || bail "certificates"
pubif=$(nsx pub ip -o -4 addr show | awk '/203\.0\.113\.10\//{print $2}')
nsx pub ip addr add "$PUB_ALT/24" dev "$pubif" || bail "pub's alternate address"
nat_mode a masquerade || bail "site A behind MASQUERADE"
proxy_start pub pub "$(proxy_conf_std pub alt_address=$PUB_ALT)" ||
    bail "pub started"
conf_a=$(proxy_conf_std site-a) || bail "site-a's configuration"

fails=0 got_all=
# measure LABEL SINCE: waits for a result measured after SINCE (epoch s),
# notes it in got_all and counts it in fails unless it is $WANT
measure() {
	local got
	if ! wait_for 30 classified "$2"; then
		got_all="$got_all $1:timeout"
		fails=$((fails + 1))
		return
	fi
	got=$(nat_field site-a pub type)
	got_all="$got_all $1:$got"
	[ "$got" = "$WANT" ] && return
	fails=$((fails + 1))
	echo "# $1: $(pjson site-a nat | jq -c '.[0] | {type, filtering, trials, assumed}')"
}

for i in $(seq 1 "$RUNS"); do
	[ "$i" -gt 1 ] && proxy_stop site-a
	t0=$(date +%s)
	proxy_start pxa site-a "$conf_a" || { fails=$((fails + 1)); continue; }
	measure "start$i" "$t0"
	# and re-probed on the same link, right after its own mapping trials
	t0=$(date +%s)
	sleep 1
	if pctl pxa "$(proxy_sock site-a)" probe pub >/dev/null 2>&1; then
		measure "probe$i" "$t0"
	else
		fails=$((fails + 1))
	fi
done
echo "# start/probe results:$got_all"
echo "# conntrack entries on site A's NAT: $(nsx nata conntrack -L -p udp 2>/dev/null | wc -l)"
[ "$fails" -eq 0 ]
ok $? "site A's NAT classified $WANT after each of $RUNS restarts and each re-probe ($fails otherwise)"

t_summary
