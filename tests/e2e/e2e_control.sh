#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The control socket's bounds against a real proxyd (proxyd/control.h):
#  - one client sends 50,000 status requests and reads nothing: proxyd
#    stops reading its requests once its replies pass the high-water
#    mark, and drops it (logged with its pid, counted) after the hold
#    time;
#  - 100 more clients of the same user (nobody) connect and sit idle: those over
#    the shared places are refused at once; meanwhile root's proxyctl
#    still answers (a place is kept for root; another user's proxyctl is
#    refused), within ANSWER_MS_MAX, and proxyd's peak RSS stays under
#    RSS_MAX_KB (both printed);
#  - after the idle timeout every idle client has been told and closed;
#  - at start: a second proxyd on the same control socket fails ("in use
#    by another process") and leaves the first alone; a stale socket (a
#    proxyd killed with SIGKILL) is replaced; a regular file is refused
#    and left as it was.
# One proxyd ("alpha", no TUN, no neighbours) in a namespace; the clients
# are python3.  The limits are read from proxyd/control.h.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3 setpriv

e2e_traps

# ctl_limit NAME: a #define of proxyd/control.h
ctl_limit() {
	sed -n "s/^#define[[:space:]]*$1[[:space:]]*\\([0-9]*\\).*/\\1/p" \
	    "$top_srcdir/proxyd/control.h"
}
CLIENTS_MAX=$(ctl_limit CTL_CLIENTS_MAX)
CLIENTS_ROOT=$(ctl_limit CTL_CLIENTS_ROOT)
IDLE_S=$(( $(ctl_limit CTL_IDLE_MS) / 1000 ))
HOLD_S=$(( $(ctl_limit CTL_OUT_HOLD_MS) / 1000 ))
SHARED=$((CLIENTS_MAX - CLIENTS_ROOT))
IDLE_N=100		# idle clients
FLOOD_N=50000		# status requests of the client that does not read
RSS_MAX_KB=32768
ANSWER_MS_MAX=2000
NOBODY=65534

WORLD_DIR=$(mktemp -d /tmp/pxt.XXXXXX) || bail "world directory"
chmod 0755 "$WORLD_DIR"
mkdir -p "$WORLD_DIR/pids" "$WORLD_DIR/out" && chmod 0777 "$WORLD_DIR/out" ||
    bail "world directory"	# out: written by the clients, uid $NOBODY
echo "# limits: $CLIENTS_MAX clients ($CLIENTS_ROOT kept for root), idle ${IDLE_S} s, hold ${HOLD_S} s; world $WORLD_DIR"
[ -n "$CLIENTS_MAX" ] && [ -n "$CLIENTS_ROOT" ] && [ "$IDLE_S" -gt 0 ] &&
    [ "$HOLD_S" -gt 0 ] || bail "limits read from proxyd/control.h"

# abuse.py SOCKET OUT IDLE_N FLOOD_N, as uid and gid NOBODY:
#  - one client says hello, then sends FLOOD_N status requests without
#    reading a byte, as fast as the socket takes them, until nothing more
#    goes for 0.5 s;
#  - then IDLE_N clients connect; those not closed at once say hello;
#  - writes {"pid","sent","total" (bytes of requests),"accepted","refused"}
#    to OUT.ready;
#  - then waits (120 s at most) for the flooder to be dropped and each
#    idle client to be closed, and writes {"dropped","after_s" (from the
#    flooder's last byte sent),"closed","idle_lines","min_s","max_s" (from
#    each idle client's hello to its close)} to OUT.
cat >"$WORLD_DIR/abuse.py" <<'EOF'
import json, os, select, socket, sys, time
path, out, idle_n, flood_n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.setgroups([]); os.setgid(65534); os.setuid(65534)
HUP = select.POLLIN | select.POLLHUP | 0x2000          # POLLRDHUP
HELLO = b'{"id":0,"cmd":"hello","v":[2,0],"client":"e2e_control"}\n'
def put(name, o):
    with open(name + ".tmp", "w") as f:
        json.dump(o, f)
    os.rename(name + ".tmp", name)
def closed_now(s):
    p = select.poll()
    p.register(s, HUP)
    return bool(p.poll(0))
def hello(s):
    s.sendall(HELLO)
    s.settimeout(10)
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(4096)
        if not b:
            raise OSError("closed during hello")
        line += b
    s.settimeout(None)

# the flooder
f = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
f.connect(path)
hello(f)
req = b"".join(b'{"id":%d,"cmd":"status"}\n' % i for i in range(1, flood_n + 1))
f.setblocking(False)
off, last = 0, time.monotonic()
while off < len(req) and time.monotonic() - last < 0.5:
    try:
        off += f.send(req[off:off + 65536])
        last = time.monotonic()
    except BlockingIOError:
        time.sleep(0.01)

