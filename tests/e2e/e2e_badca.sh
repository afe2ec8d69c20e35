#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test (c): certificates that must not get a proxy a link.
#  - "rogue" (own CA, on the internet, claiming 10.66.0.0/24) and
#    "impostor" (own CA, certificate and name site-b, claiming site B's
#    LAN) both try to link to pub, while site-a, with a valid certificate,
#    links as usual.  pub refuses both: their links never come up while they
#    are alive and keep trying, pub's auth_refused counter grows and its log
#    names each refused address; nothing they claim reaches site-a.
#  - "decoy" has a valid certificate from the network's own CA (it links to
#    pub), but site-a dials it as its neighbour "site-b": the dialling side
#    checks the name, refuses the link, counts it and logs why.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq
WATCH=${E2E_BADCA_WATCH:-12}	# seconds the rogue links are watched

e2e_traps

ROGUE_ADDR=203.0.113.66
IMPOSTOR_ADDR=203.0.113.67
DECOY_ADDR=203.0.113.68
ROGUE_NET=10.66.0.0/24
PUB_EP=pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT

# pjson_ok NAME COMMAND: pjson, but it fails (printing nothing) when
# proxyctl fails, so an unreadable proxy is never read as an empty table.
pjson_ok() {
	local out
	out=$(pctl "$(proxy_ns "$1")" "$(proxy_sock "$1")" -j "$2") || return 1
	jq -cs '[ .[] | if type == "array" then .[] else . end
		  | if type == "object" and has("row") then .row else . end
		  | select(type != "object" or (has("end") | not)) ]' <<<"$out"
}
is_count() { [[ ${1:-} =~ ^[0-9]+$ ]]; }
# nbr_field PROXY NEIGHBOUR FIELD: one field of PROXY's row for NEIGHBOUR;
# fails if proxyctl fails or there is no such row.
nbr_field() {
	local j
	j=$(pjson_ok "$1" neighbours) || return 1
	jq -er --arg n "$2" --arg f "$3" \
	    'map(select(.name == $n)) | .[0] // error("no row") | .[$f] | tostring' \
	    <<<"$j" 2>/dev/null
}
# The refusals below are expected warnings, not errors.
if declare -F proxy_log_expect >/dev/null; then
	proxy_log_expect pub 'certificate refused|authentication failed'
	proxy_log_expect site-a 'certificate refused|authentication failed'
	proxy_log_expect decoy 'certificate refused|authentication failed|handshake failed'
fi

echo "# world: pub, site-a (valid), rogue and impostor (other CA), decoy (network CA) (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"

make_certs "$WORLD_DIR/pki" decoy || bail "network CA and certificates"
# The second CA.  Its proxies trust the network's CA (they have its public
# certificate), so only pub's check of *their* certificate can stop them.
"$PROXYD_CA" init "$WORLD_DIR/rogue-pki" >/dev/null &&
"$PROXYD_CA" issue "$WORLD_DIR/rogue-pki" rogue >/dev/null &&
"$PROXYD_CA" issue "$WORLD_DIR/rogue-pki" site-b >/dev/null ||
    bail "second CA and its certificates"
ok 0 "network CA and a second, unrelated CA made with tools/proxyd-ca"
! openssl verify -CAfile "$WORLD_DIR/pki/ca.crt" "$WORLD_DIR/rogue-pki/rogue.crt" >/dev/null 2>&1
ok $? "openssl agrees: rogue's certificate does not verify against the network CA"
openssl verify -CAfile "$WORLD_DIR/pki/ca.crt" "$WORLD_DIR/pki/decoy.crt" >/dev/null 2>&1
ok $? "openssl agrees: decoy's certificate verifies against the network CA"

inet_host rogue "$ROGUE_ADDR" && inet_host impostor "$IMPOSTOR_ADDR" &&
    inet_host decoy "$DECOY_ADDR" ||
    bail "internet hosts for rogue, impostor and decoy"

# Their CA file holds both CAs: their own (proxyd refuses to start with a
# certificate its configured CA did not issue) and the network's, so that
# they trust pub and only pub's check of *their* certificate stops them.
cat "$WORLD_DIR/rogue-pki/ca.crt" "$WORLD_DIR/pki/ca.crt" > "$WORLD_DIR/rogue-bundle.crt" ||
    bail "rogue CA bundle"
# rogue and impostor claim prefixes: were either accepted, site-a would
# route them.  site-a dials the decoy's address as "site-b".
conf_pub=$(proxy_conf_std pub) &&
conf_a=$(proxy_conf_std site-a \
    neighbours="$PUB_EP site-b@$DECOY_ADDR:$WORLD_PUB_PORT") &&
conf_rogue=$(proxy_conf rogue neighbours="$PUB_EP" prefixes="$ROGUE_NET" \
    ca="$WORLD_DIR/rogue-bundle.crt" pki="$WORLD_DIR/rogue-pki" \
    require_prefixes=false) &&
conf_imp=$(proxy_conf impostor neighbours="$PUB_EP" prefixes="$WORLD_B_LAN" \
    ca="$WORLD_DIR/rogue-bundle.crt" cert="$WORLD_DIR/rogue-pki/site-b.crt" \
    key="$WORLD_DIR/rogue-pki/site-b.key" require_prefixes=false) &&
