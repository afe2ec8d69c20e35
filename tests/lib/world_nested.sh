# SPDX-License-Identifier: ISC
# shellcheck shell=bash disable=SC2034,SC2153 # the WORLD_* plan is shared with world.sh
#
# The nested test world, as a bash library: source it after tests/lib/world.sh,
# then call nested_up / world_down.  It keeps world_up's world (site A
# behind NATA, site B behind NATB, PUB on the internet) and adds a site C
# that sits behind two NATs: its own NATC, whose WAN side is a host on the
# LAN of a middle site M, behind NATM.
#
#                     INET brpub 203.0.113.1 (+ PUB 203.0.113.10)
#                           │
#                           │ wan 203.0.113.20
#                         NATM ── br0 10.3.0.1 ─┬─ PXM   10.3.0.2  (middle proxy)
#                                               │
#                                               └─ NATC  10.3.0.3 (wan)
#                                                    │
#                                 br0 10.4.0.1 ──────┘
#                                   ├─ HOSTC 10.4.0.10 (lo 172.16.4.1)
#                                   └─ PXC   10.4.0.2  (site C's proxy)
#
# Address choice: all three documentation ranges already hold one segment of
# world.sh's internet (192.0.2.0/24 NATA's WAN, 198.51.100.0/24 NATB's WAN,
# 203.0.113.0/24 INET's bridge brpub).  Carving a piece out of NATA's or
# NATB's /24 would leave those NATs believing the new address on-link on
# their own WAN, so NATM's WAN is simply another port of brpub (like
# inet_host's hosts, but its interface is called "wan" so world.sh's
# nat_mode can program it): 203.0.113.20/24, default via 203.0.113.1.
# PUB and NATM share that segment; nothing else changes for A and B.
#
# NATM and NATC get world.sh's NAT rule shapes (nested_nat_mode calls
# nat_mode for them); "none" on NATC gives NATM a route to site C's LAN.
# nested_c_egress m makes NATM a firewall that lets site C reach only site
# M's LAN, so that C reaches the rest of the network only through site-m
# (otherwise site-c, which learns pub's endpoint from the topology, also
# links to pub directly).
# The namespaces are natm, natc, pxm, pxc, hostc (and rogue, when
# nested_rogue_host makes it), all with world.sh's PXT_PREFIX, so
# world_down deletes them; processes are started through world.sh's
# helpers and recorded the same way.
#
# Proxies (nested_proxy_conf NAME): every proxy links only outward, to
# what it can reach:
#   pub     203.0.113.10:4790 (alternate address 203.0.113.11), no
#           prefixes, no TUN                            (world.sh's)
#   site-a  -> pub; 10.1.0.0/24 172.16.1.0/24           (world.sh's)
#   site-b  -> pub; 10.2.0.0/24 172.16.2.0/24           (world.sh's; optional)
#   site-m  10.3.0.2:4790 (alternate address 10.3.0.4) -> pub;
#           10.3.0.0/24, TUN
#   site-c  -> site-m@10.3.0.2:4790 only (pub is not configured; it
#           can only learn it); 10.4.0.0/24 172.16.4.0/24
#   rogue   -> pub; on the internet (203.0.113.30) claiming 10.1.0.0/24
#
# Endpoints: HOSTA (world.sh's) additionally routes site C's prefixes via
# PXA; HOSTC routes site A's prefixes via PXC.  charon_start hostc works as
# for hosta; swanctl_load_to HOST PEER writes a tunnel between any two of
# hosta, hostb, hostc.

# --------------------------------------------------------------------------
# Plan

