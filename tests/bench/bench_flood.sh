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
# machine's scheduling, not the proxy's work); and how long SIGTERM takes.
# Numbers only; it judges nothing.  Knobs: BENCH_FLOOD_N (4094: with pub,
# site-a and flood the table is full), BENCH_FLOOD_RATE (advertisements per
# second from pxrogue, 0: as fast as it can; default 2000),
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
N=${BENCH_FLOOD_N:-4094}
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
for name in pub site-a; do
	proxy_conf_std "$name" log=info >/dev/null || bail "config $name"
	proxy_start "$(proxy_ns "$name")" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "$name started"
done
wait_for 30 neighbour_up site-a pub || bail "site-a linked to pub"
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

# status latency probes, one connection per proxy, until told to stop
for name in pub site-a; do
	nice -n "$NICE" python3 - "$(proxy_sock "$name")" "$WORLD_DIR/lat-$name" \
	    "${pid[$name]}" "$CTL_MAJOR" <<'EOF' &
import json, os, socket, sys, time
path, out, pid, major = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
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
lat = []
slow = []
i = 1
while not os.path.exists(out + ".stop"):
    c = cpu_ms()
    t = time.monotonic()
    req({"id": i, "cmd": "status"})
    d = (time.monotonic() - t) * 1000
    lat.append(d)
    if d > 100:
        slow.append("%s+%.0fms(cpu%.0fms)" % (time.strftime("%H:%M:%S"), d,
            cpu_ms() - c))
    i += 1
    time.sleep(0.02)
lat.sort()
with open(out, "w") as o:
    o.write("%d %.1f %.1f %.1f\n" % (len(lat), lat[len(lat) // 2],
        lat[int(len(lat) * 0.99)], lat[-1]))
with open(out + ".slow", "w") as o:
    o.write(" ".join(slow[:20]) + "\n")
EOF
	_pid_record "lat-$name" $! ""
done

if [ "${BENCH_FLOOD_PERF:-0}" = 1 ]; then
	perf record -q -g -o "${BENCH_FLOOD_PERF_OUT:-$WORLD_DIR/perf.data}" \
	    -p "${pid[pub]}" -- sleep 40 \
	    >/dev/null 2>&1 &
fi
t0=$(now_ms)
NS_BG_OUT=$WORLD_DIR/flood.out ns_bg pxrogue flood "$PXROGUE" -c "$conf_flood" \
    -n pub --raw 11 --bodies-file "$WORLD_DIR/flood.bin" --count "$N" \
    --rate "$RATE" --hold 2 --wait 20
settled() {	# site-a holds them all (or has stopped growing for 5 s)
	local n
	n=$(pstatus site-a proxies)
	[ "${n:-0}" -ge $((N + 2)) ] && return 0
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
printf '| proxy | proxies | routes | verified | rate | full | CPU s | RSS before MB | RSS after MB | RSS peak MB | status answers | median ms | p99 ms | worst ms |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for name in pub site-a; do
	p=${pid[$name]}
	c=$(( $(cpu_ticks "$p") - ${cpu0[$name]} ))
	read -r nlat med p99 worst <"$WORLD_DIR/lat-$name"
	printf '| %s | %s | %s | %s | %s | %s | %.2f | %.1f | %.1f | %.1f | %s | %s | %s | %s |\n' \
	    "$name" "$(pstatus "$name" proxies)" "$(pstatus "$name" routes)" \
	    "$(pstatus "$name" lsa_verified)" "$(pstatus "$name" lsa_rate)" \
	    "$(pstatus "$name" lsa_full)" "$(echo "$c / $hz" | bc -l)" \
	    "$(echo "${rss0[$name]} / 1024" | bc -l)" \
	    "$(echo "$(mem_kb "$p" VmRSS) / 1024" | bc -l)" \
	    "$(echo "$(mem_kb "$p" VmHWM) / 1024" | bc -l)" \
	    "$nlat" "$med" "$p99" "$worst"
done
for name in pub site-a; do
	echo "# $name: answers over 100 ms at $(cat "$WORLD_DIR/lat-$name.slow")"
	echo "# $name: UDP drops (kernel) $(nsx "$(proxy_ns "$name")" awk 'NR > 1 { d += $NF } END { print d + 0 }' /proc/net/udp)"
done
for name in site-a pub; do
	t=$(now_ms)
	proxy_stop "$name"
	echo "# $name: SIGTERM -> exit $(( $(now_ms) - t )) ms (status $(cat "$WORLD_DIR/$name.exit" 2>/dev/null))"
done
t_summary
