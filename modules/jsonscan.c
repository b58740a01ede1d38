/* osfs_json_scan: one pass over a JSON text with a stack of the containers open,
 * deciding as early as the text allows whether it is whole, partial or wrong.
 * Where cJSON is lenient (numbers are any run of 0-9 + - . e E, handed to strtod;
 * \u escapes; control bytes count as white space), so is this scan: it calls a
 * text wrong only where cJSON's parser stops. */
#include "osfs/jsonscan.h"

#include <stddef.h>
#include <string.h>

#include <cjson/cJSON.h>

enum want {
	VALUE,        /* any value: at the start, after ':', after ',' in an array */
	VALUE_OR_END, /* after '[' */
	KEY_OR_END,   /* after '{' */
	KEY,          /* after ',' in an object */
	COLON,        /* after a key */
	NEXT,         /* after a value inside a container: ',' or its end */
};

/* The end of the string whose opening quote is at p: the byte after its closing
 * quote, or NULL with *state set (PARTIAL: the text ends inside it; WRONG: an
 * escape cJSON refuses).  As cJSON: the closing quote is the first one no
 * backslash escapes; then the escapes are read from the start, a \u taking the
 * five bytes after its backslash whatever they are. */
static const unsigned char *string_end(const unsigned char *p, enum osfs_json_state *state)
{
	const unsigned char *q = p + 1, *end = NULL, *r;
	for (r = q; *r && *r != '"'; r++)
		if (*r == '\\' && !*++r)
			break;
	if (*r == '"')
		end = r;
	const unsigned char *stop = end ? end : r;
	for (const unsigned char *s = q; s < stop;) {
		if (*s != '\\') {
			s++;
		} else if (s + 1 == stop) {
			break; /* the text ends in the escape */
		} else if (s[1] == 'u') {
			if (stop - s < 6 && end) {
				*state = OSFS_JSON_WRONG; /* cut short by the closing quote */
				return NULL;
			}
			s += 6;
		} else if (!strchr("\"\\/bfnrt", s[1])) {
			*state = OSFS_JSON_WRONG;
			return NULL;
		} else {
			s += 2;
		}
	}
	*state = OSFS_JSON_PARTIAL;
	return end ? end + 1 : NULL;
}

/* A literal (null, true, false) at p: the byte after it, or NULL with *state. */
static const unsigned char *literal_end(const unsigned char *p, enum osfs_json_state *state)
{
	static const char *const words[] = {"null", "true", "false"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t n = strlen(words[i]), k = 0;
		while (k < n && p[k] && p[k] == (unsigned char)words[i][k])
			k++;
		if (k == n)
			return p + n;
		if (!p[k] && k > 0) { /* the text ends inside the word */
			*state = OSFS_JSON_PARTIAL;
			return NULL;
		}
	}
	*state = OSFS_JSON_WRONG;
	return NULL;
}

enum osfs_json_state osfs_json_scan(const char *text)
{
	char open[CJSON_NESTING_LIMIT]; /* '{' or '[' for each container open */
	size_t depth = 0;
	enum want want = VALUE;
	enum osfs_json_state state;
	const unsigned char *p = (const unsigned char *)text;
	size_t bom = strspn(text, "\xef\xbb\xbf"); /* cJSON skips a byte order mark */
	if (bom >= 3 && strncmp(text, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	else if (bom == strlen(text) && strncmp(text, "\xef\xbb\xbf", bom) == 0)
		return OSFS_JSON_PARTIAL; /* the text ends in one */
	while (*p) {
		if (*p <= ' ') {
			p++;
			continue;
		}
		int value = 0; /* a value ended at p */
		switch (want) {
		case COLON:
			if (*p++ != ':')
				return OSFS_JSON_WRONG;
			want = VALUE;
			continue;
		case NEXT:
			if (*p == ',') {
				p++;
				want = open[depth - 1] == '{' ? KEY : VALUE;
				continue;
			}
			if (*p != (open[depth - 1] == '{' ? '}' : ']'))
				return OSFS_JSON_WRONG;
			p++;
			depth--;
			value = 1;
			break;
		case KEY_OR_END:
		case KEY:
			if (want == KEY_OR_END && *p == '}') {
				p++;
				depth--;
				value = 1;
				break;
			}
			if (*p != '"')
				return OSFS_JSON_WRONG;
			if (!(p = string_end(p, &state)))
				return state;
			want = COLON;
			continue;
		case VALUE_OR_END:
		case VALUE:
			if (want == VALUE_OR_END && *p == ']') {
				p++;
				depth--;
				value = 1;
			} else if (*p == '{' || *p == '[') {
				if (depth == CJSON_NESTING_LIMIT)
					return OSFS_JSON_WRONG;
				open[depth++] = (char)*p;
				want = *p++ == '{' ? KEY_OR_END : VALUE_OR_END;
				continue;
			} else if (*p == '"') {
				if (!(p = string_end(p, &state)))
					return state;
				value = 1;
			} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
				p += strspn((const char *)p, "0123456789+-.eE");
				if (!*p)
					return OSFS_JSON_PARTIAL; /* more digits may come */
				value = 1;
			} else if (!(p = literal_end(p, &state))) {
				return state;
			} else {
				value = 1;
			}
			break;
		}
		if (value && depth == 0)
			return OSFS_JSON_WHOLE;
		want = NEXT;
	}
	return OSFS_JSON_PARTIAL;
}
