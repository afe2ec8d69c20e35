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
# and the run-queue wait (/proc/PID/schedstat: runnable, but no CPU) of the
# proxy meanwhile, and the probe client's own run-queue wait; the same for
# a whole 'proxyctl status' (a new process: connect, hello, status, exit)
# every 200 ms; both also for BENCH_FLOOD_IDLE seconds (5) before the
# flood, the baseline of the same machine in the same run.  Beside them,
# from the same status answers, the proxy's own event loop (its 50 ms
# probe timer's lag and the run-queue wait in that interval; the longest
# piece of work it timed), and per phase its CPU and run-queue wait, and
# the load average: so a slow answer can be put on the proxy's loop or on
# the machine.  SIGTERM under load, timed to the exit with a pidfd:
# site-b, also pub's neighbour, receives the flood too and is stopped once
# it holds an eighth of it; then it is started again and stopped the same
# way while it receives pub's database (BENCH_FLOOD_STOPS runs in all, 5);
# the median and each run with the proxy's own account of its stop (its
# log).  At the end, SIGTERM to site-a and pub.
# Numbers only; it judges nothing.  Knobs: BENCH_FLOOD_N (4093: with pub,
# site-a and site-b the table is full), BENCH_FLOOD_RATE (advertisements per
# second from pxrogue, 0: as fast as it can; default 2000),
# BENCH_FLOOD_IDLE (5 s of baseline before the flood),
# BENCH_FLOOD_STOPS (5 SIGTERMs under load),
# BENCH_FLOOD_NICE (-15: the proxies and the probes run at this niceness,
# so that other work on a shared machine stays out of the latencies),
# BENCH_FLOOD_AUTOGROUP=1 (this run's own session and autogroup, at that
# niceness too: see below),
# BENCH_FLOOD_PERF=1 (perf record pub, or BENCH_FLOOD_PERF_PROXY, meanwhile,
# into WORLD_DIR or BENCH_FLOOD_PERF_OUT).

set -u
# BENCH_FLOOD_AUTOGROUP=1: in a session of its own, whose autogroup gets
# niceness BENCH_FLOOD_NICE too (see below).
if [ "${BENCH_FLOOD_AUTOGROUP:-0}" = 1 ] && [ -z "${_BENCH_FLOOD_SETSID:-}" ]; then
	exec env _BENCH_FLOOD_SETSID=1 setsid -w bash "$0" "$@"
fi
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
# With the kernel's autogroups on (/proc/sys/kernel/sched_autogroup_enabled),
# niceness orders processes within one session only: against other
# sessions' work the proxies get their session's share whatever their
# niceness.  BENCH_FLOOD_AUTOGROUP=1 gives this run's session (its own, by
# setsid above) the niceness too; off by default, as it takes CPU from
# everyone else's work on a shared machine while it runs.
AUTOGROUP="off ($(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo '?') = autogroups enabled; the proxies' niceness counts within this session only)"
if [ -n "${_BENCH_FLOOD_SETSID:-}" ]; then
	echo "$NICE" >/proc/self/autogroup && AUTOGROUP="on: $(cat /proc/self/autogroup)"
fi

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
mem_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
runq_ns() { awk '{ print $2 }' "/proc/$1/schedstat"; }
# stop_timed NAME: SIGTERM to the proxy, timed to its exit with a pidfd
# (not the world's 50 ms polling): _STOP_PRECISE (ms); then reaped.
stop_timed() {
	local p
	p=$(proxy_pid "$1") || { _STOP_PRECISE=-; return; }
	_STOP_PRECISE=$(python3 - "$p" <<'PYEOF'
import os, select, signal, sys, time
p = int(sys.argv[1])
fd = os.pidfd_open(p)
t = time.monotonic()
os.kill(p, signal.SIGTERM)
r = select.select([fd], [], [], 5)[0]
print("%.1f" % ((time.monotonic() - t) * 1000) if r else "over-5000")
PYEOF
)
	proxy_stop "$1"
}
# stop_line NAME: the proxy's own account of its last stop (its log)
stop_line() {
	grep -o 'stopped in .*' "$WORLD_DIR/$1.log" | tail -n 1
}

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
def runq_ms(p):	# run-queue wait so far (schedstat's second field)
    with open("/proc/%s/schedstat" % p) as f:
        return int(f.read().split()[1]) / 1e6
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
f = s.makefile("rwb", buffering=0)
def req(obj):
    row = None
    f.write((json.dumps(obj) + "\n").encode())
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("closed")
        m = json.loads(line)
        if m.get("id") == obj["id"] and "row" in m:
            row = m["row"]
        if m.get("id") == obj["id"] and ("end" in m or "ok" in m):
            return row
