/* strptime: Python's time.strptime, a port of Lib/_strptime.py for the C locale.
 * The format becomes tokens that are matched with backtracking, each directive
 * offering its alternatives in the order Python's regular expression tries them;
 * as in Python, the first match counts even if text remains (then it is an error).
 * Python's arithmetic then fills in the fields the format did not give. */
#include "osfs/time.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "osfs/logging/value.h"
#include "osfs/refuse.h"
#include "strptime.h"

#define MAX_TOKENS 256
#define MAX_ALTS 16

enum tok_kind { T_LIT, T_SPACE, T_DIRECTIVE };

struct tok {
	enum tok_kind kind;
	char c; /* the literal, or the directive letter */
};

struct pattern {
	struct tok tok[MAX_TOKENS];
	int n;
	const char *zones[4]; /* %Z alternatives: lowercase, longest first */
	int nzones;
	size_t zones_len;   /* the length of Python's %Z regex */
	/* Python's regex, as far as its errors need it: the length so far (in code
	 * points), the groups so far, the group of each directive, the first
	 * repeated directive's group and where its name stands. */
	long pypos;
	int groups;
	int group_of[128];
	int dup, dup_group, dup_was;
	long dup_pos;
};

static int is_space(char c)
{
	return strchr(" \t\n\r\f\v\x1c\x1d\x1e\x1f", c) && c;
}

/* The length of the whitespace character at s (str.isspace, which re's \s is for
 * a str pattern), or 0. */
static size_t space_len(const char *s)
{
	static const char *const wide[] = {
		"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
		"\xe2\x81\x9f", "\xe3\x80\x80"};
	if (is_space(*s))
		return 1;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (strncmp(s, wide[i], strlen(wide[i])) == 0)
			return strlen(wide[i]);
	/* U+2000..U+200A */
	return strncmp(s, "\xe2\x80", 2) == 0 && (unsigned char)s[2] >= 0x80 &&
	       (unsigned char)s[2] <= 0x8a ? 3 : 0;
}

static int known_directive(char d)
{
	if (strchr("fzZ%", d))
		return 1;
	for (size_t i = 0; i < STRPTIME_NNUMERIC; i++)
		if (strptime_numeric[i].d == d)
			return 1;
	for (size_t i = 0; i < STRPTIME_NWORDLISTS; i++)
		if (strptime_wordlists[i].d == d)
			return 1;
	return 0;
}

static int add_tok(struct pattern *p, enum tok_kind kind, char c)
{
	if (p->n == MAX_TOKENS)
		return osfs_refuse(EMSGSIZE, "the format is too long");
	p->tok[p->n++] = (struct tok){kind, c};
	return 0;
}

/* A directive's regex joins Python's: a group name seen before is the error
 * sre raises when it compiles the pattern (kept: a bad directive comes first). */
static void add_groups(struct pattern *p, char d)
{
	int n = 1;
	size_t len = d == 'Z' ? p->zones_len : strptime_re_len(d, &n);
	if (len) {
		int g = ++p->groups;
		unsigned char k = (unsigned char)d & 127;
		if (p->group_of[k] && !p->dup) {
			p->dup = d;
			p->dup_group = g;
			p->dup_was = p->group_of[k];
			p->dup_pos = p->pypos + 4; /* after "(?P<" */
		} else if (!p->group_of[k]) {
			p->group_of[k] = g;
		}
		p->groups += n - 1;
	}
	p->pypos += (long)len;
}

