#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Issue 11: a proxy with a valid certificate cannot speak for others.
# The standard world (pub, site-a, site-b; certificates binding site A's and
# site B's prefixes, tls.require_prefixes everywhere) with an IPsec tunnel
# hosta <-> hostb pinging across it the whole time, and "rogue" on the
# internet: tests/tools/pxrogue with a certificate from the network's CA
# whose address blocks hold only 10.66.0.0/24, linked to pub.
#  (1) rogue advertises, validly signed, 10.66.0.0/24 (its own), site B's
#      more-specifics 10.2.0.0/25 and 10.2.0.128/25, and 192.168.77.0/24, a
#      network connected to site-a's proxy host: site-a routes its own
#      10.66.0.0/24 (the control) but none of the others, its kernel has no
#      route for them and the connected route is untouched, its status
#      counts the refused claims and 'proxyctl topology' shows each with
#      the reason.
#  (2) rogue forges site-b's advertisement: unsigned at seq 2^64-1 and at
#      the newest value serial arithmetic allows, signed with its own key
#      under its own certificate (wrong name), and with site-b's
#      certificate but its own key (bad signature): pub drops and counts
#      each, never floods them (site-a counts none), and site-b stays in
#      every table at its own sequence number.
#  (3) rogue floods its own validly signed advertisement, 200 new ones a
#      second: pub rate-limits it (counted) and keeps answering.
#  Throughout, the tunnel's ping does not break: at most one lost echo in
#  a row and under 2 % lost.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping
: "${PXROGUE:=$top_builddir/tests/tools/pxrogue}"
: "${LSAGEN:=$top_builddir/tests/tools/lsagen}"

e2e_traps

ROGUE_ADDR=203.0.113.66
ROGUE_NET=10.66.0.0/24
CONNECTED_NET=192.168.77.0/24
PUB_EP=pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT
PING_N=${E2E_ROGUE_PING_N:-400}		# 0.2 s apart: 80 s of pings

both_installed() { child_sa_installed hosta tunnel && child_sa_installed hostb tunnel; }
route_dest() {	# PROXY PREFIX: the dest of its route for PREFIX, or nothing
	pjson "$1" routes | jq -r --arg p "$2" \
	    'map(select(.prefix == $p)) | .[0].dest // empty'
}
topo_field() {	# PROXY ORIGIN FIELD
	pjson "$1" topology | jq -r --arg o "$2" --arg f "$3" \
	    'map(select(.origin == $o)) | .[0][$f] // empty | tostring'
}
num() { local v; v=$(pstatus "$1" "$2"); echo "${v:-0}"; }
rogue_routes() {	# PROXY: its routes whose dest is rogue, as prefixes
	pjson "$1" routes | jq -r 'map(select(.dest == "rogue")) | map(.prefix) | join(" ")'
}

echo "# world: pub, site-a, site-b (prefixes bound to certificates), rogue on the internet (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] && [ -x "$PXROGUE" ] && [ -x "$LSAGEN" ] ||
    bail "daemon, pxrogue and lsagen built (make check-e2e)"
make_certs "$WORLD_DIR/pki" "rogue=$ROGUE_NET" || bail "certificates"
openssl x509 -in "$WORLD_DIR/pki/rogue.crt" -noout -text | grep -q "$ROGUE_NET" &&
    openssl verify -CAfile "$WORLD_DIR/pki/ca.crt" "$WORLD_DIR/pki/rogue.crt" >/dev/null
ok $? "rogue's certificate is valid for the network's CA and binds only $ROGUE_NET"

# a network connected to site-a's proxy host, not a proxyd prefix
# (no dummy interfaces here: a veth pair inside the namespace)
nsx pxa ip link add lan77 type veth peer name lan77p && nsx pxa ip link set lan77p up &&
    nsx pxa ip link set lan77 up && nsx pxa ip addr add 192.168.77.1/24 dev lan77 ||
    bail "a network connected to site-a's host"
conn_route() { nsx pxa ip -o route show "$CONNECTED_NET" | tr -s ' '; }
before=$(conn_route)
ok "$([[ $before == *"proto kernel"* ]]; echo $?)" "site-a's host has the connected route: $before"

for name in pub site-a site-b; do
	proxy_conf_std "$name" >/dev/null || bail "config for $name"
done
charon_start hosta && charon_start hostb && swanctl_load hosta &&
    swanctl_load hostb || bail "strongSwan on hosta and hostb"
for name in pub site-a site-b; do
	proxy_start "$(proxy_ns "$name")" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "proxy $name started"
done
wait_for 30 has_route site-a "$WORLD_B_LAN" && wait_for 30 has_route site-b "$WORLD_A_LAN"
ok $? "site-a and site-b route each other's LAN through pub"
swanctl_initiate hosta tunnel 20 && wait_for 10 both_installed ||
    bail "IPsec tunnel hosta <-> hostb up through the proxies"
