#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# proxyctl(8) as a script sees it: which control socket it talks to, how
# long it waits, and its exit status (0 on success, 1 on any error, with a
# "proxyctl: " message on stderr and nothing on stdout).
#  - socket discovery, in a private mount namespace with a directory of our
#    own over /run: -s, then $PROXYCTL_SOCKET (empty counts as unset), then
#    /run/proxyd/proxyd.sock, then the only /run/proxyd/*.sock; two
#    candidates and no default is an error naming the default; a socket
#    given with -s or the environment is never replaced by discovery;
#  - a proxyd that accepts and never answers: exit 1 after the 10 s
#    timeout, saying so;
#  - exit status and message for usage errors, -h, an error answer from
#    the real daemon, a full stdout, and from fake servers: a refused
#    hello, another major version, an error answer, a reply over 64 KiB,
#    a reply that is not JSON, a connection closed mid-reply.
# One real proxyd ("alpha", no TUN, no neighbours) in a namespace; the
# fakes are a small python3 server on UNIX sockets.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3 unshare

e2e_traps

TIMEOUT_S=10	# proxyctl's CTL_TIMEOUT_MS

WORLD_DIR=$(mktemp -d /tmp/pxt.XXXXXX) || bail "world directory"
chmod 0755 "$WORLD_DIR"
mkdir -p "$WORLD_DIR/pids" "$WORLD_DIR/sock" || bail "world directory"
FAKE_PIDS=

# fake.py PATH MODE NAME: a control socket at PATH that answers each
# connection as MODE (rows: a hello, then one row {"name": NAME}; silent:
# accepts and never answers; badhello: refuses the hello; major3: accepts
# it as protocol 3.0; error: an error answer; long: a 70000-byte row; junk:
# a line that is not JSON; cut: half a row, then closes).  Exits after 120 s.
cat >"$WORLD_DIR/fake.py" <<'EOF'
import json, os, signal, socket, sys, threading
path, mode, name = sys.argv[1], sys.argv[2], sys.argv[3]
signal.alarm(120)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
def serve(c):
    f = c.makefile("rwb")
    def put(o):
        f.write(o if isinstance(o, bytes) else json.dumps(o).encode() + b"\n")
        f.flush()
    try:
        f.readline()                            # the hello
        if mode == "silent":
            while c.recv(4096):
                pass
            return
        if mode == "badhello":
            put({"id": 0, "ok": False, "error": "version",
                 "msg": "fake speaks control protocol 9 only"})
            return
        major = 3 if mode == "major3" else 2
        put({"id": 0, "ok": True, "v": [major, 0],
             "version": "%d.0" % major, "server": "fake 0.0"})
        req = json.loads(f.readline())
        rid = req.get("id", 1)
        if mode == "rows":
            put({"id": rid, "row": {"name": name}})
            put({"id": rid, "end": True, "rows": 1})
        elif mode == "error":
            put({"id": rid, "ok": False, "error": "no_such_thing",
                 "msg": "fake refuses: no such thing"})
        elif mode == "long":
            put(b'{"id":%d,"row":{"x":"' % rid + b"a" * 70000 + b'"}}\n')
        elif mode == "junk":
            put(b"this is not json\n")
        elif mode == "cut":
            put(b'{"id":%d,"row":{"na' % rid)
    except (OSError, ValueError):
        pass
    finally:
        c.close()
open(path + ".ready", "w").close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF

# fake MODE NAME: starts a fake server at $WORLD_DIR/sock/NAME.sock, in
# namespace ctl (so the world's teardown finds it there; a UNIX socket is
# reached through the file system from anywhere).
fake() {
	ip netns exec "$(ns ctl)" python3 "$WORLD_DIR/fake.py" \
	    "$WORLD_DIR/sock/$2.sock" "$1" "$2" \
	    >"$WORLD_DIR/fake-$2.out" 2>&1 </dev/null &
	FAKE_PIDS="$FAKE_PIDS $!"
	wait_for 30 test -e "$WORLD_DIR/sock/$2.sock.ready"	# python starts slowly on a busy machine
}
stop_fakes() {
	local p
	for p in $FAKE_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	FAKE_PIDS=
}

