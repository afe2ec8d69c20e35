#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: links rekey, certificates expire (issue 11 part 6, issue 17).  Both
# sites behind masquerading NATs, pub on the internet; every proxy has
# 'rekey = { time = 5; }'.  An IKEv2 tunnel hosta <-> hostb through site-a,
# pub and site-b (relayed, or a direct channel once punched) carries a
# 20/s ping for the whole test, while:
#   (a) the links rekey every ~5 s: each of pub's links to site-a and
#       site-b counts several rekeys, and so do the status counters;
#   (b) a fourth proxy "shorty", whose certificate ends a few seconds after
#       it links to pub, is warned about in its own status (cert_warning,
#       cert_expires_s) and loses its link when the certificate expires
#       (pub logs the peer and the reason, within a bound), and cannot link
#       again (the handshake refuses an expired certificate);
#   (c) site-a's certificate and key are replaced in place and reloaded
#       (with rekey.time 1 h, so that only the reload makes it rekey): the
#       reload says the links rekey, and pub logs site-a's link rekeyed with
#       the new certificate's serial within 8 s;
#   (d) the ping lost no sequence number, and no replayed, forged or
#       session-less datagram was counted by pub, site-a and site-b
#       meanwhile (what a peer sealed on a link just closed, as shorty's
#       at its expiry, is counted apart: drop_closed, shown).  Links that
#       a proxy knows will close (shorty's, a few seconds before its
#       certificate ends) are left out of the topology first, and a
#       relayed packet never goes back where it came from, so the path
#       changes lose nothing (drop_loop is shown when the ping lost some).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping openssl
CHARON_RETRANSMIT="5 1 1.5"
SHORTY_ADDR=203.0.113.12
SHORTY_LIFE=${E2E_SHORTY_LIFE:-25}	# seconds from issue to notAfter
REKEY='rekey = { time = 5; };'

e2e_traps

both_installed() { child_sa_installed hosta tunnel && child_sa_installed hostb tunnel; }
log_has() { grep -qE "$2" "$WORLD_DIR/$1.log"; }
not_up() { ! neighbour_up "$1" "$2"; }
# lists_shorty PROXY: PROXY's own advertisement has a link to shorty
lists_shorty() {
	pjson "$1" topology | jq -e --arg o "$1" 'map(select(.origin == $o)) |
	    .[0].links // [] | any(.peer == "shorty")' >/dev/null
}

# link_field PROXY NEIGHBOUR FIELD: a field of PROXY's up link to NEIGHBOUR.
link_field() {
	pjson "$1" neighbours | jq -r --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n and .state == "up")) | .[0][$f] // empty'
}

# drops NAME: drop_replay + drop_auth + drop_nosession of a proxy (not
# drop_closed: datagrams in flight on a link that proxy closed itself).
drops() {
	pjson "$1" status | jq -r '.[0] | .drop_replay + .drop_auth + .drop_nosession'
}

