#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Direct channels (issue "Direct channels by hole punching ..."):
#  1. both sites behind MASQUERADE: after the first packets the channel goes
#     direct; pub's relay counters stop growing while the tunnel's ping goes
#     on; proxyctl routes/explain say why.
#  2. conntrack flushed on site A's NAT during a continuous ping: it heals;
#     the gap is printed.
#  3. site A's proxy killed with SIGKILL and restarted during a continuous
#     ping: it heals; the gap is printed.
#  4. the endpoints' IPsec SAs were never renegotiated through all of it.
#  5. site B behind MASQUERADE --random-fully (symmetric): the channel stays
#     relayed and the reason names the NAT types.
# Targets (printed, not asserted as timings): healing under 5 s.
# pub has an alternate address, so the NAT trials can tell mapping
# behaviours apart (without one, the strict classification says symmetric).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping conntrack
PUB_ALT=203.0.113.11
HEAL_BOUND=${HEAL_BOUND:-30}	# s: a gap larger than this is a failure

e2e_traps

route_field() {	# PROXY PREFIX FIELD
	pjson "$1" routes | jq -r --arg p "$2" --arg f "$3" \
	    'map(select(.prefix == $p)) | .[0][$f] // empty'
}
relay_packets() {	# esp-udp packets pub relayed
	pjson pub flows | jq '[.[] | select(.proto == "esp-udp") | .packets] | add // 0'
}
sa_ids() {	# HOST: IKE SA unique id + SPIs and CHILD SA SPIs, one line
	swanctl_x "$1" --list-sas 2>/dev/null |
	    grep -Eo '#[0-9]+|[0-9a-f]{16}_i|[0-9a-f]{16}_r|(in|out) +[0-9a-f]{8}' |
	    tr '\n' ' '
}

# ping_bg SECONDS: pings hostb's inner address from hosta's every 0.1 s
# for SECONDS in the background; writes the output to $WORLD_DIR/ping.out.
ping_bg() {
	nsx hosta ping -D -i 0.1 -w "$1" -I "$WORLD_A_INNER" "$WORLD_B_INNER" \
	    >"$WORLD_DIR/ping.out" 2>&1 &
	PING_PID=$!
}
# largest gap (s) between consecutive replies, and the replies; call
# "wait $PING_PID" first (in this shell: a subshell cannot wait for it)
ping_report() {
	# the longest run of unanswered pings (icmp_seq gaps, and the tail
	# after the last reply), times the 0.1 s interval
	awk '/bytes from/ { for (i = 1; i <= NF; i++) if ($i ~ /^icmp_seq=/) {
	         split($i, a, "="); q = a[2] + 0 }
	       if (q - last - 1 > run) run = q - last - 1; last = q; n++ }
	     /packets transmitted/ { tx = $1 + 0 }
	     END { if (tx - last > run) run = tx - last;
	           printf "%.1f %d\n", (run + 1) * 0.1, n }' "$WORLD_DIR/ping.out"
}

start_world() {	# MODE_B
	nat_mode a masquerade
	nat_mode b "$1"
	proxy_start pub pub "$(proxy_conf_std pub alt_address=$PUB_ALT)" &&
	proxy_start pxa site-a "$(proxy_conf_std site-a)" &&
	proxy_start pxb site-b "$(proxy_conf_std site-b)"
}

world_up >/dev/null || { ok 1 "world up"; t_summary; exit 1; }
ok 0 "world up"
make_certs "$WORLD_DIR/pki"
pubif=$(nsx pub ip -o -4 addr show | awk '/203\.0\.113\.10\//{print $2}')
nsx pub ip addr add "$PUB_ALT/24" dev "$pubif"
start_world masquerade
ok $? "proxies started, both sites behind MASQUERADE"
charon_start hosta && charon_start hostb && swanctl_load hosta &&
    swanctl_load hostb
