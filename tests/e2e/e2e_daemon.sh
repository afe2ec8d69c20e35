#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: daemon mode (issue 17).  pub runs detached (no -f), started from
# its configuration's directory with a relative -c, in a private mount
# namespace whose /dev is a tmpfs holding only null (and, in (b), log):
#   (a) without /dev/log: the start warns on stderr that there is no syslog
#       socket and keeps logging there (the "started" line follows it);
#       the pid file ('pidfile') holds the daemon's pid;
#   (b) with /dev/log (a socket of this test, bound over it): the lines go
#       to syslog, tagged with the pid, and none to stderr;
#   (c) proxyctl reload works although the daemon moved to / (the relative
#       -c was made absolute at start);
#   (d) SIGTERM stops it and the pid file is removed.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require python3 unshare
e2e_traps

world_up || bail "world up"
make_certs "$WORLD_DIR/pki" || bail "certificates"
mkdir -p "$WORLD_DIR/etc" && cp "$WORLD_DIR/pki/"{ca.crt,pub.crt,pub.key} "$WORLD_DIR/etc/" ||
    bail "credentials copied"
PIDF=$WORLD_DIR/pub.pid
conf=$(proxy_conf pub listen="$WORLD_PUB_ADDR:$WORLD_PUB_PORT" log=info \
    ca=ca.crt cert=pub.crt key=pub.key extra="pidfile = \"$PIDF\";") &&
    mv "$conf" "$WORLD_DIR/etc/pub.conf" || bail "configuration written"

# run_detached WITH_LOG: starts "proxyd -c pub.conf" (relative) in pub's
# namespace, in a mount namespace with a minimal /dev; stderr to
# $WORLD_DIR/daemon.err.  Returns proxyd's exit status (the parent's).
run_detached() {
	local bind=''
	[ "$1" = yes ] && bind="touch /dev/log && mount --bind '$WORLD_DIR/log.sock' /dev/log &&"
	ip netns exec "$(ns pub)" unshare -m sh -c "
	    mount --make-rprivate / && mount -t tmpfs tmpfs /dev &&
	    mknod -m 666 /dev/null c 1 3 && $bind
	    cd '$WORLD_DIR/etc' && exec '$PROXYD' -c pub.conf" \
	    >"$WORLD_DIR/daemon.out" 2>"$WORLD_DIR/daemon.err" </dev/null
}

daemon_pid() { [ -s "$PIDF" ] && read -r p <"$PIDF" && kill -0 "$p" 2>/dev/null && echo "$p"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
has_line() { grep -q "$2" "$1"; }

# (a) no syslog socket
run_detached no
ok $? "(a) proxyd -c pub.conf (detached, relative path) exits 0 in the parent"
wait_for 5 daemon_pid >/dev/null
pid=$(daemon_pid)
[ -n "$pid" ] && _pid_record pub-daemon "$pid" "$(ns pub)"
ok $? "(a) the pid file names the running daemon (${pid:-none})"
wait_for 5 has_line "$WORLD_DIR/daemon.err" "'pub' started"
grep -q "warn: no syslog socket at /dev/log: logging to stderr instead" "$WORLD_DIR/daemon.err"
ok $? "(a) without /dev/log it warns and logs to stderr"
grep -q "'pub' started" "$WORLD_DIR/daemon.err"
ok $? "(a) the start is logged on stderr"
sed 's/^/#   /' "$WORLD_DIR/daemon.err" | head -n 4

# (c) reload of a daemon that moved to /
pctl pub "$(proxy_sock pub)" reload >"$WORLD_DIR/reload.out" 2>&1
ok $? "(c) proxyctl reload of the detached daemon exits 0"
grep -q "configuration '$WORLD_DIR/etc/pub.conf' reloaded" "$WORLD_DIR/reload.out"
ok $? "(c) it reloaded the file by its absolute path"

# (d) stop
kill -TERM "$pid"
wait_for 5 gone "$pid"
ok $? "(d) SIGTERM stops it"
[ ! -e "$PIDF" ]
ok $? "(d) the pid file is removed"

# (b) with a syslog socket
python3 - "$WORLD_DIR/log.sock" "$WORLD_DIR/syslog.txt" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(60)
with open(sys.argv[2], "ab", buffering=0) as f:
    try:
        while True:
            f.write(s.recv(65536) + b"\n")
    except socket.timeout:
        pass
PY
_pid_record syslog $! ""
wait_for 5 test -S "$WORLD_DIR/log.sock"
run_detached yes
ok $? "(b) the detached start with /dev/log exits 0"
wait_for 5 daemon_pid >/dev/null
pid=$(daemon_pid)
[ -n "$pid" ] && _pid_record pub-daemon2 "$pid" "$(ns pub)"
wait_for 5 has_line "$WORLD_DIR/syslog.txt" "'pub' started"
grep -q "proxyd\[$pid\]: proxyd .* 'pub' started" "$WORLD_DIR/syslog.txt"
ok $? "(b) the start line reaches syslog, tagged proxyd[$pid]"
sed 's/^/#   /' "$WORLD_DIR/syslog.txt" | head -n 3
! grep -q "started" "$WORLD_DIR/daemon.err"
ok $? "(b) and nothing is logged to stderr"
kill -TERM "$pid"
wait_for 5 gone "$pid"
ok $? "(b) SIGTERM stops it"
t_summary