req({"id": 0, "cmd": "hello", "v": [major, 0], "client": "bench_flood"})
P = ("idle", "flood")
lat = {k: [] for k in P}
ctl = {k: [] for k in P}
lagmax = {k: [] for k in P}	# the proxy's own loop_lag_max_ms, per answer
lagp99 = {k: [] for k in P}
work = {k: (0.0, 0.0, "-") for k in P}	# longest: wall, its CPU, kind
wcpu = {k: (0.0, "-") for k in P}	# most CPU in one piece, kind
laglong = {k: (0.0, 0.0) for k in P}	# worst lag, its run-queue wait
rq = {k: [0.0, 0.0, 0.0, 0.0] for k in P}	# proxy runq, time, probe runq, n
slow = []
i = 1
next_ctl = 0
while not os.path.exists(out + ".stop"):
    phase = "flood" if os.path.exists(out + ".flood") else "idle"
    c, r, me = cpu_ms(), runq_ms(pid), runq_ms("self")
    t = time.monotonic()
    row = req({"id": i, "cmd": "status"}) or {}
    d = (time.monotonic() - t) * 1000
    dr, dme = runq_ms(pid) - r, runq_ms("self") - me
    lat[phase].append(d)
    rq[phase][0] += dr
    rq[phase][1] += d
    rq[phase][2] += dme
    if row.get("loop_lag_max_ms") is not None:
        lagmax[phase].append(row["loop_lag_max_ms"])
        lagp99[phase].append(row["loop_lag_p99_ms"])
        if row["loop_lag_max_ms"] > laglong[phase][0]:
            laglong[phase] = (row["loop_lag_max_ms"],
                row.get("loop_lag_max_runq_ms") or 0.0)
        if (row.get("loop_work_max_ms") or 0) > work[phase][0]:
            work[phase] = (row["loop_work_max_ms"],
                row.get("loop_work_max_cpu_ms") or 0.0, row["loop_work_max"])
        if (row.get("loop_work_cpu_max_ms") or 0) > wcpu[phase][0]:
            wcpu[phase] = (row["loop_work_cpu_max_ms"],
                row["loop_work_cpu_max"])
    if d > 100:
        slow.append((d, "%s+%.0fms(cpu%.0f,runq%.0f,probe-runq%.0f,lag%.0f)"
            % (time.strftime("%H:%M:%S"), d, cpu_ms() - c, dr, dme,
            row.get("loop_lag_max_ms") or -1), phase))
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
def mx(v):
    return "%.1f" % max(v) if v else "-"
with open(out, "w") as o:
    for k in P:
        o.write("%s %s %s\n" % (k, stats(lat[k]), stats(ctl[k])))
with open(out + ".lag", "w") as o:
    for k in P:
        # phase, worst loop lag (10 s windows) and its run-queue wait, the
        # highest p99, the longest timed work (its CPU, its kind), the
        # most CPU one piece took (its kind), the proxy's run-queue wait
        # during the requests / their total time, the probe's own
        # run-queue wait during them
        o.write("%s %s %.1f %s %.1f %.1f %s %.1f %s %.0f %.0f %.0f\n" % (k,
            mx(lagmax[k]), laglong[k][1], mx(lagp99[k]), work[k][0],
            work[k][1], work[k][2], wcpu[k][0], wcpu[k][1], rq[k][0],
            rq[k][1], rq[k][2]))
with open(out + ".slow", "w") as o:
    for k in P:
        o.write("%s %s\n" % (k, " ".join(x[1] for x in sorted(
            [y for y in slow if y[2] == k], reverse=True)[:10]) or "none"))
EOF
	_pid_record "lat-$name" $! ""
done
# the whole phase, per proxy: CPU and run-queue wait (schedstat)
declare -A ph_t ph_cpu ph_rq
phase_mark() {	# PHASE: the clock, CPU and run-queue wait of each proxy now
	local name
	for name in pub site-a; do
		ph_t[$1:$name]=$(now_ms)
		ph_cpu[$1:$name]=$(cpu_ticks "${pid[$name]}")
		ph_rq[$1:$name]=$(runq_ns "${pid[$name]}")
	done
	ph_load[$1]=$(cut -d' ' -f1-3 /proc/loadavg)
}
declare -A ph_load
phase_mark idle
sleep "${BENCH_FLOOD_IDLE:-5}"
phase_mark flood
touch "$WORLD_DIR/lat-pub.flood" "$WORLD_DIR/lat-site-a.flood"

