#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The demo: two sites behind NATs, a public proxy, a proxy per site, and an
# IPsec tunnel between the sites' endpoints that comes up through proxyd.
#
#   bash tools/demo.sh        install deps, build, bring the world up, leave it running
#   bash tools/demo.sh down   tear down the world a previous run left
#   bash tools/demo.sh status show the proxies' tables again
#
# Everything lives in network namespaces named pxdemo-* (DEMO_PREFIX) and in
# /run/proxyd-demo (state file, configs, logs, certificates, sockets).
# Needs root.

set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
STATE_DIR=/run/proxyd-demo
STATE=$STATE_DIR/state
DEMO_PREFIX=${DEMO_PREFIX:-pxdemo-}
# The endpoints' ipsec0 MTU: their ESP in UDP then fits the proxies' TUN
# MTU of 1400 unfragmented (README, "MTU").
export CHARON_MTU=${CHARON_MTU:-1336}

say() { printf '\n=== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces): run 'sudo bash tools/demo.sh ${1:-}'"

# Loads world.sh with the settings of the world recorded in $STATE.
load_state() {
	[ -r "$STATE" ] || return 1
	# shellcheck source=/dev/null
	. "$STATE"
	export PXT_PREFIX WORLD_DIR top_srcdir top_builddir
	# shellcheck source=tests/lib/world.sh
	. "$top_srcdir/tests/lib/world.sh"
}

demo_down() {
	if load_state; then
		echo "demo: tearing down the world '${PXT_PREFIX}*' (state $STATE)"
		world_down
	else
		echo "demo: no demo world recorded in $STATE"
		if ip netns list | grep -q "^$DEMO_PREFIX"; then
			echo "demo: deleting leftover namespaces ${DEMO_PREFIX}*"
			PXT_PREFIX=$DEMO_PREFIX WORLD_DIR=
			# shellcheck source=tests/lib/world.sh
			. "$root/tests/lib/world.sh"
			world_down
		fi
	fi
	rm -rf "$STATE_DIR"
}

# show_tables: the three proxies' neighbours, routes and flows.
show_tables() {
	local name cmd
	for name in pub site-a site-b; do
		for cmd in neighbours routes flows; do
			echo "--- $name: proxyctl $cmd"
			pctl "$(proxy_ns "$name")" "$(proxy_sock "$name")" "$cmd" 2>&1
		done
	done
}

case ${1:-up} in
down)
	demo_down
	exit 0 ;;
status)
	load_state || die "no demo world running (start one with: bash tools/demo.sh)"
	show_tables
	exit 0 ;;
up) ;;
-h|--help)
	sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
	exit 0 ;;
*)
	die "unknown command '$1' (up, down, status)" ;;
esac

if [ -e "$STATE" ] || ip netns list | grep -q "^$DEMO_PREFIX"; then
	say "A previous demo world exists: tearing it down first"
	demo_down
fi

# ---- Dependencies and build
say "Installing dependencies (tools/install-deps.sh)"
bash tools/install-deps.sh || die "cannot install dependencies"

say "Building"
if [ ! -x configure ]; then
	./autogen.sh >/dev/null 2>&1 || die "./autogen.sh failed (run it by hand to see why)"
fi
if [ -e config.status ]; then
	# Configured in the source tree: out-of-tree builds are refused, so
	# build there.
	bdir=$root
else
	bdir=$root/build-demo
	mkdir -p "$bdir"
	if [ ! -e "$bdir/Makefile" ]; then
		(cd "$bdir" && ../configure >configure.log 2>&1) ||
		    die "configure failed: see $bdir/configure.log"
	fi
fi
make -C "$bdir" -j2 >"$bdir/demo-make.log" 2>&1 ||
    { tail -n 30 "$bdir/demo-make.log"; die "build failed: see $bdir/demo-make.log"; }
echo "built in $bdir"

# ---- The world
mkdir -p "$STATE_DIR"
cat >"$STATE" <<EOF
# proxyd demo world; 'bash tools/demo.sh down' tears it down
PXT_PREFIX=$DEMO_PREFIX
WORLD_DIR=$STATE_DIR/world
top_srcdir=$root
top_builddir=$bdir
EOF
load_state || die "cannot read $STATE"
mkdir -p "$WORLD_DIR"

fail() {
	echo
	echo "demo: $*" >&2
	world_dump_logs >&2
	echo "demo: the world is left as it is for a look; tear it down with: bash tools/demo.sh down" >&2
	exit 1
}

say "Building the world: INET, NATA/NATB (masquerade), PUB, HOSTA/HOSTB, PXA/PXB"
world_up || fail "cannot build the world"
make_certs "$WORLD_DIR/pki" || fail "cannot make certificates"
echo "namespaces: $(ip netns list | awk '{print $1}' | grep "^$PXT_PREFIX" | sort | tr '\n' ' ')"

