#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Direct channels (issue "Direct channels by hole punching ..."):
#  1. both sites behind MASQUERADE: after the first packets the channel goes
#     direct; pub's relay counters stop growing while the tunnel's ping goes
#     on; proxyctl routes/explain say why.
#  2. conntrack flushed on site A's NAT during a continuous ping: it heals
#     within the target.  2b: the direct path cut: back to the relay within
#     the dead time, the ping goes on, punching is retried once it is back.
#  3. site A's proxy killed with SIGKILL and restarted during a continuous
#     ping: it heals within the target.
#  4. the endpoints' IPsec SAs were never renegotiated through all of it.
#  5. site B behind MASQUERADE --random-fully (symmetric): the channel stays
#     relayed and the reason names the NAT types.
# Healing is asserted: the longest gap between ping replies (from the
# replies' own timestamps, the start and the end of the window included)
# must stay under HEAL_BOUND (5 s), and every window runs at least twice
# that long after its event, so a longer gap, or no healing at all, is seen.
# pub has an alternate address, so the NAT trials can tell mapping
# behaviours apart (without one, the strict classification says symmetric).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping conntrack
PUB_ALT=203.0.113.11
HEAL_BOUND=${HEAL_BOUND:-5}	# s: a gap this long or longer is a failure
POST=$((2 * HEAL_BOUND))	# s: each ping window goes on this long after its event

e2e_traps

# pjson_ok NAME COMMAND: pjson, but it fails (printing nothing) when
# proxyctl fails, so an unreadable proxy is never read as an empty table.
pjson_ok() {
	local out
	out=$(pctl "$(proxy_ns "$1")" "$(proxy_sock "$1")" -j "$2") || return 1
	jq -cs '[ .[] | if type == "array" then .[] else . end
		  | if type == "object" and has("row") then .row else . end
		  | select(type != "object" or (has("end") | not)) ]' <<<"$out"
}
route_field() {	# PROXY PREFIX FIELD
	pjson "$1" routes | jq -r --arg p "$2" --arg f "$3" \
	    'map(select(.prefix == $p)) | .[0][$f] // empty'
}
relay_packets() {	# ike + esp-udp packets pub relayed; fails if unreadable
	local j
	j=$(pjson_ok pub flows) || return 1
	jq '[.[] | select(.proto == "esp-udp" or .proto == "ike") | .packets] |
	    add // 0' <<<"$j"
}
is_count() { [[ ${1:-} =~ ^[0-9]+$ ]]; }
sa_ids() {	# HOST: IKE SA unique id + SPIs and CHILD SA SPIs, one line
	swanctl_x "$1" --list-sas 2>/dev/null |
	    grep -Eo '#[0-9]+|[0-9a-f]{16}_i|[0-9a-f]{16}_r|(in|out) +[0-9a-f]{8}' |
	    tr '\n' ' '
}
# sa_ids_read IDS: a reading names an IKE SA (#N), both its SPIs and a
# CHILD SA's SPIs both ways: an empty or partial reading is not an id.
sa_ids_read() {
	grep -Eq '#[0-9]+' <<<"$1" && grep -Eq '_i' <<<"$1" &&
	    grep -Eq '_r' <<<"$1" && grep -Eq 'in +[0-9a-f]{8}' <<<"$1" &&
	    grep -Eq 'out +[0-9a-f]{8}' <<<"$1"
}

# ping_all N: N pings from hosta's inner address to hostb's, 0.2 s apart;
# prints "received/sent" and is true only if N were sent and every one was
# answered (ping itself exits 0 on a single reply; and no -w deadline,
# with which it would go on sending until N replies came).
ping_all() {
	local n=$1 out rx tx
	out=$(nsx hosta timeout $((n + 10)) ping -n -c "$n" -i 0.2 -W 2 \
	    -I "$WORLD_A_INNER" "$WORLD_B_INNER" 2>&1)
	tx=$(sed -n 's/^\([0-9][0-9]*\) packets transmitted.*/\1/p' <<<"$out")
	rx=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' <<<"$out")
	echo "${rx:-0}/${tx:-0}"
	[ "${tx:-0}" = "$n" ] && [ "${rx:-0}" = "$n" ]
}

