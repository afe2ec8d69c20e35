/* SPDX-License-Identifier: ISC */
/*
 * TUN device set-up (TUNSETIFF, MTU, up), the read loop and the write
 * batch.  The read loop takes at most TUN_BATCH packets per readiness event
 * so the links' socket gets its turn; the fd stays readable and libevent
 * calls again.
 *
 * The device carries a virtio-net header (IFF_VNET_HDR) so that writes can
 * be GSO super-frames.  Packets for our LAN arrive in bursts from one
 * recvmmsg(); consecutive packets of one flow that the kernel could have
 * cut from one super-frame are held, and tun_flush() writes them as one
 * GSO frame: the kernel forwards it once and cuts it into the original
 * packets, with their checksums, at the end (or hands it whole to a LAN
 * host that takes it so).  Two kinds are held: UDP datagrams of the same
 * size (a tunnel's ESP in UDP, full-size; VIRTIO_NET_HDR_GSO_UDP_L4), and
 * TCP segments of one connection in sequence with equal headers, as GRO
 * joins them (VIRTIO_NET_HDR_GSO_TCPV4; lib/vnet.c says which).
 * Everything else, and a run of one, is written as it is.  If the kernel
 * refuses a GSO frame of a kind, the held packets are written one by one
 * and that kind is not tried again.
 *
 * Reads carry the header too.  Offloads are enabled where the kernel has
 * them (TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 |
 * TUN_F_USO6, Linux 6.2): the kernel then hands over a run of UDP
 * datagrams that GRO joined on the LAN interface (rx-udp-gro-forwarding),
 * or that a LAN host's socket sent with UDP GSO, and a LAN host's TCP
 * super-packet (TSO) or one that GRO joined, as one super-packet, which
 * lib/vnet.c cuts back into the packets, each in its own slot of the send
 * batch: one read() for up to 64 KB instead of one per packet.  Packets
 * whose checksum the kernel left partial are completed before they go on;
 * anything else the header announces is dropped and counted.  A kernel
 * without USO: no offloads, whole packets as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "buf.h"
#include "pkt.h"
#include "log.h"
#include "tun.h"
#include "txq.h"
#include "vnet.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5	/* Linux 6.2; older headers lack it */
#endif
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20	/* Linux 6.2 */
#define TUN_F_USO6	0x40
#endif

#define TUN_BATCH	64
#define VNET_LEN	((int)sizeof(struct virtio_net_hdr))
#define IP_UDP_LEN	28		/* IPv4 header without options + UDP */
#define HDR_MAX		80		/* IPv4 header + TCP with options */
#define HOLD_MAX	64		/* packets in one GSO frame */
#define HOLD_BYTES	65000		/* IP length of one GSO frame */

/*
 * The packets held for one GSO frame, stored whole and back to back: UDP
 * datagrams (proto 17) or TCP segments (6), all with headers of hlen bytes.
 */
struct hold {
	uint8_t		 mem[HOLD_BYTES + HDR_MAX];
	size_t		 off[HOLD_MAX], len[HOLD_MAX];
	int		 n;
	uint8_t		 proto;
	size_t		 hlen;		/* IP and transport header */
	size_t		 used;		/* bytes of mem in use */
	size_t		 seg;		/* payload of the first */
	size_t		 payload;	/* payload of all of them */
};

struct tun {
	struct proxyd	*px;
	int		 fd;
	int		 ifindex;
	int		 mtu;
	bool		 no_gso;	/* the kernel refused a UDP GSO frame */
	bool		 no_tso;	/* the kernel refused a TCP GSO frame */
	bool		 offload;	/* TUNSETOFFLOAD with USO took */
	uint8_t		*super;		/* a super-packet being cut */
	char		 name[IFNAMSIZ];
	struct event	*ev;
	tun_input_fn	 input;
	struct hold	 hold;
};

