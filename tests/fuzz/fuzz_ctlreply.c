/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for proxyctl's reply parsing: the
 * input plays proxyd on the other end of the control socket.  Its first
 * byte picks the command, its second how the rows are shown (bit 0: -j,
 * bit 1: topology --dot, bit 2: tables fitted to 80 columns, bit 3: -v),
 * and the rest is what the daemon sends, from the
 * hello answer on, fed through a socket pair by a thread as a daemon
 * would.  tools/proxyctl.c is compiled in whole (but its main), so the
 * real hello(), request() and printers run.  Checked: rows handed to the
 * printers are objects; tables, status lines, explain's text and the DOT
 * graph carry no control character but newlines, nor DEL; -j output
 * (JSON) none but whitespace.  proxyctl's own warnings go to
 * /dev/null (-close_fd_mask=2, libFuzzer keeps its output).
 */
#include <sys/socket.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flags.h"

#define PROXYCTL_NO_MAIN 1
#include "../../tools/proxyctl.c"

/*
 * The longest legal reply line is JSON_LINE_MAX bytes and a newline: room
 * for the hello answer and three such lines.
 */
static const char *const flags[] = { "-max_len=262144", "-close_fd_mask=2",
    NULL };

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * stdout goes through this: counts the control characters but newlines,
 * among them JSON's other whitespace (tab, carriage return), and DELs.
 * -j passes rows through, so their whitespace and DELs may stay (JSON
 * allows them, and no string holds a raw control character); text output
 * shows each of these as '?'.
 */
static size_t	out_ctl, out_ws, out_del;

static ssize_t
out_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\n')
			out_ctl++;
		if (buf[i] == '\t' || buf[i] == '\r')
			out_ws++;
		if (buf[i] == 0x7f)
			out_del++;
	}
	return (ssize_t)len;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const cookie_io_functions_t io = { .write = out_write };
	FILE *fp;

	fuzz_default_flags(argc, argv, flags);
	if ((fp = fopencookie(NULL, "w", io)) == NULL)
		abort();
	stdout = fp;
	/* what only main uses */
	(void)usage_short;
	(void)usage_long;
	(void)conn_open;
	(void)term_width;
	(void)sock_find;
	return 0;
}

struct feed {
	int		 fd;
	const uint8_t	*p;
	size_t		 len;
};

/* The daemon's side: sends everything, then EOF. */
static void *
feed_run(void *arg)
{
	struct feed	*f = arg;
	ssize_t		 n;

	while (f->len > 0) {
		n = send(f->fd, f->p, f->len, MSG_NOSIGNAL);
		if (n <= 0)
			break;		/* proxyctl gave up and closed */
		f->p += n;
		f->len -= (size_t)n;
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct conn	 c;
	static char		 dot[] = "--dot", arg[] = "x";
	char			*argv[2] = { arg, NULL };
	const struct command	*cmd;
	struct rows		 rs = { NULL, 0, 0 };
	struct feed		 f;
	pthread_t		 th;
	int			 fds[2], nargs, mode;
	bool			 json, dot_mode = false;

	if (len < 2)
		return -1;
	cmd = &commands[data[0] % NCOMMANDS];
	mode = data[1];
	if (command_find(cmd->name) != cmd ||
	    (cmd->alias != NULL && command_find(cmd->alias) != cmd))
		abort();
	json = mode & 1;
	verbose = (mode & 8) != 0;
	nargs = cmd->min_args;
	if ((mode & 2) && cmd->max_args == 1 && cmd->check != NULL) {
		argv[0] = dot;
		nargs = 1;
		dot_mode = true;
	}
	if (cmd->check != NULL && cmd->check(nargs, argv) == -1)
		abort();

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
		abort();
	f = (struct feed){ fds[1], data + 2, len - 2 };
	if (pthread_create(&th, NULL, feed_run, &f) != 0)
		abort();
	memset(&c, 0, offsetof(struct conn, buf));
	c.fd = fds[0];
	c.path = "fuzz";
	out_ctl = out_ws = out_del = 0;
	if (hello(&c) == 0 && request(&c, cmd->name, nargs, argv, &rs) == 0) {
		for (size_t i = 0; i < rs.n; i++)
			if (rs.v[i][0] != '{')
				abort();
		if (json)
			print_json(&rs);
		else if (dot_mode)
			print_dot(&rs, "a", &rs);
		else
			(void)print_rows(cmd, &rs, (mode & 4) ? 80 : 0);
		fflush(stdout);
		if (json ? out_ctl > out_ws : out_ctl + out_del > 0)
			abort();
	}
	rows_free(&rs);
	conn_close(&c);		/* unblocks the feeder if it still sends */
	pthread_join(th, NULL);
	close(fds[1]);
	return 0;
}
