/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests of lib/json.c: the writer's escaping and
 * overflow handling, the reader on valid control-protocol lines, and the
 * reader's refusal of every kind of bad input; arrays written element by
 * element and stepped through with json_array_next().
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static struct json_doc	 doc;
static const char	*why;

static int
parse(const char *s)
{
	why = NULL;
	return json_parse(s, strlen(s), &doc, &why);
}

/* Writes one string field and returns the object text. */
static const char *
write_str(const char *val)
{
	static char	 buf[512];
	struct json_w	 w;

	json_begin(&w, buf, sizeof(buf));
	json_str(&w, "k", val);
	ck_assert_int_ge(json_end(&w), 0);
	return buf;
}

/* writer */

START_TEST(writer_builds_object_of_all_types)
{
	char		buf[256];
	struct json_w	w;
	int		n;

	json_begin(&w, buf, sizeof(buf));
	json_int(&w, "id", -7);
	json_uint(&w, "big", UINT64_MAX);
	json_str(&w, "s", "x");
	json_dbl(&w, "d", 1.5);
	json_bool(&w, "t", true);
	json_bool(&w, "f", false);
	json_null(&w, "z");
	json_raw(&w, "v", "[1,0]");
	n = json_end(&w);
	ck_assert_str_eq(buf, "{\"id\":-7,\"big\":18446744073709551615,"
	    "\"s\":\"x\",\"d\":1.500,\"t\":true,\"f\":false,\"z\":null,"
	    "\"v\":[1,0]}");
	ck_assert_int_eq(n, (int)strlen(buf));
}
END_TEST

START_TEST(writer_builds_empty_object)
{
	char		buf[8];
	struct json_w	w;

	json_begin(&w, buf, sizeof(buf));
	ck_assert_int_eq(json_end(&w), 2);
	ck_assert_str_eq(buf, "{}");
}
END_TEST

START_TEST(writer_escapes_quotes_and_backslashes)
{
	ck_assert_str_eq(write_str("a\"b\\c/d"), "{\"k\":\"a\\\"b\\\\c/d\"}");
}
END_TEST

START_TEST(writer_escapes_control_characters)
{
	ck_assert_str_eq(write_str("\b\f\n\r\t"),
	    "{\"k\":\"\\b\\f\\n\\r\\t\"}");
	ck_assert_str_eq(write_str("\x01\x1f\x7f"),
	    "{\"k\":\"\\u0001\\u001f\\u007f\"}");
	ck_assert_str_eq(write_str("\x1b[31m"), "{\"k\":\"\\u001b[31m\"}");
}
END_TEST

START_TEST(writer_escapes_keys)
{
	char		buf[64];
	struct json_w	w;

	json_begin(&w, buf, sizeof(buf));
	json_int(&w, "a\"\n", 1);
	ck_assert_int_ge(json_end(&w), 0);
	ck_assert_str_eq(buf, "{\"a\\\"\\n\":1}");
}
END_TEST