ok 0 "IPsec tunnel hosta <-> hostb up"
[ "$(num site-a lsa_verified)" -gt 0 ]
ok $? "site-a verified the signatures of what it uses (lsa_verified $(num site-a lsa_verified))"

NS_BG_OUT=$WORLD_DIR/ping.out ns_bg tunnel-ping hosta \
    ping -n -i 0.2 -W 2 -c "$PING_N" -I "$WORLD_A_INNER" "$WORLD_B_INNER"
echo "# a ping hosta -> hostb across the tunnel runs through all of it ($PING_N, 0.2 s apart)"

inet_host rogue "$ROGUE_ADDR" || bail "internet host for rogue"
conf_rogue=$(proxy_conf rogue listen="$ROGUE_ADDR:$WORLD_PUB_PORT" \
    neighbours="$PUB_EP" tun=no) || bail "rogue's configuration"
pki=$WORLD_DIR/pki
seq0=$(( $(date +%s) << 20 ))

# ---- (1) claims outside the certificate's blocks
"$LSAGEN" -c "$pki/rogue.crt" -k "$pki/rogue.key" -o rogue -s "$seq0" -n 1 \
    -p "$ROGUE_NET" -p 10.2.0.0/25 -p 10.2.0.128/25 -p "$CONNECTED_NET" \
    -l pub -O "$WORLD_DIR/claims.bin" || bail "rogue's advertisement made"
NS_BG_OUT=$WORLD_DIR/rogue1.out ns_bg pxrogue rogue "$PXROGUE" -c "$conf_rogue" \
    -n pub --raw 11 --bodies-file "$WORLD_DIR/claims.bin" --count 40 --rate 1 --hold 1
wait_for 30 has_route site-a "$ROGUE_NET"
ok $? "(1) site-a routes rogue's own $ROGUE_NET (dest $(route_dest site-a "$ROGUE_NET")): the claim that its certificate covers"
sleep 2
r=$(rogue_routes site-a)
ok "$([ "$r" = "$ROGUE_NET" ]; echo $?)" "(1) site-a's routes point at rogue only for $ROGUE_NET (rogue routes: '$r')"
for p in 10.2.0.0/25 10.2.0.128/25 "$CONNECTED_NET"; do
	[ -z "$(route_dest site-a "$p")" ] && [ -z "$(route_dest site-b "$p")" ]
	ok $? "(1) neither site routes rogue's claim $p"
done
k=$(nsx pxa ip -o route show 10.2.0.0/25; nsx pxa ip -o route show 10.2.0.128/25)
ok "$([ -z "$k" ]; echo $?)" "(1) site-a's kernel has no route for site B's more-specifics ('$k')"
after=$(conn_route)
ok "$([ "$after" = "$before" ]; echo $?)" "(1) the connected route $CONNECTED_NET is untouched ($after)"
[ "$(route_dest site-a "$WORLD_B_LAN")" = site-b ]
ok $? "(1) site-a still sends $WORLD_B_LAN to site-b"
refused=$(topo_field site-a rogue refused)
echo "# site-a topology, rogue refused: $refused"
for p in 10.2.0.0/25 10.2.0.128/25 "$CONNECTED_NET"; do
	[[ $refused == *"$p: outside its certificate's address blocks"* ]]
	ok $? "(1) 'proxyctl -j topology' at site-a shows $p refused with the reason"
done
[[ $refused != *"$ROGUE_NET"* ]]
ok $? "(1) ... and does not list $ROGUE_NET as refused"
pctl pxa "$(proxy_sock site-a)" topology | grep -E '^ *rogue' | grep -q 'outside its certificate'
ok $? "(1) 'proxyctl topology' (text) shows rogue's refused claims"
n=$(num site-a lsa_refused_prefixes)
[ "$n" -ge 3 ]
ok $? "(1) site-a's status counts the refused claims (lsa_refused_prefixes $n)"
grep -q "'rogue' claims .* it may not" "$WORLD_DIR/site-a.log"
ok $? "(1) site-a's log names rogue and why ($(grep -m1 "'rogue' claims" "$WORLD_DIR/site-a.log" | cut -c1-110))"
ns_bg_stop pxrogue

# ---- (2) a forger: site-b's advertisement, unsigned or badly signed
seq_b=$(topo_field pub site-b seq)
[[ $seq_b =~ ^[0-9]+$ ]] || bail "site-b's seq at pub ($seq_b)"
max=18446744073709551615
newest=$(printf '%u' $(( seq_b + 0x7fffffffffffffff )))
echo "# site-b's seq $seq_b; forging seq $max and $newest"
: >"$WORLD_DIR/forged.bin"
for s in "$max" "$newest"; do
	"$LSAGEN" --unsigned -o site-b -s "$s" -n 1 -O "$WORLD_DIR/f.bin" &&
	    cat "$WORLD_DIR/f.bin" >>"$WORLD_DIR/forged.bin" || bail "unsigned forgery"