WORLD_M_WAN=203.0.113.20    WORLD_M_WAN_GW=$WORLD_PUB_GW
WORLD_M_LAN=10.3.0.0/24     WORLD_M_GW=10.3.0.1     WORLD_M_PX=10.3.0.2
WORLD_C_WAN=10.3.0.3        WORLD_C_WAN_GW=$WORLD_M_GW
WORLD_C_LAN=10.4.0.0/24     WORLD_C_GW=10.4.0.1
WORLD_C_HOST=10.4.0.10      WORLD_C_PX=10.4.0.2
WORLD_C_INNER=172.16.4.1    WORLD_C_INNER_NET=172.16.4.0/24
WORLD_M_PX_ALT=10.3.0.4     WORLD_PUB_ALT=203.0.113.11
WORLD_ROGUE_ADDR=203.0.113.30
WORLD_PROXY_PORT=4790

# --------------------------------------------------------------------------
# Building

# Internal: NATM (WAN on brpub) with its LAN bridge, PXM on it; NATC (WAN on
# NATM's LAN) with its LAN bridge, HOSTC and PXC on it.
_nested_build() {
	local h
	# NATM: its WAN is one more port of INET's brpub.
	_ns_new natm || return 1
	_veth inet p-natm natm wan || return 1
	_w ip -n "$(ns inet)" link set p-natm master brpub || return 1
	_w ip -n "$(ns natm)" addr add "$WORLD_M_WAN/24" dev wan || return 1
	_w ip -n "$(ns natm)" route add default via "$WORLD_M_WAN_GW" || return 1
	_bridge natm br0 "$WORLD_M_GW/24" || return 1
	nsx natm sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1
	_lan_host m pxm "$WORLD_M_PX" "$WORLD_M_GW" || return 1
	# Second addresses for the NAT trials' "alternate address" (without
	# one, endpoint-independent mapping cannot be confirmed).
	_w ip -n "$(ns pxm)" addr add "$WORLD_M_PX_ALT/24" dev eth0 || return 1
	_w ip -n "$(ns pub)" addr add "$WORLD_PUB_ALT/24" dev eth0 || return 1

	# NATC: its WAN is a host on NATM's LAN.
	_ns_new natc || return 1
	_veth natm p-natc natc wan || return 1
	_w ip -n "$(ns natm)" link set p-natc master br0 || return 1
	_w ip -n "$(ns natc)" addr add "$WORLD_C_WAN/24" dev wan || return 1
	_w ip -n "$(ns natc)" route add default via "$WORLD_C_WAN_GW" || return 1
	_bridge natc br0 "$WORLD_C_GW/24" || return 1
	nsx natc sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1
	_lan_host c hostc "$WORLD_C_HOST" "$WORLD_C_GW" || return 1
	_w ip -n "$(ns hostc)" addr add "$WORLD_C_INNER/32" dev lo || return 1
	_lan_host c pxc "$WORLD_C_PX" "$WORLD_C_GW" || return 1

	# Proxy hosts route packets from their TUN back onto the LAN.
	for h in pxm pxc; do
		nsx "$h" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1
		nsx "$h" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		    net.ipv4.conf.default.rp_filter=0 >/dev/null 2>&1
	done
	return 0
}

# Internal: the routes that depend on the NAT modes: INET reaches site M's
# LAN (and C's, through M) only when NATM routes plainly; NATM reaches C's
# LAN only when NATC routes plainly.
_nested_routes() {
	local m c
	m=$(cat "$WORLD_DIR/nat-m.mode" 2>/dev/null)
	c=$(cat "$WORLD_DIR/nat-c.mode" 2>/dev/null)
	ip -n "$(ns inet)" route del "$WORLD_M_LAN" 2>/dev/null
	ip -n "$(ns inet)" route del "$WORLD_C_LAN" 2>/dev/null
	ip -n "$(ns natm)" route del "$WORLD_C_LAN" 2>/dev/null
	if [ "$m" = none ]; then
		_w ip -n "$(ns inet)" route replace "$WORLD_M_LAN" via "$WORLD_M_WAN" ||
		    return 1
		if [ "$c" = none ]; then
			_w ip -n "$(ns inet)" route replace "$WORLD_C_LAN" \
			    via "$WORLD_M_WAN" || return 1
		fi
	fi
	if [ "$c" = none ]; then
		_w ip -n "$(ns natm)" route replace "$WORLD_C_LAN" via "$WORLD_C_WAN" ||
		    return 1
	fi
	return 0
}