/* The length of one UTF-8 sequence starting at s (at least 1). */
static int utf8_len(const char *s)
{
	int n = 1;
	while (s[n] && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

static int compile(struct pattern *p, const char *format, const char *whole)
{
	for (const char *f = format; *f;) {
		int err = 0;
		if (space_len(f)) {
			for (size_t n; (n = space_len(f));)
				f += n;
			err = add_tok(p, T_SPACE, ' ');
			p->pypos += 3; /* \s+ */
		} else if (*f != '%') {
			if (((unsigned char)*f & 0xc0) != 0x80) /* one code point of the pattern */
				p->pypos += 1 + (strchr("\\.^$*+?(){}[]|", *f) != NULL);
			err = add_tok(p, T_LIT, *f++);
		} else {
			char d = f[1];
			if (!d)
				return osfs_refuse(EINVAL, "stray %% in format '%s'", whole);
			size_t k;
			for (k = 0; k < STRPTIME_NCOMPOSITE; k++)
				if (strptime_composite[k].d == d)
					break;
			if (k < STRPTIME_NCOMPOSITE) {
				err = compile(p, strptime_composite[k].format, whole);
			} else if (d == '%') {
				err = add_tok(p, T_LIT, '%');
				p->pypos++;
			} else if (known_directive(d)) {
				err = add_tok(p, T_DIRECTIVE, d);
				add_groups(p, d);
			} else if (strchr("\\.^$*+?(){}[]|", d) || is_space(d)) {
				/* Python escapes regex characters first: "%." reads as "%\" */
				return osfs_refuse(EINVAL, "'%%' is a bad directive in format '%s'", whole);
			} else {
				return osfs_refuse(EINVAL, "'%.*s' is a bad directive in format '%s'",
						   utf8_len(f + 1), f + 1, whole);
			}
			f += 1 + utf8_len(f + 1);
		}
		if (err)
			return err;
	}
	return 0;
}

/* Where one alternative ("3[01]", "[12]#") matches at s: its end, or NULL. */
static const char *match_alt(const char *alt, const char *s)
{
	while (*alt) {
		if (*alt == '#') {
			if (!isdigit((unsigned char)*s))
				return NULL;
			alt++;
		} else if (*alt == '[') {
			int ok = 0;
			for (alt++; *alt != ']'; alt++) {
				if (alt[1] == '-' && alt[2] != ']') {
					ok |= *s >= alt[0] && *s <= alt[2];
					alt += 2;
				} else {
					ok |= *s == *alt;
				}
			}
			alt++;
			if (!ok || !*s)
				return NULL;
		} else if (*s != *alt++) {
			return NULL;
		}
		s++;
	}
	return s;
}

/* The ends at which directive d can match at s, in the order Python tries them. */
static int candidates(const struct pattern *p, char d, const char *s, const char **ends)
{
	int n = 0;
	for (size_t i = 0; i < STRPTIME_NNUMERIC; i++) {
		if (strptime_numeric[i].d != d)
			continue;
		for (int a = 0; strptime_numeric[i].alts[a]; a++) {
			const char *e = match_alt(strptime_numeric[i].alts[a], s);
			if (e)
				ends[n++] = e;
		}
		return n;
	}
	for (size_t i = 0; i < STRPTIME_NWORDLISTS; i++) {
		if (strptime_wordlists[i].d != d)
			continue;
		for (int w = 0; strptime_wordlists[i].words[w]; w++) {
			size_t len = strlen(strptime_wordlists[i].words[w]);
			if (strncasecmp(s, strptime_wordlists[i].words[w], len) == 0)
				ends[n++] = s + len;
		}
		return n;
	}
	if (d == 'Z') {
		for (int z = 0; z < p->nzones; z++) {
			size_t len = strlen(p->zones[z]);
			if (len && strncasecmp(s, p->zones[z], len) == 0)
				ends[n++] = s + len;
		}
		return n;
	}
	if (d == 'f') { /* [0-9]{1,6}, greedy */
		int k = 0;
		while (k < 6 && isdigit((unsigned char)s[k]))
			k++;
		for (; k >= 1; k--)
			ends[n++] = s + k;
		return n;
	}
	/* %z: [+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|(?-i:Z) */
	if ((s[0] == '+' || s[0] == '-') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2])) {
		for (int c1 = 1; c1 >= 0; c1--) {
			const char *q = s + 3;
			if (c1 && *q != ':')
				continue;
			q += c1;
			const char *r = match_alt("[0-5]#", q);
			if (!r)
				continue;
			for (int c2 = 1; c2 >= 0; c2--) {
				const char *t = r;
				if (c2 && *t != ':')
					continue;
				const char *u = match_alt("[0-5]#", t + c2);
				if (!u)
					continue;
				if (u[0] == '.') {
					int k = 0;
					while (k < 6 && isdigit((unsigned char)u[1 + k]))
						k++;
					for (; k >= 1 && n < MAX_ALTS - 2; k--)
						ends[n++] = u + 1 + k;
				}
				if (n < MAX_ALTS - 1)
					ends[n++] = u;
			}
			if (n < MAX_ALTS - 1)
				ends[n++] = r;
		}
	}
	if (s[0] == 'Z')
		ends[n++] = s + 1;
	return n;
}

