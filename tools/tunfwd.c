/* SPDX-License-Identifier: ISC */
/*
 * tunfwd: the barest userspace relay this machine can run, for
 * tools/bench.sh's path (h) "bare relay": what any userspace relay through
 * three processes (site A, the public relay, site B) can reach here, so
 * that a target proxyd misses shows its ceiling, measured in the same run.
 * Not installed; built by make as a benchmark tool.
 *
 *   tunfwd site ID TUN PUB_ADDR PORT [--mtu N] [--aead]
 *	ID 0 (site A) or 1 (site B).  Opens the TUN device TUN (IFF_TUN,
 *	no packet information, no offloads, MTU N, default 1500 like
 *	proxyd's), brings it up, and connects one UDP socket to the relay.
 *	Packets read from the TUN (up to TF_BATCH per wake-up, one read()
 *	each until EAGAIN) go out as one datagram each with a single
 *	sendmmsg(), runs of equal-sized ones as one UDP GSO message;
 *	datagrams from the relay (recvmmsg, TF_BATCH messages at a time,
 *	UDP GRO) are written to the TUN one write() each.  Every second (and at start)
 *	it sends the relay an empty datagram, a hello, so that the relay
 *	learns its address before it has traffic (and its NAT mapping stays
 *	up), as proxyd's keepalives do.  Datagrams larger than the
 *	path are fragmented by IP (IP_PMTUDISC_DONT), as proxyd splits its
 *	frames in two.
 *   tunfwd relay ADDR PORT [--aead]
 *	One UDP socket; recvmmsg/sendmmsg batches with UDP GRO and GSO
 *	(a GRO super-datagram goes on as one GSO message when it all goes
 *	to the same site); forwards each datagram from one site to the
 *	other.  A site's address is learnt only from
 *	the datagrams it sent (with --aead: only from those that
 *	authenticate), in a fixed table of two entries (one per ID); a
 *	datagram whose other site has not been heard from is dropped and
 *	counted: nothing is ever sent to an address not observed.  Hellos
 *	(empty packets) teach the address and are not forwarded.
 *
 * Wire format: 4 bytes (magic 'T' 'F', the origin site's ID, 0); with
 * --aead then an 8-byte big-endian counter, the AES-256-GCM ciphertext of
 * the packet and its 16-byte tag, the 12 header bytes authenticated as
 * AAD.  --aead is per hop, as in proxyd: the relay decrypts and encrypts
 * again.  The key is a fixed test key; the nonce is 4 bytes naming the
 * sender and direction ('A' or 'B' from a site, 'a' + origin ID from the
 * relay) followed by the sender's counter, so no nonce repeats under the
 * one key.  No replay window: this is a benchmark of the cost of the
 * cipher, not a secure channel.
 *
 * --direct LPORT (site only): a direct path between the two sites, no
 * relay: PUB_ADDR PORT is then the other site's public (NAT) address and
 * the port it binds, LPORT this site's own port, bound (the same on both
 * sides, which MASQUERADE keeps); the hellos both send every second open
 * each NAT's mapping toward the other, as a hole punch does, and the
 * datagrams that come back are the other site's own (their nonce names
 * the sending site, 'A' + its ID).  tools/bench.sh's path "bare-direct".
 *
 * --no-offload: no UDP GRO or GSO (one datagram per message).  UDP GSO is
 * used only for datagrams of at most 1472 bytes (a 1500-byte path); the
 * larger ones, from 1500-byte TUN packets, go one per message and IP
 * fragments them.
 *
 * On SIGTERM or SIGINT it prints its counters to stderr and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TF_BATCH	64
#define TF_MTU_MIN	576
#define TF_MTU_MAX	9000
#define TF_HDR		4
#define TF_CTR		8
#define TF_TAG		16
#define TF_OVERHEAD	(TF_HDR + TF_CTR + TF_TAG)
#define TF_SLOT		(TF_MTU_MAX + TF_OVERHEAD)
#define TF_BUFSIZE	(4 * 1024 * 1024)	/* as proxyd's link sockets */