# nested_nat_mode m|c MODE [ARGS]: (re)programs NATM or NATC, with the modes
# and rule shapes of world.sh's nat_mode (masquerade, random, static HOST
# PORT..., none); conntrack is flushed.  For a NAT of the other world use
# nat_mode a|b.
nested_nat_mode() {
	local s=$1 mode=$2 n
	shift 2
	case $s in
	m|c) ;;
	*) wlog "nested_nat_mode: unknown NAT '$s' (m or c)"; return 1 ;;
	esac
	if [ "$s" = c ] && [ "$mode" = none ]; then
		# nat_mode's "none" gives INET the route, but NATC's upstream
		# is NATM (_nested_routes adds it there).
		n=$(ns natc)
		_ipt "$n" -F && _ipt "$n" -X && _ipt "$n" -t nat -F &&
		_ipt "$n" -t nat -X && _ipt "$n" -t raw -F &&
		_ipt "$n" -P INPUT ACCEPT && _ipt "$n" -P OUTPUT ACCEPT &&
		_ipt "$n" -P FORWARD ACCEPT || return 1
		ip netns exec "$n" conntrack -F >/dev/null 2>&1
	else
		nat_mode "$s" "$mode" "$@" || return 1
	fi
	echo "$mode" >"$WORLD_DIR/nat-$s.mode"
	_nested_routes || return 1
	if [ "$s" = m ]; then _nested_c_egress_rules || return 1; fi
	return 0
}

# Internal: NATM's rules for site C's egress (see nested_c_egress), put
# back after every nat_mode on NATM.
_nested_c_egress_rules() {
	local n
	n=$(ns natm)
	[ "$(cat "$WORLD_DIR/c-egress" 2>/dev/null)" = m ] || return 0
	_ipt "$n" -I FORWARD 1 -i br0 -o wan -s "$WORLD_C_WAN" -j DROP &&
	_ipt "$n" -I FORWARD 1 -i br0 -o wan -s "$WORLD_C_LAN" -j DROP
}

# nested_c_egress all|m: whether site C may reach the internet through
# NATM ("all", the default) or only site M's LAN ("m": NATM's FORWARD
# drops everything from NATC's WAN address and from C's LAN toward the
# internet, like a corporate firewall that lets only M's proxy out).  With
# "m", site C can reach the rest of the network only through site-m.
nested_c_egress() {
	local n
	n=$(ns natm)
	case $1 in
	all|m) ;;
	*) wlog "nested_c_egress: unknown '$1' (all or m)"; return 1 ;;
	esac
	while ip netns exec "$n" iptables -w -D FORWARD -i br0 -o wan \
	    -s "$WORLD_C_WAN" -j DROP 2>/dev/null; do :; done
	while ip netns exec "$n" iptables -w -D FORWARD -i br0 -o wan \
	    -s "$WORLD_C_LAN" -j DROP 2>/dev/null; do :; done
	echo "$1" >"$WORLD_DIR/c-egress"
	_nested_c_egress_rules || return 1
	# Forget what C had open toward the internet.
	ip netns exec "$n" conntrack -D -s "$WORLD_C_WAN" >/dev/null 2>&1
	return 0
}

