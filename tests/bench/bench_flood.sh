#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# make bench-flood (root): a proxy receiving 4096 origins' worth of
# advertisements from one neighbour.  The standard world's pub and site-a;
# tests/tools/pxrogue ("flood", a valid certificate) links to pub and sends
# what tests/tools/lsagen made: its own advertisement and N-1 more of
# origins f00000..., each with a certificate of the network's CA binding
# its one prefix, validly signed, all reachable through it (a tree of 64
# hubs).  pub receives them from its one neighbour "flood" and floods them
# on to site-a, whose one neighbour is pub.  Printed, for pub and site-a:
# CPU time used (user + system) and resident memory (now and peak) from
# before the flood until the topology has settled; the worst and median
# latency of a control-socket status request (hello once, then 'status'
# every 20 ms on one connection, timed from the request to the last line
# of the answer) throughout, and for each answer over 100 ms the CPU time
# the proxy used meanwhile (a slow answer with little CPU used is the
# machine's scheduling, not the proxy's work); the same for a whole
# 'proxyctl status' (a new process: connect, hello, status, exit) every
# 200 ms; both also for BENCH_FLOOD_IDLE seconds (5) before the flood, the
# baseline of the same machine in the same run.  SIGTERM during the flood:
# site-b, also pub's neighbour, receives the flood too and is stopped once
# it holds an eighth of it (its queue of advertisements waiting for their
# check is printed then); the time to its exit.  At the end, how long
# SIGTERM takes for site-a and pub.
# Numbers only; it judges nothing.  Knobs: BENCH_FLOOD_N (4093: with pub,
# site-a and site-b the table is full), BENCH_FLOOD_RATE (advertisements per
# second from pxrogue, 0: as fast as it can; default 2000),
# BENCH_FLOOD_IDLE (5 s of baseline before the flood),
# BENCH_FLOOD_NICE (-15: the proxies and the probes run at this niceness,
# so that other work on a shared machine stays out of the latencies),
# BENCH_FLOOD_PERF=1 (perf record pub meanwhile, into WORLD_DIR).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3
: "${PXROGUE:=$top_builddir/tests/tools/pxrogue}"
: "${LSAGEN:=$top_builddir/tests/tools/lsagen}"
N=${BENCH_FLOOD_N:-4093}
RATE=${BENCH_FLOOD_RATE:-2000}
FLOOD_ADDR=203.0.113.77

e2e_traps
NICE=${BENCH_FLOOD_NICE:--15}
export PROXYD_WRAPPER="nice -n $NICE"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
mem_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

world_up || bail "world up"
[ -x "$PXROGUE" ] && [ -x "$LSAGEN" ] || bail "pxrogue and lsagen built (make check)"
make_certs "$WORLD_DIR/pki" flood || bail "certificates"
for name in pub site-a site-b; do
	proxy_conf_std "$name" log=info >/dev/null || bail "config $name"
	proxy_start "$(proxy_ns "$name")" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "$name started"
done
wait_for 30 neighbour_up site-a pub || bail "site-a linked to pub"
wait_for 30 neighbour_up site-b pub || bail "site-b linked to pub"
wait_for 10 has_route pub "$WORLD_A_LAN"
echo "# before: pub routes $(pstatus pub routes), site-a routes $(pstatus site-a routes)"
t0=$(now_ms)
"$LSAGEN" --flood "$N" --ca "$WORLD_DIR/pki/ca.crt" --ca-key "$WORLD_DIR/pki/ca.key" \
    -c "$WORLD_DIR/pki/flood.crt" -k "$WORLD_DIR/pki/flood.key" -o flood \
    -l pub -O "$WORLD_DIR/flood.bin" || bail "advertisements made"
