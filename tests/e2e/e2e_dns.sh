#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: asynchronous DNS for neighbour names (issue 12).  site-a names pub
# as "pub.dyn.test", served by dnsmasq in a namespace of its own on the
# internet side (203.0.113.53; site-a's /etc/resolv.conf points there, with
# "options timeout:1 attempts:2"); site-b names pub by its IP literal.
#   (a) Started while the DNS server drops every query, site-a's link waits
#       idle for its name (no handshake, retried with its backoff) and its
#       control socket answers at once; once DNS answers, the link comes up.
#   (b) A 10/s ping crosses the proxies hosta -> site-a -> pub -> site-b ->
#       hostb while the DNS server drops every query again and site-a looks
#       pub's name up again (SIGHUP, every 2 s): the lookups fail, the link
#       keeps its address, and the longest gap between ping replies during
#       the outage (printed) stays under DNS_GAP_MAX_MS.  A blocking lookup
#       in the event loop would stall the data path for each of them.
#   (c) pub moves to a second address on its interface (203.0.113.12 sends
#       everything it sends from then on) and the name follows; SIGHUP makes
#       site-a look it up: it logs the old and the new address, dials the
#       new one beside the up link, and that link takes over, well within
#       the dead time of the old link.
#   (d) pub moves again (.13) and the name follows, with no SIGHUP: the old
#       link dies, the failure makes site-a look the name up again, and the
#       link comes up at the new address.
#   (e) site-a stops cleanly while a lookup is in flight.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq ping dnsmasq
GAP_MAX=${DNS_GAP_MAX_MS:-500}	# longest allowed ping gap in the outage
OUTAGE=${DNS_OUTAGE_S:-10}	# seconds of the outage in (b)
DNS_ADDR=203.0.113.53
NAME=pub.dyn.test
PUB_NEW=203.0.113.12
PUB_NEW2=203.0.113.13

e2e_traps

# ns_bg and ns_bg_stop are world.sh's; older copies of it lack them.
if ! type ns_bg >/dev/null 2>&1; then
	ns_bg() {
		local name=$1 n
		n=$(ns "$2")
		shift 2
		ip netns exec "$n" "$@" >"${NS_BG_OUT:-$WORLD_DIR/$name.out}" 2>&1 </dev/null &
		_pid_record "$name" $! "$n"
	}
	ns_bg_stop() { _pid_stop "$1"; }
fi

# dns_name ADDR: the name now resolves to ADDR (dnsmasq re-reads its hosts
# file on SIGHUP).
dns_name() {
	echo "$1 $NAME" >"$WORLD_DIR/dns.hosts"
	kill -HUP "$(pid_of dnsmasq)"
}
dns_drop() { nsx dns iptables -w -I INPUT -p udp --dport 53 -j DROP; }
dns_undrop() { nsx dns iptables -w -D INPUT -p udp --dport 53 -j DROP; }

# pub_moves ADDR: pub gets ADDR on its interface and sends from it (the old
# address stays; NAT-A drops what pub now sends to the old mappings).
pub_moves() {
	nsx pub ip addr add "$1/24" dev "$pubif" &&
	nsx pub ip route replace default via "$WORLD_PUB_GW" dev "$pubif" src "$1"
}

# pub_at ADDR: site-a lists one link to pub, up, at ADDR:4790.
pub_at() {
	pjson site-a neighbours | jq -e --arg a "$1:4790" \
	    '[ .[] | select(.name == "pub") ] | length == 1 and
	     .[0].state == "up" and .[0].addr == $a' >/dev/null
}

# log_since NAME LINE: NAME's log from line LINE on.
log_since() { tail -n +"$2" "$WORLD_DIR/$1.log"; }
log_lines() { wc -l <"$WORLD_DIR/$1.log"; }

# failed_since LINE: site-a's failed lookups of NAME (address kept) in its
# log from line LINE on; all_failed LINE N: at least N of them.
failed_since() {
	log_since site-a "$1" |
	    grep -c "neighbour 'pub': cannot resolve '$NAME': .*; keeping $WORLD_PUB_ADDR"
}
all_failed() { [ "$(failed_since "$1")" -ge "$2" ]; }

