/* SPDX-License-Identifier: ISC */
/*
 * This file owns the JSON codec of the control protocol: a writer that
 * builds one object into a caller's buffer, and a strict reader for one
 * object per line.  Neither allocates; both are bounded by the buffers they
 * are given.  Nested values are validated and handed back as raw text.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_DEPTH_MAX	16	/* the top-level object counts as 1 */

/*
 * Writer.  Every append checks the room left, keeping one byte for the
 * final NUL; the first overflow sets 'err' and later appends do nothing.
 */

static void
w_put(struct json_w *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (w->cap == 0 || n > w->cap - 1 - w->off) {
		w->err = true;
		return;
	}
	memcpy(w->p + w->off, s, n);
	w->off += n;
}

static void
w_putc(struct json_w *w, char c)
{
	w_put(w, &c, 1);
}

/*
 * Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are invalid).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	c = s[0];
	size_t		need, i;
	uint32_t	cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (need > n)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

/*
 * Writes s as a quoted JSON string.  Control characters and DEL are
 * escaped; bytes that are not valid UTF-8 become U+FFFD so that the output
 * is always valid JSON, whatever the caller's string holds.
 */
static void
w_string(struct json_w *w, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n = strlen(s), i = 0, k;
	char			 esc[7];

	w_putc(w, '"');
	while (i < n && !w->err) {
		unsigned char c = u[i];

		switch (c) {
		case '"':
			w_put(w, "\\\"", 2);
			break;
		case '\\':
			w_put(w, "\\\\", 2);
			break;
		case '\b':
			w_put(w, "\\b", 2);
			break;
		case '\f':
			w_put(w, "\\f", 2);
			break;
		case '\n':
			w_put(w, "\\n", 2);
			break;
		case '\r':
			w_put(w, "\\r", 2);
			break;
		case '\t':
			w_put(w, "\\t", 2);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				w_put(w, esc, 6);
				break;
			}
			if ((k = utf8_len(u + i, n - i)) == 0) {
				w_put(w, "\\ufffd", 6);
				break;
			}
			w_put(w, s + i, k);
			i += k;
			continue;
		}
		i++;
	}
	w_putc(w, '"');
}

static void
w_key(struct json_w *w, const char *key)
{
	if (w->n++ > 0)
		w_putc(w, ',');
	w_string(w, key != NULL ? key : "");
	w_putc(w, ':');
}

static void
w_open(struct json_w *w, char *buf, size_t cap, char c)
{
	w->p = buf;
	w->cap = cap;
	w->off = 0;
	w->n = 0;
	w->err = false;
	w_putc(w, c);
}

void
json_begin(struct json_w *w, char *buf, size_t cap)
{
	w_open(w, buf, cap, '{');
}

void
json_str(struct json_w *w, const char *key, const char *val)
{
	w_key(w, key);
	if (val == NULL)
		w_put(w, "null", 4);
	else
		w_string(w, val);
}

/* Formats into the room left; snprintf's result says whether it fitted. */
static void
w_fmt_num(struct json_w *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
w_fmt_num(struct json_w *w, const char *fmt, ...)
{
	char	tmp[400];	/* %.3f of DBL_MAX is 313 bytes */
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(tmp)) {
		w->err = true;
		return;
	}
	w_put(w, tmp, (size_t)r);
}

void
json_int(struct json_w *w, const char *key, int64_t v)
{
	w_key(w, key);
	w_fmt_num(w, "%" PRId64, v);
}

void
json_uint(struct json_w *w, const char *key, uint64_t v)
{
	w_key(w, key);
	w_fmt_num(w, "%" PRIu64, v);
}

void
json_dbl(struct json_w *w, const char *key, double v)
{
	w_key(w, key);
	if (!isfinite(v))
		w_put(w, "null", 4);
	else
		w_fmt_num(w, "%.3f", v);
}

void
json_bool(struct json_w *w, const char *key, bool v)
{
	w_key(w, key);
	if (v)
		w_put(w, "true", 4);
	else
		w_put(w, "false", 5);
}

void
json_null(struct json_w *w, const char *key)
{
	w_key(w, key);
	w_put(w, "null", 4);
}

void
json_raw(struct json_w *w, const char *key, const char *raw)
{
	w_key(w, key);
	if (raw == NULL)
		w_put(w, "null", 4);
	else
		w_put(w, raw, strlen(raw));
}

void
json_begin_array(struct json_w *w, char *buf, size_t cap)
{
	w_open(w, buf, cap, '[');
}