echo "# lsagen: $N signed advertisements ($(stat -c %s "$WORLD_DIR/flood.bin") bytes) in $(( $(now_ms) - t0 )) ms"
inet_host flood "$FLOOD_ADDR" || bail "internet host"
conf_flood=$(proxy_conf flood listen="$FLOOD_ADDR:$WORLD_PUB_PORT" \
    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" tun=no) || bail "flood's configuration"

declare -A pid cpu0 rss0
for name in pub site-a; do
	pid[$name]=$(proxy_pid "$name")
	cpu0[$name]=$(cpu_ticks "${pid[$name]}")
	rss0[$name]=$(mem_kb "${pid[$name]}" VmRSS)
done
hz=$(getconf CLK_TCK)
# the control protocol's major version, as proxyctl speaks it
CTL_MAJOR=$(awk '$2 == "CTL_PROTO_MAJOR" { print $3 }' "$top_srcdir/lib/ctl.h")

# status latency probes, one connection per proxy, until told to stop;
# answers before the file .flood exists count as the idle baseline
for name in pub site-a; do
	nice -n "$NICE" python3 - "$(proxy_sock "$name")" "$WORLD_DIR/lat-$name" \
	    "${pid[$name]}" "$CTL_MAJOR" "$PROXYCTL" <<'EOF' &
import json, os, socket, subprocess, sys, time
path, out, pid, major, proxyctl = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), sys.argv[5]
hz = os.sysconf("SC_CLK_TCK")
def cpu_ms():
    with open("/proc/%s/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) * 1000 / hz
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
f = s.makefile("rwb", buffering=0)
def req(obj):
    f.write((json.dumps(obj) + "\n").encode())
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("closed")
        m = json.loads(line)
        if m.get("id") == obj["id"] and ("end" in m or "ok" in m):
            return
req({"id": 0, "cmd": "hello", "v": [major, 0], "client": "bench_flood"})
lat = {"idle": [], "flood": []}
ctl = {"idle": [], "flood": []}
slow = []
i = 1
next_ctl = 0
while not os.path.exists(out + ".stop"):
    phase = "flood" if os.path.exists(out + ".flood") else "idle"
    c = cpu_ms()
    t = time.monotonic()
    req({"id": i, "cmd": "status"})
    d = (time.monotonic() - t) * 1000
    lat[phase].append(d)
    if d > 100 and phase == "flood":
        slow.append((d, "%s+%.0fms(cpu%.0fms)" % (time.strftime("%H:%M:%S"),
            d, cpu_ms() - c)))
    i += 1
    if time.monotonic() >= next_ctl:
        t = time.monotonic()
        subprocess.run([proxyctl, "-s", path, "status"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        ctl[phase].append((time.monotonic() - t) * 1000)
        next_ctl = time.monotonic() + 0.2
    time.sleep(0.02)
def stats(v):
    v = sorted(v)
    if not v:
        return "0 - - -"
    return "%d %.1f %.1f %.1f" % (len(v), v[len(v) // 2],
        v[min(len(v) - 1, int(len(v) * 0.99))], v[-1])
with open(out, "w") as o:
    for k in ("idle", "flood"):
        o.write("%s %s %s\n" % (k, stats(lat[k]), stats(ctl[k])))
with open(out + ".slow", "w") as o:
    o.write(" ".join(x[1] for x in sorted(slow, reverse=True)[:12]) + "\n")
EOF
	_pid_record "lat-$name" $! ""
done
sleep "${BENCH_FLOOD_IDLE:-5}"
touch "$WORLD_DIR/lat-pub.flood" "$WORLD_DIR/lat-site-a.flood"

if [ "${BENCH_FLOOD_PERF:-0}" = 1 ]; then
	perf record -q -g -o "${BENCH_FLOOD_PERF_OUT:-$WORLD_DIR/perf.data}" \
	    -p "${pid[pub]}" -- sleep 40 \
	    >/dev/null 2>&1 &
fi
t0=$(now_ms)
NS_BG_OUT=$WORLD_DIR/flood.out ns_bg pxrogue flood "$PXROGUE" -c "$conf_flood" \
    -n pub --raw 11 --bodies-file "$WORLD_DIR/flood.bin" --count "$N" \
    --rate "$RATE" --hold 2 --wait 20
b_stopped=''
stop_b() {	# SIGTERM to site-b once it holds an eighth of the flood
	local n q
	n=$(pstatus site-b proxies)
	[ "${n:-0}" -ge $((N / 8)) ] || return 0
	q=$(pstatus site-b lsa_queue)
	proxy_stop site-b	# world.sh times it: _STOP_MS
	b_stopped="SIGTERM during the flood (site-b holding $n of $((N + 3)) proxies, $q advertisements waiting for their check): exit after $_STOP_MS ms ($_STOP_HOW)"
}
settled() {	# site-a holds them all (or has stopped growing for 5 s)
	local n
	[ -n "$b_stopped" ] || stop_b
	n=$(pstatus site-a proxies)
	[ "${n:-0}" -ge $((N + 3)) ] && return 0
	if [ "${n:-0}" = "${last_n:-}" ]; then
		[ $(( $(now_ms) - last_t )) -ge 5000 ]
		return
	fi
	last_n=$n last_t=$(now_ms)
	return 1
}
last_n='' last_t=$(now_ms)
wait_for 120 settled
t_settle=$(( $(now_ms) - t0 ))
ns_bg_wait pxrogue 60
sleep 2
touch "$WORLD_DIR/lat-pub.stop" "$WORLD_DIR/lat-site-a.stop"
for name in pub site-a; do ns_bg_wait "lat-$name" 10; done

echo "# pxrogue: $(tr '\n' ';' <"$WORLD_DIR/flood.out")"
echo "# settled after $t_settle ms (site-a holds $(pstatus site-a proxies) proxies)"
echo "# site-b: ${b_stopped:-not stopped during the flood (it never held a quarter of it)}"
printf '| proxy | proxies | verified | rate | full | queue peak | queue dropped | CPU s | RSS before MB | RSS after MB | RSS peak MB |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for name in pub site-a; do
	p=${pid[$name]}
	c=$(( $(cpu_ticks "$p") - ${cpu0[$name]} ))
	printf '| %s | %s | %s | %s | %s | %s | %s | %.2f | %.1f | %.1f | %.1f |\n' \
	    "$name" "$(pstatus "$name" proxies)" \
	    "$(pstatus "$name" lsa_verified)" "$(pstatus "$name" lsa_rate)" \
	    "$(pstatus "$name" lsa_full)" "$(pstatus "$name" lsa_queue_peak)" \
	    "$(pstatus "$name" lsa_queue_dropped)" "$(echo "$c / $hz" | bc -l)" \
	    "$(echo "${rss0[$name]} / 1024" | bc -l)" \
	    "$(echo "$(mem_kb "$p" VmRSS) / 1024" | bc -l)" \
	    "$(echo "$(mem_kb "$p" VmHWM) / 1024" | bc -l)"
done
echo
echo "# status latency, ms: a request on an open control connection every 20 ms, and a whole 'proxyctl status' every 200 ms; idle: the ${BENCH_FLOOD_IDLE:-5} s before the flood (same run)"
printf '| proxy | phase | requests | median | p99 | worst | proxyctl runs | median | p99 | worst |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for name in pub site-a; do
	while read -r phase n1 m1 p1 w1 n2 m2 p2 w2; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		    "$name" "$phase" "$n1" "$m1" "$p1" "$w1" "$n2" "$m2" "$p2" "$w2"
	done <"$WORLD_DIR/lat-$name"
done
for name in pub site-a; do
	echo "# $name: the slowest answers over 100 ms, and the proxy's CPU meanwhile: $(cat "$WORLD_DIR/lat-$name.slow")"
	echo "# $name: UDP drops (kernel) $(nsx "$(proxy_ns "$name")" awk 'NR > 1 { d += $NF } END { print d + 0 }' /proc/net/udp)"
done
for name in site-a pub; do
	proxy_stop "$name"
	echo "# $name: SIGTERM -> exit $_STOP_MS ms ($_STOP_HOW, status $(cat "$WORLD_DIR/$name.exit" 2>/dev/null))"
done
t_summary
