#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# shellcheck disable=SC2119 # nested_up, nested_rogue_host: no script arguments
#
# Topology flooding, computed routes, hop-by-hop connection requests
# (issue "Topology flooding, computed routes, hop-by-hop connection
# requests").  The nested world of tests/lib/world_nested.sh: site A behind
# NATA, the public proxy pub, a middle site M behind NATM, and site C behind
# NATC whose WAN is on M's LAN, so C's traffic crosses two NATs.  Proxies:
# pub, site-a (-> pub), site-m (-> pub), site-c (-> site-m only; it does not
# know pub).  No route is configured anywhere.
#
#   world  the nested world itself: namespaces, C's two-NAT path (conntrack
#          entries in NATC and NATM), nothing gets in unsolicited.  Then
#          NATM is made to let site C reach only site M's LAN
#          (nested_c_egress m), so C's only way out is the middle proxy
#   (a)    routes learned from the topology: site-a -> 10.4.0.0/24 is site-c
#          via pub in 3 hops, site-c -> 10.1.0.0/24 is site-a via site-m in
#          3 hops; every proxy's topology lists every origin; site-c's link
#          to site-m survives site-c routing site-m's prefix (which holds
#          site-m's own address)
#   (f)    proxyctl topology --dot: Graphviz naming every proxy (written to
#          $WORLD_DIR/topology.dot), rendered by graphviz's dot (required:
#          tools/install-deps.sh installs it) with a node for every proxy
#   (b)    an IKEv2 tunnel hosta <-> hostc comes up across the multi-hop
#          relay, and a ping crosses it
#   (c)    path NAT type: port-restricted cone with masquerading NATs, then
#          symmetric (the most restrictive on the path) with NATC random
#   (d)    the middle proxy goes away: site-a's routes through it vanish
#          within 5 s of SIGTERM (timed from the signal, watched while the
#          proxy exits; its exit is checked on its own) and within 35 s
#          (dead-link detection) of SIGKILL; measured times are printed
#   (e)    a rogue proxy claiming site A's prefix: site-a counts a conflict
#          and logs it
#   (g)    proxyctl ping: site-a -> site-c and back is 3 hops each way with
#          the path named; unknown proxy and itself are errors; through the
#          killed site-m (before the dead time) no answer comes: an error
#   learn  site C may reach the internet again: site-c links to pub, which
#          it learned from the topology, and site-a's route shortens
#   (h)    revocation across the nested world: rogue is revoked and the
#          new CRL is given to site-c only (the deepest proxy, behind two
#          NATs, by a reload that adds tls.crl): every proxy holds it and
#          rogue is gone from every proxy's neighbours and topology within
#          10 s by the proxies' own clocks (printed)
#
# WORLD_KEEP=1 keeps $WORLD_DIR (logs, topology.dot) afterwards.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"
# shellcheck source=tests/lib/world_nested.sh
. "$top_srcdir/tests/lib/world_nested.sh"

world_require swanctl jq ping conntrack
CHARON_RETRANSMIT="5 1 1.5"
TERM_BOUND=${E2E_TOPO_TERM_BOUND:-5}	# s: routes gone after SIGTERM
KILL_BOUND=${E2E_TOPO_KILL_BOUND:-35}	# s: routes gone after SIGKILL
KILL_WATCH=${E2E_TOPO_KILL_WATCH:-75}	# s: how long we watch after SIGKILL

e2e_traps

PROXIES=(pub site-m site-a site-c)

# ---- helpers

# route_row PROXY PREFIX: PROXY's route row for PREFIX (compact JSON) or
# nothing.
route_row() {
	pjson "$1" routes | jq -c --arg p "$2" 'map(select(.prefix == $p)) | .[0] // empty'
}

# route_field PROXY PREFIX FIELD
route_field() {
	pjson "$1" routes | jq -r --arg p "$2" --arg f "$3" \
	    'map(select(.prefix == $p)) | .[0][$f] // empty | tostring'
}

# route_is PROXY PREFIX DEST NEXT_HOP HOPS
route_is() {
	pjson "$1" routes | jq -e --arg p "$2" --arg d "$3" --arg n "$4" \
	    --arg h "$5" 'any(.[]; .prefix == $p and .dest == $d and
		.next_hop == $n and (.hops | tostring) == $h)' >/dev/null
}