done
"$LSAGEN" -c "$pki/rogue.crt" -k "$pki/rogue.key" -o site-b -s "$newest" -n 1 \
    -p "$WORLD_B_LAN" -l pub -O "$WORLD_DIR/f.bin" &&
    cat "$WORLD_DIR/f.bin" >>"$WORLD_DIR/forged.bin" &&
"$LSAGEN" -c "$pki/site-b.crt" -k "$pki/rogue.key" -o site-b -s "$newest" -n 1 \
    -p "$WORLD_B_LAN" -l pub -O "$WORLD_DIR/f.bin" &&
    cat "$WORLD_DIR/f.bin" >>"$WORLD_DIR/forged.bin" || bail "signed forgeries"
u0=$(num pub lsa_unsigned) f0=$(num pub lsa_forged)
NS_BG_OUT=$WORLD_DIR/rogue2.out ns_bg pxrogue rogue "$PXROGUE" -c "$conf_rogue" \
    -n pub --raw 11 --bodies-file "$WORLD_DIR/forged.bin" --count 8 --rate 4 --hold 2
ns_bg_wait pxrogue 40
grep -q '^linked' "$WORLD_DIR/rogue2.out" && grep -q '^sent 8 ' "$WORLD_DIR/rogue2.out"
ok $? "(2) the forger linked to pub and sent 8 forged advertisements ($(tr '\n' ';' <"$WORLD_DIR/rogue2.out"))"
u1=$(num pub lsa_unsigned) f1=$(num pub lsa_forged)
[ $((u1 - u0)) -ge 4 ]
ok $? "(2) pub dropped and counted the unsigned ones (lsa_unsigned $u0 -> $u1)"
[ $((f1 - f0)) -ge 4 ]
ok $? "(2) pub dropped and counted the wrong-name and bad signatures (lsa_forged $f0 -> $f1)"
a=$(( $(num site-a lsa_unsigned) + $(num site-a lsa_forged) + $(num site-b lsa_unsigned) + $(num site-b lsa_forged) ))
ok "$([ "$a" -eq 0 ]; echo $?)" "(2) none was flooded on: site-a and site-b counted none ($a)"
for name in pub site-a; do
	s=$(topo_field "$name" site-b seq)
	[[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge "$seq_b" ] && [ "$s" -lt $(( seq_b + (1 << 40) )) ]
	ok $? "(2) $name holds site-b at its own seq ($s), not a forged one"
done
[ "$(route_dest site-a "$WORLD_B_LAN")" = site-b ]
ok $? "(2) site-a still routes $WORLD_B_LAN to site-b"
grep -q "advertisement of 'site-b' .* dropped" "$WORLD_DIR/pub.log"
ok $? "(2) pub's log says why ($(grep -m1 "advertisement of 'site-b' .* dropped" "$WORLD_DIR/pub.log" | cut -c1-120))"

# ---- (3) a flood of its own, validly signed advertisements
"$LSAGEN" -c "$pki/rogue.crt" -k "$pki/rogue.key" -o rogue -s $((seq0 + 100)) \
    -n 400 -p "$ROGUE_NET" -l pub -O "$WORLD_DIR/flood.bin" || bail "flood made"
r0=$(num pub lsa_rate)
NS_BG_OUT=$WORLD_DIR/rogue3.out ns_bg pxrogue rogue "$PXROGUE" -c "$conf_rogue" \
    -n pub --raw 11 --bodies-file "$WORLD_DIR/flood.bin" --count 400 --rate 200 --hold 1
worst=0
t_end=$(( $(now_ms) + 3000 ))
while [ "$(now_ms)" -lt "$t_end" ]; do
	t=$(now_ms)
	pstatus pub name >/dev/null
	d=$(( $(now_ms) - t ))
	[ "$d" -gt "$worst" ] && worst=$d
	sleep 0.2
done
ns_bg_wait pxrogue 30
r1=$(num pub lsa_rate)
[ $((r1 - r0)) -gt 100 ]
ok $? "(3) pub rate-limited rogue's flood of its own advertisements (lsa_rate $r0 -> $r1 of 400)"
echo "# pub's status answered within $worst ms (worst, proxyctl included) during the flood"
proxy_alive pub && [ "$(route_dest site-a "$WORLD_B_LAN")" = site-b ]
ok $? "(3) pub is alive and site-a still routes $WORLD_B_LAN to site-b"

# ---- the ping, all along
ns_bg_wait tunnel-ping $(( PING_N / 5 + 30 ))
ping_unbroken "$WORLD_DIR/ping.out"
ok $? "the tunnel's ping never broke (at most one echo lost in a row, under 2 % lost)"

t_summary