/*
 * A UDP (tcp false) or TCP GSO super-packet read into frame: copied aside,
 * then each of its datagrams or segments built in a slot of the send
 * batch and passed on.
 */
static void
read_super(struct tun *t, const struct virtio_net_hdr *vh, uint8_t *ip,
    size_t len, bool tcp)
{
	struct vnet_uso u;
	struct vnet_tso s;
	int n;

	if (t->super == NULL || (tcp ? vnet_tso_parse(ip, len, vh->gso_size,
	    vh->csum_start, &s) : vnet_uso_parse(ip, len, vh->gso_size,
	    vh->csum_start, &u)) == -1) {
		t->px->st.drop_malformed++;
		return;
	}
	memcpy(t->super, ip, len);
	t->px->st.tun_rx_gso++;
	n = tcp ? s.n : u.n;
	for (int i = 0; i < n; i++) {
		uint8_t *frame = txq_slot(t->px);
		uint8_t *out = frame + PKT_DATA_HEADROOM;

		t->input(t->px, frame, tcp ? vnet_tso_segment(t->super, &s, i,
		    out) : vnet_uso_segment(t->super, &u, i, out));
	}
}

static void
tun_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tun *t = arg;

	(void)what;
	now_burst_begin();
	/* read until empty (or a batch), each packet into the send batch */
	for (int i = 0; i < TUN_BATCH; i++) {
		uint8_t *frame = txq_slot(t->px);
		uint8_t *at = frame + PKT_DATA_HEADROOM - VNET_LEN;
		struct virtio_net_hdr vh;
		ssize_t n = read(fd, at, 65535 + VNET_LEN);
		size_t len;
		uint8_t gso;

		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("read from tun '%s'", t->name);
			break;
		}
		memcpy(&vh, at, sizeof(vh));
		if (n <= VNET_LEN) {
			t->px->st.drop_malformed++;
			continue;
		}
		len = (size_t)n - VNET_LEN;
		gso = vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
		if (t->offload && (gso == VIRTIO_NET_HDR_GSO_UDP_L4 ||
		    gso == VIRTIO_NET_HDR_GSO_TCPV4 ||
		    gso == VIRTIO_NET_HDR_GSO_TCPV6)) {
			read_super(t, &vh, frame + PKT_DATA_HEADROOM, len,
			    gso != VIRTIO_NET_HDR_GSO_UDP_L4);
			continue;
		}
		if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE ||
		    ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    (!t->offload || vnet_csum_complete(frame +
		    PKT_DATA_HEADROOM, len, vh.csum_start, vh.csum_offset)
		    == -1))) {
			t->px->st.drop_malformed++;	/* not offered */
			continue;
		}
		t->input(t->px, frame, len);
	}
	now_burst_end();
	txq_flush(t->px);
}

/*
 * Offloads on reads where the kernel has UDP segmentation offload on the
 * TUN (TCP's it has had for long); without it (before 6.2: EINVAL) none,
 * and packets come whole.
 */
static void
offload_on(struct tun *t)
{
	unsigned int f = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 |
	    TUN_F_USO6;

	if ((t->super = malloc(65536)) == NULL)
		return;
	if (ioctl(t->fd, TUNSETOFFLOAD, f) == -1) {
		log_info("tun '%s': no UDP segmentation offload (%s): reading "
		    "packet by packet", t->name, strerror(errno));
		free(t->super);
		t->super = NULL;
		return;
	}
	t->offload = true;
}

static int
if_set(const char *name, int mtu)
{
	struct ifreq ifr;
	int s, rc = -1;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) == -1) {
		log_warn("cannot set mtu %d on '%s'", mtu, name);
		goto out;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1) {
		log_warn("cannot read flags of '%s'", name);
		goto out;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1) {
		log_warn("cannot bring '%s' up", name);
		goto out;
	}
	rc = 0;
out:
	close(s);
	return rc;
}