# issue NAME OUT ENDDATE [BLOCKS]: OUT.crt and OUT.key for NAME from the
# world's CA, valid from an hour ago to ENDDATE (openssl ca's
# YYMMDDHHMMSSZ), with RFC 3779 BLOCKS if given.
issue() {
	local name=$1 out=$2 end=$3 blocks=${4:-} d pki=$WORLD_DIR/pki
	d=$(mktemp -d "$WORLD_DIR/.ca.XXXXXX") || return 1
	: >"$d/index.txt"
	openssl rand -hex 8 >"$d/serial"
	printf '%s\n' "[ ca ]" "default_ca = x" "[ x ]" \
	    "database = $d/index.txt" "new_certs_dir = $d" \
	    "certificate = $pki/ca.crt" "private_key = $pki/ca.key" \
	    "serial = $d/serial" "default_md = sha256" "policy = p" \
	    "unique_subject = no" "[ p ]" "commonName = supplied" >"$d/ca.conf"
	printf '%s\n' "basicConstraints = critical,CA:FALSE" \
	    "keyUsage = critical,digitalSignature" \
	    "extendedKeyUsage = serverAuth,clientAuth" \
	    "subjectAltName = DNS:$name" >"$d/ext"
	[ -n "$blocks" ] && echo "sbgp-ipAddrBlock = critical,$blocks" >>"$d/ext"
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt \
	    ec_paramgen_curve:P-256 -out "$d/key" 2>/dev/null) &&
	openssl req -new -key "$d/key" -subj "/CN=$name" -out "$d/csr" \
	    2>/dev/null &&
	openssl ca -batch -config "$d/ca.conf" -in "$d/csr" -out "$d/crt" \
	    -extfile "$d/ext" -notext -startdate \
	    "$(date -u -d '-1 hour' +%y%m%d%H%M%SZ)" -enddate "$end" \
	    >/dev/null 2>&1 &&
	chmod 0600 "$d/key" && cp "$d/key" "$out.key.new" &&
	cp "$d/crt" "$out.crt.new" &&
	mv -f "$out.key.new" "$out.key" && mv -f "$out.crt.new" "$out.crt"
	local rc=$?
	rm -rf "$d"
	return $rc
}

# serial FILE: the certificate's serial in hex, no leading zeros.
serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=0*//'; }

echo "# world: masquerade NATs, proxies pub, site-a, site-b, shorty (rekey every 5 s)"
world_up || bail "world up"
inet_host shorty "$SHORTY_ADDR" || bail "shorty's namespace"
make_certs "$WORLD_DIR/pki" || bail "certificates made with tools/proxyd-ca"
for name in pub site-a site-b; do
	proxy_conf_std "$name" extra="$REKEY" >/dev/null ||
	    bail "configuration of $name"
done
proxy_conf shorty listen="$SHORTY_ADDR:$WORLD_PUB_PORT" \
    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" extra="$REKEY" >/dev/null ||
    bail "configuration of shorty"
charon_start hosta && charon_start hostb || bail "charon started"
swanctl_load hosta && swanctl_load hostb || bail "swanctl configurations loaded"
proxy_start pub pub "$WORLD_DIR/pub.conf" &&
    proxy_start pxa site-a "$WORLD_DIR/site-a.conf" &&
    proxy_start pxb site-b "$WORLD_DIR/site-b.conf" || bail "proxies started"
wait_for 30 has_route site-a "$WORLD_B_LAN" &&
    wait_for 30 has_route site-b "$WORLD_A_LAN" || bail "routes between the sites"
swanctl_initiate hosta tunnel 20 && wait_for 10 both_installed ||
    bail "tunnel up through the proxies"
ok 0 "tunnel up through the proxies"

# (3) the own certificate's remaining time in status, no warning for 730 days
exp_a=$(pstatus site-a cert_expires_s) warn_a=$(pstatus site-a cert_warning)
[ "${exp_a:-0}" -gt $((14 * 86400)) ] && [ -z "$warn_a" ]
ok $? "site-a's status: cert_expires_s $exp_a, no cert_warning"

for name in pub site-a site-b; do eval "d0_${name//-/_}=\$(drops $name)"; done
r0=$(pstatus pub rekeys)
NS_BG_OUT=$WORLD_DIR/ping.out ns_bg ping hosta ping -D -n -i 0.05 -W 2 \
    -I "$WORLD_A_INNER" "$WORLD_B_INNER"
t_ping=$(date +%s)

# (b) shorty: a certificate that ends SHORTY_LIFE seconds from now
end_epoch=$(( $(date +%s) + SHORTY_LIFE ))
issue shorty "$WORLD_DIR/pki/shorty" "$(date -u -d "@$end_epoch" +%y%m%d%H%M%SZ)" ||
    bail "shorty's short-lived certificate issued (openssl ca -enddate)"
