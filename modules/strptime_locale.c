/* strptime_locale: what _strptime knows of the C locale -- the alternatives of each
 * numeric directive in the order its regular expressions try them, the words of
 * the word directives longest first, %c %x %X -- and the regular expressions
 * themselves, as far as Python's errors need them (their lengths and groups). */
#include <string.h>

#include "strptime.h"

/* Numeric directives: alternatives in Python's order.  '#' is a digit, [..] a class. */
const struct strptime_numeric strptime_numeric[STRPTIME_NNUMERIC] = {
	{'d', {"3[01]", "[12]#", "0[1-9]", "[1-9]", " [1-9]"}},
	{'H', {"2[0-3]", "[01]#", "#"}},
	{'I', {"1[0-2]", "0[1-9]", "[1-9]"}},
	{'G', {"####"}},
	{'j', {"36[0-6]", "3[0-5]#", "[12]##", "0[1-9]#", "00[1-9]", "[1-9]#", "0[1-9]", "[1-9]"}},
	{'m', {"1[0-2]", "0[1-9]", "[1-9]"}},
	{'M', {"[0-5]#", "#"}},
	{'S', {"6[01]", "[0-5]#", "#"}},
	{'U', {"5[0-3]", "[0-4]#", "#"}},
	{'W', {"5[0-3]", "[0-4]#", "#"}},
	{'w', {"[0-6]"}},
	{'u', {"[1-7]"}},
	{'V', {"5[0-3]", "0[1-9]", "[1-4]#", "#"}},
	{'y', {"##"}},
	{'Y', {"####"}},
};

/* Word directives of the C locale, sorted longest first as Python sorts them. */
const struct strptime_words strptime_wordlists[STRPTIME_NWORDLISTS] = {
	{'a', {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
	{'A', {"wednesday", "thursday", "saturday", "tuesday", "monday", "friday", "sunday"}},
	{'b', {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{'B', {"september", "february", "november", "december", "january", "october", "august",
	       "march", "april", "june", "july", "may"}},
	{'p', {"am", "pm"}},
};

/* The regular expressions _strptime's TimeRE has for the directives of fixed
 * text (the word lists and %Z are made from their words, longest first). */
static const struct {
	char d;
	const char *re;
	int groups;
} python_re[] = {
	{'d', "(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])", 1},
	{'f', "(?P<f>[0-9]{1,6})", 1},
	{'H', "(?P<H>2[0-3]|[0-1]\\d|\\d)", 1},
	{'I', "(?P<I>1[0-2]|0[1-9]|[1-9])", 1},
	{'G', "(?P<G>\\d\\d\\d\\d)", 1},
	{'j', "(?P<j>36[0-6]|3[0-5]\\d|[1-2]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])", 1},
	{'m', "(?P<m>1[0-2]|0[1-9]|[1-9])", 1},
	{'M', "(?P<M>[0-5]\\d|\\d)", 1},
	{'S', "(?P<S>6[0-1]|[0-5]\\d|\\d)", 1},
	{'U', "(?P<U>5[0-3]|[0-4]\\d|\\d)", 1},
	{'W', "(?P<W>5[0-3]|[0-4]\\d|\\d)", 1},
	{'w', "(?P<w>[0-6])", 1},
	{'u', "(?P<u>[1-7])", 1},
	{'V', "(?P<V>5[0-3]|0[1-9]|[1-4]\\d|\\d)", 1},
	{'y', "(?P<y>\\d\\d)", 1},
	{'Y', "(?P<Y>\\d\\d\\d\\d)", 1},
	{'z', "(?P<z>[+-]\\d\\d:?[0-5]\\d(:?[0-5]\\d(\\.\\d{1,6})?)?|(?-i:Z))", 3},
};

const char *const strptime_month_names[12] = {"january", "february", "march", "april",
					  "may", "june", "july", "august",
					  "september", "october", "november", "december"};
const char *const strptime_day_names[7] = {"monday", "tuesday", "wednesday", "thursday",
					"friday", "saturday", "sunday"};

/* The C locale's %c, %x and %X, as _strptime's LocaleTime derives them. */
const struct strptime_composite strptime_composite[STRPTIME_NCOMPOSITE] = {{'c', "%a %b %d %H:%M:%S %Y"}, {'x', "%m/%d/%y"}, {'X', "%H:%M:%S"}};

/* re.escape()'s length of a word: a backslash before each special character. */
size_t strptime_escaped_len(const char *w)
{
	size_t n = 0;
	for (; *w; w++)
		if (((unsigned char)*w & 0xc0) != 0x80) /* one code point */
			n += 1 + (strchr("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", *w) != NULL);
	return n;
}

size_t strptime_re_len(char d, int *groups)
{
	*groups = 1;
	for (size_t i = 0; i < sizeof python_re / sizeof python_re[0]; i++)
		if (python_re[i].d == d) {
			*groups = python_re[i].groups;
			return strlen(python_re[i].re);
		}
	size_t len = strlen("(?P<a>)");
	for (size_t i = 0; i < STRPTIME_NWORDLISTS; i++) {
		if (strptime_wordlists[i].d != d)
			continue;
		for (int w = 0; strptime_wordlists[i].words[w]; w++)
			len += (w ? 1 : 0) + strptime_escaped_len(strptime_wordlists[i].words[w]);
	}
	return len;
}