struct tun *
tun_open(struct proxyd *px, const char *name, int mtu, tun_input_fn input)
{
	struct tun *t;
	struct ifreq ifr;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->px = px;
	t->input = input;
	t->mtu = mtu;
	if ((t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC))
	    == -1) {
		log_warn("cannot open /dev/net/tun");
		goto fail_free;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) == -1) {
		log_warn("cannot create tun '%s'", name);
		goto fail_close;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	{
		int hl = VNET_LEN;

		if (ioctl(t->fd, TUNSETVNETHDRSZ, &hl) == -1) {
			log_warn("cannot set the header size of tun '%s'",
			    t->name);
			goto fail_close;
		}
	}
	offload_on(t);
	if (if_set(t->name, mtu) == -1)
		goto fail_close;
	if ((t->ifindex = (int)if_nametoindex(t->name)) == 0) {
		log_warn("cannot find index of '%s'", t->name);
		goto fail_close;
	}
	t->ev = event_new(px->base, t->fd, EV_READ | EV_PERSIST, tun_read_cb,
	    t);
	if (t->ev == NULL || event_add(t->ev, NULL) == -1) {
		log_warnx("cannot watch tun '%s'", t->name);
		goto fail_close;
	}
	log_info("tun '%s' up, mtu %d", t->name, mtu);
	return t;
fail_close:
	if (t->ev != NULL)
		event_free(t->ev);
	free(t->super);
	close(t->fd);
fail_free:
	free(t);
	return NULL;
}

void
tun_close(struct tun *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	close(t->fd);
	free(t->super);
	free(t);
}

/* Writes one packet as it is (an all-zero virtio-net header before it). */
static int
write_one(struct tun *t, const uint8_t *p, size_t len)
{
	static struct virtio_net_hdr none;	/* all zero, never written */
	struct iovec iov[2] = {
		{ &none, sizeof(none) }, { (void *)(uintptr_t)p, len }
	};

	if (writev(t->fd, iov, 2) == -1) {
		log_debug("write to tun '%s': %s", t->name, strerror(errno));
		return -1;
	}
	t->px->st.tun_tx++;
	return 0;
}

/*
 * The header length of a packet that may go into a GSO frame, 0 if none
 * may: a UDP datagram (IPv4 without options, not a fragment, DF set so
 * that rewriting the IP ids is harmless, lengths consistent, some
 * payload), or a TCP segment that GRO could join (vnet.h).
 */
static size_t
holdable(const struct tun *t, const uint8_t *ip, size_t len)
{
	if (len <= IP_UDP_LEN || len > HOLD_BYTES || ip[0] != 0x45)
		return 0;
	if (ip[9] == 6)
		return t->no_tso ? 0 : vnet_tcp_gro_hlen(ip, len);
	return !t->no_gso && ip[9] == 17 && be16_get(ip + 2) == len &&
	    (be16_get(ip + 6) & 0xbfff) == 0 && (ip[6] & 0x40) &&
	    be16_get(ip + 24) == len - 20 ? IP_UDP_LEN : 0;
}

/* Same flow and header as the held ones, in sequence, and room for it. */
static bool
joins(const struct hold *h, const uint8_t *ip, size_t len, size_t hlen)
{
	const uint8_t *first = h->mem;

	if (h->n == 0 || h->n >= HOLD_MAX || ip[9] != h->proto ||
	    hlen != h->hlen || len - hlen > h->seg ||
	    h->used + len > sizeof(h->mem) ||
	    hlen + h->payload + (len - hlen) > HOLD_BYTES)
		return false;
	if (h->proto == 6)
		return vnet_tcp_follows(first, ip, hlen, h->payload);
	return ip[1] == first[1] && ip[8] == first[8] &&
	    memcmp(ip + 12, first + 12, 12) == 0;	/* addresses, ports */
}