# runctl [VAR=VALUE ...] -- ARGS...: proxyctl ARGS (bounded), environment
# cleared of PROXYCTL_SOCKET but for the VARs; sets RC, OUT, ERR.
runctl() {
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	OUT=$(env -u PROXYCTL_SOCKET "${envs[@]}" timeout 30 "$PROXYCTL" "$@" \
	    2>"$WORLD_DIR/err")
	RC=$?
	ERR=$(cat "$WORLD_DIR/err")
}
# in_run DIR [VAR=VALUE ...] -- ARGS...: runctl inside a private mount
# namespace where DIR is /run.
in_run() {
	local dir=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	OUT=$(env -u PROXYCTL_SOCKET "${envs[@]}" timeout 30 unshare -m \
	    --propagation private sh -c 'mount --bind "$1" /run && shift &&
	    exec "$@"' sh "$dir" "$PROXYCTL" "$@" 2>"$WORLD_DIR/err")
	RC=$?
	ERR=$(cat "$WORLD_DIR/err")
}
# answered NAME: the last command exited 0 and printed the status row of
# NAME (-j).
answered() {
	[ "$RC" = 0 ] && jq -e --arg n "$1" '[.[] | if type == "array" then .[]
	    else . end] | .[0].name == $n' <<<"$OUT" >/dev/null 2>&1
}
# failed PATTERN: the last command exited 1, printed nothing on stdout and
# a "proxyctl: " message matching PATTERN (grep -E) on stderr.
failed() {
	[ "$RC" = 1 ] && [ -z "$OUT" ] && grep -q '^proxyctl: ' <<<"$ERR" &&
	    grep -Eq -- "$1" <<<"$ERR"
}
said() {
	if [ "$RC" = 0 ]; then
		echo "status 0: name $(jq -r '[.[] | if type == "array" then .[]
		    else . end] | .[0].name // "?"' <<<"$OUT" 2>/dev/null)"
	else
		echo "status $RC: $(head -n 2 <<<"$ERR" | tr '\n' ' ')"
	fi
}

echo "# proxyctl: $PROXYCTL; world $WORLD_DIR (prefix $PXT_PREFIX)"
[ -x "$PROXYCTL" ] && [ -x "$PROXYD" ] || bail "proxyd and proxyctl built"

# ---- the real daemon
ip netns add "$(ns ctl)" && ip -n "$(ns ctl)" link set lo up || bail "namespace ctl"
make_certs "$WORLD_DIR/pki" alpha || bail "certificates"
ALPHA=$WORLD_DIR/sock/alpha.sock
conf=$(proxy_conf alpha listen=127.0.0.1:4790 alt_port=none control="$ALPHA") &&
    proxy_start ctl alpha "$conf" && [ -S "$ALPHA" ] || bail "proxyd alpha started"
ok 0 "proxyd alpha runs, control socket $ALPHA"
fake rows beta && fake rows default && fake silent silent &&
    fake badhello badhello && fake major3 major3 && fake error error &&
    fake long long && fake junk junk && fake cut cut || bail "fake servers"
BETA=$WORLD_DIR/sock/beta.sock

# ---- socket discovery
# run directories: one socket; two and no default; the default and more;
# nothing; one live socket beside a stale one (nobody listens)
for d in one two default none stale; do mkdir -p "$WORLD_DIR/run-$d/proxyd"; done
ln -s "$ALPHA" "$WORLD_DIR/run-stale/proxyd/alpha.sock"
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
    "$WORLD_DIR/run-stale/proxyd/old.sock" || bail "a stale socket file"
ln -s "$ALPHA" "$WORLD_DIR/run-one/proxyd/alpha.sock"
ln -s "$ALPHA" "$WORLD_DIR/run-two/proxyd/alpha.sock"
ln -s "$BETA" "$WORLD_DIR/run-two/proxyd/beta.sock"
ln -s "$ALPHA" "$WORLD_DIR/run-default/proxyd/alpha.sock"
ln -s "$WORLD_DIR/sock/default.sock" "$WORLD_DIR/run-default/proxyd/proxyd.sock"

runctl -- -s "$ALPHA" -j status
answered alpha
ok $? "-s: the given socket ($(said))"
runctl PROXYCTL_SOCKET="$BETA" -- -j status
answered beta
ok $? "PROXYCTL_SOCKET without -s: that socket ($(said))"
runctl PROXYCTL_SOCKET="$BETA" -- -s "$ALPHA" -j status
answered alpha
ok $? "-s wins over PROXYCTL_SOCKET ($(said))"
in_run "$WORLD_DIR/run-one" -- -j status
answered alpha
ok $? "neither, no /run/proxyd/proxyd.sock: the only /run/proxyd/*.sock ($(said))"
in_run "$WORLD_DIR/run-one" PROXYCTL_SOCKET= -- -j status
answered alpha
ok $? "an empty PROXYCTL_SOCKET counts as unset ($(said))"
in_run "$WORLD_DIR/run-default" -- -j status
answered default
ok $? "/run/proxyd/proxyd.sock, when it exists, before any other there ($(said))"
in_run "$WORLD_DIR/run-two" -- -j status
failed "2 proxies are running here; choose one with -s" &&
    grep -q "proxyctl -s /run/proxyd/alpha.sock" <<<"$ERR" &&
    grep -q "proxyctl -s /run/proxyd/beta.sock" <<<"$ERR"