# routes_have PROXY PREFIX...: PROXY has a route for every PREFIX.
routes_have() {
	local name=$1 p j
	shift
	j=$(pjson "$name" routes) || return 1
	for p in "$@"; do
		jq -e --arg p "$p" 'any(.[]; .prefix == $p)' <<<"$j" >/dev/null ||
		    return 1
	done
}

# routes_gone PROXY OWN_PREFIX PREFIX...: PROXY answers (its own prefix
# OWN_PREFIX is listed, so an empty answer does not count) and has no route
# for any PREFIX.
routes_gone() {
	local name=$1 own=$2 p j
	shift 2
	j=$(pjson "$name" routes) || return 1
	jq -e --arg p "$own" 'any(.[]; .prefix == $p)' <<<"$j" >/dev/null ||
	    return 1
	for p in "$@"; do
		jq -e --arg p "$p" 'any(.[]; .prefix == $p)' <<<"$j" >/dev/null &&
		    return 1
	done
	return 0
}

# topo_origins PROXY: the origins in PROXY's topology, sorted, one line.
topo_origins() {
	pjson "$1" topology | jq -r '[.[] | .origin // empty] | sort | join(" ")'
}

# topo_has_all PROXY NAME...: PROXY's topology has an entry from each NAME.
topo_has_all() {
	local name=$1 o n
	shift
	o=" $(topo_origins "$name") "
	for n in "$@"; do
		case $o in *" $n "*) ;; *) return 1 ;; esac
	done
}

# nat_type PROXY NEIGHBOUR: the NAT type PROXY measured on that link.
nat_type() {
	pjson "$1" nat | jq -r --arg n "$2" 'map(select(.name == $n)) | .[0].type // empty'
}

# nat_measured PROXY NEIGHBOUR: the trials on that link have a result.
nat_measured() {
	local t
	t=$(nat_type "$1" "$2")
	[ -n "$t" ] && [ "$t" != probing ] && [ "$t" != unknown ]
}

# path_nat_is PROXY PREFIX TYPE: path_nat is TYPE and a channel exists, in
# one reading of the routes (two readings could see a channel that was
# gone by the second, and the topology's path NAT in its place).
path_nat_is() {
	pjson "$1" routes | jq -e --arg p "$2" --arg t "$3" 'any(.[];
	    .prefix == $p and .path_nat == $t and .channel != "none")' >/dev/null
}

# path_nat_poke PROXY PREFIX TYPE: like path_nat_is; while it is not so,
# one more ping from hosta to hostc's LAN address keeps the flow (and so a
# connection request) going.
path_nat_poke() {
	path_nat_is "$@" && return 0
	nsx hosta ping -n -q -c 1 -W 1 "$WORLD_C_HOST" >/dev/null 2>&1
	return 1
}

both_installed() { child_sa_installed hosta tunnel && child_sa_installed hostc tunnel; }

# links_up: every proxy's outward link is up.
links_up() {
	neighbour_up site-a pub && neighbour_up site-m pub &&
	    neighbour_up site-c site-m
}

show_state() {	# PROXY...
	local name
	for name in "$@"; do
		proxy_alive "$name" || { echo "# $name: not running"; continue; }
		echo "# $name neighbours: $(pjson "$name" neighbours 2>&1 |
		    jq -c '[.[] | {name, state}]' 2>/dev/null)"
		echo "# $name routes: $(pjson "$name" routes 2>&1 |
		    jq -c '[.[] | {prefix, dest, next_hop, hops, path_nat, channel}]' 2>/dev/null)"
		echo "# $name topology origins: $(topo_origins "$name" 2>&1)"
	done
}

restart_proxies() {
	local name
	for name in site-c site-a site-m pub; do proxy_stop "$name"; done
	nested_proxies_up "${PROXIES[@]}"
}

# ==== The world ============================================================

echo "# nested world: NATA, NATM, NATC masquerade; proxies ${PROXIES[*]} (prefix $PXT_PREFIX)"
nested_up || bail "nested world up"
ok 0 "nested world up"

missing=
for h in inet nata pub hosta pxa natm pxm natc pxc hostc; do
	ip netns list | awk '{print $1}' | grep -qx "$(ns "$h")" || missing="$missing $h"
