#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: live reload (issue 17).  Both sites behind masquerading NATs, pub
# and a second public proxy pub2 that nobody names yet; an IKEv2 tunnel
# hosta <-> hostb through site-a, pub and site-b carries a 20/s ping for
# the whole test, while site-a's configuration is changed under it:
#   (a) `proxyctl reload` after adding neighbour pub2 and prefix
#       10.99.0.0/24: pub2 is dialled and comes up, site-b learns the route,
#       and site-a's link to pub is not touched (same up time, no
#       reconnect);
#   (b) `proxyctl reload` after removing them again: the link to pub2 is
#       closed ("removed from the configuration") and the route goes;
#   (c) SIGHUP after adding the prefix again: the route comes back;
#   (d) a broken file (a value out of range and an unknown key) is refused:
#       proxyctl exits 1 and prints every error as FILE:LINE, and the
#       running configuration stays (the prefix is still advertised);
#   (e) a changed listen port is refused, naming 'listen.port';
#   (f) the ping lost no sequence number in all this (a reload that
#       restarted the links would drop several).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping
CHARON_RETRANSMIT="5 1 1.5"
PUB2_ADDR=203.0.113.11
EXTRA_PFX=10.99.0.0/24

e2e_traps

both_installed() { child_sa_installed hosta tunnel && child_sa_installed hostb tunnel; }
no_route() { ! has_route "$1" "$2"; }
log_has() { grep -qE "$2" "$WORLD_DIR/$1.log"; }

# site_a_conf [with-pub2] [with-prefix] [key=value...]: rewrites site-a.conf
site_a_conf() {
	local nb="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" pf="$WORLD_A_LAN $WORLD_A_INNER_NET"
	[ "${1:-}" = with-pub2 ] && nb="$nb pub2@$PUB2_ADDR:$WORLD_PUB_PORT"
	[ "${2:-}" = with-prefix ] && pf="$pf $EXTRA_PFX"
	shift 2
	proxy_conf_std site-a neighbours="$nb" prefixes="$pf" "$@" >/dev/null
}

# reload_a: "proxyctl reload" on site-a; output in $WORLD_DIR/reload.out
# and .err, exit status returned.
reload_a() {
	pctl pxa "$(proxy_sock site-a)" reload >"$WORLD_DIR/reload.out" \
	    2>"$WORLD_DIR/reload.err"
}

# pub_link FIELD: a field of site-a's row for its link to pub.
pub_link() {
	pjson site-a neighbours | jq -r --arg f "$1" \
	    'map(select(.name == "pub" and .state == "up")) | .[0][$f] // empty'
}

echo "# world: masquerade NATs, proxies pub, pub2, site-a, site-b (prefix $PXT_PREFIX)"
world_up || bail "world up"
inet_host pub2 "$PUB2_ADDR" || bail "pub2's namespace"
make_certs "$WORLD_DIR/pki" pub2 \
    "site-a=$WORLD_A_LAN,$WORLD_A_INNER_NET,$EXTRA_PFX" || bail "certificates made with tools/proxyd-ca"
proxy_conf_std pub >/dev/null && proxy_conf_std site-b >/dev/null &&
    site_a_conf no no &&
    proxy_conf pub2 listen="$PUB2_ADDR:$WORLD_PUB_PORT" >/dev/null ||
    bail "configurations written"
charon_start hosta && charon_start hostb || bail "charon started"
swanctl_load hosta && swanctl_load hostb || bail "swanctl configurations loaded"
proxy_start pub pub "$WORLD_DIR/pub.conf" &&
    proxy_start pub2 pub2 "$WORLD_DIR/pub2.conf" &&
    proxy_start pxa site-a "$WORLD_DIR/site-a.conf" &&
    proxy_start pxb site-b "$WORLD_DIR/site-b.conf" || bail "proxies started"
wait_for 30 has_route site-a "$WORLD_B_LAN" &&
    wait_for 30 has_route site-b "$WORLD_A_LAN" || bail "routes between the sites"
swanctl_initiate hosta tunnel 20 && wait_for 10 both_installed ||
    bail "tunnel up through the proxies"
ok 0 "tunnel up through the proxies"

up0=$(pub_link up_s) rc0=$(pub_link reconnects)
NS_BG_OUT=$WORLD_DIR/ping.out ns_bg ping hosta ping -n -i 0.05 -W 2 \
    -I "$WORLD_A_INNER" "$WORLD_B_INNER"
sleep 2

