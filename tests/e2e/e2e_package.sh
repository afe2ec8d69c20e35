#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: the Debian package (issue 17).  Builds proxyd_*.deb from a copy of
# the tree with `dpkg-buildpackage -us -uc -b`, installs it on this
# machine, and checks:
#   (a) the files: /usr/sbin/proxyd, /usr/bin/proxyctl, /usr/bin/proxyd-ca,
#       the four man pages, /etc/proxyd/proxyd.conf, the unit, the bash
#       completion; the proxyd system user, and /etc/proxyd readable by its
#       group only;
#   (b) the installed example (user = "proxyd") passes `proxyd -t` once
#       credentials made with the installed proxyd-ca are beside it;
#   (c) `systemd-analyze verify` accepts the installed unit, whose paths are
#       /usr/sbin and /etc/proxyd and whose ExecReload checks and reloads;
#   (d) the installed daemon runs the example in a namespace as user
#       proxyd, `proxyctl reload` works (it re-reads /etc/proxyd as that
#       user), and the bash completion offers the subcommands and the
#       neighbour names the daemon knows;
#   (e) lintian reports no error (its tags are printed);
#   (f) `dpkg --purge` removes it all; the user is removed if this test made
#       it, and what the test added is removed, whatever happens.
# A machine that has a proxyd package installed already is left alone.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require dpkg-buildpackage dh lintian systemd-analyze fakeroot
e2e_traps

if dpkg-query -W -f='${db:Status-Status}' proxyd 2>/dev/null | grep -qx installed; then
	t_skip "Debian package test" "a proxyd package is installed on this machine already"
	t_summary
	exit 0
fi
world_clean_stale
WORLD_DIR=$(mktemp -d /tmp/pxt.XXXXXX) || bail "temporary directory"
echo "$$ $PXT_PREFIX" >"$WORLD_DIR/owner"
mkdir -p "$WORLD_DIR/pids"
had_user=0 had_run=0
getent passwd proxyd >/dev/null && had_user=1
[ -d /run/proxyd ] && had_run=1
installed=0

# Whatever happens: purge, what we added in /etc/proxyd, the user we made.
pkg_cleanup() {
	if [ "$installed" = 1 ]; then
		rm -f /etc/proxyd/ca.crt /etc/proxyd/site-a.crt /etc/proxyd/site-a.key
		dpkg --purge proxyd >/dev/null 2>&1
		installed=0
	fi
	if [ "$had_user" = 0 ] && getent passwd proxyd >/dev/null; then
		deluser --quiet --system proxyd >/dev/null 2>&1 || userdel proxyd
		getent group proxyd >/dev/null && groupdel proxyd 2>/dev/null
	fi
	[ "$had_run" = 1 ] || rmdir /run/proxyd 2>/dev/null
	return 0
}
trap 'pkg_cleanup; _e2e_finish' EXIT

# ---- build
src=$WORLD_DIR/src/proxyd
mkdir -p "$src" &&
tar -C "$top_srcdir" --exclude='./build*' --exclude=./.git \
    --exclude=./autom4te.cache --exclude='./*.deb' -cf - . | tar -C "$src" -xf - ||
    bail "copy of the tree"
t0=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=${JOBS:-2}" \
    dpkg-buildpackage -us -uc -b) >"$WORLD_DIR/build.log" 2>&1
rc=$?
[ "$rc" = 0 ] || tail -n 30 "$WORLD_DIR/build.log" | sed 's/^/#   /'
deb=$(ls "$WORLD_DIR"/src/proxyd_*_*.deb 2>/dev/null | head -n 1)
[ "$rc" = 0 ] && [ -n "$deb" ]
ok $? "dpkg-buildpackage -us -uc -b builds ${deb##*/} ($(( $(date +%s) - t0 )) s)"
[ -n "$deb" ] || bail "no package built"

# ---- install
dpkg -i "$deb" >"$WORLD_DIR/install.log" 2>&1
rc=$?
[ "$rc" = 0 ] && installed=1
[ "$rc" = 0 ] || sed 's/^/#   /' "$WORLD_DIR/install.log"
ok $rc "dpkg -i installs it"
[ "$installed" = 1 ] || bail "not installed"

# (a)
for f in /usr/sbin/proxyd /usr/bin/proxyctl /usr/bin/proxyd-ca; do
	[ -x "$f" ]
	ok $? "(a) $f installed"
done
for m in man8/proxyd.8 man8/proxyctl.8 man8/proxyd-ca.8 man5/proxyd.conf.5; do
	[ -f "/usr/share/man/$m.gz" ]
	ok $? "(a) man page $m"
done
[ -f /etc/proxyd/proxyd.conf ] && [ -f /lib/systemd/system/proxyd@.service ] &&
    [ -f /usr/share/bash-completion/completions/proxyctl ]
ok $? "(a) /etc/proxyd/proxyd.conf, proxyd@.service, bash completion"
getent passwd proxyd >/dev/null
ok $? "(a) the proxyd system user exists"
[ "$(stat -c '%U:%G %a' /etc/proxyd)" = "root:proxyd 750" ]
ok $? "(a) /etc/proxyd is root:proxyd 0750 ($(stat -c '%U:%G %a' /etc/proxyd))"
grep -q '^user = "proxyd";' /etc/proxyd/proxyd.conf
ok $? "(a) the example runs as user proxyd"
/usr/sbin/proxyd -V | grep -q '^proxyd '
ok $? "(a) /usr/sbin/proxyd -V: $(/usr/sbin/proxyd -V)"