struct capture {
	const char *start, *end;
};

/* Matches tokens i.. at s; on success *end is where the whole match ended. */
static int match(const struct pattern *p, int i, const char *s, struct capture *cap,
		 const char **end)
{
	if (i == p->n) {
		*end = s;
		return 1;
	}
	const struct tok *t = &p->tok[i];
	switch (t->kind) {
	case T_LIT:
		return tolower((unsigned char)*s) == tolower((unsigned char)t->c) && *s &&
		       match(p, i + 1, s + 1, cap, end);
	case T_SPACE: {
		const char *e = s;
		for (size_t n; (n = space_len(e));)
			e += n;
		while (e > s) { /* \s+, greedy: back one character at a time */
			if (match(p, i + 1, e, cap, end))
				return 1;
			do
				e--;
			while (e > s && ((unsigned char)*e & 0xc0) == 0x80);
		}
		return 0;
	}
	case T_DIRECTIVE: {
		const char *ends[MAX_ALTS];
		int n = candidates(p, t->c, s, ends);
		for (int k = 0; k < n; k++) {
			cap[i] = (struct capture){s, ends[k]};
			if (match(p, i + 1, ends[k], cap, end))
				return 1;
		}
		return 0;
	}
	}
	return 0;
}

/* The index of a matched name: a full name, or its three-letter abbreviation
 * (in the C locale every abbreviation is the name's first three letters). */
static int word_index(const char *const *words, int n, const char *s, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(words[i]) >= len && strncasecmp(words[i], s, len) == 0 &&
		    (strlen(words[i]) == len || len == 3))
			return i;
	return -1;
}

static long num(const struct capture *c)
{
	long v = 0;
	for (const char *s = c->start; s < c->end; s++)
		if (isdigit((unsigned char)*s))
			v = v * 10 + (*s - '0');
	return v;
}

