#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: the Prometheus metrics endpoint (metrics = "...") of real proxies,
# read by promtool and by a real Prometheus server.
#  1. pub (metrics on its public address, given explicitly) and site-a
#     (metrics = "9476": the loopback address) link up.
#  2. Each scrape of GET /metrics is 200 with the text format's content
#     type, and `promtool check metrics` finds nothing wrong in it (syntax
#     and naming lint); the values agree with the world (site-a's link to
#     pub up, its RTT measured, build info); a junk datagram sent to pub
#     shows in its malformed-drop counter.
#  3. Anything but GET/HEAD of /metrics: 404 for another path, 405 (with
#     Allow) for POST; site-a's endpoint is not reachable from its LAN.
#  4. A Prometheus server in site-a's namespace (temporary storage, scrape
#     every second) scrapes both proxies: both targets are healthy, and
#     PromQL through its HTTP API finds proxyd_link_up{peer="pub"} == 1,
#     pub's link to site-a up and pub's malformed drops >= 1.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq curl promtool prometheus

e2e_traps

PORT=9476
PROM=127.0.0.1:9090
PUB_METRICS=$WORLD_PUB_ADDR:$PORT

world_up || bail "world up"
make_certs "$WORLD_DIR/pki" || bail "certificates"
conf=$(proxy_conf_std pub extra="metrics = \"$PUB_METRICS\";") &&
    proxy_start pub pub "$conf" || bail "pub starts"
conf=$(proxy_conf_std site-a extra="metrics = \"$PORT\";") &&
    proxy_start pxa site-a "$conf" || bail "site-a starts"
check "site-a links to pub" wait_for 20 neighbour_up site-a pub

# scrape SHORT URL NAME: GET URL from namespace SHORT into
# $WORLD_DIR/NAME.prom (headers in NAME.hdr); fails unless 200.
scrape() {
	nsx "$1" curl -sS --max-time 5 -D "$WORLD_DIR/$3.hdr" \
	    -o "$WORLD_DIR/$3.prom" -w '%{http_code}' "$2" 2>/dev/null |
	    grep -qx 200
}

# promtool_ok NAME: `promtool check metrics` on NAME.prom says nothing and
# exits 0 (it exits non-zero on a syntax error or a lint problem).
promtool_ok() {
	local out rc
	out=$(promtool check metrics <"$WORLD_DIR/$1.prom" 2>&1)
	rc=$?
	[ -z "$out" ] && [ "$rc" = 0 ] && return 0
	echo "# promtool check metrics on $1 (exit $rc):"
	sed 's/^/#   /' <<<"$out"
	return 1
}

# has_sample NAME REGEX: a sample line of NAME.prom matches ^REGEX$.
has_sample() { grep -qE "^$2\$" "$WORLD_DIR/$1.prom"; }

# the value of one sample line (name and labels as written)
sample_value() {
	awk -v s="$2" '$1 == s { print $2 }' "$WORLD_DIR/$1.prom"
}

rtt_measured() {
	scrape pxa "http://127.0.0.1:$PORT/metrics" site-a &&
	    has_sample site-a 'proxyd_link_rtt_seconds\{peer="pub"\} [0-9.e+-]+'
}

check "site-a's RTT to pub is measured (keepalives)" wait_for 15 rtt_measured
check "site-a: GET /metrics is 200" \
    scrape pxa "http://127.0.0.1:$PORT/metrics" site-a
check "site-a: the content type is the text format 0.0.4" \
    grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' \
    "$WORLD_DIR/site-a.hdr"
check "site-a: promtool check metrics passes" promtool_ok site-a
check "site-a: proxyd_link_up{peer=\"pub\"} 1" \
    has_sample site-a 'proxyd_link_up\{peer="pub"\} 1'
check "site-a: the link's state set says up" \
    has_sample site-a 'proxyd_link_state\{peer="pub",state="up"\} 1'
check "site-a: build info" \
    has_sample site-a 'proxyd_build_info\{version="[^"]+"\} 1'
check "site-a: keepalive interval in seconds" \
    has_sample site-a 'proxyd_link_keepalive_interval_seconds\{peer="pub"\} [0-9]+'
check "site-a: a packet counter of the link" \
    has_sample site-a 'proxyd_link_receive_packets_total\{peer="pub"\} [1-9][0-9]*'
check "site-a: the link's bytes each way" \
    has_sample site-a 'proxyd_link_(receive|transmit)_bytes_total\{peer="pub"\} [1-9][0-9]*'
check "site-a: the drop counter, by reason" \
    has_sample site-a 'proxyd_drops_total\{reason="malformed"\} [0-9]+'
check "site-a: ICMPv6 Packet Too Big counter" \
    has_sample site-a 'proxyd_icmp6_packet_too_big_sent_total [0-9]+'