ok $? "two running and no default: no guess, the choices listed ($(said))"
in_run "$WORLD_DIR/run-stale" -- -j status
answered alpha
ok $? "a socket file nobody listens on is no candidate: the only running one ($(said))"
in_run "$WORLD_DIR/run-none" -- -j status
failed "cannot connect to '/run/proxyd/proxyd.sock'.*is proxyd running"
ok $? "no socket at all: an error asking whether proxyd runs ($(said))"
in_run "$WORLD_DIR/run-one" -- -s "$WORLD_DIR/sock/nosuch.sock" -j status
failed "cannot connect to '$WORLD_DIR/sock/nosuch.sock'"
ok $? "a missing -s socket is an error, never replaced by discovery ($(said))"
in_run "$WORLD_DIR/run-one" PROXYCTL_SOCKET="$WORLD_DIR/sock/nosuch.sock" -- -j status
failed "cannot connect to '$WORLD_DIR/sock/nosuch.sock'"
ok $? "a missing PROXYCTL_SOCKET is an error, never replaced by discovery ($(said))"

# ---- the timeout
t0=$(now_ms)
runctl -- -s "$WORLD_DIR/sock/silent.sock" status
ms=$(( $(now_ms) - t0 ))
failed "timed out after $TIMEOUT_S s waiting for proxyd" &&
    [ "$ms" -ge $((TIMEOUT_S * 1000 - 500)) ] && [ "$ms" -le $((TIMEOUT_S * 1000 + 5000)) ]
ok $? "a proxyd that never answers: status 1 after the ${TIMEOUT_S} s timeout ($ms ms; $(said))"

# ---- exit status
runctl -- -h
[ "$RC" = 0 ] && grep -q '^usage: proxyctl' <<<"$OUT" && [ -z "$ERR" ]
ok $? "-h: status 0, the help on stdout (status $RC)"
runctl -- status --help
[ "$RC" = 0 ] && grep -q '^usage: proxyctl' <<<"$OUT" && [ -z "$ERR" ]
ok $? "--help, after the command: status 0, the help on stdout (status $RC)"
runctl -- -V
[ "$RC" = 0 ] && grep -Eq '^proxyctl [0-9.]+ \(control protocol 2\.0\)$' <<<"$OUT" && [ -z "$ERR" ]
ok $? "-V: the version and the control protocol's ($OUT)"
runctl -- status -j -s "$ALPHA"
answered alpha
ok $? "options after the command: status -j -s SOCKET ($(said))"
runctl -- -j --socket="$ALPHA" status
answered alpha
ok $? "long options: --socket=SOCKET ($(said))"
runctl -- -s "$ALPHA" -j topology --dot
failed "-j and --dot cannot be combined"
ok $? "-j with --dot: refused with a message ($(said))"
runctl -- -s "$ALPHA"
failed "missing command"
ok $? "no command: status 1 ($(said))"
runctl -- -s "$ALPHA" nosuchcmd
failed "unknown command 'nosuchcmd'"
ok $? "an unknown command: status 1 ($(said))"
runctl -- -x -s "$ALPHA" status
failed "unknown option -x"
ok $? "an unknown option: status 1 ($(said))"
runctl -- -s
failed "option -s needs an argument"
ok $? "-s without its argument: status 1 ($(said))"
runctl -- -s "$ALPHA" probe
failed "probe: missing argument"
ok $? "a missing argument: status 1 ($(said))"
runctl -- -s "$ALPHA" status extra
failed "status: too many arguments"
ok $? "an argument too many: status 1 ($(said))"
runctl -- -s "$ALPHA" status
[ "$RC" = 0 ] && grep -Eq '^name: +alpha' <<<"$OUT" && [ -z "$ERR" ]
ok $? "status from the real proxyd: status 0, a table (status $RC: $(head -n 1 <<<"$OUT"))"
runctl -- -s "$ALPHA" ping nosuch
failed "no route to proxy 'nosuch'"
ok $? "an error answer from the real proxyd: status 1 and its message ($(said))"
OUT=$(env -u PROXYCTL_SOCKET timeout 30 "$PROXYCTL" -s "$ALPHA" status 2>"$WORLD_DIR/err" >/dev/full)
RC=$? OUT='' ERR=$(cat "$WORLD_DIR/err")
failed "cannot write output"
ok $? "stdout full: status 1, not a silent success ($(said))"
runctl -- -s "$WORLD_DIR/sock/badhello.sock" status
failed "fake speaks control protocol 9 only"
ok $? "a refused hello: status 1 and proxyd's message ($(said))"
runctl -- -s "$WORLD_DIR/sock/major3.sock" status
failed "proxyd speaks control protocol 3, proxyctl speaks 2"
ok $? "a proxyd of another major version: status 1 ($(said))"
runctl -- -s "$WORLD_DIR/sock/error.sock" -j status
failed "fake refuses: no such thing"
ok $? "an error answer: status 1 and its message, no JSON on stdout ($(said))"
runctl -- -s "$WORLD_DIR/sock/long.sock" -j status
failed "longer than 65536 bytes"
ok $? "a reply over 64 KiB: status 1 ($(said))"
runctl -- -s "$WORLD_DIR/sock/junk.sock" -j status
failed "bad reply from proxyd"
ok $? "a reply that is not JSON: status 1 ($(said))"
runctl -- -s "$WORLD_DIR/sock/cut.sock" -j status
failed "closed the connection in the middle of a reply"
ok $? "a connection closed mid-reply: status 1 ($(said))"

stop_fakes
t_summary
