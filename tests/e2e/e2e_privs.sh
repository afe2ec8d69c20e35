#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: the privilege drop.  pub, site-a and site-b run with
# user = "nobody".  Each must then run as nobody/nogroup (real, effective,
# saved and filesystem ids, no other group) with exactly CAP_NET_ADMIN
# effective and permitted, nothing inheritable or ambient, and
# no_new_privs set, and say so in its log.  What it does unprivileged must
# still work: links come up after the drop, so the routes between the sites
# are installed on the TUNs (netlink, CAP_NET_ADMIN) as nobody, hostA pings
# hostB through the proxies, proxyctl reads the control socket (given to
# nobody:nogroup, mode 0660), every proxy exits 0 on SIGTERM, and the routes
# to a site that left are removed from the other site's TUN.  A user
# that does not exist is refused by `proxyd -t` and at start, by name.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq ping

e2e_traps

USER_NAME=nobody
CAP_NET_ADMIN_MASK=0000000000001000	# 1 << 12
NONE_MASK=0000000000000000

# status_of PID FIELD: the value of FIELD in /proc/PID/status, tabs made
# spaces ("65534 65534 65534 65534").
status_of() {
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print; exit }' \
	    "/proc/$1/status"
}

# all_are VALUE WORDS...: true if there is at least one word and every
# word is VALUE.
all_are() {
	local want=$1 w
	shift
	[ $# -gt 0 ] || return 1
	for w in "$@"; do [ "$w" = "$want" ] || return 1; done
}

# kernel_route SHORT PREFIX: the kernel of namespace SHORT has a route to
# PREFIX on the TUN pxy0 (put there by the proxy, over netlink).
kernel_route() {
	nsx "$1" ip -4 route show dev pxy0 | grep -q "^$2 "
}
no_kernel_route() { ! kernel_route "$@"; }

if ! uid=$(id -u "$USER_NAME" 2>/dev/null) ||
    ! gid=$(id -g "$USER_NAME" 2>/dev/null); then
	echo "1..0 # SKIP no user '$USER_NAME' on this machine"
	exit 77
fi
echo "# user '$USER_NAME': uid $uid, gid $gid"

echo "# world: masquerade NATs on both sites, pub, site-a, site-b as '$USER_NAME' (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
make_certs "$WORLD_DIR/pki" || bail "certificates made with tools/proxyd-ca"

for name in pub site-a site-b; do
	proxy_start "$(proxy_ns "$name")" "$name" \
	    "$(proxy_conf_std "$name" extra="user = \"$USER_NAME\";")" ||
	    bail "$name started with user = \"$USER_NAME\""
done
ok 0 "pub, site-a and site-b started with user = \"$USER_NAME\""

# ---- Who they are now
for name in pub site-a site-b; do
	log=$WORLD_DIR/$name.log
	wait_for 5 grep -q "dropped privileges" "$log"
	grep -q "dropped privileges to user '$USER_NAME' (uid $uid, gid $gid), keeping CAP_NET_ADMIN" "$log"
	ok $? "$name logs that it dropped privileges to '$USER_NAME' (uid $uid, gid $gid), keeping CAP_NET_ADMIN"
	! grep -q "running as root" "$log"
	ok $? "$name does not say it runs as root"

	pid=$(proxy_pid "$name") || bail "$name is running"
	echo "# $name (pid $pid): $(grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Amb)|NoNewPrivs):' \
	    "/proc/$pid/status" | tr -s '\t' ' ' | paste -sd ';')"
	# shellcheck disable=SC2046 # the four ids, one word each
	[ "$uid" != 0 ] && all_are "$uid" $(status_of "$pid" Uid)
	ok $? "$name: Uid is $uid (real, effective, saved, filesystem): $(status_of "$pid" Uid)"
	# shellcheck disable=SC2046
	[ "$gid" != 0 ] && all_are "$gid" $(status_of "$pid" Gid)
	ok $? "$name: Gid is $gid (real, effective, saved, filesystem): $(status_of "$pid" Gid)"
	[ "$(status_of "$pid" Groups)" = "$gid" ]
	ok $? "$name: supplementary groups are only $gid: '$(status_of "$pid" Groups)'"
	[ "$(status_of "$pid" CapEff)" = $CAP_NET_ADMIN_MASK ] &&
	    [ "$(status_of "$pid" CapPrm)" = $CAP_NET_ADMIN_MASK ]
	ok $? "$name: CapEff and CapPrm are exactly CAP_NET_ADMIN ($(status_of "$pid" CapEff), $(status_of "$pid" CapPrm))"
	[ "$(status_of "$pid" CapInh)" = $NONE_MASK ] &&
	    [ "$(status_of "$pid" CapAmb)" = $NONE_MASK ]
	ok $? "$name: CapInh and CapAmb are empty ($(status_of "$pid" CapInh), $(status_of "$pid" CapAmb))"
	[ "$(status_of "$pid" NoNewPrivs)" = 1 ]
	ok $? "$name: NoNewPrivs is 1"