START_TEST(writer_passes_valid_utf8)
{
	ck_assert_str_eq(write_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	    "{\"k\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
}
END_TEST

START_TEST(writer_replaces_invalid_utf8)
{
	/* lone continuation, overlong '/', surrogate, truncated sequence */
	ck_assert_str_eq(write_str("a\x80" "b"), "{\"k\":\"a\\ufffdb\"}");
	ck_assert_str_eq(write_str("\xc0\xaf"),
	    "{\"k\":\"\\ufffd\\ufffd\"}");
	ck_assert_str_eq(write_str("\xed\xa0\x80"),
	    "{\"k\":\"\\ufffd\\ufffd\\ufffd\"}");
	ck_assert_str_eq(write_str("x\xe2\x82"),
	    "{\"k\":\"x\\ufffd\\ufffd\"}");
}
END_TEST

START_TEST(writer_writes_null_for_nonfinite_double)
{
	char		buf[64];
	struct json_w	w;

	json_begin(&w, buf, sizeof(buf));
	json_dbl(&w, "a", NAN);
	json_dbl(&w, "b", INFINITY);
	json_dbl(&w, "c", -0.25);
	ck_assert_int_ge(json_end(&w), 0);
	ck_assert_str_eq(buf, "{\"a\":null,\"b\":null,\"c\":-0.250}");
}
END_TEST

START_TEST(writer_output_parses_back)
{
	char		buf[256];
	struct json_w	w;
	const char	*s = "q\"\\\x01\n\xc3\xa9\xf0\x9f\x98\x80";

	json_begin(&w, buf, sizeof(buf));
	json_str(&w, "s", s);
	json_int(&w, "n", INT64_MIN);
	ck_assert_int_ge(json_end(&w), 0);
	ck_assert_int_eq(parse(buf), 0);
	ck_assert_str_eq(json_get_str(&doc, "s"), s);
}
END_TEST

/* Every capacity below the full length fails; the exact one succeeds. */
START_TEST(writer_fails_when_buffer_too_small)
{
	char		full[128], buf[128];
	struct json_w	w;
	int		len, cap;

	json_begin(&w, full, sizeof(full));
	json_str(&w, "name", "a\"b\x01");
	json_int(&w, "n", 12345);
	json_dbl(&w, "d", 2.0);
	len = json_end(&w);
	ck_assert_int_gt(len, 0);

	for (cap = 0; cap <= len + 1; cap++) {
		memset(buf, 'X', sizeof(buf));
		json_begin(&w, cap ? buf : NULL, (size_t)cap);
		json_str(&w, "name", "a\"b\x01");
		json_int(&w, "n", 12345);
		json_dbl(&w, "d", 2.0);
		if (cap <= len) {
			ck_assert_int_eq(json_end(&w), -1);
			ck_assert(w.err);
			if (cap > 0)
				ck_assert_int_eq(buf[0], '\0');
			/* nothing written past the capacity */
			ck_assert_int_eq(buf[cap], 'X');
		} else {
			ck_assert_int_eq(json_end(&w), len);
			ck_assert_str_eq(buf, full);
		}
	}
}
END_TEST

/* arrays: written from element objects, read back element by element */

START_TEST(array_of_objects_round_trips)
{
	char		 arr[256], one[64], row[512];
	struct json_w	 a, o, w;
	const char	*e;
	size_t		 off = 0, n;
	int		 i;

	json_begin_array(&a, arr, sizeof(arr));
	for (i = 0; i < 3; i++) {
		json_begin(&o, one, sizeof(one));
		json_str(&o, "peer", i == 1 ? "b\"q" : "a");
		json_uint(&o, "cost", (uint64_t)i + 1);
		ck_assert_int_gt(json_end(&o), 0);
		json_elem(&a, one);
	}
	ck_assert_int_gt(json_end_array(&a), 0);
	ck_assert_str_eq(arr, "[{\"peer\":\"a\",\"cost\":1},"
	    "{\"peer\":\"b\\\"q\",\"cost\":2},{\"peer\":\"a\",\"cost\":3}]");
	json_begin(&w, row, sizeof(row));
	json_raw(&w, "links", arr);
	ck_assert_int_gt(json_end(&w), 0);
	ck_assert_int_eq(parse(row), 0);
	ck_assert_int_eq(json_get(&doc, "links")->type, JSON_RAW);
	ck_assert_str_eq(json_get(&doc, "links")->val, arr);

	for (i = 0; json_array_next(arr, &off, &e, &n); i++) {
		struct json_doc	*d = malloc(sizeof(*d));
		int64_t		 cost = 0;

		ck_assert_ptr_nonnull(d);
		ck_assert_int_eq(json_parse(e, n, d, &why), 0);
		ck_assert_str_eq(json_get_str(d, "peer"), i == 1 ? "b\"q" : "a");
		ck_assert_int_eq(json_get_int(d, "cost", &cost), 0);
		ck_assert_int_eq(cost, i + 1);
		free(d);
	}
	ck_assert_int_eq(i, 3);
	ck_assert(!json_array_next(arr, &off, &e, &n));	/* stays at end */
}
END_TEST

START_TEST(array_empty_and_scalars)
{
	char		 arr[8];
	struct json_w	 a;
	const char	*e = NULL;
	size_t		 off = 0, n = 0;

	json_begin_array(&a, arr, sizeof(arr));
	ck_assert_int_eq(json_end_array(&a), 2);
	ck_assert_str_eq(arr, "[]");
	ck_assert(!json_array_next(arr, &off, &e, &n));
	off = 0;
	ck_assert(!json_array_next(" [ ] ", &off, &e, &n));

	off = 0;
	ck_assert(json_array_next("[ 1 , \"x,]\" ,[2,3],null ]", &off, &e, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(strncmp(e, "1", n), 0);
	ck_assert(json_array_next("[ 1 , \"x,]\" ,[2,3],null ]", &off, &e, &n));
	ck_assert_int_eq(strncmp(e, "\"x,]\"", n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert(json_array_next("[ 1 , \"x,]\" ,[2,3],null ]", &off, &e, &n));
	ck_assert_int_eq(strncmp(e, "[2,3]", n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert(json_array_next("[ 1 , \"x,]\" ,[2,3],null ]", &off, &e, &n));
	ck_assert_int_eq(strncmp(e, "null", n), 0);
	ck_assert(!json_array_next("[ 1 , \"x,]\" ,[2,3],null ]", &off, &e, &n));
}
END_TEST

START_TEST(array_next_stops_at_bad_text)
{
	static const char *const bad[] = {
		"", "{}", "\"[1]\"", "[", "[1", "[1,", "[1 2]", "[,1]",
		"[\"unterminated]", "[1,]",
	};
	const char	*e;
	size_t		 i, off, n, seen;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		off = 0;
		seen = 0;
		while (json_array_next(bad[i], &off, &e, &n))
			seen++;
		/* at most the one good element before the damage */
		ck_assert_msg(seen <= 1, "'%s': %zu elements", bad[i], seen);
	}
	off = 0;
	ck_assert(!json_array_next(NULL, &off, &e, &n));
	off = 99;			/* past the end */
	ck_assert(!json_array_next("[1]", &off, &e, &n));
}
END_TEST

/* A failed element (json_end() left "") fails the array, not its JSON. */
START_TEST(array_fails_on_failed_element_or_small_buffer)
{
	char		 arr[64], one[8];
	struct json_w	 a, o;

	json_begin_array(&a, arr, sizeof(arr));
	json_begin(&o, one, sizeof(one));
	json_str(&o, "peer", "too long for eight bytes");
	ck_assert_int_eq(json_end(&o), -1);
	json_elem(&a, one);
	ck_assert_int_eq(json_end_array(&a), -1);
	ck_assert_str_eq(arr, "");

	json_begin_array(&a, arr, sizeof(arr));
	json_elem(&a, NULL);
	ck_assert_int_eq(json_end_array(&a), -1);

	json_begin_array(&a, arr, 6);		/* "[1,2]" needs 6 with NUL */
	json_elem(&a, "1");
	json_elem(&a, "2");
	ck_assert_int_eq(json_end_array(&a), 5);
	json_begin_array(&a, arr, 5);
	json_elem(&a, "1");
	json_elem(&a, "2");
	ck_assert_int_eq(json_end_array(&a), -1);
	ck_assert_str_eq(arr, "");
}
END_TEST

/* reader: valid lines */

START_TEST(reader_parses_hello)
{
	const struct json_kv	*kv;
	int64_t			 id = -1;

	ck_assert_int_eq(parse("{\"id\":0,\"cmd\":\"hello\",\"v\":[1,0],"
	    "\"client\":\"proxyctl 0.1\"}"), 0);
	ck_assert_uint_eq(doc.n, 4);
	ck_assert_int_eq(json_get_int(&doc, "id", &id), 0);
	ck_assert_int_eq(id, 0);
	ck_assert_str_eq(json_get_str(&doc, "cmd"), "hello");
	ck_assert_str_eq(json_get_str(&doc, "client"), "proxyctl 0.1");
	kv = json_get(&doc, "v");
	ck_assert_ptr_nonnull(kv);
	ck_assert_int_eq(kv->type, JSON_RAW);
	ck_assert_str_eq(kv->val, "[1,0]");
	ck_assert_ptr_null(json_get(&doc, "nope"));
	ck_assert_ptr_null(json_get_str(&doc, "v"));
}
END_TEST

START_TEST(reader_keeps_nested_row_as_raw_text)
{
	const struct json_kv	*kv;
	struct json_doc		*row = malloc(sizeof(*row));
	const char		*w2 = NULL;

	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(parse("{\"id\":1,\"row\":{\"name\":\"b\","
	    "\"rtt_ms\":1.25,\"up\":true,\"x\":{\"y\":[1,{\"z\":null}]}}}"),
	    0);
	kv = json_get(&doc, "row");
	ck_assert_ptr_nonnull(kv);
	ck_assert_int_eq(kv->type, JSON_RAW);
	ck_assert_int_eq(json_parse(kv->val, strlen(kv->val), row, &w2), 0);
	ck_assert_str_eq(json_get_str(row, "name"), "b");
	ck_assert_int_eq(json_get(row, "rtt_ms")->type, JSON_NUM);
	ck_assert_str_eq(json_get(row, "rtt_ms")->val, "1.25");
	ck_assert_int_eq(json_get(row, "up")->type, JSON_BOOL);
	ck_assert_str_eq(json_get(row, "up")->val, "true");
	ck_assert_str_eq(json_get(row, "x")->val, "{\"y\":[1,{\"z\":null}]}");
	free(row);
}
END_TEST

START_TEST(reader_accepts_whitespace_and_empty_object)
{
	ck_assert_int_eq(parse(" \t{ } \r\n"), 0);
	ck_assert_uint_eq(doc.n, 0);
	ck_assert_int_eq(parse("{ \"a\" : [ 1 , 2 ] , \"b\" : null }\n"), 0);
	ck_assert_uint_eq(doc.n, 2);
	ck_assert_str_eq(json_get(&doc, "a")->val, "[ 1 , 2 ]");
	ck_assert_int_eq(json_get(&doc, "b")->type, JSON_NULL);
	ck_assert_int_eq(parse("{\"a\":[],\"b\":{},\"\":\"empty key\"}"), 0);
	ck_assert_str_eq(json_get_str(&doc, ""), "empty key");
}
END_TEST

START_TEST(reader_unescapes_strings)
{
	ck_assert_int_eq(parse("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}"), 0);
	ck_assert_str_eq(json_get_str(&doc, "s"), "\"\\/\b\f\n\r\t");
	ck_assert_int_eq(parse("{\"s\":\"\\u0041\\u00e9\\u20AC\"}"), 0);
	ck_assert_str_eq(json_get_str(&doc, "s"), "A\xc3\xa9\xe2\x82\xac");
	ck_assert_int_eq(parse("{\"k\\u0065y\":1}"), 0);
	ck_assert_ptr_nonnull(json_get(&doc, "key"));
}
END_TEST

START_TEST(reader_joins_surrogate_pairs)
{
	ck_assert_int_eq(parse("{\"s\":\"\\ud83d\\ude00\"}"), 0);
	ck_assert_str_eq(json_get_str(&doc, "s"), "\xf0\x9f\x98\x80");
	ck_assert_int_eq(parse("{\"s\":\"\\uDBFF\\uDFFF\"}"), 0);
	ck_assert_str_eq(json_get_str(&doc, "s"), "\xf4\x8f\xbf\xbf");
}
END_TEST

START_TEST(reader_accepts_raw_utf8)
{
	ck_assert_int_eq(parse("{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}"), 0);
	ck_assert_str_eq(json_get_str(&doc, "s"),
	    "caf\xc3\xa9 \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(reader_keeps_numbers_as_text)
{
	static const char *const nums[] = {
		"0", "-0", "12", "-3.25", "1e9", "1E+2", "2.5e-3", "0.0"
	};
	char	line[64];
	size_t	i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		snprintf(line, sizeof(line), "{\"n\":%s}", nums[i]);
		ck_assert_msg(parse(line) == 0, "%s: %s", line, why);
		ck_assert_int_eq(json_get(&doc, "n")->type, JSON_NUM);
		ck_assert_str_eq(json_get(&doc, "n")->val, nums[i]);
	}
}
END_TEST

START_TEST(reader_get_int_checks_type_and_range)
{
	int64_t v = 42;

	ck_assert_int_eq(parse("{\"a\":9223372036854775807,"
	    "\"b\":-9223372036854775808,\"c\":9223372036854775808,"
	    "\"d\":1.5,\"e\":\"7\",\"f\":1e3,\"g\":-0}"), 0);
	ck_assert_int_eq(json_get_int(&doc, "a", &v), 0);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(json_get_int(&doc, "b", &v), 0);
	ck_assert_int_eq(v, INT64_MIN);
	v = 42;
	ck_assert_int_eq(json_get_int(&doc, "c", &v), -1);
	ck_assert_int_eq(json_get_int(&doc, "d", &v), -1);
	ck_assert_int_eq(json_get_int(&doc, "e", &v), -1);
	ck_assert_int_eq(json_get_int(&doc, "f", &v), -1);
	ck_assert_int_eq(json_get_int(&doc, "missing", &v), -1);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(json_get_int(&doc, "g", &v), 0);
	ck_assert_int_eq(v, 0);
}
END_TEST

START_TEST(reader_accepts_depth_16)
{
	char	line[128];
	size_t	i, o = 0;

	/* the top-level object plus 15 nested arrays */
	o += (size_t)snprintf(line + o, sizeof(line) - o, "{\"a\":");
	for (i = 0; i < 15; i++)
		line[o++] = '[';
	for (i = 0; i < 15; i++)
		line[o++] = ']';
	line[o++] = '}';
	line[o] = '\0';
	ck_assert_msg(parse(line) == 0, "%s", why);
}
END_TEST

START_TEST(reader_accepts_json_kv_max_keys)
{
	char	line[4096];
	size_t	o = 0;
	int	i;

	line[o++] = '{';
	for (i = 0; i < JSON_KV_MAX; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o,
		    "%s\"k%d\":%d", i ? "," : "", i, i);
	line[o++] = '}';
	line[o] = '\0';
	ck_assert_int_eq(parse(line), 0);
	ck_assert_uint_eq(doc.n, JSON_KV_MAX);
	ck_assert_str_eq(json_get(&doc, "k63")->val, "63");
	ck_assert_str_eq(json_get(&doc, "k127")->val, "127");
}
END_TEST

START_TEST(reader_accepts_line_of_maximum_size)
{
	size_t	 len = JSON_LINE_MAX, i;
	char	*line = malloc(len + 1);

	ck_assert_ptr_nonnull(line);
	memcpy(line, "{\"s\":\"", 6);
	for (i = 6; i < len - 2; i++)
		line[i] = 'x';
	line[len - 2] = '"';
	line[len - 1] = '}';
	line[len] = '\0';
	ck_assert_int_eq(json_parse(line, len, &doc, &why), 0);
	ck_assert_uint_eq(strlen(json_get_str(&doc, "s")), len - 8);
	free(line);
}
END_TEST

START_TEST(reader_respects_length_not_nul)
{
	const char s[] = "{\"a\":1}{\"b\":2}";

	ck_assert_int_eq(json_parse(s, 7, &doc, &why), 0);
	ck_assert_uint_eq(doc.n, 1);
}
END_TEST

/* reader: bad input, one table per kind */

struct bad {
	const char	*in;
	const char	*why;	/* NULL: any reason */
};

static void
check_bad(const struct bad *b)
{
	int64_t	v;

	doc.n = 99;
	ck_assert_msg(parse(b->in) == -1, "accepted: %s", b->in);
	ck_assert_ptr_nonnull(why);
	if (b->why != NULL)
		ck_assert_msg(strcmp(why, b->why) == 0,
		    "%s: got '%s' want '%s'", b->in, why, b->why);
	ck_assert_uint_eq(doc.n, 0);
	ck_assert_ptr_null(json_get(&doc, "a"));
	ck_assert_int_eq(json_get_int(&doc, "a", &v), -1);
}

static const struct bad bad_truncated[] = {
	{ "", "empty input" },
	{ "   ", "empty input" },
	{ "{", "truncated" },
	{ "{\"a\"", "truncated" },
	{ "{\"a\":", "truncated" },
	{ "{\"a\":1", "truncated" },
	{ "{\"a\":1,", "truncated" },
	{ "{\"a\":\"x", "unterminated string" },
	{ "{\"a\":\"x\\", "unterminated string" },
	{ "{\"a\":\"\\u12", "truncated \\u escape" },
	{ "{\"a\":[1,2", "truncated" },
	{ "{\"a\":{\"b\":", "truncated" },
	{ "{\"a\":tru", NULL },
	{ "{\"a\":-", "bad number" },
};

static const struct bad bad_escapes[] = {
	{ "{\"a\":\"\\x\"}", "bad escape in string" },
	{ "{\"a\":\"\\U0041\"}", "bad escape in string" },
	{ "{\"a\":\"\\'\"}", "bad escape in string" },
	{ "{\"a\":\"\\u00g1\"}", "bad hex digit in \\u escape" },
	{ "{\"a\":\"\\u0000\"}", "NUL in string" },
	{ "{\"a\":\"\\ud83d\"}", "unpaired high surrogate" },
	{ "{\"a\":\"\\ud83dx\"}", "unpaired high surrogate" },
	{ "{\"a\":\"\\ud83d\\u0041\"}", "unpaired high surrogate" },
	{ "{\"a\":\"\\ude00\"}", "unpaired low surrogate" },
	{ "{\"a\":[\"\\q\"]}", "bad escape in string" },
	{ "{\"a\\z\":1}", "bad escape in string" },
	{ "{\"a\":\"tab\there\"}", "control character in string" },
	{ "{\"a\":\"nl\nhere\"}", "control character in string" },
	{ "{\"a\":\"\x80\"}", "invalid UTF-8 in string" },
	{ "{\"a\":\"\xc0\xaf\"}", "invalid UTF-8 in string" },
	{ "{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8 in string" },
	{ "{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8 in string" },
	{ "{\"a\":\"\xe2\x82\"}", "invalid UTF-8 in string" },
};

static const struct bad bad_trailing[] = {
	{ "{}x", "trailing garbage" },
	{ "{\"a\":1} {}", "trailing garbage" },
	{ "{\"a\":1}\n\n,", "trailing garbage" },
	{ "{\"a\":1}\v", "trailing garbage" },
};

static const struct bad bad_syntax[] = {
	{ "[1]", "expected '{'" },
	{ "\"a\"", "expected '{'" },
	{ "{a:1}", "expected string key" },
	{ "{'a':1}", "expected string key" },
	{ "{\"a\" 1}", "expected ':'" },
	{ "{\"a\":1,}", "expected string key" },
	{ "{,\"a\":1}", "expected string key" },
	{ "{\"a\":1 \"b\":2}", "expected ',' or '}'" },
	{ "{\"a\":[1,]}", "unexpected character" },
	{ "{\"a\":[,1]}", "unexpected character" },
	{ "{\"a\":[1 2]}", "expected ',' or closing bracket" },
	{ "{\"a\":{\"b\"}}", "expected ':'" },
	{ "{\"a\":{1:2}}", "expected string key" },
	{ "{\"a\":[1}", "expected ',' or closing bracket" },
	{ "{\"a\":True}", "unexpected character" },
	{ "{\"a\":nul}", "unexpected character" },
	{ "{\"a\":undefined}", "unexpected character" },
	{ "{\"a\":01}", "expected ',' or '}'" },
	{ "{\"a\":+1}", "unexpected character" },
	{ "{\"a\":.5}", "unexpected character" },
	{ "{\"a\":1.}", "bad number" },
	{ "{\"a\":1e}", "bad number" },
	{ "{\"a\":1e+}", "bad number" },
	{ "{\"a\":-x}", "bad number" },
	{ "{\"a\":NaN}", "unexpected character" },
	{ "{\"a\":0x10}", "expected ',' or '}'" },
};

static const struct bad bad_duplicate[] = {
	{ "{\"a\":1,\"a\":2}", "duplicate key" },
	{ "{\"a\":1,\"b\":2,\"a\":\"x\"}", "duplicate key" },
	{ "{\"a\":1,\"\\u0061\":2}", "duplicate key" },
};

static const size_t bad_sizes[] = {
	sizeof(bad_truncated) / sizeof(bad_truncated[0]),
	sizeof(bad_escapes) / sizeof(bad_escapes[0]),
	sizeof(bad_trailing) / sizeof(bad_trailing[0]),
	sizeof(bad_syntax) / sizeof(bad_syntax[0]),
	sizeof(bad_duplicate) / sizeof(bad_duplicate[0]),
};

START_TEST(reader_rejects_truncated_input)
{
	check_bad(&bad_truncated[_i]);
}
END_TEST

START_TEST(reader_rejects_bad_escapes_and_utf8)
{
	check_bad(&bad_escapes[_i]);
}
END_TEST

START_TEST(reader_rejects_trailing_garbage)
{
	check_bad(&bad_trailing[_i]);
}
END_TEST

START_TEST(reader_rejects_bad_syntax)
{
	check_bad(&bad_syntax[_i]);
}
END_TEST

START_TEST(reader_rejects_duplicate_keys)
{
	check_bad(&bad_duplicate[_i]);
}
END_TEST

/* Every proper prefix of a valid line is refused. */
START_TEST(reader_rejects_every_prefix_of_valid_line)
{
	const char	*line = "{\"id\":1,\"row\":{\"name\":\"b\\u00e9\","
	    "\"v\":[1,-2.5e3,true,null]},\"s\":\"\\ud83d\\ude00\"}";
	size_t		 n, len = strlen(line);

	ck_assert_int_eq(json_parse(line, len, &doc, &why), 0);
	for (n = 0; n < len; n++) {
		why = NULL;
		ck_assert_msg(json_parse(line, n, &doc, &why) == -1,
		    "prefix %zu accepted", n);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

static void
nest(char *line, size_t cap, int levels, char open, char close)
{
	size_t	o = 0;
	int	i;

	o += (size_t)snprintf(line, cap, "{\"a\":");
	for (i = 0; i < levels; i++)
		line[o++] = open;
	for (i = 0; i < levels; i++)
		line[o++] = close;
	line[o++] = '}';
	line[o] = '\0';
}

/* The top-level object plus 'levels' nested objects {"k":...}. */
static void
nest_obj(char *line, size_t cap, int levels)
{
	size_t	o = 0;
	int	i;

	line[o++] = '{';
	for (i = 0; i < levels; i++)
		o += (size_t)snprintf(line + o, cap - o, "\"k\":{");
	o += (size_t)snprintf(line + o, cap - o, "\"v\":1");
	for (i = 0; i <= levels; i++)
		line[o++] = '}';
	line[o] = '\0';
}

START_TEST(reader_rejects_nesting_deeper_than_16)
{
	char line[4096];

	nest(line, sizeof(line), 16, '[', ']');
	ck_assert_int_eq(parse(line), -1);
	ck_assert_str_eq(why, "nesting too deep");
	/* far deeper must fail the same way, without deep recursion */
	nest(line, sizeof(line), 1000, '[', ']');
	ck_assert_int_eq(parse(line), -1);
	ck_assert_str_eq(why, "nesting too deep");
	/* objects count the same: 16 levels pass, 17 fail */
	nest_obj(line, sizeof(line), 15);
	ck_assert_msg(parse(line) == 0, "%s", why);
	nest_obj(line, sizeof(line), 16);
	ck_assert_int_eq(parse(line), -1);
	ck_assert_str_eq(why, "nesting too deep");
}
END_TEST

START_TEST(reader_rejects_too_many_keys)
{
	char	line[4096];
	size_t	o = 0;
	int	i;

	line[o++] = '{';
	for (i = 0; i <= JSON_KV_MAX; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o,
		    "%s\"k%d\":%d", i ? "," : "", i, i);
	line[o++] = '}';
	line[o] = '\0';
	ck_assert_int_eq(parse(line), -1);
	ck_assert_str_eq(why, "too many keys");
	ck_assert_uint_eq(doc.n, 0);
}
END_TEST

START_TEST(reader_rejects_nul_byte_inside_line)
{
	const char s[] = "{\"a\":\"x\0y\"}";

	ck_assert_int_eq(json_parse(s, sizeof(s) - 1, &doc, &why), -1);
	ck_assert_str_eq(why, "control character in string");
	ck_assert_int_eq(json_parse(s, sizeof(s), &doc, &why), -1);
}
END_TEST

START_TEST(reader_rejects_oversized_object)
{
	size_t	 len = 2 * JSON_LINE_MAX, i;
	char	*line = malloc(len);

	ck_assert_ptr_nonnull(line);
	memcpy(line, "{\"s\":\"", 6);
	for (i = 6; i < len - 2; i++)
		line[i] = 'x';
	line[len - 2] = '"';
	line[len - 1] = '}';
	ck_assert_int_eq(json_parse(line, len, &doc, &why), -1);
	ck_assert_str_eq(why, "object too large");
	free(line);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite	*s = suite_create("json");
	TCase	*tc;

	tc = tcase_create("writer_builds_objects");
	tcase_add_test(tc, writer_builds_object_of_all_types);
	tcase_add_test(tc, writer_builds_empty_object);
	tcase_add_test(tc, writer_writes_null_for_nonfinite_double);
	tcase_add_test(tc, writer_output_parses_back);
	suite_add_tcase(s, tc);

	tc = tcase_create("writer_escapes");
	tcase_add_test(tc, writer_escapes_quotes_and_backslashes);
	tcase_add_test(tc, writer_escapes_control_characters);
	tcase_add_test(tc, writer_escapes_keys);
	tcase_add_test(tc, writer_passes_valid_utf8);
	tcase_add_test(tc, writer_replaces_invalid_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("writer_fails_when_buffer_too_small");
	tcase_add_test(tc, writer_fails_when_buffer_too_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("arrays_write_and_step_through");
	tcase_add_test(tc, array_of_objects_round_trips);
	tcase_add_test(tc, array_empty_and_scalars);
	tcase_add_test(tc, array_next_stops_at_bad_text);
	tcase_add_test(tc, array_fails_on_failed_element_or_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader_parses_valid_lines");
	tcase_add_test(tc, reader_parses_hello);
	tcase_add_test(tc, reader_keeps_nested_row_as_raw_text);
	tcase_add_test(tc, reader_accepts_whitespace_and_empty_object);
	tcase_add_test(tc, reader_keeps_numbers_as_text);
	tcase_add_test(tc, reader_get_int_checks_type_and_range);
	tcase_add_test(tc, reader_accepts_depth_16);
	tcase_add_test(tc, reader_accepts_json_kv_max_keys);
	tcase_add_test(tc, reader_accepts_line_of_maximum_size);
	tcase_add_test(tc, reader_respects_length_not_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader_unescapes_strings");
	tcase_add_test(tc, reader_unescapes_strings);
	tcase_add_test(tc, reader_joins_surrogate_pairs);
	tcase_add_test(tc, reader_accepts_raw_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader_rejects_bad_input");
	tcase_add_loop_test(tc, reader_rejects_truncated_input, 0,
	    (int)bad_sizes[0]);
	tcase_add_loop_test(tc, reader_rejects_bad_escapes_and_utf8, 0,
	    (int)bad_sizes[1]);
	tcase_add_loop_test(tc, reader_rejects_trailing_garbage, 0,
	    (int)bad_sizes[2]);
	tcase_add_loop_test(tc, reader_rejects_bad_syntax, 0,
	    (int)bad_sizes[3]);
	tcase_add_loop_test(tc, reader_rejects_duplicate_keys, 0,
	    (int)bad_sizes[4]);
	tcase_add_test(tc, reader_rejects_every_prefix_of_valid_line);
	tcase_add_test(tc, reader_rejects_nul_byte_inside_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader_enforces_limits");
	tcase_add_test(tc, reader_rejects_nesting_deeper_than_16);
	tcase_add_test(tc, reader_rejects_too_many_keys);
	tcase_add_test(tc, reader_rejects_oversized_object);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(json_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