# the idle ones
socks = []
for i in range(idle_n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
time.sleep(1)                      # proxyd accepts or closes each
live = [s for s in socks if not closed_now(s)]
since = {}
for s in live:
    hello(s)
    since[s.fileno()] = time.monotonic()
put(out + ".ready", {"pid": os.getpid(), "sent": off, "total": len(req),
                     "accepted": len(live), "refused": idle_n - len(live)})

p = select.poll()
p.register(f, select.POLLHUP | 0x2000)     # not POLLIN: its replies wait
for s in live:
    p.register(s, HUP)
left, took, idle_lines, dropped = len(live), [], 0, None
deadline = time.monotonic() + 120
while (left or dropped is None) and time.monotonic() < deadline:
    for fd, ev in p.poll(200):
        p.unregister(fd)
        if fd == f.fileno():
            dropped = round(time.monotonic() - last, 2)
            continue
        s = socket.socket(fileno=os.dup(fd))
        data = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        except OSError:
            pass
        s.close()
        took.append(time.monotonic() - since[fd])
        idle_lines += b'"error":"idle"' in data
        left -= 1
put(out, {"dropped": dropped is not None, "after_s": dropped,
          "closed": len(took), "idle_lines": idle_lines,
          "min_s": round(min(took), 2) if took else -1,
          "max_s": round(max(took), 2) if took else -1})
EOF

# field FILE KEY: a field of what abuse.py wrote to out/FILE
field() { jq -r ".$2" "$WORLD_DIR/out/$1" 2>/dev/null; }
# rss KEY: VmRSS or VmHWM (peak) of alpha, in kB
rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$(proxy_pid alpha)/status"; }
# ask: root's "proxyctl -j status", timed; sets RC, OUT, MS
ask() {
	local t0
	t0=$(now_ms)
	OUT=$(pctl ctl "$SOCK" -j status 2>"$WORLD_DIR/ask.err")
	RC=$?
	MS=$(( $(now_ms) - t0 ))
}

# ---- the daemon
ip netns add "$(ns ctl)" && ip -n "$(ns ctl)" link set lo up || bail "namespace ctl"
make_certs "$WORLD_DIR/pki" alpha beta || bail "certificates"
SOCK=$WORLD_DIR/alpha.sock
CONF=$(proxy_conf alpha listen=127.0.0.1:4790 alt_port=none control="$SOCK") &&
    proxy_start ctl alpha "$CONF" && [ -S "$SOCK" ] || bail "proxyd alpha started"
chmod 0666 "$SOCK" || bail "socket opened to every user"	# for uid $NOBODY
cp "$PROXYCTL" "$WORLD_DIR/proxyctl" && chmod 0755 "$WORLD_DIR/proxyctl" ||
    bail "proxyctl copied where uid $NOBODY can run it"
RSS0=$(rss VmRSS)
ok 0 "proxyd alpha runs, RSS $RSS0 kB"

# ---- a client that sends requests and reads nothing, then 100 idle ones
ns_bg abuse ctl python3 "$WORLD_DIR/abuse.py" "$SOCK" "$WORLD_DIR/out/abuse.json" \
    "$IDLE_N" "$FLOOD_N"
wait_for 30 test -e "$WORLD_DIR/out/abuse.json.ready" || bail "the abusing clients got going"
# what needs the flooder still connected comes first: it has HOLD_S s
FPID=$(field abuse.json.ready pid)
ACC=$(field abuse.json.ready accepted) REF=$(field abuse.json.ready refused)
nsx ctl setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups timeout 10 \
    "$WORLD_DIR/proxyctl" -s "$SOCK" status >/dev/null 2>"$WORLD_DIR/nobody.err"
rc=$?
RSS1=$(rss VmRSS)
ask
sent=$(field abuse.json.ready sent) total=$(field abuse.json.ready total)
[ "$sent" -lt "$total" ]
ok $? "proxyd stops reading a client that does not read its replies: $sent of $total bytes of requests taken"
[ "$ACC" = $((SHARED - 1)) ] && [ "$REF" = $((IDLE_N - SHARED + 1)) ]
ok $? "$IDLE_N idle clients of uid $NOBODY: $ACC admitted, $REF refused at once (the flooder holds the other shared place; $CLIENTS_ROOT kept for root)"
[ "$rc" = 1 ] && grep -q "control socket full" "$WORLD_DIR/nobody.err"
ok $? "uid $NOBODY's proxyctl is refused meanwhile (status $rc: $(head -n 1 "$WORLD_DIR/nobody.err"))"
q=$(jq -r '.. | objects | .ctl_queued? // empty' <<<"$OUT" | head -n 1)
[ -n "$q" ] && [ "$q" -le $((512 * 1024)) ]
ok $? "the flooder's replies held in proxyd stay bounded: $q bytes queued"
MAXMS=$MS FAILS=0
[ "$RC" = 0 ] || FAILS=1
for _ in 1 2 3 4; do
	ask
	if [ "$RC" = 0 ] && jq -e '.. | objects | select(.name == "alpha")' \
	    <<<"$OUT" >/dev/null 2>&1; then
		[ "$MS" -gt "$MAXMS" ] && MAXMS=$MS
	else
		FAILS=$((FAILS + 1))
		wlog "proxyctl status: status $RC: $(head -n 2 "$WORLD_DIR/ask.err")"
	fi
done
[ "$FAILS" = 0 ] && [ "$MAXMS" -le "$ANSWER_MS_MAX" ]
ok $? "root's proxyctl status answers with every shared place taken: $((5 - FAILS)) of 5, slowest ${MAXMS} ms (bound $ANSWER_MS_MAX ms)"
HWM=$(rss VmHWM)
[ "$HWM" -lt "$RSS_MAX_KB" ]
ok $? "proxyd's RSS under the abuse: $RSS1 kB, peak $HWM kB (bound $RSS_MAX_KB kB; $RSS0 kB before)"

# ---- the flooder is dropped after the hold time
wait_for $((HOLD_S + 5)) grep -q "control client pid $FPID uid $NOBODY dropped: " \
    "$WORLD_DIR/alpha.log"
ok $? "the client that does not read is dropped, logged with its pid: $(grep -o "control client pid $FPID uid $NOBODY dropped: .*" "$WORLD_DIR/alpha.log" | head -n 1)"

# ---- the idle ones are told and closed after the idle time
wait_for $((IDLE_S + 20)) test -e "$WORLD_DIR/out/abuse.json" || true
[ "$(field abuse.json dropped)" = true ] &&
    awk -v a="$(field abuse.json after_s)" -v h="$HOLD_S" \
    'BEGIN { exit !(a >= h - 1 && a <= h + 3) }'
ok $? "the flooder saw the hang-up $(field abuse.json after_s) s after its last request went (hold ${HOLD_S} s)"
closed=$(field abuse.json closed) lines=$(field abuse.json idle_lines)
lo=$(field abuse.json min_s) hi=$(field abuse.json max_s)
[ "$closed" = "$ACC" ] && [ "$lines" = "$ACC" ] &&
    awk -v lo="$lo" -v hi="$hi" -v t="$IDLE_S" \
    'BEGIN { exit !(lo >= t - 0.5 && hi <= t + 3) }'
ok $? "the $ACC idle clients are closed with an 'idle' line after the ${IDLE_S} s idle time: $closed closed, $lines told, after $lo-$hi s"
ST=$(pjson alpha status)
sf() { jq -r --arg f "$1" '.[0][$f] // empty' <<<"$ST"; }
[ "$(sf ctl_idle_closed)" = "$ACC" ] && [ "$(sf ctl_unread_dropped)" = 1 ] &&
    [ "$(sf ctl_refused)" -ge $((REF + 1)) ] && [ "$(sf ctl_queued)" = 0 ]
ok $? "counted in status: ctl_idle_closed $(sf ctl_idle_closed), ctl_unread_dropped $(sf ctl_unread_dropped), ctl_refused $(sf ctl_refused) (uid $NOBODY's proxyctl too), ctl_queued $(sf ctl_queued)"
ask
[ "$RC" = 0 ]
ok $? "proxyctl status answers afterwards (${MS} ms); peak RSS $(rss VmHWM) kB"

# ---- the socket's path at start
CONF2=$(proxy_conf beta listen=127.0.0.1:4792 alt_port=none control="$SOCK")
# shellcheck disable=SC2046 # _san_env prints words
out=$(nsx ctl $(_san_env beta) timeout 10 "$PROXYD" -f -c "$CONF2" 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "control socket '$SOCK' is in use by another process" <<<"$out"
ok $? "a second proxyd on alpha's control socket exits 1 (status $rc: $(grep -o "control socket.*" <<<"$out" | head -n 1))"
ask
[ "$RC" = 0 ] && [ -S "$SOCK" ]
ok $? "alpha keeps its socket and still answers"

FILE=$WORLD_DIR/file.sock
echo keep >"$FILE"
CONF3=$(proxy_conf beta listen=127.0.0.1:4792 alt_port=none control="$FILE")
# shellcheck disable=SC2046
out=$(nsx ctl $(_san_env beta) timeout 10 "$PROXYD" -f -c "$CONF3" 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "not a socket" <<<"$out" && [ "$(cat "$FILE")" = keep ]
ok $? "a regular file at the control path: proxyd exits 1 and leaves it (status $rc: $(grep -o "'control'.*\|control socket path.*" <<<"$out" | head -n 1))"

alpha_gone() { ! proxy_alive alpha; }
kill -KILL "$(proxy_pid alpha)" && wait_for 5 alpha_gone || bail "alpha killed"
proxy_stop alpha		# reaps it (status 137)
[ -S "$SOCK" ]
ok $? "alpha killed with SIGKILL leaves its socket behind, stale"
proxy_start ctl alpha "$CONF" && wait_for 5 pctl ctl "$SOCK" status
ok $? "the stale socket is replaced at the next start: alpha answers again"

ns_bg_stop abuse
t_summary
