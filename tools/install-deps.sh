#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Installs what building, unit-testing, fuzzing and the end-to-end tests of
# proxyd need on Debian 12 (bookworm).  Idempotent and non-interactive: when
# every package is already installed it does nothing (no apt-get update).
#
#   tools/install-deps.sh          install what is missing (root)
#   tools/install-deps.sh --check  only report; exit 1 if something is missing

set -euo pipefail

# package                         why
PKGS=(
	build-essential               # gcc, make, libc headers
	autoconf automake libtool pkg-config   # ./autogen.sh, configure
	libevent-dev                  # daemon event loop
	libconfig-dev                 # configuration files
	libssl-dev                    # DTLS links, AEAD (OpenSSL 3.0)
	check                         # unit test suites
	clang                         # --enable-fuzz
	libclang-rt-14-dev            # libFuzzer/ASan runtimes for clang 14 (only
	                              # "Recommended" by clang, so named here)
	openssl                       # tools/proxyd-ca
	iproute2                      # ip netns, veth, bridges
	iptables                      # the NATs in the test world
	conntrack                     # NAT reboot / inspection in the test world
	procps                        # sysctl, pgrep-free process checks
	iputils-ping                  # pings across the tunnel (ping -M do)
	strongswan-charon             # IPsec endpoints: /usr/lib/ipsec/charon
	strongswan-swanctl            # swanctl + vici plugin
	libstrongswan-standard-plugins  # openssl, gcm plugins
	libstrongswan-extra-plugins   # curve25519 plugin
	libcharon-extra-plugins       # kernel-libipsec (userspace ESP: no kernel ESP here)
	iperf3                        # throughput through the tunnel
	tcpdump                       # debugging the test world; e2e_tungso
	ethtool                       # e2e_tungso: software checksums on a veth
	python3                       # malformed-datagram sender
	jq                            # reading proxyctl -j output
	graphviz                      # e2e_topology renders 'proxyctl topology --dot'
	dnsmasq-base                  # e2e_dns: a DNS server in a namespace (not
	                              # 'dnsmasq', which starts a system service)
	prometheus                    # e2e_metrics: promtool and a real server
	curl                          # e2e_metrics: Prometheus's HTTP API
	debhelper dpkg-dev devscripts fakeroot  # e2e_package: dpkg-buildpackage of debian/
	lintian                       # e2e_package: the package's checks
	bash-completion               # e2e_package: proxyctl's completion
	systemd                       # e2e_package: systemd-analyze verify
	adduser                       # the package's postinst (the proxyd user)
	nebula                        # tools/bench.sh: Nebula 1.6 (nebula-cert
	                              # too) as the peer it is compared with
	linux-perf                    # profiling the relay path (README)
	bc                            # tests/bench/bench_flood.sh: its medians and ratios
)

check_only=0
case ${1:-} in
--check) check_only=1 ;;
-h|--help)
	sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//'
	exit 0 ;;
'') ;;
*) echo "install-deps.sh: unknown option '$1'" >&2; exit 1 ;;
esac

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "install-deps: missing: ${missing[*]}"
[ $check_only = 1 ] && exit 1

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: cannot install packages: not root (run: sudo $0)" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: cannot install packages: no apt-get (this script targets Debian 12)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"

still=()
for p in "${missing[@]}"; do
	installed "$p" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
	echo "install-deps: still missing after apt-get: ${still[*]}" >&2
	exit 1
fi
echo "install-deps: installed ${#missing[@]} packages"