# nested_host_routes hosta|hostc proxy|nat|none: the routes of site C's
# prefixes on HOSTA, or of site A's prefixes on HOSTC (world.sh's
# host_routes covers A<->B), via the site's proxy, its NAT, or neither.
nested_host_routes() {
	local h=$1 how=$2 px gw n net nets
	case $h in
	hosta) px=$WORLD_A_PX gw=$WORLD_A_GW
		nets="$WORLD_C_LAN $WORLD_C_INNER_NET" ;;
	hostc) px=$WORLD_C_PX gw=$WORLD_C_GW
		nets="$WORLD_A_LAN $WORLD_A_INNER_NET" ;;
	*) wlog "nested_host_routes: unknown host '$h'"; return 1 ;;
	esac
	n=$(ns "$h")
	for net in $nets; do
		ip -n "$n" route del "$net" 2>/dev/null
		case $how in
		proxy) _w ip -n "$n" route replace "$net" via "$px" || return 1 ;;
		nat) _w ip -n "$n" route replace "$net" via "$gw" || return 1 ;;
		none) ;;
		*) wlog "nested_host_routes: unknown '$how'"; return 1 ;;
		esac
	done
	return 0
}

# nested_up [--nat-m MODE] [--nat-c MODE] [--c-egress all|m]
#           [--routes proxy|nat|none] [world_up options...]
#   world_up (with the other options) and then the nested part.  A MODE with
#   arguments is one word: --nat-c "static 10.4.0.2 4790 4791".  --routes
#   applies to every endpoint.  On failure it tears everything down and
#   returns 1.
nested_up() {
	local nat_m=masquerade nat_c=masquerade routes=proxy egress=all
	local -a wargs=()
	while [ $# -gt 0 ]; do
		case $1 in
		--nat-m) nat_m=$2; shift 2 ;;
		--nat-c) nat_c=$2; shift 2 ;;
		--c-egress) egress=$2; shift 2 ;;
		--routes) routes=$2; shift 2 ;;
		*) wargs+=("$1"); shift ;;
		esac
	done
	world_up "${wargs[@]}" --routes "$routes" || return 1
	# shellcheck disable=SC2086 # a mode may carry arguments
	{
		_nested_build &&
		echo "$egress" >"$WORLD_DIR/c-egress" &&
		nested_nat_mode m $nat_m && nested_nat_mode c $nat_c &&
		nested_host_routes hosta "$routes" &&
		nested_host_routes hostc "$routes"
	} || { wlog "nested_up failed; tearing down"; world_down; return 1; }
	return 0
}

# nested_rogue_host [ADDR]: the internet host for a rogue proxy (namespace
# "rogue", default address $WORLD_ROGUE_ADDR on brpub).
nested_rogue_host() { inet_host rogue "${1:-$WORLD_ROGUE_ADDR}"; }

# --------------------------------------------------------------------------
# strongSwan: a tunnel between any two endpoints

# swanctl_load_to HOST PEER [CONN]: like world.sh's swanctl_load, for any
# pair of hosta, hostb, hostc: loads IKEv2 connection CONN (default
# "tunnel", child of the same name) from HOST's private LAN address to
# PEER's, identities hostX.test, inner 172.16.x.1/32 on each side, encap,
# PSK.  Replaces HOST's swanctl.conf.
swanctl_load_to() {
	local h=${1,,} p=${2,,} c=${3:-tunnel} S R d
	S=${h#host}; S=${S^^}
	R=${p#host}; R=${R^^}
	case "$S$R" in
	AB|AC|BA|BC|CA|CB) ;;
	*) wlog "swanctl_load_to: unknown pair '$h' '$p'"; return 1 ;;
	esac
	local laddr raddr lin rin
	eval "laddr=\$WORLD_${S}_HOST raddr=\$WORLD_${R}_HOST"
	eval "lin=\$WORLD_${S}_INNER rin=\$WORLD_${R}_INNER"
	d=$(_charon_dir "$h")
	mkdir -p "$d/swanctl"
	cat >"$d/swanctl/swanctl.conf" <<EOF
# generated by tests/lib/world_nested.sh
connections {
	$c {
		version = 2
		local_addrs = $laddr
		remote_addrs = $raddr
		encap = yes
		mobike = no
		proposals = aes128gcm16-prfsha256-x25519, aes128-sha256-ecp256
		local {
			auth = psk
			id = $h.test
		}
		remote {
			auth = psk
			id = $p.test
		}
		children {
			$c {
				mode = tunnel
				local_ts = $lin/32
				remote_ts = $rin/32
				esp_proposals = aes128gcm16, aes128-sha256
				start_action = none
			}
		}
	}
}
secrets {
	ike-world {
		id-a = hosta.test
		id-b = hostb.test
		id-c = hostc.test
		secret = "proxyd-test-world-psk-not-a-secret"
	}
}
EOF
	swanctl_x "$h" --load-all --noprompt >"$d/swanctl-load.out" 2>&1 || {
		wlog "swanctl_load_to $h $p failed:"
		sed 's/^/#   /' "$d/swanctl-load.out" >&2
		return 1
	}
}