static volatile sig_atomic_t tf_stop;

static const uint8_t tf_key[32] = {	/* fixed test key, benchmark only */
	0x74, 0x75, 0x6e, 0x66, 0x77, 0x64, 0x2d, 0x62,
	0x65, 0x6e, 0x63, 0x68, 0x2d, 0x6f, 0x6e, 0x6c,
	0x79, 0x2d, 0x6e, 0x6f, 0x74, 0x2d, 0x61, 0x2d,
	0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x21, 0x21,
};

struct tf_stats {
	unsigned long long	rx_tun, tx_udp, rx_udp, tx_tun, tx_fwd;
	unsigned long long	drop_short, drop_magic, drop_auth, drop_noaddr;
	unsigned long long	drop_send, drop_tunwrite, drop_big, learnt;
	unsigned long long	hello;
};

static struct tf_stats st;
static EVP_CIPHER_CTX *tf_enc, *tf_dec;
static int tf_aead;
static int tf_offload = 1;	/* UDP GRO and GSO; --no-offload: none */
static int tf_direct_port;	/* --direct LPORT: the peer is the other
				   site; this site's bound UDP port */

static void
on_signal(int sig)
{
	(void)sig;
	tf_stop = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tunfwd site ID TUN PUB_ADDR PORT [--mtu N] [--aead] "
	    "[--no-offload]\n"
	    "              [--direct LPORT]\n"
	    "       tunfwd relay ADDR PORT [--aead] [--no-offload]\n");
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "tunfwd: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long
parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "tunfwd: %s '%s' is not a number from %ld "
		    "to %ld\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

static void
parse_addr(const char *a, const char *p, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)parse_num(p, 1, 65535, "port"));
	if (inet_pton(AF_INET, a, &sin->sin_addr) != 1) {
		fprintf(stderr, "tunfwd: '%s' is not an IPv4 address\n", a);
		exit(2);
	}
}

static int
udp_socket(void)
{
	int fd, sz = TF_BUFSIZE, pmtu = IP_PMTUDISC_DONT, one = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
	    sizeof(pmtu)) == -1)
		die("IP_MTU_DISCOVER");
	if (tf_offload && setsockopt(fd, SOL_UDP, UDP_GRO, &one,
	    sizeof(one)) == -1)
		fprintf(stderr, "tunfwd: no UDP GRO: %s\n", strerror(errno));
	return fd;
}