# ping_bg SECONDS: pings hostb's inner address from hosta's every 0.1 s
# for SECONDS in the background, with timestamps, into $WORLD_DIR/ping.out.
# PING_PID is ping's own pid (ip netns exec execs it; a function run with &
# would be a subshell, and killing that leaves the ping running).
ping_bg() {
	PING_T0=$(now_ms)
	ip netns exec "$(ns hosta)" ping -n -D -i 0.1 -w "$1" \
	    -I "$WORLD_A_INNER" "$WORLD_B_INNER" >"$WORLD_DIR/ping.out" 2>&1 &
	PING_PID=$!
}
# ping_end: waits for the background ping to finish its window.
ping_end() {
	wait "$PING_PID"
	PING_T1=$(now_ms)
}
# ping_report: "GAP REPLIES SENT DONE": the longest time (s) without a
# reply in the window, from the replies' timestamps, counting the start of
# the window to the first reply and the last reply to its end; the replies;
# the pings sent; 1 if ping printed its summary (it ran to the end).
ping_report() {
	awk -v t0="$PING_T0" -v t1="$PING_T1" '
	    BEGIN { last = t0 }
	    /bytes from/ && match($0, /^\[[0-9]+\.[0-9]+\]/) {
		t = substr($0, 2, RLENGTH - 2) * 1000
		if (t - last > gap) gap = t - last
		last = t; n++
	    }
	    /packets transmitted/ { tx = $1 + 0; done = 1 }
	    END { if (t1 - last > gap) gap = t1 - last
		  printf "%.1f %d %d %d\n", gap / 1000, n, tx, done }' \
	    "$WORLD_DIR/ping.out"
}
# healed GAP DONE: the window ran to its end and its longest gap was under
# HEAL_BOUND.
healed() {
	[ "$2" = 1 ] && awk -v g="$1" -v b="$HEAL_BOUND" 'BEGIN { exit !(g < b) }'
}
# ping_gone PID: that ping process no longer exists, nor any ping in hosta.
ping_gone() {
	! kill -0 "$1" 2>/dev/null &&
	    ! ip netns pids "$(ns hosta)" 2>/dev/null |
	    xargs -r ps -o comm= -p 2>/dev/null | grep -qx ping
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
nsx hosta ping -c 3 -i 0.2 -w 8 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
is_direct() { [ "$(route_field site-a "$WORLD_B_INNER_NET" channel)" = direct ]; }
ok "$(wait_for 15 is_direct; echo $?)" "site-a's channel to site-b is direct"
echo "# site-a: $(route_field site-a "$WORLD_B_INNER_NET" reason)"
ok "$([ "$(route_field site-b "$WORLD_A_INNER_NET" channel)" = direct ]; echo $?)" \
    "site-b's channel to site-a is direct too"
ok "$([ "$(route_field site-a "$WORLD_B_INNER_NET" next_hop)" = site-b ]; echo $?)" \
    "site-a's route to site-b's prefixes now goes straight to site-b"
sas0_a=$(sa_ids hosta) sas0_b=$(sa_ids hostb)
r1=$(relay_packets)
got=$(ping_all 20)
ok $? "ping through the tunnel over the direct channel ($got replies)"
r2=$(relay_packets)
# pub relayed the IKE exchange before the channel went direct: a reading of
# 0, or none at all, would prove nothing.
ok "$(is_count "$r1" && is_count "$r2" && [ "$r1" -gt 0 ] && [ "$r1" = "$r2" ]; echo $?)" \
    "pub's relay counters stopped growing (${r1:-unreadable} -> ${r2:-unreadable} ike + esp-udp packets)"
ex=$(pctl pxa "$(proxy_sock site-a)" explain site-b)
ok "$(grep -q 'directly' <<<"$ex" && grep -q 'cone' <<<"$ex"; echo $?)" \
    "proxyctl explain site-b walks the decision"
sed 's/^/#   /' <<<"$ex"
# proxyctl ping takes the direct link, as the data does: one hop each way
pr=$(pjson site-a ping site-b | jq -c '.[0] // empty')
ok "$(jq -e '.name == "site-b" and .via == "site-b" and .hops_there == 1 and
    .hops_back == 1 and (.path | join(" > ")) == "site-a > site-b > site-a" and .rtt_ms > 0 and
    .rtt_ms < 3000' <<<"$pr" >/dev/null; echo $?)" \
    "proxyctl ping site-b goes over the direct link, one hop each way ($pr)"

# 2. NAT reboot on site A during a continuous ping.
ping_bg $((3 + POST))
sleep 3
nat_reboot a
ping_end
read -r gap n tx fin < <(ping_report)
echo "# conntrack flush on NAT A: longest gap between replies ${gap} s ($n replies to $tx pings in $((3 + POST)) s)"
healed "$gap" "$fin"
ok $? "traffic heals after the NAT lost its state (gap ${gap} s; target < ${HEAL_BOUND} s)"
got=$(ping_all 3)
ok $? "tunnel works after the NAT reboot ($got replies)"
echo "# after flush: site-a channel $(route_field site-a "$WORLD_B_INNER_NET" channel): $(route_field site-a "$WORLD_B_INNER_NET" reason)"

# 2b. The direct path breaks (the two NATs cannot reach each other any
# more, both still reach pub): the channel falls back to the relay within
# the direct link's dead time, and punching is retried with backoff once
# the path is back.
FALLBACK_MS=5000	# 3 s dead time + 1 s tick + 1 s for our polling
ping_bg $((2 + POST))
sleep 2
for d in "-s $WORLD_A_WAN -d $WORLD_B_WAN" "-s $WORLD_B_WAN -d $WORLD_A_WAN"; do
	# shellcheck disable=SC2086
	nsx inet iptables -w -I FORWARD $d -j DROP
done
t0=$(now_ms)
is_relay() { [ "$(route_field site-a "$WORLD_B_INNER_NET" channel)" = relay ]; }
wait_for 20 is_relay
rc=$?
ms=$(( $(now_ms) - t0 ))
ok "$([ $rc = 0 ] && [ "$ms" -le $FALLBACK_MS ]; echo $?)" \
    "the channel fell back to relay after the direct path broke ($ms ms; bound ${FALLBACK_MS} ms: 3 s dead time + 1 s + polling)"
ping_end
read -r gap n tx fin < <(ping_report)
echo "# direct path broken: longest gap ${gap} s ($n replies to $tx pings in $((2 + POST)) s)"
healed "$gap" "$fin"
ok $? "the ping went on over the relay (gap ${gap} s; target < ${HEAL_BOUND} s)"
echo "# site-a: $(route_field site-a "$WORLD_B_INNER_NET" reason)"
for d in "-s $WORLD_A_WAN -d $WORLD_B_WAN" "-s $WORLD_B_WAN -d $WORLD_A_WAN"; do
	# shellcheck disable=SC2086
	nsx inet iptables -w -D FORWARD $d -j DROP
done
# traffic while punching is retried; ping's own pid, so kill stops it
ip netns exec "$(ns hosta)" ping -n -c 80 -i 0.5 -w 45 -I "$WORLD_A_INNER" \
    "$WORLD_B_INNER" >/dev/null 2>&1 &
PING_PID=$!
t0=$(now_ms)
wait_for 40 is_direct
rc=$?
ms=$(( $(now_ms) - t0 ))
kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null
ok $rc "punching was retried and the channel is direct again ($ms ms after the path came back)"
echo "# site-a: $(route_field site-a "$WORLD_B_INNER_NET" reason)"
ping_gone "$PING_PID"
ok $? "the background ping was stopped by its pid (no ping left in hosta)"

# 3. Site A's proxy killed and restarted during a continuous ping.
ping_bg $((4 + POST))
sleep 3
pid=$(pid_of proxy-site-a)
kill -KILL "$pid"
sleep 1
proxy_start pxa site-a "$WORLD_DIR/site-a.conf"
ok $? "site-a restarted after SIGKILL"
ping_end
read -r gap n tx fin < <(ping_report)
echo "# SIGKILL + restart of site-a (1 s down): longest gap ${gap} s ($n replies to $tx pings in $((4 + POST)) s)"
healed "$gap" "$fin"
ok $? "traffic heals after the proxy restart (gap ${gap} s; target < ${HEAL_BOUND} s)"
got=$(ping_all 3)
ok $? "tunnel works after the proxy restart ($got replies)"
echo "# after restart: site-a channel $(route_field site-a "$WORLD_B_INNER_NET" channel): $(route_field site-a "$WORLD_B_INNER_NET" reason)"
sas1_a=$(sa_ids hosta) sas1_b=$(sa_ids hostb)
ok "$(sa_ids_read "$sas0_a" && sa_ids_read "$sas0_b" &&
    [ "$sas0_a" = "$sas1_a" ] && [ "$sas0_b" = "$sas1_b" ]; echo $?)" \
    "the IPsec SAs were never renegotiated (hosta: ${sas0_a:-unreadable} -> ${sas1_a:-unreadable}; hostb: ${sas0_b:-unreadable} -> ${sas1_b:-unreadable})"