conf_decoy=$(proxy_conf decoy neighbours="$PUB_EP") ||
    bail "configurations written"
# The impostor's configured name must match its certificate.
sed -i 's/^name = "impostor";/name = "site-b";/' "$conf_imp"

proxy_start pub pub "$conf_pub" || bail "pub started"
proxy_start rogue rogue "$conf_rogue" || bail "rogue started"
proxy_start impostor impostor "$conf_imp" || bail "impostor started"
proxy_start decoy decoy "$conf_decoy" || bail "decoy started"
proxy_start pxa site-a "$conf_a" || bail "site-a started"
ok 0 "pub, rogue, impostor, decoy and site-a started"

wait_for 30 neighbour_up site-a pub
ok $? "site-a (valid certificate) links to pub"
wait_for 10 neighbour_up pub site-a
ok $? "pub shows site-a up"
wait_for 20 neighbour_up decoy pub
ok $? "decoy (network CA, its own name) links to pub: its certificate is good"

refused_pos() { is_count "$(pstatus pub auth_refused)" && [ "$(pstatus pub auth_refused)" -gt 0 ]; }
wait_for 20 refused_pos
rc=$?
refused=$(pstatus pub auth_refused)
ok $rc "pub's status counts refused authentications (auth_refused ${refused:-unreadable})"

# Watch the rogue links for a while: never "up", on either side, while both
# rogues are alive and their own state reads back (a dead rogue, or an
# unreadable one, is never up either: that proves nothing).
rogue_up=0 imp_up=0 pub_rogue_up=0 dead= unread=
rc0_rogue=$(nbr_field rogue pub reconnects)
rc0_imp=$(nbr_field impostor pub reconnects)
deadline=$(( $(now_ms) + WATCH * 1000 ))
while [ "$(now_ms)" -lt "$deadline" ]; do
	for p in rogue impostor; do
		proxy_alive "$p" || dead="$dead $p"
	done
	st_r=$(nbr_field rogue pub state) || unread="$unread rogue"
	st_i=$(nbr_field impostor pub state) || unread="$unread impostor"
	[ "$st_r" = up ] && rogue_up=1
	[ "$st_i" = up ] && imp_up=1
	if j=$(pjson_ok pub neighbours); then
		jq -e 'any(.[]; (.name == "rogue" or .name == "site-b") and
		    .state == "up")' <<<"$j" >/dev/null && pub_rogue_up=1
	else
		unread="$unread pub"
	fi
	sleep 0.5
done
rc1_rogue=$(nbr_field rogue pub reconnects)
rc1_imp=$(nbr_field impostor pub reconnects)
echo "# rogue's neighbours: $(pjson rogue neighbours 2>/dev/null)"
echo "# pub's neighbours: $(pjson pub neighbours 2>/dev/null)"
dead=$(tr ' ' '\n' <<<"$dead" | sort -u | xargs)
unread=$(tr ' ' '\n' <<<"$unread" | sort -u | xargs)
[ -z "$dead" ] && [ -z "$unread" ]
ok $? "rogue and impostor stayed alive and readable through the ${WATCH} s watch${dead:+ (died:$dead)}${unread:+ (unreadable:$unread)}"
is_count "$rc0_rogue" && is_count "$rc1_rogue" && [ "$rc1_rogue" -gt "$rc0_rogue" ] &&
    is_count "$rc0_imp" && is_count "$rc1_imp" && [ "$rc1_imp" -gt "$rc0_imp" ]
ok $? "both kept dialling pub while refused (reconnects: rogue ${rc0_rogue:-?} -> ${rc1_rogue:-?}, impostor ${rc0_imp:-?} -> ${rc1_imp:-?})"
[ $rogue_up = 0 ] && [ -z "$dead" ] && ! [[ " $unread " == *" rogue "* ]]
ok $? "rogue's link to pub never reached state up (watched ${WATCH}s)"
[ $imp_up = 0 ] && [ -z "$dead" ] && ! [[ " $unread " == *" impostor "* ]]
ok $? "impostor's (other CA, named site-b) link to pub never reached state up"
[ $pub_rogue_up = 0 ] && ! [[ " $unread " == *" pub "* ]]
ok $? "pub never listed rogue or site-b as an up neighbour"

# Nothing the rogues claimed reached the topology: site-a answers (its own
# prefix is listed) and has no route to theirs, nor to anything of a
# "site-b" or "rogue".
j=$(pjson_ok site-a routes)
rc=$?
ok "$([ $rc = 0 ] &&
    jq -e --arg own "$WORLD_A_LAN" 'any(.[]; .prefix == $own)' <<<"$j" >/dev/null &&
    ! jq -e --arg r "$ROGUE_NET" --arg b "$WORLD_B_LAN" 'any(.[]; .prefix == $r or
	.prefix == $b or .dest == "site-b" or .dest == "rogue")' <<<"$j" >/dev/null
    echo $?)" "site-a learned no route from the refused proxies (routes: $(jq -c 'map(.prefix)' <<<"${j:-null}" 2>/dev/null))"