/* int(text) for a slice of the matched text: digits only, else Python's error. */
static int py_int(const char *s, size_t len, long *out)
{
	long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return osfs_refuse(EINVAL, "invalid literal for int() with base 10: '%.*s'",
					   (int)len, s);
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int gmtoff_of(const struct capture *c, long *off)
{
	char z[32];
	size_t len = (size_t)(c->end - c->start);
	if (len >= sizeof z)
		return osfs_refuse(EINVAL, "bad UTC offset");
	memcpy(z, c->start, len);
	z[len] = '\0';
	if (strcmp(z, "Z") == 0) {
		*off = 0;
		return 0;
	}
	if (z[3] == ':') {
		memmove(z + 3, z + 4, strlen(z + 4) + 1);
		if (strlen(z) > 5) {
			if (z[5] != ':')
				return osfs_refuse(EINVAL, "Inconsistent use of : in %.*s", (int)len,
						   c->start);
			memmove(z + 5, z + 6, strlen(z + 6) + 1);
		}
	}
	/* Python slices z and calls int() on each part; a ':' left there fails it. */
	long h = 0, m = 0, sec = 0;
	size_t zl = strlen(z);
	int err = py_int(z + 1, 2, &h);
	if (!err)
		err = py_int(z + 3, 2, &m);
	if (!err && zl > 5)
		err = py_int(z + 5, zl < 7 ? zl - 5 : 2, &sec);
	if (err)
		return err;
	*off = (h * 3600L + m * 60L + sec) * (z[0] == '-' ? -1 : 1);
	return 0;
}

static int take(const struct pattern *p, const struct capture *cap, struct fields *f,
		const struct osfs_tzinfo *tzi)
{
	const char *ampm = NULL;
	for (int i = 0; i < p->n; i++)
		if (p->tok[i].kind == T_DIRECTIVE && p->tok[i].c == 'p')
			ampm = cap[i].start;
	for (int i = 0; i < p->n; i++) {
		if (p->tok[i].kind != T_DIRECTIVE)
			continue;
		const struct capture *c = &cap[i];
		size_t len = (size_t)(c->end - c->start);
		long v = num(c);
		switch (p->tok[i].c) {
		case 'y':
			f->year = v <= 68 ? v + 2000 : v + 1900, f->have_year = 1;
			break;
		case 'Y':
			f->year = v, f->have_year = 1;
			break;
		case 'G':
			f->iso_year = v, f->have_iso_year = 1;
			break;
		case 'm':
			f->month = (int)v;
			break;
		case 'B':
		case 'b':
			f->month = word_index(strptime_month_names, 12, c->start, len) + 1;
			break;
		case 'd':
			f->day = (int)v;
			break;
		case 'H':
			f->hour = (int)v;
			break;
		case 'I':
			f->hour = (int)v;
			if (!ampm || tolower((unsigned char)*ampm) == 'a')
				f->hour = f->hour == 12 ? 0 : f->hour;
			else if (f->hour != 12)
				f->hour += 12;
			break;
		case 'M':
			f->minute = (int)v;
			break;
		case 'S':
			f->second = (int)v;
			break;
		case 'A':
		case 'a':
			f->weekday = word_index(strptime_day_names, 7, c->start, len), f->have_weekday = 1;
			break;
		case 'w':
			f->weekday = v == 0 ? 6 : (int)v - 1, f->have_weekday = 1;
			break;
		case 'u':
			f->weekday = (int)v - 1, f->have_weekday = 1;
			break;
		case 'j':
			f->julian = v, f->have_julian = 1;
			break;
		case 'U':
		case 'W':
			f->week_of_year = (int)v, f->have_week = 1;
			f->week_starts_mon = p->tok[i].c == 'W';
			break;
		case 'V':
			f->iso_week = (int)v, f->have_iso_week = 1;
			break;
		case 'z': {
			int err = gmtoff_of(c, &f->gmtoff);
			if (err)
				return err;
			f->have_gmtoff = 1;
			break;
		}
		case 'Z': {
			snprintf(f->zone, sizeof f->zone, "%.*s", (int)len, c->start);
			f->have_zone = 1;
			char lower[64];
			for (size_t k = 0; k <= strlen(f->zone); k++)
				lower[k] = (char)tolower((unsigned char)f->zone[k]);
			int utc = strcmp(lower, "utc") == 0 || strcmp(lower, "gmt") == 0;
			int std = utc || strcasecmp(lower, tzi->tzname[0]) == 0;
			int dst = tzi->daylight && strcasecmp(lower, tzi->tzname[1]) == 0;
			if (std || dst) {
				if (!(strcmp(tzi->tzname[0], tzi->tzname[1]) == 0 && tzi->daylight && !utc))
					f->tz = std ? 0 : 1;
			}
			break;
		}
		}
	}
	return 0;
}

/* Python's %Z words: {utc, gmt, the standard name} and, with daylight time, {the
 * daylight name} -- two sets, so a name may be in both -- longest first. */
static void zone_words(struct pattern *p, const struct osfs_tzinfo *tzi, char names[2][16])
{
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k <= strlen(tzi->tzname[i]); k++)
			names[i][k] = (char)tolower((unsigned char)tzi->tzname[i][k]);
	const char *std[] = {"utc", "gmt", names[0]};
	for (int k = 0; k < 3; k++) {
		int dup = 0;
		for (int j = 0; j < p->nzones && !dup; j++)
			dup = strcmp(p->zones[j], std[k]) == 0;
		if (!dup)
			p->zones[p->nzones++] = std[k];
	}
	if (tzi->daylight)
		p->zones[p->nzones++] = names[1];
	for (int a = 1; a < p->nzones; a++) /* longest first, stable */
		for (int b = a; b > 0 && strlen(p->zones[b]) > strlen(p->zones[b - 1]); b--) {
			const char *t = p->zones[b];
			p->zones[b] = p->zones[b - 1];
			p->zones[b - 1] = t;
		}
	p->zones_len = strlen("(?P<Z>)") + (size_t)(p->nzones - 1);
	for (int k = 0; k < p->nzones; k++)
		p->zones_len += strptime_escaped_len(p->zones[k]);
}