proxy_start shorty shorty "$WORLD_DIR/shorty.conf" || bail "shorty started"
wait_for 10 neighbour_up pub shorty
ok $? "shorty links to pub with a certificate valid for $SHORTY_LIFE s more"
warn_s=$(pstatus shorty cert_warning) exp_s=$(pstatus shorty cert_expires_s)
echo "# shorty: cert_expires_s $exp_s, cert_warning '$warn_s'"
[ -n "$warn_s" ] && [ "${exp_s:-999}" -le "$SHORTY_LIFE" ] && [ "${exp_s:--1}" -ge 0 ]
ok $? "shorty's status warns of its certificate (cert_expires_s $exp_s)"
grep -q "expires on .* in 0 day(s): renew it" "$WORLD_DIR/shorty.log"
ok $? "shorty warned of it at start"
pcert=$(link_field pub shorty peer_cert_expires_s)
[ -n "$pcert" ] && [ "$pcert" -le "$SHORTY_LIFE" ]
ok $? "pub's neighbour row shows shorty's certificate ending in ${pcert}s"

# drained first: from 5 s before notAfter (TOPOLOGY_DRAIN_S) its links
# are left out of pub's, site-a's and site-b's advertisements while they
# are still up, so no route goes through shorty when they close
listed=""
for name in pub site-a site-b; do
	wait_for 10 lists_shorty "$name" && listed="$listed $name"
done
echo "# listing their link to shorty before the drain:${listed:- none}"
wait_s=$(( end_epoch - 2 - $(date +%s) ))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
undrained=""
for name in pub site-a site-b; do
	lists_shorty "$name" && undrained="$undrained $name"
done
[ "$wait_s" -gt 0 ] && [ -z "$undrained" ] && neighbour_up pub shorty &&
    case "$listed" in *pub*) true ;; *) false ;; esac
ok $? "2 s before shorty's end its links are up but drained (still listed by:${undrained:- none}; pub's link $(neighbour_state pub shorty))"

# the end: pub closes the link within 5 s of notAfter, by its own clock
# (its once-a-second check, or a rekey shorty started in that second)
EXPIRED_RE="peer 'shorty' .*(the peer's certificate expired|rekey: certificate refused: certificate 'shorty' expired)"
wait_for $((SHORTY_LIFE + 15)) log_has pub "$EXPIRED_RE"
ok $? "pub closes its link to shorty when the certificate expires (logged)"
line=$(grep -m1 -E "$EXPIRED_RE" "$WORLD_DIR/pub.log")
echo "# pub: $line"
t_close=$(date -u -d "$(date -u -d "@$end_epoch" +%F) ${line%% *}" +%s 2>/dev/null)
late=$(( ${t_close:-0} - end_epoch ))
[ -n "$t_close" ] && [ "$late" -ge 0 ] && [ "$late" -le 5 ]
ok $? "closed ${late} s after notAfter (bound 0-5 s)"
[ "$(pstatus pub expired_closed)" -ge 1 ]
ok $? "pub counts it (expired_closed $(pstatus pub expired_closed))"
wait_for 10 log_has pub "certificate refused: certificate 'shorty' expired on"
ok $? "shorty's next handshakes are refused: its certificate expired (logged)"
sleep 5
not_up pub shorty
ok $? "shorty stays unlinked ($(neighbour_state shorty pub))"
proxy_stop shorty

# (a) rekeys, counted
ra=$(link_field pub site-a rekeys) rb=$(link_field pub site-b rekeys)
r1=$(pstatus pub rekeys)
echo "# after $(( $(date +%s) - t_ping )) s: pub's links rekeyed: site-a $ra, site-b $rb; pub's status rekeys $r0 -> $r1"
[ "${ra:-0}" -ge 3 ] && [ "${rb:-0}" -ge 3 ]
ok $? "pub's links to site-a and site-b rekeyed at least 3 times each ($ra, $rb)"
sa=$(link_field site-a pub rekeys)
[ "${sa:-0}" -ge 3 ]
ok $? "site-a counts its rekeys too ($sa)"
age=$(link_field pub site-a key_age_s)
[ -n "$age" ] && [ "${age%.*}" -le 12 ]
ok $? "the keys in use are young (key_age_s $age)"
echo "# site-a's channel to $WORLD_B_LAN: $(pjson site-a routes | jq -r --arg p "$WORLD_B_LAN" 'map(select(.prefix == $p)) | .[0].channel // "?"'); its links: $(pjson site-a neighbours | jq -r 'map("\(.name) \(.state) rekeys \(.rekeys)") | join(", ")')"
echo "# rekey_failed: pub $(pstatus pub rekey_failed), site-a $(pstatus site-a rekey_failed), site-b $(pstatus site-b rekey_failed)"