ok $? "endpoints up"
trials_done() {
	[ "$(pjson site-a nat | jq -r '.[0].type')" = port-restricted-cone ] &&
	    [ "$(pjson site-b nat | jq -r '.[0].type')" = port-restricted-cone ]
}
ok "$(wait_for 20 trials_done; echo $?)" "both sites measured port-restricted cone NATs toward pub"
swanctl_initiate hosta >/dev/null
ok "$(wait_for 20 child_sa_installed hosta tunnel; echo $?)" "tunnel up"
nsx hosta ping -c 3 -i 0.2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
is_direct() { [ "$(route_field site-a "$WORLD_B_INNER_NET" channel)" = direct ]; }
ok "$(wait_for 15 is_direct; echo $?)" "site-a's channel to site-b is direct"
echo "# site-a: $(route_field site-a "$WORLD_B_INNER_NET" reason)"
ok "$([ "$(route_field site-b "$WORLD_A_INNER_NET" channel)" = direct ]; echo $?)" \
    "site-b's channel to site-a is direct too"
ok "$([ "$(route_field site-a "$WORLD_B_INNER_NET" next_hop)" = site-b ]; echo $?)" \
    "site-a's route to site-b's prefixes now goes straight to site-b"
sas0_a=$(sa_ids hosta) sas0_b=$(sa_ids hostb)
r1=$(relay_packets)
out=$(nsx hosta ping -c 20 -i 0.1 -I "$WORLD_A_INNER" "$WORLD_B_INNER" 2>&1)
ok $? "ping through the tunnel over the direct channel ($(tail -1 <<<"$out"))"
r2=$(relay_packets)
ok "$([ "$r1" = "$r2" ]; echo $?)" "pub's relay counters stopped growing ($r1 -> $r2 esp-udp packets)"
ex=$(pctl pxa "$(proxy_sock site-a)" explain site-b)
ok "$(grep -q 'directly' <<<"$ex" && grep -q 'cone' <<<"$ex"; echo $?)" \
    "proxyctl explain site-b walks the decision"
sed 's/^/#   /' <<<"$ex"
# proxyctl ping takes the direct link, as the data does: one hop each way
pr=$(pjson site-a ping site-b | jq -c '.[0] // empty')
ok "$(jq -e '.name == "site-b" and .via == "site-b" and .hops_there == 1 and
    .hops_back == 1 and .path == "site-a > site-b > site-a" and .rtt_ms > 0 and
    .rtt_ms < 3000' <<<"$pr" >/dev/null; echo $?)" \
    "proxyctl ping site-b goes over the direct link, one hop each way ($pr)"

# 2. NAT reboot on site A during a continuous ping.
ping_bg 12
sleep 3
nat_reboot a
wait "$PING_PID"
read -r gap n < <(ping_report)
echo "# conntrack flush on NAT A: longest gap between replies ${gap} s ($n replies in 12 s at 10/s)"
ok "$(awk -v g="$gap" -v b="$HEAL_BOUND" 'BEGIN { exit !(g < b) }'; echo $?)" \
    "traffic heals after the NAT lost its state (gap ${gap} s; target < 5 s)"
nsx hosta ping -c 3 -i 0.2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
ok $? "tunnel works after the NAT reboot"
echo "# after flush: site-a channel $(route_field site-a "$WORLD_B_INNER_NET" channel): $(route_field site-a "$WORLD_B_INNER_NET" reason)"

# 2b. The direct path breaks (the two NATs cannot reach each other any
# more, both still reach pub): the channel falls back to the relay within
# the direct link's dead time, and punching is retried with backoff once
# the path is back.
ping_bg 12
sleep 2
for d in "-s $WORLD_A_WAN -d $WORLD_B_WAN" "-s $WORLD_B_WAN -d $WORLD_A_WAN"; do
	# shellcheck disable=SC2086
	nsx inet iptables -w -I FORWARD $d -j DROP