# ping_gap FROM_MS TO_MS FILE: the longest time (ms) between two replies in
# a "ping -D" output, over the replies around the window FROM..TO.
ping_gap() {
	awk -v from="$1" -v to="$2" '
	/bytes from/ {
		t = substr($1, 2, length($1) - 2) * 1000
		if (prev != "" && t >= from && prev <= to && t - prev > max)
			max = t - prev
		prev = t
	}
	END { printf "%d\n", max }' "$3"
}

echo "# world: dnsmasq at $DNS_ADDR, pub (0.0.0.0:4790), site-a (pub as $NAME), site-b (pub as $WORLD_PUB_ADDR) (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
make_certs "$WORLD_DIR/pki" || bail "certificates made"
pubif=$(nsx pub ip -o -4 addr show | awk '/203\.0\.113\.10\//{print $2}')

inet_host dns "$DNS_ADDR" || bail "namespace for the DNS server"
echo "$WORLD_PUB_ADDR $NAME" >"$WORLD_DIR/dns.hosts"
ns_bg dnsmasq dns dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --no-resolv --no-hosts --addn-hosts="$WORLD_DIR/dns.hosts" \
    --local=/dyn.test/ --listen-address="$DNS_ADDR" --bind-interfaces \
    --user=root --group=root --pid-file="$WORLD_DIR/dnsmasq.pid" \
    --log-queries --log-facility=- --local-ttl=0 ||
    bail "dnsmasq started"
wait_for 5 grep -q 'started' "$WORLD_DIR/dnsmasq.out"
ok $? "dnsmasq serves $NAME -> $WORLD_PUB_ADDR"

# site-a's resolver: its own /etc/resolv.conf, bind-mounted in the mount
# namespace "ip netns exec" gives it (so nothing on the host changes).
printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$DNS_ADDR" \
    >"$WORLD_DIR/resolv.conf"
cat >"$WORLD_DIR/with-resolv.sh" <<EOF
mount --bind "$WORLD_DIR/resolv.conf" /etc/resolv.conf && exec "\$@"
EOF

proxy_start pub pub "$(proxy_conf pub listen=0.0.0.0:4790)" ||
    bail "pub started"
proxy_start pxb site-b "$(proxy_conf_std site-b)" || bail "site-b started"

# ---- (a) no answer yet: the link waits idle, the daemon answers
dns_drop || bail "DNS queries dropped"
PROXYD_WRAPPER="sh $WORLD_DIR/with-resolv.sh" proxy_start pxa site-a \
    "$(proxy_conf_std site-a neighbours="pub@$NAME:4790" keepalive=5:5)" ||
    bail "site-a started"
sleep 5
st=$(neighbour_state site-a pub)
n=$(grep -c "neighbour 'pub': cannot resolve '$NAME'" "$WORLD_DIR/site-a.log")
h=$(grep -c "starting handshake" "$WORLD_DIR/site-a.log")
[ "$n" -ge 1 ] && [ "$h" = 0 ] && [ "$st" != up ] && [ "$st" != handshake ]
ok $? "(a) with DNS silent, site-a's link to pub waits idle (state '$st', $n failed lookups, $h handshakes)"
t0=$(now_ms)
pctl pxa "$(proxy_sock site-a)" status >/dev/null
rc=$? ms=$(( $(now_ms) - t0 ))
[ $rc = 0 ] && [ "$ms" -lt 1000 ]
ok $? "(a) meanwhile site-a's control socket answers ($ms ms)"
dns_undrop
t0=$(now_ms)
wait_for 20 neighbour_up site-a pub
ok $? "(a) once DNS answers, site-a links to pub ($(( $(now_ms) - t0 )) ms)"
grep -q "neighbour 'pub': '$NAME' resolves to $WORLD_PUB_ADDR" "$WORLD_DIR/site-a.log"
ok $? "(a) site-a logs what $NAME resolved to"
pub_at "$WORLD_PUB_ADDR"
ok $? "(a) site-a's link to pub is at $WORLD_PUB_ADDR:4790"

# ---- (b) a DNS outage while traffic flows
wait_for 20 neighbour_up site-b pub || bail "site-b links to pub"
wait_for 30 nsx hosta ping -n -q -c 1 -W 1 "$WORLD_B_HOST" ||
    bail "hosta pings hostb through the proxies"