/*
 * Elements are separated like members; the count lives in the same field.
 * An empty or NULL element is what a failed json_end() leaves: it fails
 * the array rather than make it invalid JSON.
 */
void
json_elem(struct json_w *w, const char *raw)
{
	if (raw == NULL || raw[0] == '\0') {
		w->err = true;
		return;
	}
	if (w->n++ > 0)
		w_putc(w, ',');
	w_put(w, raw, strlen(raw));
}

void
json_elem_str(struct json_w *w, const char *s)
{
	if (w->n++ > 0)
		w_putc(w, ',');
	if (s == NULL)
		w_put(w, "null", 4);
	else
		w_string(w, s);
}

static int
w_close(struct json_w *w, char c)
{
	w_putc(w, c);
	if (w->err || w->off > INT_MAX) {
		/* Never leave a truncated object that looks complete. */
		if (w->cap > 0)
			w->p[0] = '\0';
		return -1;
	}
	w->p[w->off] = '\0';
	return (int)w->off;
}

int
json_end(struct json_w *w)
{
	return w_close(w, '}');
}

int
json_end_array(struct json_w *w)
{
	return w_close(w, ']');
}

/*
 * Reader: a recursive-descent parser over a cursor.  Recursion happens only
 * for nested values and stops at JSON_DEPTH_MAX, so the stack is bounded.
 * The arena receives keys and values; since every member costs at least as
 * many input bytes as arena bytes, an object that fits in a line fits in
 * the arena, but every store is still checked.
 */

struct rd {
	const char	*s;
	size_t		 len;
	size_t		 off;
	char		*arena;
	size_t		 acap;
	size_t		 aoff;
	const char	*why;
};

static bool
r_fail(struct rd *r, const char *why)
{
	if (r->why == NULL)
		r->why = why;
	return false;
}

static void
r_ws(struct rd *r)
{
	while (r->off < r->len) {
		char c = r->s[r->off];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		r->off++;
	}
}

static int
r_peek(const struct rd *r)
{
	return r->off < r->len ? (unsigned char)r->s[r->off] : -1;
}

static bool
a_put(struct rd *r, const void *p, size_t n)
{
	if (n > r->acap - r->aoff)
		return r_fail(r, "object too large");
	if (n > 0)
		memcpy(r->arena + r->aoff, p, n);
	r->aoff += n;
	return true;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the 4 hex digits after "\u". */
static bool
r_hex4(struct rd *r, uint32_t *out)
{
	uint32_t	v = 0;
	int		i, h;

	if (r->len - r->off < 4)
		return r_fail(r, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)r->s[r->off + i])) < 0)
			return r_fail(r, "bad hex digit in \\u escape");
		v = (v << 4) | (uint32_t)h;
	}
	r->off += 4;
	*out = v;
	return true;
}