# 5. Symmetric NAT on site B: the channel stays relayed, with the reason.
swanctl_x hosta --terminate --ike tunnel >/dev/null 2>&1
proxy_stop site-a; proxy_stop site-b; proxy_stop pub
start_world random
ok $? "proxies restarted with site B behind MASQUERADE --random-fully"
sym() { [ "$(pjson site-b nat | jq -r '.[0].type')" = symmetric ]; }
ok "$(wait_for 20 sym; echo $?)" "site-b measured a symmetric NAT"
# and site-a its own NAT toward pub: a request made before that finds a
# path NAT "unknown", and the path change that follows waits for the next
# packet, which a finished ping never sends
a_measured() {
	local t
	t=$(pjson site-a nat | jq -r '.[0].type')
	[ -n "$t" ] && [ "$t" != probing ] && [ "$t" != unknown ] && [ "$t" != null ]
}
ok "$(wait_for 20 a_measured; echo $?)" "site-a measured its NAT toward pub"

swanctl_initiate hosta >/dev/null
ok "$(wait_for 20 child_sa_installed hosta tunnel; echo $?)" "tunnel up through the relay"
got=$(ping_all 5)
ok $? "ping crosses the relayed tunnel ($got replies)"
sleep 3
ch=$(route_field site-a "$WORLD_B_INNER_NET" channel)
why=$(route_field site-a "$WORLD_B_INNER_NET" reason)
ok "$([ "$ch" = relay ]; echo $?)" "the channel stays relayed ($ch)"
ok "$(grep -q 'symmetric' <<<"$why" && grep -q 'not possible' <<<"$why"; echo $?)" \
    "the reason is shown: $why"
t_summary