# (a) a neighbour and a prefix added
site_a_conf with-pub2 with-prefix
reload_a
ok $? "(a) proxyctl reload exits 0 for a good file"
sed 's/^/#   /' "$WORLD_DIR/reload.out"
cp "$WORLD_DIR/reload.out" "$WORLD_DIR/reload-good.txt"
grep -q "neighbour 'pub2' .* added" "$WORLD_DIR/reload.out"
ok $? "(a) the answer names the neighbour added"
grep -q "prefixes .*$EXTRA_PFX: re-advertised" "$WORLD_DIR/reload.out"
ok $? "(a) the answer names the prefix change"
wait_for 20 neighbour_up site-a pub2
ok $? "(a) site-a dials pub2 and the link comes up"
wait_for 20 has_route site-b "$EXTRA_PFX"
ok $? "(a) site-b learns the route to $EXTRA_PFX"
up1=$(pub_link up_s) rc1=$(pub_link reconnects)
[ -n "$up0" ] && [ -n "$up1" ] && [ "${up1%.*}" -ge "${up0%.*}" ] && [ "$rc1" = "$rc0" ]
ok $? "(a) site-a's link to pub untouched (up ${up0}s -> ${up1}s, reconnects $rc0 -> $rc1)"

# (b) both removed again
site_a_conf no no
reload_a
ok $? "(b) proxyctl reload exits 0"
grep -q "neighbour 'pub2' .* removed" "$WORLD_DIR/reload.out"
ok $? "(b) the answer names the neighbour removed"
wait_for 10 log_has site-a "pub2.*removed from the configuration"
ok $? "(b) site-a closes its link to pub2 (logged with the reason)"
wait_for 20 no_route site-b "$EXTRA_PFX"
ok $? "(b) site-b's route to $EXTRA_PFX goes"

# (c) SIGHUP
site_a_conf no with-prefix
kill -HUP "$(proxy_pid site-a)"
wait_for 10 log_has site-a "reloaded: 1 change"
ok $? "(c) SIGHUP reloads (logged)"
wait_for 20 has_route site-b "$EXTRA_PFX"
ok $? "(c) site-b learns $EXTRA_PFX again"

# (d) a broken file
cp "$WORLD_DIR/site-a.conf" "$WORLD_DIR/site-a.good"
site_a_conf no no keepalive=0:120 extra='colour = "blue";'
reload_a
rc=$?
[ "$rc" = 1 ]
ok $? "(d) proxyctl reload exits 1 for a broken file (status $rc)"
sed 's/^/#   /' "$WORLD_DIR/reload.err"
cp "$WORLD_DIR/reload.err" "$WORLD_DIR/reload-broken.txt"
kl=$(grep -n 'keepalive' "$WORLD_DIR/site-a.conf" | head -n 1 | cut -d: -f1)
cl=$(grep -n 'colour' "$WORLD_DIR/site-a.conf" | head -n 1 | cut -d: -f1)
grep -q "$WORLD_DIR/site-a.conf:$kl: 'keepalive.min' 0 out of range" "$WORLD_DIR/reload.err"
ok $? "(d) the error names FILE:LINE of keepalive.min (line $kl)"
grep -q "$WORLD_DIR/site-a.conf:$cl: unknown key 'colour'" "$WORLD_DIR/reload.err"
ok $? "(d) and FILE:LINE of the unknown key (line $cl)"
sleep 3
has_route site-b "$EXTRA_PFX"
ok $? "(d) the running configuration stays: $EXTRA_PFX still advertised"
proxy_alive site-a
ok $? "(d) site-a still runs"

# (e) the listen port cannot change live
site_a_conf no with-prefix listen=0.0.0.0:4800
reload_a
rc=$?
sed 's/^/#   /' "$WORLD_DIR/reload.err"
[ "$rc" = 1 ] && grep -q "'listen.port' cannot change while proxyd runs (4790, now 4800)" \
    "$WORLD_DIR/reload.err"
ok $? "(e) a new listen port is refused, naming 'listen.port' (status $rc)"
cp "$WORLD_DIR/site-a.good" "$WORLD_DIR/site-a.conf"

# (f) the ping across all of it
sleep 1
ns_bg_stop ping
sent=$(grep -o 'icmp_seq=[0-9]*' "$WORLD_DIR/ping.out" | cut -d= -f2 | sort -n)
n=$(echo "$sent" | grep -c .)
first=$(echo "$sent" | head -n 1) last=$(echo "$sent" | tail -n 1)
missing=$(( ${last:-0} - ${first:-1} + 1 - n ))
echo "# ping: $n replies, icmp_seq $first..$last, $missing missing"
[ "$n" -gt 100 ] && [ "$missing" -eq 0 ]
ok $? "(f) no ping lost across the reloads ($n replies, $missing missing)"

for name in site-b site-a pub2 pub; do
	proxy_stop "$name"
done
t_summary