done
t0=$(date +%s%N)
is_relay() { [ "$(route_field site-a "$WORLD_B_INNER_NET" channel)" = relay ]; }
wait_for 20 is_relay
rc=$?
t1=$(date +%s%N)
ok $rc "the channel fell back to relay after the direct path broke ($(( (t1 - t0) / 1000000 )) ms; bound: 3 s dead time + 1 s)"
wait "$PING_PID"
read -r gap n < <(ping_report)
echo "# direct path broken: longest gap ${gap} s ($n replies in 12 s)"
ok "$(awk -v g="$gap" -v b="$HEAL_BOUND" 'BEGIN { exit !(g < b) }'; echo $?)" \
    "the ping went on over the relay (gap ${gap} s)"
echo "# site-a: $(route_field site-a "$WORLD_B_INNER_NET" reason)"
for d in "-s $WORLD_A_WAN -d $WORLD_B_WAN" "-s $WORLD_B_WAN -d $WORLD_A_WAN"; do
	# shellcheck disable=SC2086
	nsx inet iptables -w -D FORWARD $d -j DROP
done
nsx hosta ping -c 30 -i 0.5 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null 2>&1 &
PING_PID=$!
t0=$(date +%s%N)
wait_for 40 is_direct
rc=$?
t1=$(date +%s%N)
kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null
ok $rc "punching was retried and the channel is direct again ($(( (t1 - t0) / 1000000 )) ms after the path came back)"
echo "# site-a: $(route_field site-a "$WORLD_B_INNER_NET" reason)"

# 3. Site A's proxy killed and restarted during a continuous ping.
ping_bg 20
sleep 3
pid=$(pid_of proxy-site-a)
kill -KILL "$pid"
sleep 1
proxy_start pxa site-a "$WORLD_DIR/site-a.conf"
ok $? "site-a restarted after SIGKILL"
wait "$PING_PID"
read -r gap n < <(ping_report)
echo "# SIGKILL + restart of site-a (1 s down): longest gap ${gap} s ($n replies in 20 s)"
ok "$(awk -v g="$gap" -v b="$HEAL_BOUND" 'BEGIN { exit !(g < b) }'; echo $?)" \
    "traffic heals after the proxy restart (gap ${gap} s; target < 5 s)"
nsx hosta ping -c 3 -i 0.2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
ok $? "tunnel works after the proxy restart"
echo "# after restart: site-a channel $(route_field site-a "$WORLD_B_INNER_NET" channel): $(route_field site-a "$WORLD_B_INNER_NET" reason)"
sas1_a=$(sa_ids hosta) sas1_b=$(sa_ids hostb)
ok "$([ "$sas0_a" = "$sas1_a" ] && [ "$sas0_b" = "$sas1_b" ]; echo $?)" \
    "the IPsec SAs were never renegotiated (hosta: $sas1_a)"

# 5. Symmetric NAT on site B: the channel stays relayed, with the reason.
swanctl_x hosta --terminate --ike tunnel >/dev/null 2>&1
proxy_stop site-a; proxy_stop site-b; proxy_stop pub
start_world random
ok $? "proxies restarted with site B behind MASQUERADE --random-fully"
sym() { [ "$(pjson site-b nat | jq -r '.[0].type')" = symmetric ]; }
ok "$(wait_for 20 sym; echo $?)" "site-b measured a symmetric NAT"

swanctl_initiate hosta >/dev/null
ok "$(wait_for 20 child_sa_installed hosta tunnel; echo $?)" "tunnel up through the relay"
nsx hosta ping -c 5 -i 0.2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
ok $? "ping crosses the relayed tunnel"
sleep 3
ch=$(route_field site-a "$WORLD_B_INNER_NET" channel)
why=$(route_field site-a "$WORLD_B_INNER_NET" reason)
ok "$([ "$ch" = relay ]; echo $?)" "the channel stays relayed ($ch)"
ok "$(grep -q 'symmetric' <<<"$why" && grep -q 'not possible' <<<"$why"; echo $?)" \
    "the reason is shown: $why"
t_summary