done
ok "$([ -z "$missing" ]; echo $?)" "namespaces natm pxm natc pxc hostc (and A's) exist${missing:+ (missing:$missing)}"

nsx hostc ping -n -q -c 2 -W 2 "$WORLD_PUB_ADDR" >/dev/null
ok $? "hostc reaches pub ($WORLD_PUB_ADDR) through NATC and NATM"
ct_c=$(nsx natc conntrack -L -p icmp 2>/dev/null |
    grep "src=$WORLD_C_HOST dst=$WORLD_PUB_ADDR" | grep "dst=$WORLD_C_WAN ")
ok "$([ -n "$ct_c" ]; echo $?)" "NATC translated it ($WORLD_C_HOST -> $WORLD_C_WAN)"
ct_m=$(nsx natm conntrack -L -p icmp 2>/dev/null |
    grep "src=$WORLD_C_WAN dst=$WORLD_PUB_ADDR" | grep "dst=$WORLD_M_WAN ")
ok "$([ -n "$ct_m" ]; echo $?)" "NATM translated it again ($WORLD_C_WAN -> $WORLD_M_WAN)"
echo "# natc: ${ct_c:-none}"
echo "# natm: ${ct_m:-none}"
! nsx pub ping -n -q -c 1 -W 1 "$WORLD_M_WAN" >/dev/null 2>&1
ok $? "NATM drops unsolicited inbound (pub cannot ping $WORLD_M_WAN)"
! nsx pxm ping -n -q -c 1 -W 1 "$WORLD_C_PX" >/dev/null 2>&1
ok $? "site C is not reachable from site M's LAN ($WORLD_C_PX)"
nsx hosta ip -o route get "$WORLD_C_HOST" | grep -q "via $WORLD_A_PX "
ok $? "hosta routes site C ($WORLD_C_LAN) via its proxy $WORLD_A_PX"
nsx hostc ip -o route get "$WORLD_A_INNER" | grep -q "via $WORLD_C_PX "
ok $? "hostc routes site A ($WORLD_A_INNER_NET) via its proxy $WORLD_C_PX"

# From here on site C reaches only site M's LAN: its way to the rest of the
# network is the middle proxy (until the "learn" part at the end).
nested_c_egress m || bail "NATM limits site C to site M's LAN"
! nsx pxc ping -n -q -c 1 -W 1 "$WORLD_PUB_ADDR" >/dev/null 2>&1 &&
    nsx pxc ping -n -q -c 1 -W 2 "$WORLD_M_PX" >/dev/null 2>&1
ok $? "NATM limits site C to site M's LAN (pxc reaches $WORLD_M_PX, not pub)"

# ==== Proxies ==============================================================

