#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test (c): a proxy whose certificate comes from another CA cannot link.
# "rogue" (own CA, on the internet) and "impostor" (own CA, certificate
# claiming to be site-b) both try to link to pub, while site-a, with a valid
# certificate, links as usual.  pub refuses both: their links never come up,
# pub's auth_refused counter grows and its log says why; site-a is unharmed.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq
WATCH=${E2E_BADCA_WATCH:-12}	# seconds the rogue links are watched

e2e_traps

ROGUE_ADDR=203.0.113.66
IMPOSTOR_ADDR=203.0.113.67
PUB_EP=pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT

echo "# world: pub, site-a (valid), rogue and impostor (other CA) (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"

make_certs "$WORLD_DIR/pki" || bail "network CA and certificates"
# The second CA.  Its proxies trust the network's CA (they have its public
# certificate), so only pub's check of *their* certificate can stop them.
"$PROXYD_CA" init "$WORLD_DIR/rogue-pki" >/dev/null &&
"$PROXYD_CA" issue "$WORLD_DIR/rogue-pki" rogue >/dev/null &&
"$PROXYD_CA" issue "$WORLD_DIR/rogue-pki" site-b >/dev/null ||
    bail "second CA and its certificates"
ok 0 "network CA and a second, unrelated CA made with tools/proxyd-ca"
! openssl verify -CAfile "$WORLD_DIR/pki/ca.crt" "$WORLD_DIR/rogue-pki/rogue.crt" >/dev/null 2>&1
ok $? "openssl agrees: rogue's certificate does not verify against the network CA"

inet_host rogue "$ROGUE_ADDR" && inet_host impostor "$IMPOSTOR_ADDR" ||
    bail "internet hosts for rogue and impostor"

conf_pub=$(proxy_conf_std pub) &&
conf_a=$(proxy_conf_std site-a) &&
conf_rogue=$(proxy_conf rogue neighbours="$PUB_EP" \
    ca="$WORLD_DIR/pki/ca.crt" pki="$WORLD_DIR/rogue-pki") &&
conf_imp=$(proxy_conf impostor neighbours="$PUB_EP" \
    ca="$WORLD_DIR/pki/ca.crt" cert="$WORLD_DIR/rogue-pki/site-b.crt" \
    key="$WORLD_DIR/rogue-pki/site-b.key") ||
    bail "configurations written"
# The impostor's configured name must match its certificate.
sed -i 's/^name = "impostor";/name = "site-b";/' "$conf_imp"

proxy_start pub pub "$conf_pub" || bail "pub started"
proxy_start rogue rogue "$conf_rogue" || bail "rogue started"
proxy_start impostor impostor "$conf_imp" || bail "impostor started"
proxy_start pxa site-a "$conf_a" || bail "site-a started"
ok 0 "pub, rogue, impostor and site-a started"

wait_for 30 neighbour_up site-a pub
ok $? "site-a (valid certificate) links to pub"
wait_for 10 neighbour_up pub site-a
ok $? "pub shows site-a up"

refused_pos() { [ "$(pstatus pub auth_refused)" -gt 0 ] 2>/dev/null; }
wait_for 20 refused_pos
refused=$(pstatus pub auth_refused)
ok $? "pub's status counts refused authentications (auth_refused $refused)"

# Watch the rogue links for a while: never "up", on either side.
rogue_up=0 imp_up=0 pub_rogue_up=0
deadline=$(( $(now_ms) + WATCH * 1000 ))
while [ "$(now_ms)" -lt "$deadline" ]; do
	[ "$(neighbour_state rogue pub)" = up ] && rogue_up=1
	[ "$(neighbour_state impostor pub)" = up ] && imp_up=1
	pjson pub neighbours | jq -e 'any(.[]; (.name == "rogue" or
	    .name == "site-b") and .state == "up")' >/dev/null 2>&1 &&
	    pub_rogue_up=1
	sleep 0.5
done
echo "# rogue's neighbours: $(pjson rogue neighbours 2>/dev/null)"
echo "# pub's neighbours: $(pjson pub neighbours 2>/dev/null)"
[ $rogue_up = 0 ]
ok $? "rogue's link to pub never reached state up (watched ${WATCH}s)"
[ $imp_up = 0 ]
ok $? "impostor's (other CA, named site-b) link to pub never reached state up"
[ $pub_rogue_up = 0 ]
ok $? "pub never listed rogue or site-b as an up neighbour"

# Nothing the rogues said reached the topology: no route to anything of
# theirs, and site-a has no route towards a "site-b".
! pjson site-a routes | jq -e 'any(.[]; .dest == "site-b" or .dest == "rogue")' >/dev/null
ok $? "site-a learned no route from the refused proxies"

refused2=$(pstatus pub auth_refused)
[ "${refused2:-0}" -ge "${refused:-1}" ] && [ "${refused2:-0}" -gt 0 ]
ok $? "auth_refused still counted after the watch ($refused2)"

if grep -Eiq 'refus|certificate|verif|unknown ca|authenticat' "$WORLD_DIR/pub.log"; then
	echo "# pub.log: $(grep -Ei 'refus|certificate|verif|unknown ca|authenticat' "$WORLD_DIR/pub.log" | head -n 2 | tr '\n' ' ')"
	ok 0 "pub's log mentions the refusal"
else
	ok 1 "pub's log mentions the refusal"
fi

proxy_alive pub
ok $? "pub still running"
neighbour_up site-a pub
ok $? "site-a's link to pub still up after the rogue attempts"
pctl pxa "$(proxy_sock site-a)" status >/dev/null
ok $? "site-a's proxyctl status answers"

t_summary
