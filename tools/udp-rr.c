/* SPDX-License-Identifier: ISC */
/*
 * udp-rr: UDP request/response round trips, for tools/bench-relay.sh's
 * wake-up ceiling.  Not installed; the bench compiles it with cc.
 *
 *   udp-rr -s ADDR PORT            echo every datagram back (blocking
 *                                  recvfrom/sendto: the least work a
 *                                  process can do to pass a packet on)
 *   udp-rr -c ADDR PORT N USEC     N requests of 64 bytes, one every USEC
 *                                  microseconds, each waiting for its
 *                                  answer (1 s at most); prints the
 *                                  median round trip in ms and the count
 *                                  answered
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int fd;

	if (argc < 4 || (strcmp(argv[1], "-s") != 0 &&
	    (strcmp(argv[1], "-c") != 0 || argc < 6))) {
		fprintf(stderr, "usage: udp-rr -s ADDR PORT | "
		    "-c ADDR PORT N USEC\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
	    (fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1) {
		perror("udp-rr");
		return 1;
	}
	if (argv[1][1] == 's') {
		char buf[2048];

		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
			perror("udp-rr: bind");
			return 1;
		}
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fl);

			if (n > 0)
				(void)sendto(fd, buf, (size_t)n, 0,
				    (struct sockaddr *)&from, fl);
		}
	} else {
		int n = atoi(argv[4]), got = 0;
		double gap = atof(argv[5]) / 1e6, *rtt;
		struct timeval tv = { 1, 0 };
		char buf[64] = { 0 }, in[2048];

		if (n <= 0 || n > 1000000 || (rtt = calloc((size_t)n,
		    sizeof(*rtt))) == NULL ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)) == -1 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
			perror("udp-rr");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			double t0 = now_s(), t1;

			memcpy(buf, &i, sizeof(i));
			if (send(fd, buf, sizeof(buf), 0) == -1)
				continue;
			for (;;) {
				int j;

				if (recv(fd, in, sizeof(in), 0) <
				    (ssize_t)sizeof(j))
					break;
				memcpy(&j, in, sizeof(j));
				if (j != i)
					continue;	/* a late one */
				rtt[got++] = now_s() - t0;
				break;
			}
			while ((t1 = now_s()) < t0 + gap)
				if (t0 + gap - t1 > 200e-6)
					usleep(100);
		}
		if (got == 0) {
			printf("- 0\n");
			return 1;
		}
		qsort(rtt, (size_t)got, sizeof(*rtt), cmp);
		printf("%.3f %d\n", rtt[got / 2] * 1e3, got);
	}
	return 0;
}