if [ "${BENCH_FLOOD_PERF:-0}" = 1 ]; then
	perf record -q -g -o "${BENCH_FLOOD_PERF_OUT:-$WORLD_DIR/perf.data}" \
	    -p "${pid[${BENCH_FLOOD_PERF_PROXY:-pub}]}" -- sleep 40 \
	    >/dev/null 2>&1 &
fi
t0=$(now_ms)
NS_BG_OUT=$WORLD_DIR/flood.out ns_bg pxrogue flood "$PXROGUE" -c "$conf_flood" \
    -n pub --raw 11 --bodies-file "$WORLD_DIR/flood.bin" --count "$N" \
    --rate "$RATE" --hold 2 --wait 20
load_peak=0
stops=()
stop_notes=()
b_held() {	# site-b holds an eighth of the flood
	local n
	n=$(pstatus site-b proxies)
	[ "${n:-0}" -ge $(( (N + 3) / 8 )) ]
}
stop_b() {	# SIGTERM to site-b, timed
	local n q
	n=$(pstatus site-b proxies) q=$(pstatus site-b lsa_queue)
	stop_timed site-b
	stops+=("$_STOP_PRECISE")
	stop_notes+=("$1: ${_STOP_PRECISE} ms (held $n of $((N + 3)), $q waiting for their check; its own account: $(stop_line site-b))")
}
settled() {	# site-a holds them all (or has stopped growing for 5 s)
	local n l
	# the first SIGTERM: site-b, also pub's neighbour, receives the
	# flood too, and is stopped once it holds an eighth of it
	[ "${#stops[@]}" -gt 0 ] || ! b_held || stop_b "during pxrogue's flood"
	l=$(cut -d' ' -f1 /proc/loadavg)
	load_peak=$(awk -v a="$l" -v b="$load_peak" 'BEGIN { print (a > b) ? a : b }')
	n=$(pstatus site-a proxies)
	[ "${n:-0}" -gt "$n_max" ] && n_max=$n
	[ "${n:-0}" -ge $((N + 3)) ] && return 0
	if [ "${n:-0}" = "${last_n:-}" ]; then
		[ $(( $(now_ms) - last_t )) -ge 5000 ]
		return
	fi
	last_n=$n last_t=$(now_ms)
	return 1
}
last_n='' last_t=$(now_ms) n_max=0
wait_for 120 settled
t_settle=$(( $(now_ms) - t0 ))
phase_mark end
declare -A held
for name in pub site-a; do
	for f in proxies lsa_verified lsa_rate lsa_full lsa_queue_peak lsa_queue_dropped; do
		held[$name:$f]=$(pstatus "$name" "$f")
	done
	held[$name:cpu]=$(cpu_ticks "${pid[$name]}")
	held[$name:rss]=$(mem_kb "${pid[$name]}" VmRSS)
	held[$name:hwm]=$(mem_kb "${pid[$name]}" VmHWM)
done
ns_bg_wait pxrogue 60
sleep 2
touch "$WORLD_DIR/lat-pub.stop" "$WORLD_DIR/lat-site-a.stop"
for name in pub site-a; do ns_bg_wait "lat-$name" 10; done

# More SIGTERMs under load, to BENCH_FLOOD_STOPS (5) in all: site-b is
# started again, pub hands it its whole database at link-up (4,096 signed
# origins: a flood of its own), and it gets SIGTERM once it holds an
# eighth of them (or 10 s after the link came up), while it checks
# signatures and installs routes.
[ "${#stops[@]}" -gt 0 ] || stop_b "after the flood (it never held an eighth during it)"
while [ "${#stops[@]}" -lt "${BENCH_FLOOD_STOPS:-5}" ]; do
	proxy_start "$(proxy_ns site-b)" site-b "$WORLD_DIR/site-b.conf" ||
	    bail "site-b restarted"
	wait_for 30 neighbour_up site-b pub || bail "site-b linked to pub again"
	wait_for 10 b_held
	stop_b "restarted, receiving pub's database"
done