static size_t
utf8_enc(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Reads a string starting at its opening quote.  With store set, the
 * unescaped, NUL-terminated text goes to the arena and *out points to it;
 * without, the string is only validated (strings inside raw values).
 * "\u0000" is refused: it could not survive as a C string.
 */
static bool
r_string(struct rd *r, bool store, char **out)
{
	char	*start = r->arena + r->aoff;
	char	 u8[4];
	size_t	 k;

	r->off++;	/* opening quote */
	for (;;) {
		int		c;
		uint32_t	cp, lo;

		if ((c = r_peek(r)) < 0)
			return r_fail(r, "unterminated string");
		if (c == '"') {
			r->off++;
			break;
		}
		if (c < 0x20)
			return r_fail(r, "control character in string");
		if (c != '\\') {
			k = utf8_len((const unsigned char *)r->s + r->off,
			    r->len - r->off);
			if (k == 0)
				return r_fail(r, "invalid UTF-8 in string");
			if (store && !a_put(r, r->s + r->off, k))
				return false;
			r->off += k;
			continue;
		}
		r->off++;
		if ((c = r_peek(r)) < 0)
			return r_fail(r, "unterminated string");
		r->off++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			u8[0] = (char)c;
			break;
		case 'b':
			u8[0] = '\b';
			break;
		case 'f':
			u8[0] = '\f';
			break;
		case 'n':
			u8[0] = '\n';
			break;
		case 'r':
			u8[0] = '\r';
			break;
		case 't':
			u8[0] = '\t';
			break;
		case 'u':
			if (!r_hex4(r, &cp))
				return false;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return r_fail(r, "unpaired low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (r->len - r->off < 2 ||
				    r->s[r->off] != '\\' ||
				    r->s[r->off + 1] != 'u')
					return r_fail(r,
					    "unpaired high surrogate");
				r->off += 2;
				if (!r_hex4(r, &lo))
					return false;
				if (lo < 0xdc00 || lo > 0xdfff)
					return r_fail(r,
					    "unpaired high surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if (cp == 0)
				return r_fail(r, "NUL in string");
			k = utf8_enc(cp, u8);
			if (store && !a_put(r, u8, k))
				return false;
			continue;
		default:
			return r_fail(r, "bad escape in string");
		}
		if (store && !a_put(r, u8, 1))
			return false;
	}
	if (store) {
		if (!a_put(r, "", 1))
			return false;
		*out = start;
	}
	return true;
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Validates a number per RFC 8259 and skips it. */
static bool
r_number(struct rd *r)
{
	if (r_peek(r) == '-')
		r->off++;
	if (r_peek(r) == '0')
		r->off++;
	else if (is_digit(r_peek(r)))
		while (is_digit(r_peek(r)))
			r->off++;
	else
		return r_fail(r, "bad number");
	if (r_peek(r) == '.') {
		r->off++;
		if (!is_digit(r_peek(r)))
			return r_fail(r, "bad number");
		while (is_digit(r_peek(r)))
			r->off++;
	}
	if (r_peek(r) == 'e' || r_peek(r) == 'E') {
		r->off++;
		if (r_peek(r) == '+' || r_peek(r) == '-')
			r->off++;
		if (!is_digit(r_peek(r)))
			return r_fail(r, "bad number");
		while (is_digit(r_peek(r)))
			r->off++;
	}
	return true;
}

static bool
r_word(struct rd *r, const char *w)
{
	size_t n = strlen(w);

	if (r->len - r->off < n || memcmp(r->s + r->off, w, n) != 0)
		return r_fail(r, "unexpected character");
	r->off += n;
	return true;
}

static bool r_value(struct rd *, int depth, enum json_type *);

/* Validates a nested object or array; the opening bracket is next. */
static bool
r_nested(struct rd *r, int depth)
{
	enum json_type	t;
	char		close = r_peek(r) == '{' ? '}' : ']';

	if (depth > JSON_DEPTH_MAX)
		return r_fail(r, "nesting too deep");
	r->off++;
	r_ws(r);
	if (r_peek(r) == close) {
		r->off++;
		return true;
	}
	for (;;) {
		r_ws(r);
		if (close == '}') {
			if (r_peek(r) != '"')
				return r_fail(r, r_peek(r) < 0 ? "truncated" :
				    "expected string key");
			if (!r_string(r, false, NULL))
				return false;
			r_ws(r);
			if (r_peek(r) != ':')
				return r_fail(r, r_peek(r) < 0 ? "truncated" :
				    "expected ':'");
			r->off++;
			r_ws(r);
		}
		if (!r_value(r, depth + 1, &t))
			return false;
		r_ws(r);
		if (r_peek(r) == ',') {
			r->off++;
			continue;
		}
		if (r_peek(r) == close) {
			r->off++;
			return true;
		}
		return r_fail(r, r_peek(r) < 0 ? "truncated" :
		    "expected ',' or closing bracket");
	}
}

/*
 * Validates and skips any value; the caller finds its text at the offsets
 * before and after.  'depth' is the level the value would open.
 */
static bool
r_value(struct rd *r, int depth, enum json_type *t)
{
	int c = r_peek(r);

	switch (c) {
	case -1:
		return r_fail(r, "truncated");
	case '"':
		*t = JSON_STR;
		return r_string(r, false, NULL);
	case '{':
	case '[':
		*t = JSON_RAW;
		return r_nested(r, depth);
	case 't':
		*t = JSON_BOOL;
		return r_word(r, "true");
	case 'f':
		*t = JSON_BOOL;
		return r_word(r, "false");
	case 'n':
		*t = JSON_NULL;
		return r_word(r, "null");
	default:
		*t = JSON_NUM;
		if (c == '-' || is_digit(c))
			return r_number(r);
		return r_fail(r, "unexpected character");
	}
}

/* Reads one member's value into the arena (strings unescaped). */
static bool
r_member_value(struct rd *r, struct json_kv *kv)
{
	size_t	start = r->off;

	if (r_peek(r) == '"') {
		kv->type = JSON_STR;
		return r_string(r, true, &kv->val);
	}
	if (!r_value(r, 2, &kv->type))
		return false;
	kv->val = r->arena + r->aoff;
	return a_put(r, r->s + start, r->off - start) && a_put(r, "", 1);
}

int
json_parse(const char *s, size_t len, struct json_doc *d, const char **why)
{
	struct rd	 r;
	struct json_kv	*kv;
	size_t		 i;

	memset(&r, 0, sizeof(r));
	r.s = s;
	r.len = s != NULL ? len : 0;
	r.arena = d->arena;
	r.acap = sizeof(d->arena);
	d->n = 0;

	r_ws(&r);
	if (r_peek(&r) != '{') {
		r_fail(&r, r_peek(&r) < 0 ? "empty input" : "expected '{'");
		goto fail;
	}
	r.off++;
	r_ws(&r);
	if (r_peek(&r) == '}') {
		r.off++;
		goto done;
	}
	for (;;) {
		r_ws(&r);
		if (r_peek(&r) != '"') {
			r_fail(&r, r_peek(&r) < 0 ? "truncated" :
			    "expected string key");
			goto fail;
		}
		if (d->n == JSON_KV_MAX) {
			r_fail(&r, "too many keys");
			goto fail;
		}
		kv = &d->kv[d->n];
		if (!r_string(&r, true, &kv->key))
			goto fail;
		for (i = 0; i < d->n; i++)
			if (strcmp(d->kv[i].key, kv->key) == 0) {
				r_fail(&r, "duplicate key");
				goto fail;
			}
		r_ws(&r);
		if (r_peek(&r) != ':') {
			r_fail(&r, r_peek(&r) < 0 ? "truncated" :
			    "expected ':'");
			goto fail;
		}
		r.off++;
		r_ws(&r);
		if (!r_member_value(&r, kv))
			goto fail;
		d->n++;
		r_ws(&r);
		if (r_peek(&r) == ',') {
			r.off++;
			continue;
		}
		if (r_peek(&r) == '}') {
			r.off++;
			break;
		}
		r_fail(&r, r_peek(&r) < 0 ? "truncated" :
		    "expected ',' or '}'");
		goto fail;
	}
done:
	r_ws(&r);
	if (r.off != r.len) {
		r_fail(&r, "trailing garbage");
		goto fail;
	}
	return 0;
fail:
	d->n = 0;
	if (why != NULL)
		*why = r.why;
	return -1;
}

const struct json_kv *
json_get(const struct json_doc *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->kv[i].key, key) == 0)
			return &d->kv[i];
	return NULL;
}