# (b) the example with credentials from the installed proxyd-ca; the
# example sets tls.require_prefixes, so the certificate carries the
# example's prefixes as address blocks (--prefix each)
pfx_args=()
for p in $(sed -n 's/^prefixes = \[\(.*\)\];/\1/p' /etc/proxyd/proxyd.conf | tr -d '",'); do
	pfx_args+=(--prefix "$p")
done
/usr/bin/proxyd-ca init "$WORLD_DIR/ca" >/dev/null &&
    /usr/bin/proxyd-ca issue "$WORLD_DIR/ca" site-a "${pfx_args[@]}" >/dev/null &&
    install -m 0644 "$WORLD_DIR/ca/ca.crt" "$WORLD_DIR/ca/site-a.crt" /etc/proxyd/ &&
    install -m 0640 -g proxyd "$WORLD_DIR/ca/site-a.key" /etc/proxyd/
ok $? "(b) credentials made with the installed proxyd-ca"
/usr/sbin/proxyd -t -c /etc/proxyd/proxyd.conf >"$WORLD_DIR/t.out" 2>&1
rc=$?
sed 's/^/#   /' "$WORLD_DIR/t.out"
ok $rc "(b) proxyd -t -c /etc/proxyd/proxyd.conf exits 0"

# (c) the unit
systemd-analyze verify /lib/systemd/system/proxyd@.service >"$WORLD_DIR/verify.out" 2>&1
rc=$?
sed 's/^/#   /' "$WORLD_DIR/verify.out"
ok $rc "(c) systemd-analyze verify proxyd@.service"
grep -q '^ExecStart=/usr/sbin/proxyd -f -c /etc/proxyd/%i.conf$' /lib/systemd/system/proxyd@.service
ok $? "(c) the unit runs /usr/sbin/proxyd with /etc/proxyd/%i.conf"
grep -q '^ExecReload=/usr/sbin/proxyd -t -c /etc/proxyd/%i.conf$' /lib/systemd/system/proxyd@.service &&
    grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' /lib/systemd/system/proxyd@.service
ok $? "(c) ExecReload checks the file, then reloads (SIGHUP)"
! grep -qi 'pidfile\|/usr/local' /lib/systemd/system/proxyd@.service
ok $? "(c) no PIDFile and no /usr/local in the unit"

# (d) the installed daemon on the example, as user proxyd
_ns_new pkg || bail "namespace"
ip netns exec "$(ns pkg)" /usr/sbin/proxyd -f -c /etc/proxyd/proxyd.conf \
    >"$WORLD_DIR/daemon.log" 2>&1 </dev/null &
_pid_record proxyd-pkg $! "$(ns pkg)"
sock=/run/proxyd/site-a.sock
wait_for 5 test -S "$sock"
pctl pkg "$sock" status >/dev/null
ok $? "(d) the installed proxyd runs the example (proxyctl status answers)"
grep -q "as user 'proxyd'\|dropped.*proxyd\|user 'proxyd'" "$WORLD_DIR/daemon.log"
ok $? "(d) it dropped to user proxyd"
pctl pkg "$sock" reload >"$WORLD_DIR/reload.out" 2>&1
rc=$?
sed 's/^/#   /' "$WORLD_DIR/reload.out"
ok $rc "(d) proxyctl reload re-reads /etc/proxyd as user proxyd"
compl() {	# WORDS...: the completions of the last word
	ip netns exec "$(ns pkg)" bash -c '
	    . /usr/share/bash-completion/bash_completion 2>/dev/null || exit 3
	    . /usr/share/bash-completion/completions/proxyctl
	    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
	    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
	    _proxyctl; printf "%s\n" "${COMPREPLY[@]}"' compl "$@"
}
if [ -r /usr/share/bash-completion/bash_completion ]; then
	[ "$(compl proxyctl rel)" = reload ]
	ok $? "(d) completion: 'proxyctl rel' -> reload"
	[ "$(compl proxyctl -s "$sock" probe p)" = pub ]
	ok $? "(d) completion: 'proxyctl -s SOCK probe p' -> pub (from the daemon)"
else
	t_skip "(d) bash completion" "not installed: bash-completion"
fi
_pid_stop proxyd-pkg
rm -f "$sock"

# (e) lintian
lintian "$WORLD_DIR"/src/proxyd_*.changes >"$WORLD_DIR/lintian.out" 2>&1
grep -v 'running with root privileges' "$WORLD_DIR/lintian.out" | sed 's/^/#   /'
e=$(grep -c '^E: ' "$WORLD_DIR/lintian.out")
w=$(grep -c '^W: ' "$WORLD_DIR/lintian.out")
echo "# lintian: $e error(s), $w warning(s)"
[ "$e" = 0 ]
ok $? "(e) lintian reports no error ($e errors, $w warnings)"

# (f) purge
rm -f /etc/proxyd/ca.crt /etc/proxyd/site-a.crt /etc/proxyd/site-a.key
dpkg --purge proxyd >"$WORLD_DIR/purge.log" 2>&1
ok $? "(f) dpkg --purge proxyd"
installed=0
[ ! -e /usr/sbin/proxyd ] && [ ! -e /etc/proxyd ] &&
    [ ! -e /lib/systemd/system/proxyd@.service ]
ok $? "(f) its files and /etc/proxyd are gone"
pkg_cleanup
[ "$had_user" = 1 ] || ! getent passwd proxyd >/dev/null
ok $? "(f) the machine is as before (user proxyd existed before: $had_user)"
t_summary