# the topology (pub's advertisement) may come a moment after the link
pub_one_hop() {
	scrape pxa "http://127.0.0.1:$PORT/metrics" site-a &&
	    has_sample site-a 'proxyd_destination_hops\{dest="pub"\} 1'
}
check "site-a: pub is one hop away" wait_for 10 pub_one_hop
n_reasons=$(grep -c '^proxyd_drops_total{' "$WORLD_DIR/site-a.prom")
# nat_measured: site-a's NAT type toward pub is one measured type
nat_measured() {
	scrape pxa "http://127.0.0.1:$PORT/metrics" site-a &&
	    [ "$(grep -c '^proxyd_link_nat_type{peer="pub",type="[a-z-]*"} 1$' \
	    "$WORLD_DIR/site-a.prom")" = 1 ] &&
	    ! has_sample site-a 'proxyd_link_nat_type\{peer="pub",type="unknown"\} 1'
}
check "site-a: its NAT type toward pub is measured ($(
    wait_for 20 nat_measured; sed -n 's/^proxyd_link_nat_type{peer="pub",type="\([a-z-]*\)"} 1$/\1/p' \
    "$WORLD_DIR/site-a.prom"))" nat_measured
check "site-a: promtool check metrics passes after the NAT trials" \
    promtool_ok site-a

# pub, on an address given explicitly, read from site-a across the NAT
check "pub: GET /metrics on $PUB_METRICS (from site-a) is 200" \
    scrape pxa "http://$PUB_METRICS/metrics" pub
check "pub: promtool check metrics passes" promtool_ok pub
check "pub: proxyd_link_up{peer=\"site-a\"} 1" \
    has_sample pub 'proxyd_link_up\{peer="site-a"\} 1'
before=$(sample_value pub 'proxyd_drops_total{reason="malformed"}')
for _ in 1 2 3; do
	nsx pxa bash -c "printf 'junk' >/dev/udp/$WORLD_PUB_ADDR/$WORLD_PUB_PORT"
done
malformed_grew() {
	scrape pxa "http://$PUB_METRICS/metrics" pub || return 1
	[ "$(sample_value pub 'proxyd_drops_total{reason="malformed"}')" -gt \
	    "${before:-0}" ]
}
check "pub: junk datagrams show in proxyd_drops_total{reason=\"malformed\"} (was ${before:-none})" \
    wait_for 5 malformed_grew

# http_code SHORT CURL-ARGS...: the status code only
http_code() {
	local short=$1
	shift
	nsx "$short" curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@"
}
check "site-a: GET / is 404" \
    test "$(http_code pxa "http://127.0.0.1:$PORT/")" = 404
post_405() {
	local h
	h=$(nsx pxa curl -s --max-time 5 -D - -o /dev/null -X POST \
	    "http://127.0.0.1:$PORT/metrics" | tr -d '\r')
	grep -q '^HTTP/1.1 405 ' <<<"$h" && grep -qx 'Allow: GET, HEAD' <<<"$h"
}
check "site-a: POST /metrics is 405 with Allow: GET, HEAD" post_405
check "site-a: HEAD /metrics is 200" \
    test "$(http_code pxa -I "http://127.0.0.1:$PORT/metrics")" = 200
check "site-a's metrics are not reachable from its LAN (loopback only)" \
    test "$(http_code hosta "http://$WORLD_A_PX:$PORT/metrics")" = 000

# ---- a real Prometheus server in site-a's namespace

mkdir -p "$WORLD_DIR/prom-data" || bail "prometheus storage"
cat >"$WORLD_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: proxyd
    static_configs:
      - targets: ['127.0.0.1:$PORT', '$PUB_METRICS']
EOF
check "promtool check config passes" \
    promtool check config "$WORLD_DIR/prometheus.yml" >/dev/null
ns_bg prometheus pxa prometheus \
    --config.file="$WORLD_DIR/prometheus.yml" \
    --storage.tsdb.path="$WORLD_DIR/prom-data" \
    --web.listen-address="$PROM" --log.level=warn
check "prometheus is ready" wait_for 30 \
    nsx pxa curl -sf --max-time 2 "http://$PROM/-/ready"

# query PROMQL: the result vector of an instant query, as JSON
query() {
	nsx pxa curl -sfG --max-time 5 "http://$PROM/api/v1/query" \
	    --data-urlencode "query=$1" | jq -c '.data.result'
}
# query_is PROMQL JQ: the query's result satisfies the jq condition
query_is() { query "$1" | jq -e "$2" >/dev/null; }

targets_up() {
	nsx pxa curl -sf --max-time 5 "http://$PROM/api/v1/targets" |
	    jq -e '[.data.activeTargets[] | select(.health == "up" and
		.lastError == "")] | length == 2' >/dev/null
}
check "prometheus scrapes both proxies without error" wait_for 30 targets_up
check "PromQL: proxyd_link_up{peer=\"pub\"} == 1 (site-a)" wait_for 20 \
    query_is 'proxyd_link_up{peer="pub"} == 1' \
    'length == 1 and .[0].metric.instance == "127.0.0.1:'"$PORT"'"'
check "PromQL: proxyd_link_up{peer=\"site-a\"} == 1 (pub)" wait_for 20 \
    query_is 'proxyd_link_up{peer="site-a"} == 1' 'length == 1'
check "PromQL: pub's malformed drops >= 1" wait_for 20 \
    query_is "proxyd_drops_total{instance=\"$PUB_METRICS\",reason=\"malformed\"} >= 1" \
    'length == 1'
check "PromQL: all $n_reasons drop reasons of both proxies are there" \
    wait_for 20 query_is 'count by (instance) (proxyd_drops_total)' \
    "length == 2 and all(.[]; .value[1] == \"$n_reasons\")"
query 'proxyd_link_rtt_seconds' | sed 's/^/# rtt: /'
ns_bg_stop prometheus

t_summary
