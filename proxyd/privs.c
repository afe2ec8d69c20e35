/* SPDX-License-Identifier: ISC */
/*
 * This file owns the privilege drop and the check of the 'user' key.
 * proxyd needs root to open the TUN, bind its sockets, create the control
 * socket and read its keys; after that it needs only CAP_NET_ADMIN, for
 * the routes it changes on its TUN (rtnl.c) for as long as it runs and
 * for SO_RCVBUFFORCE/SO_SNDBUFFORCE.  So it becomes 'user' and keeps that
 * one capability, effective and permitted, and sets no_new_privs.
 *
 * No libcap: the whole job is one capset(2) with a fixed mask and one
 * capget(2) to check it, on two plain structs from <linux/capability.h>.
 * glibc has no wrapper for them, so they go through syscall(2); a library
 * dependency would buy nothing here.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "log.h"
#include "privs.h"

#define KEEP_CAP	CAP_NET_ADMIN
#define KEEP_CAP_NAME	"CAP_NET_ADMIN"

/*
 * Looks up c->user: 0 with its ids, or -1 with the message.  getpwnam()
 * says "no such user" with NULL and errno 0 or, with some NSS modules,
 * one of the errors listed in getpwnam(3); anything else is a failed
 * lookup, worth its own message.
 */
static int
user_lookup(const struct conf *c, uid_t *uid, gid_t *gid, char *msg,
    size_t len)
{
	struct passwd *pw;
	int e;

	errno = 0;
	if ((pw = getpwnam(c->user)) == NULL) {
		e = errno;
		if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF ||
		    e == EPERM)
			snprintf(msg, len, "%s: 'user' '%s' is not a user on "
			    "this system", c->user_at, c->user);
		else
			snprintf(msg, len, "%s: 'user' '%s' cannot be looked "
			    "up: %s", c->user_at, c->user, strerror(e));
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(msg, len, "%s: 'user' '%s' has uid 0: nothing would "
		    "be dropped", c->user_at, c->user);
		return -1;
	}
	if (pw->pw_gid == 0) {
		snprintf(msg, len, "%s: 'user' '%s' has gid 0 (root's group)",
		    c->user_at, c->user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
privs_check(const struct conf *c, char *msg, size_t len)
{
	uid_t uid;
	gid_t gid;

	if (c->user == NULL)
		return 0;
	return user_lookup(c, &uid, &gid, msg, len);
}

static int
caps_get(struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(d, 0, sizeof(*d) * _LINUX_CAPABILITY_U32S_3);
	return (int)syscall(SYS_capget, &h, d);
}

/* Sets effective and permitted to KEEP_CAP alone, inheritable to none. */
static int
caps_set_keep(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	d[CAP_TO_INDEX(KEEP_CAP)].effective = CAP_TO_MASK(KEEP_CAP);
	d[CAP_TO_INDEX(KEEP_CAP)].permitted = CAP_TO_MASK(KEEP_CAP);
	return (int)syscall(SYS_capset, &h, d);
}

/* Whether the capability sets are exactly what caps_set_keep() set. */
static bool
caps_are_kept(void)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (caps_get(d) == -1)
		return false;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		uint32_t want = i == CAP_TO_INDEX(KEEP_CAP) ?
		    CAP_TO_MASK(KEEP_CAP) : 0;

		if (d[i].effective != want || d[i].permitted != want ||
		    d[i].inheritable != 0)
			return false;
	}
	return true;
}

/*
 * The order matters.  KEEPCAPS first, or setresuid() would clear the
 * permitted set; groups and gid while we still may; uid last of the ids,
 * all three of each so no saved id can bring root back.  setresuid() has
 * cleared the effective set: capset() then keeps CAP_NET_ADMIN alone, with
 * nothing inheritable, so the ambient set (cleared too) stays empty.
 * no_new_privs stops an exec from ever gaining anything back.
 */
void
privs_drop(struct proxyd *px)
{
	const struct conf *c = px->conf;
	uid_t uid, ruid, euid, suid;
	gid_t gid, rgid, egid, sgid;
	char msg[512];

	if (c->user == NULL) {
		log_info("running as root: set 'user' to drop privileges");
		return;
	}
	if (user_lookup(c, &uid, &gid, msg, sizeof(msg)) == -1)
		fatalx("%s", msg);
	/*
	 * The socket is mode 0660: given to the user and its group, so that
	 * operators in that group can use proxyctl.  Its directory stays
	 * as it is (root's /run/proxyd by default).
	 */
	if (fchownat(AT_FDCWD, c->control, uid, gid, AT_SYMLINK_NOFOLLOW)
	    == -1)
		fatal("cannot give control socket '%s' to user '%s'",
		    c->control, c->user);
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) == -1)
		fatal("cannot drop privileges: PR_SET_KEEPCAPS");
	if (setgroups(1, &gid) == -1)
		fatal("cannot drop privileges: setgroups(%u)", (unsigned)gid);
	if (setresgid(gid, gid, gid) == -1)
		fatal("cannot drop privileges: setresgid(%u)", (unsigned)gid);
	if (setresuid(uid, uid, uid) == -1)
		fatal("cannot drop privileges: setresuid(%u)", (unsigned)uid);
	if (caps_set_keep() == -1)
		fatal("cannot drop privileges: capset(" KEEP_CAP_NAME ")");
	if (prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) == -1)
		fatal("cannot drop privileges: clearing PR_SET_KEEPCAPS");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) == -1)
		fatal("cannot drop privileges: clearing ambient capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == -1)
		fatal("cannot drop privileges: PR_SET_NO_NEW_PRIVS");

	/* Trust, but verify: any surprise here is fatal too. */
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("cannot verify the privilege drop: getresuid");
	if (ruid != uid || euid != uid || suid != uid || rgid != gid ||
	    egid != gid || sgid != gid || getuid() == 0 || geteuid() == 0)
		fatalx("privilege drop failed: uids %u/%u/%u gids %u/%u/%u, "
		    "want %u and %u", (unsigned)ruid, (unsigned)euid,
		    (unsigned)suid, (unsigned)rgid, (unsigned)egid,
		    (unsigned)sgid, (unsigned)uid, (unsigned)gid);
	if (setuid(0) != -1 || setgid(0) != -1)
		fatalx("privilege drop failed: root can be regained");
	if (!caps_are_kept())
		fatalx("privilege drop failed: capabilities other than "
		    KEEP_CAP_NAME " remain");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0L, 0L, 0L, 0L) != 1)
		fatalx("privilege drop failed: no_new_privs is not set");
	log_info("dropped privileges to user '%s' (uid %u, gid %u), keeping "
	    KEEP_CAP_NAME, c->user, (unsigned)uid, (unsigned)gid);
}