echo "# pxrogue: $(tr '\n' ';' <"$WORLD_DIR/flood.out")"
echo "# settled after $t_settle ms (site-a held ${held[site-a:proxies]} proxies then, at most $n_max); the table's figures are from then"
echo "# niceness $NICE; autogroup $AUTOGROUP"
echo "# load average (1, 5, 15 min): idle start ${ph_load[idle]}; flood start ${ph_load[flood]}; settled ${ph_load[end]}; highest 1-min seen during the flood $load_peak"
printf '| proxy | proxies | verified | rate | full | queue peak | queue dropped | CPU s | RSS before MB | RSS after MB | RSS peak MB |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for name in pub site-a; do
	printf '| %s | %s | %s | %s | %s | %s | %s | %.2f | %.1f | %.1f | %.1f |\n' \
	    "$name" "${held[$name:proxies]}" "${held[$name:lsa_verified]}" \
	    "${held[$name:lsa_rate]}" "${held[$name:lsa_full]}" \
	    "${held[$name:lsa_queue_peak]}" "${held[$name:lsa_queue_dropped]}" \
	    "$(echo "(${held[$name:cpu]} - ${cpu0[$name]}) / $hz" | bc -l)" \
	    "$(echo "${rss0[$name]} / 1024" | bc -l)" \
	    "$(echo "${held[$name:rss]} / 1024" | bc -l)" \
	    "$(echo "${held[$name:hwm]} / 1024" | bc -l)"
done
echo
echo "# status latency, ms: a request on an open control connection every 20 ms, and a whole 'proxyctl status' every 200 ms; idle: the ${BENCH_FLOOD_IDLE:-5} s before the flood (same run); flood: until site-a settled, and 2 s more"
printf '| proxy | phase | requests | median | p99 | worst | proxyctl runs | median | p99 | worst |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for name in pub site-a; do
	while read -r phase n1 m1 p1 w1 n2 m2 p2 w2; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		    "$name" "$phase" "$n1" "$m1" "$p1" "$w1" "$n2" "$m2" "$p2" "$w2"
	done <"$WORLD_DIR/lat-$name"
done
echo
echo "# the same run, the proxy's own event loop (proxyctl status, 10 s windows) beside the machine: loop lag = how late its 50 ms probe timer fired (nothing could be served meanwhile), with the run-queue wait in that interval; work = the longest piece of work it timed itself; run-queue wait = time the proxy was runnable but got no CPU (/proc/PID/schedstat), over the whole phase and during the status requests, and the probe client's own"
printf '| proxy | phase | loop lag worst ms | its run-queue wait ms | loop lag p99 ms (worst window) | longest work ms (its CPU ms, kind) | most CPU in one piece ms (kind) | CPU s | phase s | run-queue wait ms (phase) | during requests: proxy run-queue wait ms / request time ms | probe client run-queue wait ms |\n'
printf '|---|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|\n'
for name in pub site-a; do
	while read -r phase lmax lrq lp99 wmax wcpu wwhat cmax cwhat rqd rqt rqme; do
		if [ "$phase" = idle ]; then a=idle b=flood; else a=flood b=end; fi
		printf '| %s | %s | %s | %s | %s | %s (%s, %s) | %s (%s) | %.2f | %.1f | %.0f | %s / %s | %s |\n' \
		    "$name" "$phase" "$lmax" "$lrq" "$lp99" "$wmax" "$wcpu" "$wwhat" "$cmax" "$cwhat" \
		    "$(echo "(${ph_cpu[$b:$name]} - ${ph_cpu[$a:$name]}) / $hz" | bc -l)" \
		    "$(echo "(${ph_t[$b:$name]} - ${ph_t[$a:$name]}) / 1000" | bc -l)" \
		    "$(echo "(${ph_rq[$b:$name]} - ${ph_rq[$a:$name]}) / 1000000" | bc -l)" \
		    "$rqd" "$rqt" "$rqme"
	done <"$WORLD_DIR/lat-$name.lag"
done
for name in pub site-a; do
	while read -r phase rest; do
		echo "# $name $phase: answers over 100 ms (proxy CPU, proxy run-queue wait, probe's run-queue wait, proxy's loop lag max in its window; ms): $rest"
	done <"$WORLD_DIR/lat-$name.slow"
	echo "# $name: UDP drops (kernel) $(nsx "$(proxy_ns "$name")" awk 'NR > 1 { d += $NF } END { print d + 0 }' /proc/net/udp)"
done
echo
echo "# SIGTERM -> exit (pidfd), ms; site-b under a flood, ${#stops[@]} runs: median $(printf '%s\n' "${stops[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'), worst $(printf '%s\n' "${stops[@]}" | sort -n | tail -n 1)"
for note in "${stop_notes[@]}"; do echo "#   $note"; done
for name in site-a pub; do
	stop_timed "$name"
	echo "# $name (idle, after the flood): SIGTERM -> exit ${_STOP_PRECISE} ms (own: $(stop_line "$name"), status $(cat "$WORLD_DIR/$name.exit" 2>/dev/null))"
done