NS_BG_OUT=$WORLD_DIR/ping.out ns_bg ping hosta ping -n -D -i 0.1 -W 1 "$WORLD_B_HOST"
sleep 2
line=$(( $(log_lines site-a) + 1 ))
dns_drop
out_from=$(now_ms)
pid_a=$(proxy_pid site-a)
for _ in $(seq 1 $((OUTAGE / 2))); do
	kill -HUP "$pid_a"
	sleep 2
done
out_to=$(now_ms)
sleep 1
ns_bg_stop ping
gap=$(ping_gap "$out_from" "$out_to" "$WORLD_DIR/ping.out")
replies=$(grep -c 'bytes from' "$WORLD_DIR/ping.out")
lookups=$(log_since site-a "$line" | grep -c "neighbour 'pub': looking up '$NAME'")
wait_for 5 all_failed "$line" "$lookups"	# the last may be in flight
fails=$(failed_since "$line")
echo "# (b) DNS outage of $(( (out_to - out_from) / 1000 )) s: $lookups lookups of $NAME, $fails failed; ping replies $replies; longest gap between replies in the outage: $gap ms"
[ "$fails" -ge 3 ]
ok $? "(b) during the outage site-a looked $NAME up again and the lookups failed ($lookups started, $fails failed, keeping the address)"
[ "$gap" -gt 0 ] && [ "$gap" -lt "$GAP_MAX" ]
ok $? "(b) the 10/s ping through the proxies shows no gap during the outage: longest $gap ms (bound $GAP_MAX ms)"
neighbour_up site-a pub
ok $? "(b) site-a's link to pub stayed up"
n=$(grep -c "looking up" "$WORLD_DIR/site-b.log")
[ "$n" = 0 ]
ok $? "(b) site-b, which names pub by its IP literal, never used DNS ($n lookups)"
dns_undrop

# ---- (c) pub moves; SIGHUP: the name is looked up, the link follows
line=$(( $(log_lines site-a) + 1 ))
pub_moves "$PUB_NEW" || bail "pub moves to $PUB_NEW"
dns_name "$PUB_NEW"
t0=$(now_ms)
kill -HUP "$pid_a"
wait_for 8 pub_at "$PUB_NEW"
ok $? "(c) after SIGHUP site-a's link to pub is up at $PUB_NEW:4790, alone ($(( $(now_ms) - t0 )) ms; the old link's dead time is 15 s)"
log_since site-a "$line" | grep -q "neighbour 'pub': '$NAME' now resolves to $PUB_NEW (was $WORLD_PUB_ADDR)"
ok $? "(c) site-a logs the change: $(log_since site-a "$line" | grep -m 1 -o "neighbour 'pub': '$NAME' now resolves.*")"
! log_since site-a "$line" | grep -q "link down: dead"
ok $? "(c) the new link took over before the old one was declared dead"

# ---- (d) pub moves again, no SIGHUP: the link fails and follows
line=$(( $(log_lines site-a) + 1 ))
pub_moves "$PUB_NEW2" || bail "pub moves to $PUB_NEW2"
dns_name "$PUB_NEW2"
t0=$(now_ms)
wait_for 40 pub_at "$PUB_NEW2"
ok $? "(d) site-a's link to pub is up at $PUB_NEW2:4790 ($(( $(now_ms) - t0 )) ms)"
log_since site-a "$line" | grep -q "link down: dead"
ok $? "(d) the old link failed first"
log_since site-a "$line" | grep -q "neighbour 'pub': '$NAME' now resolves to $PUB_NEW2 (was $PUB_NEW)"
ok $? "(d) site-a logs the change: $(log_since site-a "$line" | grep -m 1 -o "neighbour 'pub': '$NAME' now resolves.*")"

# ---- (e) stopping while a lookup is in flight (an ASan build checks for
# leaks and use after free; any build, for a clean and prompt exit)
line=$(( $(log_lines site-a) + 1 ))
dns_drop
kill -HUP "$pid_a"
wait_for 3 sh -c "tail -n +$line '$WORLD_DIR/site-a.log' | grep -q \"looking up '$NAME'\""
ok $? "(e) site-a has a lookup in flight"
proxy_stop site-a
st=$(cat "$WORLD_DIR/site-a.exit" 2>/dev/null)
[ "$st" = 0 ]
ok $? "(e) site-a stopped with a lookup in flight exits 0 (status $st)"
dns_undrop

t_summary