# (c) site-a's certificate replaced in place, then reloaded
old_serial=$(serial "$WORLD_DIR/pki/site-a.crt")
issue site-a "$WORLD_DIR/pki/site-a" "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" \
    "IPv4:$WORLD_A_LAN,IPv4:$WORLD_A_INNER_NET" ||
    bail "a new certificate for site-a"
new_serial=$(serial "$WORLD_DIR/pki/site-a.crt")
echo "# site-a's serial $old_serial -> $new_serial"
# rekey.time 1 h from now on at site-a, the dialling side: the rekey that
# follows within 8 s is the reload's (pub, answering, would start one only
# 20 s after the last)
proxy_conf_std site-a extra='rekey = { time = 3600; };' >/dev/null ||
    bail "site-a's configuration rewritten"
pctl pxa "$(proxy_sock site-a)" reload >"$WORLD_DIR/reload.out" 2>&1
ok $? "proxyctl reload on site-a"
sed 's/^/#   /' "$WORLD_DIR/reload.out"
grep -q "rekey in the background" "$WORLD_DIR/reload.out"
ok $? "the reload says the links rekey in the background"
wait_for 8 log_has pub "peer 'site-a' .*rekeyed: .*serial 0*$new_serial\$"
ok $? "pub sees site-a's new certificate at the rekey (serial $new_serial)"
sleep 6		# a rekey or so more with the new keys

# (d) the ping, and the drop counters
ns_bg_stop ping
secs=$(( $(date +%s) - t_ping ))
sent=$(grep -o 'icmp_seq=[0-9]*' "$WORLD_DIR/ping.out" | cut -d= -f2 | sort -n)
n=$(echo "$sent" | grep -c .)
first=$(echo "$sent" | head -n 1) last=$(echo "$sent" | tail -n 1)
missing=$(( ${last:-0} - ${first:-1} + 1 - n ))
r2=$(pstatus pub rekeys)
echo "# ping over ${secs} s: $n replies, icmp_seq $first..$last, $missing missing; pub's rekeys $r0 -> $r2"
if [ "$missing" -ne 0 ]; then
	# which, and when (the replies either side, by ping's -D clock)
	echo "$sent" | awk 'NR > 1 && $1 != p + 1 { print p, $1 } { p = $1 }' |
	while read -r a b; do
		echo "# missing after icmp_seq $a: $(grep -E "icmp_seq=($a|$b) " "$WORLD_DIR/ping.out" | tr '\n' ' ')"
	done
	for name in pub site-a site-b; do
		echo "# $name's non-zero counters: $(pjson "$name" status | jq -c '.[0] | with_entries(select((.key | test("^(drop|tun|frag|rekey)")) and .value != 0))')"
	done
fi
[ "$n" -gt 200 ] && [ "$missing" -eq 0 ]
ok $? "no ping lost across $((r2 - r0)) rekeys at pub ($n replies, $missing missing)"
for name in pub site-a site-b; do
	eval "d0=\$d0_${name//-/_}"
	d1=$(drops "$name")
	[ "$d1" = "$d0" ]
	ok $? "$name counted no replayed, forged or session-less datagram ($d0 -> $d1; drop_closed $(pstatus "$name" drop_closed))"
done

for name in site-b site-a pub; do
	proxy_stop "$name"
done
t_summary