done

# ---- What they do unprivileged: links and routes come up after the drop
wait_for 30 has_route site-a "$WORLD_B_LAN" &&
    wait_for 30 has_route site-b "$WORLD_A_LAN"
ok $? "routes between the sites learned (site-a -> $WORLD_B_LAN, site-b -> $WORLD_A_LAN)"
wait_for 5 kernel_route pxa "$WORLD_B_LAN" &&
    wait_for 5 kernel_route pxb "$WORLD_A_LAN"
ok $? "the routes are on the TUNs: $(nsx pxa ip -4 route show dev pxy0 | paste -sd ';' -) | $(nsx pxb ip -4 route show dev pxy0 | paste -sd ';' -)"
# installed after the drop, as nobody: the drop's log line comes first
for name in site-a site-b; do
	log=$WORLD_DIR/$name.log
	d=$(grep -n "dropped privileges" "$log" | head -n 1 | cut -d: -f1)
	r=$(grep -n "route .* installed" "$log" | head -n 1 | cut -d: -f1)
	[ -n "$d" ] && [ -n "$r" ] && [ "$r" -gt "$d" ] &&
	    ! grep -Eq "cannot (add|delete) route|not installed on the TUN" "$log"
	ok $? "$name installed its routes after the drop (log lines $d, ${r:-none}), none refused"
done

wait_for 20 nsx hosta ping -n -q -c 1 -W 1 "$WORLD_B_HOST"
ok $? "hostA pings hostB ($WORLD_B_HOST) through the proxies"

# ---- The control socket: given to the user, still usable by root's proxyctl
for name in pub site-a; do
	sock=$(proxy_sock "$name")
	st=$(stat -c '%U:%G %a' "$sock" 2>/dev/null)
	[ "$st" = "$USER_NAME:$(id -gn "$USER_NAME") 660" ]
	ok $? "$name's control socket is $USER_NAME's, mode 0660 ($st)"
	[ "$(pstatus "$name" name)" = "$name" ]
	ok $? "proxyctl status works on $name ($(pstatus "$name" name))"
done

# ---- A user that does not exist
bad=$(proxy_conf bad-user extra='user = "no-such-user-xyz";') || bail "config with an unknown user"
out=$("$PROXYD" -t -c "$bad" 2>&1)
rc=$?
echo "# proxyd -t: status $rc: $out"
[ "$rc" != 0 ] && grep -q "$bad:[0-9]*: 'user' 'no-such-user-xyz'" <<<"$out"
ok $? "proxyd -t refuses user 'no-such-user-xyz' (status $rc), naming the file and the user"
out=$(nsx pub timeout 5 "$PROXYD" -f -c "$bad" 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "'user' 'no-such-user-xyz'" <<<"$out" &&
    [ ! -e "$WORLD_DIR/bad-user.sock" ]
ok $? "proxyd refuses to start with that user (status $rc, no control socket)"

# ---- Clean exit as the user; the routes to a stopped site are removed
# from the other TUN, as nobody too
for name in site-b site-a pub; do
	proxy_stop "$name"
	rc=$(cat "$WORLD_DIR/$name.exit" 2>/dev/null || echo '?')
	[ "$rc" = 0 ]
	ok $? "proxy $name exits cleanly on SIGTERM (status $rc)"
	if [ "$name" = site-b ]; then
		wait_for 20 no_kernel_route pxa "$WORLD_B_LAN" &&
		    grep -q "route $WORLD_B_LAN withdrawn" "$WORLD_DIR/site-a.log" &&
		    ! grep -Eq "cannot (add|delete) route" "$WORLD_DIR/site-a.log"
		ok $? "site-a removed its route to $WORLD_B_LAN from the TUN once site-b left: $(nsx pxa ip -4 route show dev pxy0 | paste -sd ';' -)"
	fi
done

t_summary
