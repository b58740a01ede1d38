/* osfs_json_scan against cJSON, the parser that applies the documents: no beginning
 * of a text cJSON accepts is called wrong, every such text is whole at its end, and
 * a text called wrong fails in cJSON whatever follows it.  Random cases, fixed seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "osfs/jsonscan.h"

static unsigned long long seed = 12;

static unsigned rnd(unsigned n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((seed >> 33) % n);
}

static cJSON *random_value(int depth)
{
	static const char *const strings[] = {"", "a", "key", "x\"y", "back\\slash", "tab\tnl\n",
					      "\xc3\xa9t\xc3\xa9", "\x01\x1f", "/", "{[]}:,"};
	switch (rnd(depth > 3 ? 4 : 6)) {
	case 0:
		return cJSON_CreateString(strings[rnd(sizeof strings / sizeof strings[0])]);
	case 1: {
		static const double numbers[] = {0, -0.5, 1e300, 3, -17, 1.25e-7, 123456789};
		return cJSON_CreateNumber(numbers[rnd(sizeof numbers / sizeof numbers[0])]);
	}
	case 2:
		return rnd(2) ? cJSON_CreateTrue() : cJSON_CreateFalse();
	case 3:
		return cJSON_CreateNull();
	case 4: {
		cJSON *a = cJSON_CreateArray();
		for (unsigned i = rnd(4); i > 0; i--)
			cJSON_AddItemToArray(a, random_value(depth + 1));
		return a;
	}
	default: {
		cJSON *o = cJSON_CreateObject();
		for (unsigned i = rnd(4); i > 0; i--) {
			char key[16];
			snprintf(key, sizeof key, "k%u", rnd(100));
			cJSON_AddItemToObject(o, key, random_value(depth + 1));
		}
		return o;
	}
	}
}

/* Every beginning of a text cJSON accepts is a beginning, and the whole is whole. */
static void check_valid(const char *text)
{
	size_t n = strlen(text);
	char *p = malloc(n + 1);
	for (size_t k = 0; k < n; k++) {
		memcpy(p, text, k);
		p[k] = '\0';
		if (osfs_json_scan(p) == OSFS_JSON_WRONG) {
			fprintf(stderr, "called wrong: a beginning of %s: %s\n", text, p);
			CHECK(0);
			break;
		}
	}
	free(p);
	enum osfs_json_state s = osfs_json_scan(text);
	if (s != OSFS_JSON_WHOLE)
		fprintf(stderr, "not whole: %s\n", text);
	CHECK(s == OSFS_JSON_WHOLE);
}

/* A text called wrong: cJSON refuses it, with any of these after it. */
static void check_wrong(const char *text)
{
	static const char *const tails[] = {"", "}", "]", "\"", "\"}", "]}", "1}", "\":1}",
					    "}}}}]]]]", "\":\"\"}", "e1]", "ull}", "rue]"};
	for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
		size_t n = strlen(text) + strlen(tails[i]);
		char *t = malloc(n + 1);
		snprintf(t, n + 1, "%s%s", text, tails[i]);
		cJSON *o = cJSON_Parse(t);
		if (o)
			fprintf(stderr, "called wrong, but cJSON takes: %s\n", t);
		CHECK(o == NULL);
		cJSON_Delete(o);
		free(t);
	}
}

int main(void)
{
	/* cJSON's own printing of random values, packed and indented */
	for (int i = 0; i < 400; i++) {
		cJSON *v = cJSON_CreateObject();
		cJSON_AddItemToObject(v, "v", random_value(0));
		char *a = cJSON_PrintUnformatted(v), *b = cJSON_Print(v);
		check_valid(a);
		check_valid(b);
		cJSON_free(a);
		cJSON_free(b);
		cJSON_Delete(v);
	}
	/* what cJSON takes beyond what it prints */
	static const char *const odd[] = {
		"\xef\xbb\xbf{}", "\x01{\x02\"a\"\x1f:1}", "[1E+5, -0.5e-3, 0]", "{\"u\": \"\\u00e9\\ud83d\\ude00\"}",
		"[[[[[]]]]]", "{\"a\":{\"b\":[true,false,null]}}", "\"a string\"", "[\"\\/\\b\\f\\n\\r\\t\"]",
		"true", "null ", "5\n",
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		cJSON *o = cJSON_Parse(odd[i]);
		CHECK(o != NULL);
		cJSON_Delete(o);
		check_valid(odd[i]);
	}
	/* random texts over JSON's bytes: each beginning scanned, what is wrong checked */
	static const char alphabet[] = "{}[]:,\"\\ anulfrtse1-.E0x\n";
	unsigned wrong = 0, whole = 0;
	for (int i = 0; i < 20000; i++) {
		char t[24];
		unsigned n = 1 + rnd(sizeof t - 1);
		t[0] = rnd(3) ? '{' : "[\"tn1 "[rnd(6)];
		for (unsigned k = 1; k < n; k++)
			t[k] = alphabet[rnd(sizeof alphabet - 1)];
		t[n] = '\0';
		enum osfs_json_state s = osfs_json_scan(t);
		if (s == OSFS_JSON_WRONG) {
			wrong++;
			check_wrong(t);
		} else if (s == OSFS_JSON_PARTIAL) {
			/* a beginning: some text completes it, unless a number is at stake */
			cJSON *o = cJSON_Parse(t);
			if (o && (t[0] == '{' || t[0] == '['))
				fprintf(stderr, "partial, but cJSON takes it whole: %s\n", t);
			CHECK(!o || !(t[0] == '{' || t[0] == '['));
			cJSON_Delete(o);
		} else {
			whole++;
		}
	}
	CHECK(wrong > 1000 && whole > 10); /* the grid reaches both verdicts */
	/* deeper than cJSON nests is wrong at once */
	char deep[CJSON_NESTING_LIMIT + 2];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	CHECK(osfs_json_scan(deep) == OSFS_JSON_WRONG);
	deep[CJSON_NESTING_LIMIT] = '\0';
	CHECK(osfs_json_scan(deep) == OSFS_JSON_PARTIAL);
	CHECK(osfs_json_scan("{not json") == OSFS_JSON_WRONG);
	CHECK(osfs_json_scan("{\"version\": 1") == OSFS_JSON_PARTIAL);

	printf("%d passed, %d failed\n", checks_passed, checks_failed);
	return checks_failed != 0;
}