# The demo uses proxyd's default port (the test world names 4790)
WORLD_PUB_PORT=4795
say "Starting proxies: pub (203.0.113.10:$WORLD_PUB_PORT, alternate address 203.0.113.11), site-a (PXA 10.1.0.2), site-b (PXB 10.2.0.2)"
# pub's alternate address lets the NAT trials tell mapping behaviours apart
pubif=$(nsx pub ip -o -4 addr show | awk '/203\.0\.113\.10\//{print $2}')
nsx pub ip addr add 203.0.113.11/24 dev "$pubif" || fail "cannot add pub's alternate address"
t0=$(now_ms)
proxy_start pub pub "$(proxy_conf_std pub alt_address=203.0.113.11)" &&
    proxy_std_up site-a site-b || fail "cannot start the proxies"

say "Starting strongSwan on HOSTA and HOSTB (userspace ESP)"
charon_start hosta && charon_start hostb || fail "cannot start charon"
swanctl_load hosta && swanctl_load hostb || fail "cannot load the IPsec configuration"

say "Waiting for the proxies to link and exchange routes"
wait_for 30 has_route site-a "$WORLD_B_LAN" && wait_for 30 has_route site-b "$WORLD_A_LAN" ||
    fail "no routes between the sites after 30 s"
echo "routes up $(( $(now_ms) - t0 )) ms after starting the proxies"

say "HOSTA initiates the IKEv2 tunnel to HOSTB's private address $WORLD_B_HOST"
swanctl_initiate hosta tunnel 20 || fail "initiation failed"
both() { child_sa_installed hosta tunnel && child_sa_installed hostb tunnel; }
wait_for 10 both || fail "CHILD_SA not installed on both endpoints"
echo "CHILD_SA installed on both endpoints $(( $(now_ms) - t0 )) ms after starting the proxies"
swanctl_x hosta --list-sas

say "Ping $WORLD_B_INNER from $WORLD_A_INNER through the tunnel"
nsx hosta ping -n -c 3 -I "$WORLD_A_INNER" "$WORLD_B_INNER" || fail "ping through the tunnel failed"

say "NAT trials: site-a's view of its NAT toward pub, and pub's of its own"
sleep 5
for name in site-a pub; do
	echo "--- $name: proxyctl nat"
	pctl "$(proxy_ns "$name")" "$(proxy_sock "$name")" nat 2>&1
done

say "The first packets asked for a channel; both NATs are cone NATs, so the sites punched a direct link"
nsx hosta ping -n -c 3 -i 0.3 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
direct() { pjson site-a routes | jq -e 'any(.[]; .channel == "direct")' >/dev/null; }
wait_for 15 direct && echo "channel site-a -> site-b: direct" ||
    echo "channel site-a -> site-b: still relayed (see the explanation below)"
echo "--- site-a: proxyctl explain site-b"
pctl pxa "$(proxy_sock site-a)" explain site-b 2>&1
echo "--- site-a: proxyctl ping site-b (over the direct link), then pub"
pctl pxa "$(proxy_sock site-a)" ping site-b 2>&1
pctl pxa "$(proxy_sock site-a)" ping pub 2>&1
echo "--- site-b: proxyctl ping site-a"
pctl pxb "$(proxy_sock site-b)" ping site-a 2>&1

say "The proxies' view"
show_tables
echo "--- site-a: proxyctl topology --dot (render with: dot -Tpng)"
pctl pxa "$(proxy_sock site-a)" topology --dot 2>&1

n_=$PXT_PREFIX
ctl=$top_builddir/tools/proxyctl
cat <<EOF

=== The world is running.  Look around:

  ip netns list | grep $n_
  ip netns exec ${n_}pxa $ctl -s $WORLD_DIR/site-a.sock status
  ip netns exec ${n_}pxa $ctl -s $WORLD_DIR/site-a.sock neighbours   (also: nat, topology [--dot], routes, flows, explain site-b, ping site-b, probe pub)
  ip netns exec ${n_}pub $ctl -s $WORLD_DIR/pub.sock flows
  ip netns exec ${n_}pxb $ctl -s $WORLD_DIR/site-b.sock routes
  ip netns exec ${n_}hosta ping -I $WORLD_A_INNER $WORLD_B_INNER
  swanctl --list-sas --uri unix://$WORLD_DIR/charon-hosta/run/charon.vici
  ip netns exec ${n_}inet tcpdump -ni nata udp        (IKE/ESP inside the proxies' links)
  ip netns exec ${n_}pxa tcpdump -ni pxy0             (what site-a's TUN carries)
  ip netns exec ${n_}nata conntrack -L                (NATA's mappings)
  bash tools/demo.sh status                            (these tables again)

  logs: $WORLD_DIR/{pub,site-a,site-b}.log, $WORLD_DIR/charon-host{a,b}/run/charon.log
  configs: $WORLD_DIR/{pub,site-a,site-b}.conf

Tear it all down with:

  bash tools/demo.sh down
EOF