[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
nested_certs || bail "certificates (pub site-a site-b site-m site-c rogue)"
ok 0 "certificates made (site-m, site-c and rogue added)"
nested_proxies_up "${PROXIES[@]}" || bail "proxies ${PROXIES[*]} start"
ok 0 "proxies ${PROXIES[*]} started"

if ! wait_for 30 links_up; then
	show_state "${PROXIES[@]}"
fi
for pair in site-a:pub site-m:pub site-c:site-m; do
	neighbour_up "${pair%%:*}" "${pair#*:}"
	ok $? "${pair%%:*}'s link to ${pair#*:} is up"
done

# ---- (a) routes from the topology, nothing configured
wait_for 30 route_is site-a "$WORLD_C_LAN" site-c pub 3
ok $? "(a) site-a: $WORLD_C_LAN -> site-c via pub, 3 hops ($(route_row site-a "$WORLD_C_LAN"))"
route_is site-a "$WORLD_C_INNER_NET" site-c pub 3
ok $? "(a) site-a: $WORLD_C_INNER_NET -> site-c via pub, 3 hops"
wait_for 10 route_is site-a "$WORLD_M_LAN" site-m pub 2
ok $? "(a) site-a: $WORLD_M_LAN -> site-m via pub, 2 hops"
wait_for 10 route_is site-c "$WORLD_A_LAN" site-a site-m 3
ok $? "(a) site-c: $WORLD_A_LAN -> site-a via site-m, 3 hops ($(route_row site-c "$WORLD_A_LAN"))"
route_is site-c "$WORLD_A_INNER_NET" site-a site-m 3
ok $? "(a) site-c: $WORLD_A_INNER_NET -> site-a via site-m, 3 hops"
for name in "${PROXIES[@]}"; do
	wait_for 15 topo_has_all "$name" "${PROXIES[@]}"
	ok $? "(a) $name's topology lists every origin ($(topo_origins "$name"))"
done
if pjson site-a topology | jq -e 'length > 0' >/dev/null 2>&1; then
	echo "# site-a topology: $(pjson site-a topology | jq -c '[.[] | {origin, seq, endpoint, prefixes, links}]')"
fi

# site-c learns site-m's prefix 10.3.0.0/24, which holds site-c's own
# neighbour (10.3.0.2): routing that prefix into the TUN must not capture
# the link itself.  Watched for 30 s (longer than dead-link detection).
c_link_down() {
	grep -q "peer 'site-m'.*link down" "$WORLD_DIR/site-c.log" 2>/dev/null
}
rc0=$(pjson site-c neighbours | jq -r 'map(select(.name == "site-m")) | .[0].reconnects // empty')
! wait_for 30 c_link_down && neighbour_up site-c site-m
rc=$?
rc1=$(pjson site-c neighbours | jq -r 'map(select(.name == "site-m")) | .[0].reconnects // empty')
# two empty readings are not "no reconnect"
ok "$([ $rc = 0 ] && [[ $rc0 =~ ^[0-9]+$ ]] && [ "$rc0" = "$rc1" ]; echo $?)" \
    "site-c's link to site-m stays up (30 s) although site-c routes $WORLD_M_LAN, which holds site-m's address (reconnects $rc0 -> $rc1)"
echo "# pxc: ip route get $WORLD_M_PX: $(nsx pxc ip route get "$WORLD_M_PX" 2>&1 | head -n 1)"
c_link_down && echo "# site-c.log: $(grep -m 1 "peer 'site-m'.*link down" "$WORLD_DIR/site-c.log")"

# ---- (g) proxyctl ping: an echo hop by hop to a proxy and back
pr=$(pjson site-a ping site-c | jq -c '.[0] // empty')
ok "$(jq -e '.name == "site-c" and .via == "pub" and .hops_there == 3 and
    .hops_back == 3 and .rtt_ms > 0 and .rtt_ms < 3000 and
    (.path | join(" > ")) == "site-a > pub > site-m > site-c > site-m > pub > site-a"' \
    <<<"$pr" >/dev/null; echo $?)" \
    "(g) proxyctl ping site-c from site-a: 3 hops there and back through pub and site-m ($pr)"
pr=$(pjson site-c ping site-a | jq -c '.[0] // empty')
ok "$(jq -e '.via == "site-m" and .hops_there == 3 and .hops_back == 3 and
    (.path | join(" > ")) == "site-c > site-m > pub > site-a > pub > site-m > site-c"' \
    <<<"$pr" >/dev/null; echo $?)" "(g) and from site-c to site-a ($pr)"
txt=$(pctl pxa "$(proxy_sock site-a)" ping site-c)
ok "$(grep -q 'PATH' <<<"$txt" && grep -q 'site-a > pub > site-m > site-c' <<<"$txt"; echo $?)" \
    "(g) the table for people names the columns and the path"
sed 's/^/#   /' <<<"$txt"
err=$(pctl pxa "$(proxy_sock site-a)" ping nosuch 2>&1)
rc=$?
ok "$([ $rc = 1 ] && grep -q "no route to proxy 'nosuch'" <<<"$err"; echo $?)" \
    "(g) ping to an unknown proxy: status 1 and why ($rc: $err)"
err=$(pctl pxa "$(proxy_sock site-a)" ping site-a 2>&1)
rc=$?
ok "$([ $rc = 1 ] && grep -q "is this proxy" <<<"$err"; echo $?)" \
    "(g) ping to itself: status 1 and why ($rc: $err)"

# The NAT types on the links, as measured (the path combines them).
wait_for 20 nat_measured site-c site-m
t=$(nat_type site-c site-m)
ok "$([ "$t" = port-restricted-cone ]; echo $?)" "site-c's link to site-m: NATC masquerade measured as port-restricted-cone ($t)"
t=$(nat_type site-m pub)
ok "$([ "$t" = port-restricted-cone ]; echo $?)" "site-m's link to pub: NATM masquerade measured as port-restricted-cone ($t)"

# ---- (f) topology as Graphviz
dotf=$WORLD_DIR/topology.dot
pctl pxa "$(proxy_sock site-a)" topology --dot >"$dotf" 2>"$WORLD_DIR/topology-dot.err"
rc=$?
first=$(grep -m 1 -v '^[[:space:]]*\(//.*\)\?$' "$dotf")
ok "$([ "$rc" = 0 ] && grep -Eq '^[[:space:]]*(strict[[:space:]]+)?(di)?graph' <<<"$first"; echo $?)" \
    "(f) proxyctl topology --dot prints Graphviz (status $rc, starts: ${first:0:40})"
missing=
for name in "${PROXIES[@]}"; do grep -q -- "$name" "$dotf" || missing="$missing $name"; done
ok "$([ -s "$dotf" ] && [ -z "$missing" ]; echo $?)" "(f) the dot output names every proxy${missing:+ (missing:$missing)}"
# Each end's NAT type at its end of the edge, whole names only (an edge
# label once read "open / ull-cone": a pointer into a reused JSON buffer).
bad=$(grep -- ' -- ' "$dotf" | grep -Eo '(tail|head)label="[^"]*"' |
    sed -E 's/^[a-z]+label="(.*)"$/\1/' | sort -u |
    grep -Ev '^(open|full-cone|restricted-cone|port-restricted-cone|symmetric|unknown|\?)$' | xargs)
edges=$(grep -c -- ' -- .*taillabel=' "$dotf")
ok "$([ -z "$bad" ] && [ "${edges:-0}" -ge $(( ${#PROXIES[@]} - 1 )) ]; echo $?)" \
    "(f) every edge carries both ends' NAT types, each a NAT type name ($edges edges${bad:+; not a type: $bad})"
ok "$(grep -Eq '^ *"pub" -- "site-a" \[taillabel="open", headlabel="port-restricted-cone"' "$dotf"; echo $?)" \
    "(f) pub -- site-a: open at pub's end, port-restricted-cone at site-a's ($(grep -m 1 -- '"pub" -- "site-a"' "$dotf"))"
# Rendered for real: dot must parse it.  -Tplain lists the laid-out nodes
# ("node NAME x y ...", NAME quoted when it needs to be).
if command -v dot >/dev/null 2>&1; then
	timeout 20 dot -Tsvg -o "$WORLD_DIR/topology.svg" "$dotf" 2>"$WORLD_DIR/dot.err" &&
	    [ -s "$WORLD_DIR/topology.svg" ] &&
	    timeout 20 dot -Tplain -o "$WORLD_DIR/topology.plain" "$dotf" 2>>"$WORLD_DIR/dot.err"
	rc=$?
	nodes=$(awk '$1 == "node" { gsub(/"/, "", $2); print $2 }' \
	    "$WORLD_DIR/topology.plain" 2>/dev/null | sort | xargs)
	missing=
	for name in "${PROXIES[@]}"; do
		[[ " $nodes " == *" $name "* ]] || missing="$missing $name"
	done
	ok "$([ $rc = 0 ] && [ -z "$missing" ]; echo $?)" \
	    "(f) graphviz's dot renders it, a node per proxy (status $rc; nodes: ${nodes:-none}${missing:+; missing:$missing}$([ -s "$WORLD_DIR/dot.err" ] && printf '; dot: %s' "$(head -c 200 "$WORLD_DIR/dot.err" | tr '\n' ' ')"))"
else
	ok 1 "(f) graphviz's dot renders it: dot is not installed (run tools/install-deps.sh)"
fi

# ---- (b) IKEv2 tunnel hosta <-> hostc across the multi-hop relay
check "charon on hosta" charon_start hosta
check "charon on hostc" charon_start hostc
check "tunnel hosta <-> hostc loaded on hosta" swanctl_load_to hosta hostc
check "tunnel hostc <-> hosta loaded on hostc" swanctl_load_to hostc hosta
t0=$(now_ms)
swanctl_initiate hosta tunnel 20 && wait_for 10 both_installed
rc=$?
ok $rc "(b) CHILD_SA installed on hosta and hostc through site-a, pub, site-m, site-c ($(( $(now_ms) - t0 )) ms)"
if [ $rc = 0 ]; then
	nsx hosta ping -n -q -c 3 -W 2 -I "$WORLD_A_INNER" "$WORLD_C_INNER" >/dev/null
	ok $? "(b) ping $WORLD_C_INNER from $WORLD_A_INNER across the tunnel"
	echo "# hosta: $(swanctl_x hosta --list-sas | grep -E 'remote|INSTALLED' | tr -s ' ' | paste -sd ';')"
else
	sed 's/^/#   /' "$(_charon_dir hosta)/initiate-tunnel.out" | tail -n 10
	show_state "${PROXIES[@]}"
	ok 1 "(b) ping $WORLD_C_INNER from $WORLD_A_INNER across the tunnel"
fi
for name in pub site-m; do
	echo "# $name flows: $(pjson "$name" flows | jq -c '[.[] | {proto, packets}]' 2>/dev/null)"
done

# ---- (c) the path's NAT type
wait_for 15 path_nat_poke site-a "$WORLD_C_LAN" port-restricted-cone
ok $? "(c) masquerade everywhere: site-a's path to $WORLD_C_LAN is port-restricted-cone with a channel ($(route_row site-a "$WORLD_C_LAN"))"

charon_stop hosta
charon_stop hostc
nested_nat_mode c random || bail "NATC switched to random (symmetric)"
ok 0 "NATC switched to MASQUERADE --random-fully"
restart_proxies || bail "proxies restarted"
wait_for 60 routes_have site-a "$WORLD_C_LAN" "$WORLD_M_LAN"
ok $? "(c) after the restart site-a routes $WORLD_C_LAN and $WORLD_M_LAN again"
wait_for 20 nat_measured site-c site-m
t=$(nat_type site-c site-m)
ok "$([ "$t" = symmetric ]; echo $?)" "site-c's link to site-m: NATC random measured as symmetric ($t)"
wait_for 30 path_nat_poke site-a "$WORLD_C_LAN" symmetric
ok $? "(c) NATC random: site-a's path to $WORLD_C_LAN is symmetric, the most restrictive on it ($(route_row site-a "$WORLD_C_LAN"))"
# The channel found above must stay: a new cost on the path is no reason
# to forget it (the reason would fall back to "no traffic yet").
sleep 3
row=$(route_row site-a "$WORLD_C_LAN")
reason=$(jq -r '.reason // empty' <<<"$row")
grep -qi symmetric <<<"$reason"
ok $? "(c) 3 s later the channel is still there and its reason mentions it ($reason)"

# ---- (d) the middle proxy goes away
mid_routes_gone() { routes_gone site-a "$WORLD_A_LAN" "$WORLD_C_LAN" "$WORLD_M_LAN"; }
# gone_within WATCH: waits until site-a's routes through site-m are gone,
# at most WATCH seconds; prints the milliseconds since t0 (or nothing).
gone_within() {
	if wait_for "$1" mid_routes_gone; then echo $(( $(now_ms) - t0 )); fi
}

# exit_watch PID FILE: writes the time (ms) at which PID exits (is gone or
# a zombie) to FILE; gives up after 20 s.  Run in the background, so the
# exit is timed while the routes are watched.
exit_watch() {
	local end st
	end=$(( $(now_ms) + 20000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)
		if [ -z "$st" ] || [ "$st" = Z ]; then
			now_ms >"$2"
			return 0
		fi
		sleep 0.05
	done
}

if wait_for 30 routes_have site-a "$WORLD_C_LAN" "$WORLD_M_LAN"; then
	# Timed from the signal, and watched at once: proxy_stop would first
	# wait (up to 5 s) for the exit, and the routes' time would include it.
	pid=$(proxy_pid site-m) || bail "site-m's pid"
	rm -f "$WORLD_DIR/site-m.exit_ms"
	kill -TERM "$pid"
	t0=$(now_ms)
	exit_watch "$pid" "$WORLD_DIR/site-m.exit_ms" &
	watch_pid=$!
	ms=$(gone_within 15)
	echo "# SIGTERM to site-m: site-a's routes to $WORLD_C_LAN and $WORLD_M_LAN gone after ${ms:-more than 15000} ms"
	ok "$([ -n "$ms" ] && [ "$ms" -le $((TERM_BOUND * 1000)) ]; echo $?)" \
	    "(d) SIGTERM: site-a's routes through site-m gone within ${TERM_BOUND} s of the signal (${ms:-never} ms)"
	wait "$watch_pid"
	ems=$(cat "$WORLD_DIR/site-m.exit_ms" 2>/dev/null)
	[ -n "$ems" ] && ems=$(( ems - t0 ))
	proxy_stop site-m	# reaps it (status in site-m.exit)
	st=$(cat "$WORLD_DIR/site-m.exit" 2>/dev/null)
	ok "$([ -n "$ems" ] && [ "$ems" -le $((TERM_BOUND * 1000)) ] && [ "$st" = 0 ]; echo $?)" \
	    "(d) site-m exited with status 0 within ${TERM_BOUND} s of SIGTERM (status ${st:-unknown}, after ${ems:-more than 20000} ms)"
else
	ok 1 "(d) SIGTERM: site-a routes through site-m before the stop"
fi

nested_proxy_start site-m || bail "site-m restarted"
if wait_for 60 routes_have site-a "$WORLD_C_LAN" "$WORLD_M_LAN"; then
	ok 0 "(d) site-m restarted: site-a routes through it again"
	pid=$(proxy_pid site-m) || bail "site-m's pid"
	t0=$(now_ms)
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	proxy_stop site-m	# only forgets the record
	# site-a still routes through site-m until the dead time: an echo
	# to site-c goes out and nobody answers
	t1=$(now_ms)
	err=$(pctl pxa "$(proxy_sock site-a)" ping site-c 2>&1)
	rc=$? t1=$(( $(now_ms) - t1 ))
	ok "$([ $rc = 1 ] && grep -q "no answer from 'site-c' within 3000 ms" <<<"$err"; echo $?)" \
	    "(g) ping through the killed site-m: status 1 after $t1 ms, no answer ($err)"
	ms=$(gone_within "$KILL_WATCH")
	echo "# SIGKILL to site-m: site-a's routes to $WORLD_C_LAN and $WORLD_M_LAN gone after ${ms:-more than $((KILL_WATCH * 1000))} ms"
	ok "$([ -n "$ms" ] && [ "$ms" -le $((KILL_BOUND * 1000)) ]; echo $?)" \
	    "(d) SIGKILL: site-a's routes through site-m gone within ${KILL_BOUND} s (${ms:-never} ms)"
else
	show_state site-a site-m site-c
	ok 1 "(d) site-m restarted: site-a routes through it again"
fi

# ---- (e) a rogue proxy claims site A's prefix
nested_rogue_host || bail "internet host for rogue"
nested_proxy_start rogue ||
    bail "rogue proxy (claiming $WORLD_A_LAN) starts"
ok 0 "rogue proxy started, claiming $WORLD_A_LAN"
conflicts_seen() { [ "$(pstatus site-a conflicts)" -gt 0 ] 2>/dev/null; }
wait_for 30 conflicts_seen
ok $? "(e) site-a's status counts the overlapping claim (conflicts $(pstatus site-a conflicts))"
grep -qi conflict "$WORLD_DIR/site-a.log"
ok $? "(e) site-a's log mentions the conflict ($(grep -i -m 1 conflict "$WORLD_DIR/site-a.log" | cut -c1-120))"
d=$(route_field site-a "$WORLD_A_LAN" dest)
ok "$([ "$d" = site-a ]; echo $?)" "(e) site-a keeps its own prefix $WORLD_A_LAN (dest $d)"

# ---- learn: site C may reach the internet again
echo "# site C may reach the internet again: site-c should link to pub, learned from the topology"
proxy_alive site-m || nested_proxy_start site-m || bail "site-m restarted"
# From here rogue is a public proxy like pub (it only lies about site A's
# prefix): the proxies may learn it as a neighbour, and a shortest path may
# cross it instead of pub, at the same number of hops.
via_public() {	# PROXY PREFIX DEST HOPS: next hop pub or rogue
	route_is "$1" "$2" "$3" pub "$4" || route_is "$1" "$2" "$3" rogue "$4"
}
# Paths are chosen by cost (from RTTs), not hops: with rogue in the
# topology, a 4-hop path through it can be the cheaper one when the RTTs
# jump (seen under ASan); either way the route is back, through site-m.
via_public_back() {
	via_public site-a "$WORLD_C_LAN" site-c 3 ||
	    via_public site-a "$WORLD_C_LAN" site-c 4
}
wait_for 60 via_public_back
ok $? "site-m back: site-a routes $WORLD_C_LAN via a public proxy in 3 (or, through rogue, 4) hops again ($(route_row site-a "$WORLD_C_LAN"))"
nested_c_egress all || bail "NATM lets site C out again"
learned() { neighbour_up site-c pub && via_public site-a "$WORLD_C_LAN" site-c 2; }
wait_for 60 learned
ok $? "learn: site-c links to pub (learned from the topology) and site-a's route to $WORLD_C_LAN shortens to 2 hops ($(route_row site-a "$WORLD_C_LAN"))"
grep -m 1 "learned neighbour 'pub'" "$WORLD_DIR/site-c.log" | sed 's/^/# site-c.log: /'

# ---- (h) revocation reaches every proxy of the nested world
crl_in_force() { [ "$(pstatus "$1" crl_number)" = "$2" ]; }
all_hold_crl() {
	local p
	for p in "${PROXIES[@]}"; do crl_in_force "$p" "$1" || return 1; done
}
rogue_out_everywhere() {
	local p
	for p in "${PROXIES[@]}"; do
		neighbour_up "$p" rogue && return 1
		pjson "$p" topology | jq -e 'any(.[]; .origin == "rogue")' \
		    >/dev/null && return 1
	done
	return 0
}
# ms_between HH:MM:SS.mmm HH:MM:SS.mmm: milliseconds (same day)
ms_between() {
	awk -v a="$1" -v b="$2" 'function ms(t, p) { split(t, p, ":");
	    return (p[1] * 3600 + p[2] * 60 + p[3]) * 1000 }
	    BEGIN { printf "%d", ms(b) - ms(a) }'
}
"$PROXYD_CA" revoke "$WORLD_DIR/pki" rogue >/dev/null || bail "proxyd-ca revoke rogue"
cp "$WORLD_DIR/pki/ca.crl" "$WORLD_DIR/site-c.crl" || bail "site-c's CRL file"
nested_proxy_conf site-c crl="$WORLD_DIR/site-c.crl" >/dev/null ||
    bail "site-c's config with tls.crl"
t0=$(now_ms) t0_clock=$(date +%H:%M:%S.%3N)
out=$(pctl pxc "$(proxy_sock site-c)" reload 2>&1)
ok $? "(h) site-c reloads with tls.crl added ($(head -n 1 <<<"$out"))"
wait_for 20 all_hold_crl 1
t_crl=$(( $(now_ms) - t0 ))
wait_for 20 rogue_out_everywhere
rc=$? t_gone=$(( $(now_ms) - t0 ))
echo "# (h) polled with proxyctl: CRL number 1 on every proxy after $t_crl ms; rogue out of every neighbour list and topology after $t_gone ms"
t_max=0
for p in "${PROXIES[@]}"; do
	t=$(grep -m1 "CRL number 1 in force" "$WORLD_DIR/$p.log" | cut -d' ' -f1)
	a=$(ms_between "$t0_clock" "${t:-99:00:00.000}")
	echo "# (h) $p: CRL 1 in force at +$a ms ($(grep -m1 -o "CRL number 1 in force (from [^)]*)" "$WORLD_DIR/$p.log"))"
	[ "$a" -gt "$t_max" ] && t_max=$a
done
ok $rc "(h) rogue is out of every proxy's neighbours and topology ($t_gone ms, polled)"
[ "$t_max" -le 10000 ]
ok $? "(h) by the proxies' clocks the CRL given to site-c reached every proxy within 10 s (+$t_max ms)"
grep -q "CRL number 1 in force (from neighbour" "$WORLD_DIR/site-a.log"
ok $? "(h) site-a got it by flooding ($(grep -m1 -o "CRL number 1 in force (from [^)]*)" "$WORLD_DIR/site-a.log"))"

# ---- the end: nobody crashed, everyone exits cleanly
for name in pub site-m site-a site-c rogue; do
	proxy_alive "$name"
	ok $? "proxy $name still running"
done
for name in rogue site-c site-a site-m pub; do
	proxy_stop "$name"
	rc=$(cat "$WORLD_DIR/$name.exit" 2>/dev/null || echo '?')
	ok "$([ "$rc" = 0 ]; echo $?)" "proxy $name exits cleanly on SIGTERM (status $rc)"
done

t_summary