const char *
json_get_str(const struct json_doc *d, const char *key)
{
	const struct json_kv *kv = json_get(d, key);

	if (kv == NULL || kv->type != JSON_STR)
		return NULL;
	return kv->val;
}

/*
 * The array's own brackets and commas are checked here, each element by
 * r_value() (which stores nothing, so no arena is needed).
 */
bool
json_array_next(const char *raw, size_t *off, const char **elem,
    size_t *elen)
{
	struct rd	r;
	enum json_type	t;
	size_t		start;
	char		none[1];	/* an arena of size 0, never written */

	if (raw == NULL)
		return false;
	memset(&r, 0, sizeof(r));
	r.s = raw;
	r.len = strlen(raw);
	r.arena = none;
	if (*off > r.len)
		return false;
	r.off = *off;
	r_ws(&r);
	if (*off == 0) {
		if (r_peek(&r) != '[')
			return false;
		r.off++;
		r_ws(&r);
		if (r_peek(&r) == ']') {
			*off = r.off;
			return false;
		}
	} else if (r_peek(&r) == ',') {
		r.off++;
		r_ws(&r);
	} else
		return false;	/* ']' after the last element, or garbage */
	start = r.off;
	if (!r_value(&r, 2, &t))
		return false;
	*elem = raw + start;
	*elen = r.off - start;
	*off = r.off;
	return true;
}

/* Integers only: a fraction or exponent, or a value out of range, fails. */
int
json_get_int(const struct json_doc *d, const char *key, int64_t *out)
{
	const struct json_kv	*kv = json_get(d, key);
	char			*end;
	long long		 v;

	if (kv == NULL || kv->type != JSON_NUM)
		return -1;
	if (strpbrk(kv->val, ".eE") != NULL)
		return -1;
	errno = 0;
	v = strtoll(kv->val, &end, 10);
	if (errno != 0 || *end != '\0' || end == kv->val)
		return -1;
	*out = (int64_t)v;
	return 0;
}
