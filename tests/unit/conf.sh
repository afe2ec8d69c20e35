#!/bin/sh
# SPDX-License-Identifier: ISC
#
# This file owns the golden tests of configuration checking: for every
# tests/unit/conf/NAME.conf, `proxyd -tv -c NAME.conf` must print NAME.out and
# exit 0, or `proxyd -t -c NAME.conf` must print NAME.err on stderr and
# exit 1.  Absolute paths of the test directory are written @DIR@ in the
# golden files.  The example etc/proxyd.conf must pass `proxyd -t` as well.
# The configurations are checked in a temporary copy beside throwaway
# certificates (proxyd -t reads the own certificate).

top_srcdir=$(cd "${top_srcdir:-.}" && pwd -P) || exit 99
top_builddir=$(cd "${top_builddir:-.}" && pwd -P) || exit 99
proxyd=$top_builddir/proxyd/proxyd
dir=$top_srcdir/tests/unit/conf
tmp=$(mktemp -d "${TMPDIR:-/tmp}/conf.sh.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' HUP INT TERM

if [ ! -x "$proxyd" ]; then
	echo "Bail out! no daemon at $proxyd" >&2
	exit 99
fi

# $dir as a sed pattern: escape what is special in a basic regex.
dir_re=$(printf '%s\n' "$dir" | sed 's/[]\/$*.^[]/\\&/g')
pass=0
fail=0

result() {	# name, status
	if [ "$2" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $1"
	else
		fail=$((fail + 1))
		echo "not ok - $1"
	fi
}

same() {	# expected-file actual-file; differences as TAP comments
	sed "s/$dir_re/@DIR@/g" "$2" > "$tmp/got"
	cmp -s "$1" "$tmp/got" && return 0
	diff -u "$1" "$tmp/got" | sed 's/^/# /'
	return 1
}

# proxyd -t reads the own certificate, key and CA (they must exist, the
# certificate name 'name' and be the CA's, the key be the certificate's):
# the configurations are checked in a copy beside throwaway ones, a CA and
# a certificate and key per name they use.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/ca.key" -subj "/CN=conf.sh CA" -days 365 \
    -addext "sbgp-ipAddrBlock=critical,IPv4:0.0.0.0/0,IPv6:::/0" \
    -out "$tmp/ca.crt" 2>/dev/null || { echo "Bail out! CA"; exit 99; }
serial=1
cert() {	# NAME FILE [BLOCKS]: FILE.crt and FILE.key, and the CA beside
		# them; BLOCKS: RFC 3779 address blocks, e.g. IPv4:10.1.0.0/24
	mkdir -p "$(dirname "$2")" &&
	if [ -n "${3:-}" ]; then
		echo "sbgp-ipAddrBlock = critical,$3" >"$tmp/ext"
	else
		: >"$tmp/ext"
	fi &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$2.key" -subj "/CN=$1" -out "$tmp/req" 2>/dev/null &&
	serial=$((serial + 1)) &&
	openssl x509 -req -in "$tmp/req" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
	    -set_serial "$serial" -days 365 -extfile "$tmp/ext" \
	    -out "$2.crt" 2>/dev/null &&
	chmod 0600 "$2.key" && cp "$tmp/ca.crt" "$(dirname "$2")/ca.crt"
}
mkdir -p "$tmp/conf" "$tmp/etc" &&
cp "$dir"/*.conf "$dir"/*.inc "$dir"/*.out "$dir"/*.err "$tmp/conf/" &&
cert inc "$tmp/conf/inc" && cert minimal "$tmp/conf/minimal" &&
cert pub "$tmp/conf/pub" && cert dropper "$tmp/conf/dropper" &&
cert site-a "$tmp/conf/a" && mkdir -p "$tmp/conf/pki" &&
# one key pair for site-a, whichever of its paths a configuration names
cp "$tmp/conf/a.crt" "$tmp/conf/pki/site-a.crt" &&
cp -p "$tmp/conf/a.key" "$tmp/conf/pki/site-a.key" &&
cp "$tmp/ca.crt" "$tmp/conf/pki/ca.crt" &&
cert blocks "$tmp/conf/blocks" IPv4:10.1.0.0/24,IPv4:10.9.0.0/16 &&
cert blocks6 "$tmp/conf/blocks6" IPv4:10.1.0.0/24,IPv6:fd00:a::/48 &&
cert noext "$tmp/conf/noext" && cert topology "$tmp/conf/topology" &&
cp "$top_srcdir/etc/proxyd.conf" "$tmp/etc/" &&
cert site-a "$tmp/etc/site-a" IPv4:192.168.1.0/24 ||
    { echo "Bail out! certificates"; exit 99; }
dir=$tmp/conf
dir_re=$(printf '%s\n' "$dir" | sed 's/[]\/$*.^[]/\\&/g')

cd "$dir" || exit 99
for conf in *.conf; do
	name=${conf%.conf}
	if [ -f "$name.out" ]; then
		"$proxyd" -tv -c "$conf" > "$tmp/out" 2> "$tmp/err"
		rc=$?
		st=0
		[ "$rc" -eq 0 ] || { echo "# exit status $rc, want 0"; st=1; }
		same "$name.out" "$tmp/out" || st=1
		same /dev/null "$tmp/err" || st=1
		result "$name" $st
	elif [ -f "$name.err" ]; then
		"$proxyd" -t -c "$conf" > "$tmp/out" 2> "$tmp/err"
		rc=$?
		st=0
		[ "$rc" -eq 1 ] || { echo "# exit status $rc, want 1"; st=1; }
		same "$name.err" "$tmp/err" || st=1
		same /dev/null "$tmp/out" || st=1
		result "$name" $st
	else
		echo "# $conf has neither $name.out nor $name.err"
		result "$name" 1
	fi
done

"$proxyd" -t -c "$tmp/etc/proxyd.conf" > "$tmp/out" 2> "$tmp/err"
rc=$?
st=0
[ "$rc" -eq 0 ] || { echo "# exit status $rc, want 0"; st=1; }
same /dev/null "$tmp/err" || st=1
same /dev/null "$tmp/out" || st=1
result "etc/proxyd.conf" $st

echo "# conf: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