/* The held packets as one GSO frame; -1 if the kernel refused it. */
static int
write_gso(struct tun *t)
{
	struct hold *h = &t->hold;
	struct virtio_net_hdr vh;
	uint8_t hdr[HDR_MAX];
	struct iovec iov[2 + HOLD_MAX];
	size_t total = h->hlen + h->payload;
	bool tcp = h->proto == 6;
	const uint8_t *last = h->mem + h->off[h->n - 1];

	memcpy(hdr, h->mem, h->hlen);
	be16_put(hdr + 2, (uint16_t)total);
	be16_put(hdr + 10, 0);
	be16_put(hdr + 10, (uint16_t)~vnet_sum(hdr, 20, 0));
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.hdr_len = (uint16_t)h->hlen;
	vh.gso_size = (uint16_t)h->seg;
	vh.csum_start = 20;
	/* the checksum field: the pseudo-header sum only, the kernel (or
	 * the receiving host, taking the frame whole) adds the rest */
	if (tcp) {
		hdr[33] |= last[33] & VNET_TH_PSH;	/* the last one's push */
		be16_put(hdr + 36, vnet_sum(hdr + 12, 8,
		    6u + (uint32_t)(total - 20)));
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh.csum_offset = 16;
	} else {
		be16_put(hdr + 24, (uint16_t)(total - 20));
		be16_put(hdr + 26, vnet_sum(hdr + 12, 8,
		    17u + (uint32_t)(total - 20)));
		vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		vh.csum_offset = 6;
	}
	iov[0].iov_base = &vh;
	iov[0].iov_len = sizeof(vh);
	iov[1].iov_base = hdr;
	iov[1].iov_len = h->hlen;
	for (int i = 0; i < h->n; i++) {
		iov[2 + i].iov_base = h->mem + h->off[i] + h->hlen;
		iov[2 + i].iov_len = h->len[i] - h->hlen;
	}
	if (writev(t->fd, iov, 2 + h->n) == -1) {
		if (errno == EINVAL || errno == EOPNOTSUPP) {
			log_info("tun '%s': %s GSO frames refused (%s): "
			    "writing them one by one from now on", t->name,
			    tcp ? "TCP" : "UDP", strerror(errno));
			if (tcp)
				t->no_tso = true;
			else
				t->no_gso = true;
			return -1;
		}
		/* a full queue and the like: the packets are lost */
		log_debug("write to tun '%s': %s", t->name, strerror(errno));
		return 0;
	}
	t->px->st.tun_tx += (uint64_t)h->n;
	t->px->st.tun_gso++;
	return 0;
}

void
tun_flush(struct tun *t)
{
	struct hold *h;

	if (t == NULL || (h = &t->hold)->n == 0)
		return;
	if (h->n == 1 || write_gso(t) == -1)
		for (int i = 0; i < h->n; i++)
			write_one(t, h->mem + h->off[i], h->len[i]);
	h->n = 0;
	h->used = 0;
	h->payload = 0;
}

void
tun_send(struct tun *t, const uint8_t *ip, size_t len)
{
	struct hold *h = &t->hold;
	size_t hlen = holdable(t, ip, len);

	if (hlen != 0) {
		if (!joins(h, ip, len, hlen))
			tun_flush(t);
		if (h->n == 0) {
			h->proto = ip[9];
			h->hlen = hlen;
			h->seg = len - hlen;
		}
		h->off[h->n] = h->used;
		h->len[h->n] = len;
		memcpy(h->mem + h->used, ip, len);
		h->used += len;
		h->payload += len - hlen;
		h->n++;
		/* a shorter one, or a push, ends the run */
		if (len - hlen < h->seg || h->n == HOLD_MAX ||
		    (h->proto == 6 && (ip[33] & VNET_TH_PSH)))
			tun_flush(t);
		return;
	}
	tun_flush(t);
	write_one(t, ip, len);
}

int
tun_ifindex(const struct tun *t)
{
	return t->ifindex;
}

const char *
tun_name(const struct tun *t)
{
	return t->name;
}
