/* SPDX-License-Identifier: ISC */
/*
 * This file owns the default libFuzzer flags of the harnesses that include
 * it.  libFuzzer parses its flags after calling LLVMFuzzerInitialize(),
 * which may add to argv: a harness thus brings its own -max_len (the
 * longest legal input, which a plain "./fuzz_x corpus" run would otherwise
 * cap at 4096 bytes or the largest seed) and any other flag it needs.  A
 * flag given on the command line wins.
 */
#ifndef PROXYD_FUZZ_FLAGS_H
#define PROXYD_FUZZ_FLAGS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Adds each of the NULL-terminated "-name=value" flags that argv lacks.
 * The new argv is never freed: libFuzzer keeps pointers into it.
 */
static void
fuzz_default_flags(int *argc, char ***argv, const char *const *flags)
{
	char	**v;
	size_t	  nflags, len;
	int	  i, n = 0;

	for (nflags = 0; flags[nflags] != NULL; nflags++)
		continue;
	if ((v = calloc((size_t)*argc + nflags + 1, sizeof(*v))) == NULL)
		return;
	v[n++] = (*argv)[0];
	for (size_t f = 0; f < nflags; f++) {
		len = strcspn(flags[f], "=") + 1;
		for (i = 1; i < *argc; i++)
			if (strncmp((*argv)[i], flags[f], len) == 0)
				break;
		if (i == *argc)
			v[n++] = (char *)(uintptr_t)flags[f];
	}
	for (i = 1; i < *argc; i++)
		v[n++] = (*argv)[i];
	*argc = n;
	*argv = v;
}

#endif