# --------------------------------------------------------------------------
# proxyd

# nested_proxy_ns NAME: the short namespace name of a nested-world proxy.
nested_proxy_ns() {
	case $1 in
	pub) echo pub ;;
	site-a) echo pxa ;;
	site-b) echo pxb ;;
	site-m) echo pxm ;;
	site-c) echo pxc ;;
	rogue) echo rogue ;;
	*) wlog "nested_proxy_ns: unknown proxy '$1'"; return 1 ;;
	esac
}

# nested_proxy_conf NAME [key=value ...]: writes (with world.sh's
# proxy_conf) and prints the config of pub, site-a, site-b, site-m, site-c
# or rogue as in the plan above.  Extra keys override (e.g. prefixes= for
# rogue).
nested_proxy_conf() {
	local name=$1 pubn=pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT
	shift
	case $name in
	pub) proxy_conf_std pub alt_address="$WORLD_PUB_ALT" "$@" ;;
	site-a|site-b) proxy_conf_std "$name" "$@" ;;
	site-m)
		proxy_conf site-m listen="$WORLD_M_PX:$WORLD_PROXY_PORT" \
		    alt_address="$WORLD_M_PX_ALT" neighbours="$pubn" \
		    prefixes="$WORLD_M_LAN" tun=yes "$@" ;;
	site-c)
		proxy_conf site-c \
		    neighbours="site-m@$WORLD_M_PX:$WORLD_PROXY_PORT" \
		    prefixes="$WORLD_C_LAN $WORLD_C_INNER_NET" "$@" ;;
	rogue)
		proxy_conf rogue listen="0.0.0.0:$WORLD_PROXY_PORT" \
		    neighbours="$pubn" prefixes="$WORLD_A_LAN" "$@" ;;
	*) wlog "nested_proxy_conf: unknown proxy '$name'"; return 1 ;;
	esac
}

# nested_certs: the CA and certificates for every nested-world proxy
# (pub site-a site-b site-m site-c rogue) in $WORLD_DIR/pki, once.
nested_certs() {
	[ -e "$WORLD_DIR/pki/ca.crt" ] && return 0
	make_certs "$WORLD_DIR/pki" site-m site-c rogue
}

# nested_proxy_start NAME [key=value ...]: config and start of one proxy in
# its namespace (world.sh's proxy_start: recorded, stopped by world_down).
nested_proxy_start() {
	local name=$1 conf short
	shift
	short=$(nested_proxy_ns "$name") || return 1
	conf=$(nested_proxy_conf "$name" "$@") || return 1
	proxy_start "$short" "$name" "$conf"
}

# nested_proxies_up [NAME...]: certificates, then configs and start of the
# proxies (default: pub site-m site-a site-c), outward ones first.  Call it
# directly, not in a subshell (see proxy_start).
nested_proxies_up() {
	local name
	nested_certs || return 1
	[ $# -gt 0 ] || set -- pub site-m site-a site-c
	for name in "$@"; do
		nested_proxy_start "$name" || return 1
	done
}
