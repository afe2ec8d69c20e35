/* SPDX-License-Identifier: ISC */
/*
 * A small JSON writer for one object at a time into a caller's buffer, and
 * a strict reader for one flat object (the control protocol's lines).
 * Nested arrays/objects are kept as raw text by the reader.
 */
#ifndef PROXYD_JSON_H
#define PROXYD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_LINE_MAX	65536	/* control protocol line limit, bytes */
#define JSON_KV_MAX	128	/* fields in one object the reader keeps */

struct json_w {
	char	*p;
	size_t	 cap;
	size_t	 off;
	int	 n;		/* fields written so far */
	bool	 err;		/* set when the buffer was too small */
};

/* Starts an object: writes "{". */
void	json_begin(struct json_w *, char *buf, size_t cap);
/* Each adds "key":value with escaping of key and string values. */
void	json_str(struct json_w *, const char *key, const char *val);
void	json_int(struct json_w *, const char *key, int64_t);
void	json_uint(struct json_w *, const char *key, uint64_t);
void	json_dbl(struct json_w *, const char *key, double);	/* %.3f; NaN -> null */
void	json_bool(struct json_w *, const char *key, bool);
void	json_null(struct json_w *, const char *key);
/* Adds "key": raw, where raw is already valid JSON (array, object). */
void	json_raw(struct json_w *, const char *key, const char *raw);
/* Writes "}" and NUL; returns the length, or -1 if anything did not fit. */
int	json_end(struct json_w *);
/*
 * Arrays, for a json_raw() value: json_begin_array() writes "[",
 * json_elem() adds one element given as valid JSON text (e.g. an object
 * that json_begin()..json_end() wrote into another buffer; an empty or NULL
 * one, as a failed json_end() leaves, fails the array), and
 * json_end_array() writes "]" and NUL, returning like json_end().
 */
void	json_begin_array(struct json_w *, char *buf, size_t cap);
void	json_elem(struct json_w *, const char *raw);
/* Adds one string element, escaped like json_str()'s (NULL: null). */
void	json_elem_str(struct json_w *, const char *s);
int	json_end_array(struct json_w *);

enum json_type { JSON_STR, JSON_NUM, JSON_BOOL, JSON_NULL, JSON_RAW };

struct json_kv {
	char		*key;		/* unescaped, NUL-terminated, in the arena */
	enum json_type	 type;
	char		*val;		/* JSON_STR unescaped; others as raw text */
};

struct json_doc {
	struct json_kv	 kv[JSON_KV_MAX];
	size_t		 n;
	char		 arena[JSON_LINE_MAX + 1];	/* keys and values */
};

/*
 * Parses one JSON object from s[0..len).  Trailing whitespace is allowed,
 * anything else is not.  Nesting deeper than 16 levels, more than
 * JSON_KV_MAX fields, bad escapes or invalid UTF-8 escapes fail.  Returns 0,
 * or -1 with *why set.
 */
int	json_parse(const char *s, size_t len, struct json_doc *, const char **why);
/* Field lookup; NULL if absent. */
const struct json_kv *json_get(const struct json_doc *, const char *key);
/* Convenience: string value or NULL; integer with range check (0/-1). */
const char *json_get_str(const struct json_doc *, const char *key);
int	json_get_int(const struct json_doc *, const char *key, int64_t *);
/*
 * Steps through the elements of an array given as NUL-terminated JSON text,
 * e.g. a JSON_RAW value from json_parse().  *off starts at 0.  Each call
 * that returns true points *elem at the next element's text (not
 * NUL-terminated; json_parse() it if it is an object) and sets *elen.
 * False after the last element, or where the text is not a valid array.
 * No allocation.
 */
bool	json_array_next(const char *raw, size_t *off, const char **elem,
	    size_t *elen);

#endif
