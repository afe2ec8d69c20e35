/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for the JSON reader and writer: any
 * input is parsed as one object; when it parses, every field is looked up,
 * nested values are parsed again the way proxyctl reads rows, and the
 * fields are written back and must parse to the same strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#include "flags.h"

/* the largest legal input: a 64 KiB datagram, packet or control line */
static const char *const flags[] = { "-max_len=65600", NULL };

int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct json_doc	doc, inner, back;
/* escaping grows a string at most sixfold (a control byte to \u00XX) */
static char		out[6 * JSON_LINE_MAX + 64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct json_w	 w;
	const char	*why = NULL;
	const char	*s;
	int64_t		 v;
	size_t		 i;
	int		 n;

	if (json_parse((const char *)data, len, &doc, &why) != 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	json_begin(&w, out, sizeof(out));
	for (i = 0; i < doc.n; i++) {
		const struct json_kv *kv = &doc.kv[i];

		if (json_get(&doc, kv->key) != kv)
			abort();
		(void)json_get_int(&doc, kv->key, &v);
		s = json_get_str(&doc, kv->key);
		if ((s != NULL) != (kv->type == JSON_STR))
			abort();
		if (kv->type == JSON_RAW && kv->val[0] == '{')
			(void)json_parse(kv->val, strlen(kv->val), &inner,
			    &why);
		if (kv->type == JSON_STR)
			json_str(&w, kv->key, kv->val);
		else
			json_raw(&w, kv->key, kv->val);
	}
	if ((n = json_end(&w)) < 0)
		abort();
	if ((size_t)n > JSON_LINE_MAX)
		return 0;
	/* what the writer made of it must read back identically */
	if (json_parse(out, (size_t)n, &back, &why) != 0 || back.n != doc.n)
		abort();
	for (i = 0; i < doc.n; i++)
		if (strcmp(back.kv[i].key, doc.kv[i].key) != 0 ||
		    back.kv[i].type != doc.kv[i].type ||
		    strcmp(back.kv[i].val, doc.kv[i].val) != 0)
			abort();
	return 0;
}