static void
crypto_init(void)
{
	if (!tf_aead)
		return;
	tf_enc = EVP_CIPHER_CTX_new();
	tf_dec = EVP_CIPHER_CTX_new();
	if (tf_enc == NULL || tf_dec == NULL ||
	    EVP_EncryptInit_ex(tf_enc, EVP_aes_256_gcm(), NULL, tf_key,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(tf_dec, EVP_aes_256_gcm(), NULL, tf_key,
	    NULL) != 1) {
		fprintf(stderr, "tunfwd: cannot set up AES-256-GCM\n");
		exit(1);
	}
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
make_nonce(uint8_t nonce[12], uint8_t who, const uint8_t ctr[8])
{
	nonce[0] = who;
	nonce[1] = nonce[2] = nonce[3] = 0;
	memcpy(nonce + 4, ctr, 8);
}

/*
 * Seals the packet of len bytes at out + TF_HDR + TF_CTR in place: header,
 * counter, ciphertext, tag.  Without --aead only the header is written.
 * Returns the datagram's length, 0 on failure.
 */
static size_t
seal(uint8_t *out, size_t len, uint8_t origin, uint8_t who, uint64_t *ctr)
{
	uint8_t nonce[12], *body;
	int n, f;

	out[0] = 'T';
	out[1] = 'F';
	out[2] = origin;
	out[3] = 0;
	if (!tf_aead)
		return TF_HDR + len;
	put_be64(out + TF_HDR, ++*ctr);
	make_nonce(nonce, who, out + TF_HDR);
	body = out + TF_HDR + TF_CTR;
	if (EVP_EncryptInit_ex(tf_enc, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(tf_enc, NULL, &n, out, TF_HDR + TF_CTR) != 1 ||
	    EVP_EncryptUpdate(tf_enc, body, &n, body, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(tf_enc, body + n, &f) != 1 ||
	    EVP_CIPHER_CTX_ctrl(tf_enc, EVP_CTRL_GCM_GET_TAG, TF_TAG,
	    body + len) != 1)
		return 0;
	return TF_HDR + TF_CTR + len + TF_TAG;
}

/*
 * Checks a datagram of len bytes (magic, origin ID, and with --aead the
 * tag, under the nonce of the sender "who" given the origin) and decrypts
 * it in place.  Returns the packet's length and sets *origin, or -1
 * (counted).  who_base: 'A' for datagrams from a site, 'a' from the relay.
 */
static long
open_dgram(uint8_t *p, size_t len, uint8_t who_base, uint8_t *origin)
{
	uint8_t nonce[12], *body;
	size_t blen;
	int n, f;

	if (len < TF_HDR + (tf_aead ? TF_CTR + TF_TAG : 0)) {
		st.drop_short++;
		return -1;
	}
	if (p[0] != 'T' || p[1] != 'F' || p[2] > 1 || p[3] != 0) {
		st.drop_magic++;
		return -1;
	}
	*origin = p[2];
	if (!tf_aead)
		return (long)(len - TF_HDR);
	blen = len - TF_HDR - TF_CTR - TF_TAG;
	body = p + TF_HDR + TF_CTR;
	make_nonce(nonce, (uint8_t)(who_base + *origin), p + TF_HDR);
	if (EVP_DecryptInit_ex(tf_dec, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(tf_dec, NULL, &n, p, TF_HDR + TF_CTR) != 1 ||
	    EVP_DecryptUpdate(tf_dec, body, &n, body, (int)blen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(tf_dec, EVP_CTRL_GCM_SET_TAG, TF_TAG,
	    body + blen) != 1 ||
	    EVP_DecryptFinal_ex(tf_dec, body + n, &f) != 1) {
		st.drop_auth++;
		return -1;
	}
	return (long)blen;
}

static void
print_stats(const char *role)
{
	fprintf(stderr, "tunfwd %s: rx_tun %llu tx_udp %llu rx_udp %llu "
	    "tx_tun %llu forwarded %llu learnt %llu; drops: short %llu "
	    "magic %llu auth %llu no_address %llu send %llu tun_write %llu "
	    "too_big %llu; hellos %llu\n", role, st.rx_tun, st.tx_udp,
	    st.rx_udp, st.tx_tun, st.tx_fwd, st.learnt, st.drop_short,
	    st.drop_magic, st.drop_auth, st.drop_noaddr, st.drop_send,
	    st.drop_tunwrite, st.drop_big, st.hello);
}

static int
tun_open(const char *name, int mtu)
{
	struct ifreq ifr;
	int fd, s;

	if (strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "tunfwd: TUN name '%s' longer than %d\n",
		    name, IFNAMSIZ - 1);
		exit(2);
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		die("/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) == -1)
		die("TUNSETIFF");
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s == -1)
		die("socket");
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) == -1)
		die("SIOCSIFMTU");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		die("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
		die("SIOCSIFFLAGS");
	close(s);
	return fd;
}

static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* An empty packet to the relay: it learns (or refreshes) our address. */
static void
send_hello(int fd, int id, uint64_t *ctr)
{
	uint8_t d[TF_OVERHEAD];
	size_t dlen;

	dlen = seal(d, 0, (uint8_t)id, (uint8_t)('A' + id), ctr);
	if (dlen == 0 || send(fd, d, dlen, 0) != (ssize_t)dlen)
		st.drop_send++;
	else
		st.hello++;
}

/*
 * The datagrams to send, in order: each a pointer, a length and the
 * destination (NULL on a site's connected socket).  out_flush() coalesces
 * runs of equal-sized datagrams to the same destination into one UDP GSO
 * message (UDP_SEGMENT; the last of a run may be shorter), so the kernel
 * does the per-datagram work below one system call.
 */
#define TF_SEGS		(TF_BATCH * TF_GRO_SEGS)
#define TF_GRO_SEGS	64		/* kernel's UDP_MAX_SEGMENTS, at least */
#define TF_GSO_MAX	1472		/* largest datagram sent by GSO: 1500 - 28 */
#define TF_SUPER	65535		/* largest GRO super-datagram */

static struct iovec out_iov[TF_SEGS];
static const struct sockaddr_in *out_dst[TF_SEGS];
static unsigned int out_n;
static struct mmsghdr out_msg[TF_SEGS];
static unsigned int out_cnt[TF_SEGS];
static union {
	char		buf[CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr	align;
} out_ctl[TF_SEGS];

static void
out_add(uint8_t *p, size_t len, const struct sockaddr_in *dst)
{
	if (out_n >= TF_SEGS) {		/* cannot happen: sized for it */
		st.drop_send++;
		return;
	}
	out_iov[out_n].iov_base = p;
	out_iov[out_n].iov_len = len;
	out_dst[out_n] = dst;
	out_n++;
}

static void
out_flush(int fd)
{
	unsigned int i = 0, j, m = 0, done = 0, k;
	size_t size, total;
	struct cmsghdr *c;
	int r;

	while (i < out_n) {
		size = out_iov[i].iov_len;
		total = size;
		j = i + 1;
		if (tf_offload && size <= TF_GSO_MAX) {
			while (j < out_n && j - i < TF_GRO_SEGS &&
			    out_dst[j] == out_dst[i] &&
			    out_iov[j].iov_len <= size &&
			    total + out_iov[j].iov_len <= 65000) {
				total += out_iov[j].iov_len;
				if (out_iov[j++].iov_len < size)
					break;	/* a shorter one ends the run */
			}
		}
		memset(&out_msg[m], 0, sizeof(out_msg[m]));
		out_msg[m].msg_hdr.msg_iov = &out_iov[i];
		out_msg[m].msg_hdr.msg_iovlen = j - i;
		if (out_dst[i] != NULL) {
			out_msg[m].msg_hdr.msg_name = (void *)(uintptr_t)out_dst[i];
			out_msg[m].msg_hdr.msg_namelen = sizeof(*out_dst[i]);
		}
		if (j - i > 1) {
			out_msg[m].msg_hdr.msg_control = out_ctl[m].buf;
			out_msg[m].msg_hdr.msg_controllen = sizeof(out_ctl[m].buf);
			c = CMSG_FIRSTHDR(&out_msg[m].msg_hdr);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			*(uint16_t *)(void *)CMSG_DATA(c) = (uint16_t)size;
		}
		out_cnt[m++] = j - i;
		i = j;
	}
	while (done < m) {
		k = m - done > 1024 ? 1024 : m - done;
		r = sendmmsg(fd, out_msg + done, k, 0);
		if (r > 0) {
			for (k = 0; k < (unsigned int)r; k++)
				st.tx_udp += out_cnt[done + k];
			done += (unsigned int)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		/* EAGAIN (buffer full) or an error for the first message */
		st.drop_send += out_cnt[done];
		done++;
	}
	out_n = 0;
}

/*
 * Received super-datagrams: UDP GRO hands over several datagrams from one
 * source in one buffer, all of gso_size bytes but the last.
 */
static uint8_t rbuf[TF_BATCH][TF_SUPER];
static struct iovec riov[TF_BATCH];
static struct mmsghdr rmsg[TF_BATCH];
static struct sockaddr_in rname[TF_BATCH];
static union {
	char		buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr	align;
} rctl[TF_BATCH];

static int
recv_batch(int fd)
{
	int i, n;

	for (i = 0; i < TF_BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		memset(&rmsg[i], 0, sizeof(rmsg[i]));
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
		rmsg[i].msg_hdr.msg_name = &rname[i];
		rmsg[i].msg_hdr.msg_namelen = sizeof(rname[i]);
		rmsg[i].msg_hdr.msg_control = rctl[i].buf;
		rmsg[i].msg_hdr.msg_controllen = sizeof(rctl[i].buf);
	}
	n = recvmmsg(fd, rmsg, TF_BATCH, MSG_DONTWAIT, NULL);
	return n < 0 ? 0 : n;
}

/* The segment size of received message i: its GRO size, else its length. */
static size_t
seg_size(int i)
{
	struct cmsghdr *c;
	size_t len = rmsg[i].msg_len;
	int gso;

	for (c = CMSG_FIRSTHDR(&rmsg[i].msg_hdr); c != NULL;
	    c = CMSG_NXTHDR(&rmsg[i].msg_hdr, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&gso, CMSG_DATA(c), sizeof(gso));
			if (gso > 0 && (size_t)gso < len)
				return (size_t)gso;
		}
	}
	return len;
}

static uint8_t bufs[TF_BATCH][TF_SLOT];

static int
run_site(int id, const char *tun, const struct sockaddr_in *pub, int mtu)
{
	struct pollfd pfd[2];
	uint64_t ctr = 0;
	const size_t off = TF_HDR + (tf_aead ? TF_CTR : 0);
	uint8_t origin, *p;
	int tfd, ufd, i, n;
	ssize_t r;
	long plen;
	size_t dlen, seg, o, len;
	time_t last = 0, now;

	tfd = tun_open(tun, mtu);
	ufd = udp_socket();
	if (tf_direct_port != 0) {
		struct sockaddr_in local;

		memset(&local, 0, sizeof(local));
		local.sin_family = AF_INET;
		local.sin_port = htons((uint16_t)tf_direct_port);
		if (bind(ufd, (const struct sockaddr *)&local,
		    sizeof(local)) == -1)
			die("bind");
	}
	if (connect(ufd, (const struct sockaddr *)pub, sizeof(*pub)) == -1)
		die("connect");
	pfd[0].fd = tfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = ufd;
	pfd[1].events = POLLIN;
	while (!tf_stop) {
		if ((now = now_s()) != last) {
			send_hello(ufd, id, &ctr);
			last = now;
		}
		if (poll(pfd, 2, 1000) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents & (POLLIN | POLLERR)) {
			/* TUN -> relay: up to TF_BATCH packets, GSO runs */
			for (n = 0; n < TF_BATCH; n++) {
				r = read(tfd, bufs[n] + off, (size_t)mtu + 1);
				if (r <= 0)
					break;
				st.rx_tun++;
				if (r > mtu) {
					st.drop_big++;
					n--;
					continue;
				}
				dlen = seal(bufs[n], (size_t)r, (uint8_t)id,
				    (uint8_t)('A' + id), &ctr);
				if (dlen == 0) {
					st.drop_send++;
					n--;
					continue;
				}
				out_add(bufs[n], dlen, NULL);
			}
			out_flush(ufd);
		}
		if (pfd[1].revents & (POLLIN | POLLERR)) {
			/* relay -> TUN: one recvmmsg, one write per packet */
			n = recv_batch(ufd);
			for (i = 0; i < n; i++) {
				if (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
					st.drop_big++;
					continue;
				}
				seg = seg_size(i);
				for (o = 0; o < rmsg[i].msg_len; o += seg) {
					p = rbuf[i] + o;
					len = rmsg[i].msg_len - o;
					if (len > seg)
						len = seg;
					st.rx_udp++;
					plen = open_dgram(p, len,
					    tf_direct_port ? 'A' : 'a', &origin);
					if (plen <= 0)	/* bad, or a hello */
						continue;
					if (origin != 1 - id) {
						st.drop_magic++;
						continue;
					}
					if (write(tfd, p + off, (size_t)plen) !=
					    plen) {
						st.drop_tunwrite++;
						continue;
					}
					st.tx_tun++;
				}
			}
		}
	}
	print_stats(id == 0 ? "site 0" : "site 1");
	return 0;
}

static int
same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr &&
	    a->sin_port == b->sin_port;
}

/* with --aead: the re-sealed datagrams, at the offsets they came in at */
static uint8_t obuf[TF_BATCH][TF_SUPER];

static int
run_relay(const struct sockaddr_in *bind_to)
{
	struct sockaddr_in site[2];
	int known[2] = { 0, 0 };
	uint64_t ctr[2] = { 0, 0 };
	const size_t off = TF_HDR + (tf_aead ? TF_CTR : 0);
	struct pollfd pfd;
	uint8_t origin, *p, *q;
	int fd, i, n;
	long plen;
	size_t dlen, seg, o, len;

	fd = udp_socket();
	if (bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)) == -1)
		die("bind");
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!tf_stop) {
		if (poll(&pfd, 1, 1000) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (!(pfd.revents & (POLLIN | POLLERR)))
			continue;
		n = recv_batch(fd);
		for (i = 0; i < n; i++) {
			if (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				st.drop_big++;
				continue;
			}
			if (rmsg[i].msg_hdr.msg_namelen != sizeof(rname[i]) ||
			    rname[i].sin_family != AF_INET) {
				st.drop_short++;
				continue;
			}
			seg = seg_size(i);
			for (o = 0; o < rmsg[i].msg_len; o += seg) {
				p = rbuf[i] + o;
				len = rmsg[i].msg_len - o;
				if (len > seg)
					len = seg;
				st.rx_udp++;
				plen = open_dgram(p, len, 'A', &origin);
				if (plen < 0)
					continue;
				/* learnt only from what a site sent (and proved) */
				if (!known[origin] ||
				    !same_addr(&site[origin], &rname[i])) {
					site[origin] = rname[i];
					known[origin] = 1;
					st.learnt++;
				}
				if (plen == 0)		/* a hello */
					continue;
				if (!known[1 - origin]) {
					st.drop_noaddr++;
					continue;
				}
				q = p;
				dlen = len;
				if (tf_aead) {
					/* same size out as in: same offset */
					q = obuf[i] + o;
					memcpy(q + off, p + off, (size_t)plen);
					dlen = seal(q, (size_t)plen, origin,
					    (uint8_t)('a' + origin),
					    &ctr[origin]);
					if (dlen == 0) {
						st.drop_send++;
						continue;
					}
				}
				st.tx_fwd++;
				out_add(q, dlen, &site[1 - origin]);
			}
		}
		out_flush(fd);
	}
	print_stats("relay");
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct sockaddr_in addr;
	int i, mtu = 1500, nargs;

	if (argc < 2)
		usage();
	nargs = strcmp(argv[1], "site") == 0 ? 6 :
	    strcmp(argv[1], "relay") == 0 ? 4 : 0;
	if (nargs == 0 || argc < nargs)
		usage();
	for (i = nargs; i < argc; i++) {
		if (strcmp(argv[i], "--aead") == 0)
			tf_aead = 1;
		else if (strcmp(argv[i], "--no-offload") == 0)
			tf_offload = 0;
		else if (strcmp(argv[i], "--mtu") == 0 && i + 1 < argc &&
		    nargs == 6)
			mtu = (int)parse_num(argv[++i], TF_MTU_MIN, TF_MTU_MAX,
			    "MTU");
		else if (strcmp(argv[i], "--direct") == 0 && i + 1 < argc &&
		    nargs == 6)
			tf_direct_port = (int)parse_num(argv[++i], 1, 65535,
			    "local port");
		else
			usage();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		die("sigaction");
	crypto_init();
	if (nargs == 6) {
		parse_addr(argv[4], argv[5], &addr);
		return run_site((int)parse_num(argv[2], 0, 1, "ID"), argv[3],
		    &addr, mtu);
	}
	parse_addr(argv[2], argv[3], &addr);
	return run_relay(&addr);
}