/* Python's "time data %r does not match format %r". */
static int no_match(const char *string, const char *format)
{
	struct osfs_buf s = {0}, f = {0};
	pv_repr_str(string, strlen(string), &s);
	pv_repr_str(format, strlen(format), &f);
	int err = osfs_refuse(EINVAL, "time data %s does not match format %s", s.data ? s.data : "''",
			      f.data ? f.data : "''");
	osfs_buf_free(&s);
	osfs_buf_free(&f);
	return err;
}

int osfs_strptime(const char *string, const char *format, struct osfs_kv *out)
{
	struct pattern *p = calloc(1, sizeof *p);
	struct capture *cap = calloc(MAX_TOKENS, sizeof *cap);
	struct osfs_tzinfo tzi;
	char zone_names[2][16];
	int err = !p || !cap ? -ENOMEM : 0;
	if (!err) {
		osfs_tzinfo(&tzi);
		zone_words(p, &tzi, zone_names);
		err = compile(p, format, format);
	}
	if (!err && p->dup) /* re.error, raised as it compiles the whole pattern */
		err = osfs_refuse(EINVAL, "redefinition of group name '%c' as group %d; was group %d "
				  "at position %ld", p->dup, p->dup_group, p->dup_was, p->dup_pos);
	if (!err) {
		const char *end;
		if (!match(p, 0, string, cap, &end))
			err = no_match(string, format);
		else if (*end)
			err = osfs_refuse(EINVAL, "unconverted data remains: %s", end);
	}
	struct fields f = {.month = 1, .day = 1, .tz = -1};
	if (!err)
		err = take(p, cap, &f, &tzi);
	if (!err)
		err = strptime_settle(&f);
	if (!err) {
		osfs_kv_int(out, "tm_year", f.year);
		osfs_kv_int(out, "tm_mon", f.month);
		osfs_kv_int(out, "tm_mday", f.day);
		osfs_kv_int(out, "tm_hour", f.hour);
		osfs_kv_int(out, "tm_min", f.minute);
		osfs_kv_int(out, "tm_sec", f.second);
		osfs_kv_int(out, "tm_wday", f.weekday);
		osfs_kv_int(out, "tm_yday", f.julian);
		osfs_kv_int(out, "tm_isdst", f.tz);
		if (f.have_zone)
			osfs_kv_str(out, "tm_zone", f.zone);
		else
			osfs_kv_set(out, "tm_zone", OSFS_KV_NULL, "");
		if (f.have_gmtoff)
			osfs_kv_int(out, "tm_gmtoff", f.gmtoff);
		else
			osfs_kv_set(out, "tm_gmtoff", OSFS_KV_NULL, "");
	}
	free(p);
	free(cap);
	return err;
}

int osfs_strptime_request(const char *request, struct osfs_kv *out)
{
	char *copy = strdup(request);
	if (!copy)
		return -ENOMEM;
	char *tab = strchr(copy, '\t');
	if (tab)
		*tab++ = '\0';
	int err = osfs_strptime(copy, tab ? tab : "%a %b %d %H:%M:%S %Y", out);
	free(copy);
	return err;
}
