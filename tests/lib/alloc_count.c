/* SPDX-License-Identifier: ISC */
/*
 * An LD_PRELOAD shim for tests/e2e/e2e_alloc.sh: counts the heap allocations
 * of the process it is loaded into (malloc, calloc, realloc, the aligned
 * ones; free is not counted) and publishes the count.  A thread of its own
 * writes the total, in decimal, to $ALLOC_COUNT_DIR/PID every 50 ms (via a
 * temporary file and rename, so a reader never sees half a number).
 *
 * The wrappers call glibc's own entry points (__libc_malloc and friends),
 * so no dlsym() is needed before the first allocation.  Not for sanitizer
 * builds: those replace malloc themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	*__libc_memalign(size_t, size_t);
void	 __libc_free(void *);

static atomic_ulong allocs;

void *
malloc(size_t n)
{
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}

void *
memalign(size_t align, size_t n)
{
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return __libc_memalign(align, n);
}

void *
aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int
posix_memalign(void **pp, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	if ((p = memalign(align, n)) == NULL)
		return ENOMEM;
	*pp = p;
	return 0;
}

static char path[512], tmp[520];

static void *
reporter(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	char num[32];

	(void)arg;
	for (;;) {
		int len, fd;

		len = snprintf(num, sizeof(num), "%lu\n",
		    atomic_load_explicit(&allocs, memory_order_relaxed));
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd != -1) {
			if (write(fd, num, (size_t)len) == len)
				rename(tmp, path);
			close(fd);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

__attribute__((constructor)) static void
alloc_count_start(void)
{
	const char *dir = getenv("ALLOC_COUNT_DIR");
	pthread_t t;
	pthread_attr_t a;

	if (dir == NULL || *dir == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%ld", dir, (long)getpid());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (pthread_attr_init(&a) != 0)
		return;
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &a, reporter, NULL);
	pthread_attr_destroy(&a);
}