refused2=$(pstatus pub auth_refused)
is_count "$refused" && is_count "$refused2" && [ "$refused2" -gt "$refused" ]
ok $? "pub went on refusing them during the watch (auth_refused ${refused:-?} -> ${refused2:-?})"

for who in "rogue:$ROGUE_ADDR:rogue" "impostor:$IMPOSTOR_ADDR:site-b"; do
	w=${who#*:}
	line=$(grep -E "\(${w%%:*}:[0-9]+\): certificate refused: certificate '${who##*:}' not signed by our CA \(issuer 'CN ?= ?[^']*', key [0-9a-f:]+; our CA 'CN ?= ?[^']*', key [0-9a-f:]+\)" \
	    "$WORLD_DIR/pub.log" | head -n 1)
	[ -n "$line" ]
	ok $? "pub's log names the refused ${who%%:*}, the certificate it presented and both CAs (${line:-nothing})"
done
# The refused side learns why too, in its neighbours table: pub's alert.
le=$(nbr_field rogue pub last_error)
grep -q 'the peer refused our certificate' <<<"$le"
ok $? "rogue's neighbours row for pub says pub refused its certificate (last_error: ${le:-none})"

# The decoy: site-a dials "site-b" and gets decoy's (valid) certificate.
a_refused() { is_count "$(pstatus site-a auth_refused)" && [ "$(pstatus site-a auth_refused)" -gt 0 ]; }
wait_for 20 a_refused
ok $? "site-a counts the refused dial (auth_refused $(pstatus site-a auth_refused))"
line=$(grep -E "peer 'site-b' \($DECOY_ADDR:[0-9]+\): certificate refused" \
    "$WORLD_DIR/site-a.log" | head -n 1)
grep -q "certificate name 'decoy' but expected 'site-b'" <<<"$line"
ok $? "site-a's log says what the certificate names and what was expected (${line:-nothing})"
le=$(nbr_field site-a site-b last_error)
[ "$le" = "certificate refused: certificate name 'decoy' but expected 'site-b'" ]
ok $? "site-a's neighbours row for site-b keeps that reason (last_error: ${le:-none})"
txt=$(COLUMNS=80 pctl pxa "$(proxy_sock site-a)" neighbours)
grep -q "LAST-ERROR: certificate refused: certificate name 'decoy' but" <<<"$txt"
ok $? "proxyctl neighbours shows it under site-b's row at 80 columns"
le=$(nbr_field site-a pub last_error)
[ "$le" = null ]
ok $? "and nothing for pub, whose link never failed (last_error: ${le:-?})"

# proxyd -t says what is wrong with a certificate before anything starts:
# one the configured CA did not issue, and a key of another certificate.
bad_conf=$WORLD_DIR/rogue-badca.conf
sed "s#$WORLD_DIR/rogue-bundle.crt#$WORLD_DIR/pki/ca.crt#" "$conf_rogue" >"$bad_conf"
out=$("$PROXYD" -t -c "$bad_conf" 2>&1)
rc=$?
[ $rc = 1 ] && grep -Eq "^$bad_conf:[0-9]+: 'tls.cert' '$WORLD_DIR/rogue-pki/rogue.crt' is not issued by the CA in '$WORLD_DIR/pki/ca.crt' \(issuer " <<<"$out"
ok $? "proxyd -t: a certificate of another CA is refused, FILE:LINE, both CAs named (status $rc: $out)"
sed "s#rogue-pki/rogue.key#rogue-pki/site-b.key#" "$conf_rogue" >"$bad_conf"
out=$("$PROXYD" -t -c "$bad_conf" 2>&1)
rc=$?
[ $rc = 1 ] && grep -Eq "^$bad_conf:[0-9]+: 'tls.key' '$WORLD_DIR/rogue-pki/site-b.key' does not match the certificate " <<<"$out"
ok $? "proxyd -t: a key of another certificate is refused (status $rc: $out)"
out=$("$PROXYD" -t -c "$conf_rogue" 2>&1)
ok $? "proxyd -t: rogue's own configuration is valid (its CA file holds its CA): ${out:-no output}"
st=$(nbr_field site-a site-b state)
rcn=$(nbr_field site-a site-b reconnects)
[ -n "$st" ] && [ "$st" != up ] && is_count "$rcn" && [ "$rcn" -gt 0 ]
ok $? "site-a's link to 'site-b' (the decoy's address) is not up and was retried (state ${st:-unreadable}, reconnects ${rcn:-?})"
! grep -q "peer 'site-b' ($DECOY_ADDR:[0-9]*): link up" "$WORLD_DIR/site-a.log"
ok $? "site-a never had a link up to 'site-b' at the decoy's address"
proxy_alive decoy && neighbour_up decoy pub
ok $? "the decoy is alive and still linked to pub"

proxy_alive pub
ok $? "pub still running"
neighbour_up site-a pub
ok $? "site-a's link to pub still up after the rogue attempts"
pctl pxa "$(proxy_sock site-a)" status >/dev/null
ok $? "site-a's proxyctl status answers"

t_summary
