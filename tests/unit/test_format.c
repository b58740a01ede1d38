/* Properties of the formatting internals that no differential test reaches
 * cheaply: the fast paths agree with the general ones they stand for, over
 * random inputs with a fixed seed (the answers Python gives are checked by
 * tests/test_format_diff.py). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/logging/pyfmt.h"
#include "check.h"
#include "osfs/logging/format.h"
#include "osfs/logging/record.h"

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

/* Big integers: the base conversion of a number's decimal digits agrees with
 * the 64-bit one for every number that has both. */
static void test_bigint_bases(void)
{
	int agree = 1;
	for (int i = 0; i < 20000 && agree; i++) {
		uint64_t x = next() >> (next() % 64);
		static const int bases[] = {2, 8, 16};
		struct osfs_buf dec = {0}, a = {0}, b = {0};
		u64_digits(&dec, x, 10, 0);
		for (int k = 0; k < 3; k++) {
			osfs_buf_reset(&a);
			osfs_buf_reset(&b);
			big_to_base(dec.data, dec.len, bases[k], k == 2 && (x & 1), &a);
			u64_digits(&b, x, bases[k], k == 2 && (x & 1));
			agree &= a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
		}
		osfs_buf_free(&dec);
		osfs_buf_free(&a);
		osfs_buf_free(&b);
	}
	CHECK(agree);
}

/* int(x) of a float: exact, as the float's own %.0f says (glibc prints exactly). */
static void test_float_to_int(void)
{
	int agree = 1;
	for (int i = 0; i < 20000 && agree; i++) {
		uint64_t bits = next();
		double x;
		memcpy(&x, &bits, sizeof x);
		if (!isfinite(x) || fabs(x) < 1)
			continue;
		x = trunc(x);
		struct osfs_buf big = {0};
		long long small;
		int r = float_to_int(x, &small, &big);
		char want[400];
		snprintf(want, sizeof want, "%.0f", x);
		if (r == 0)
			snprintf(want + 200, 200, "%lld", small), agree &= strcmp(want, want + 200) == 0;
		else
			agree &= big.data && strcmp(big.data, want) == 0;
		osfs_buf_free(&big);
	}
	CHECK(agree);
}

/* %.Nf: the integer fast path (created, relativeCreated) agrees with the general
 * layout of the same digits. */
static void test_fixed_fast_path(void)
{
	int agree = 1;
	for (int i = 0; i < 50000 && agree; i++) {
		double x = (double)(next() % 4000000000ULL) + (double)(next() % 1000000000ULL) / 1e9;
		if (next() & 1)
			x = -x / (double)(1 + next() % 1000);
		int p = (int)(next() % 10);
		struct osfs_buf fast = {0}, slow = {0};
		py_dtoa(&fast, x, 'f', p, 0);
		py_dtoa(&slow, x, 'f', p, DTSF_NO_NEG_0); /* the general layout... */
		char want[64];
		snprintf(want, sizeof want, "%.*f", p, x); /* ...and C's, both exact */
		agree &= strcmp(fast.data, want) == 0;
		agree &= strcmp(slow.data, want) == 0 || (want[0] == '-' && strcmp(slow.data, want + 1) == 0);
		osfs_buf_free(&fast);
		osfs_buf_free(&slow);
	}
	CHECK(agree);
}

/* Formats whose fields are read straight from the record give what the general
 * path gives: the same format, once plain and once with a flag that changes
 * nothing but forces the general path (%(x)-0s is %(x)s). */
static void test_direct_fields(void)
{
	static const char *const names[] = {"name", "message", "levelname", "pathname", "filename",
					    "module", "threadName", "processName", "levelno", "lineno",
					    "thread", "process", "asctime"};
	struct log_record r = {.name = "app.db", .msg = "naïve ☃", .levelname = "WARNING", .levelno = 30,
			       .pathname = "/usr/bin/sh", .filename = "sh", .module = "sh", .lineno = 123456,
			       .thread = 9876543210LL, .process = -42, .thread_name = "worker",
			       .process_name = "MainProcess"};
	log_record_set_time(&r, 1700000000123456789LL, 1699999999000000000LL);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char a[64], b[64];
		snprintf(a, sizeof a, "<%%(%s)s>", names[i]);
		snprintf(b, sizeof b, "<%%(%s)-0s>", names[i]);
		struct log_formatter *fa = log_formatter_new(a, NULL, '%', NULL, 1);
		struct log_formatter *fb = log_formatter_new(b, NULL, '%', NULL, 1);
		struct osfs_buf oa = {0}, ob = {0};
		CHECK(fa && fb && log_format(fa, &r, &oa) == 0 && log_format(fb, &r, &ob) == 0);
		CHECK_STR(oa.data, ob.data ? ob.data : "");
		osfs_buf_free(&oa);
		osfs_buf_free(&ob);
		log_formatter_free(fa);
		log_formatter_free(fb);
	}
}

/* A write's records formatted from a memo (log_format_shared) read as each
 * formatted alone: random formats of direct fields and literals, several records
 * that differ in message and line number under one key, then a new key. */
static void test_shared_memo(void)
{
	static const char *const pieces[] = {
	    "%(name)s", "%(message)s", "%(levelname)s", "%(pathname)s", "%(module)s", "%(lineno)d",
	    "%(lineno)s", "%(process)d", "%(thread)s", "%(asctime)s", "%(threadName)s", " ", "|",
	    "%%", "ä", "-x-"};
	static const char *const msgs[] = {"", "request 1 served", "naïve ☃", "%s {x} $y", "  "};
	int agree = 1;
	for (int i = 0; i < 2000 && agree; i++) {
		char fmt[256] = "";
		for (int k = (int)(next() % 7); k >= 0; k--)
			strcat(fmt, pieces[next() % (sizeof pieces / sizeof pieces[0])]);
		strcat(fmt, pieces[next() % 11]); /* a field at least: no field fails validation */
		struct log_formatter *f =
		    log_formatter_new(fmt, next() % 3 ? NULL : "%H:%M:%S", '%', NULL, 1);
		struct log_fmt_memo m = {0};
		struct log_record r = {.name = "app.db", .levelname = "INFO", .levelno = 20,
				       .pathname = "/usr/bin/sh", .filename = "sh", .module = "sh",
				       .thread = 7, .process = 42, .thread_name = "w", .process_name = "w"};
		for (int k = 0; k < 6 && f && agree; k++) {
			if (k == 3) /* a new write: another moment, another level */
				r.levelname = "ERROR", r.levelno = 40;
			log_record_set_time(&r, 1700000000123456789LL + (k >= 3) * 1500000000LL,
					    1699999999000000000LL);
			r.msg = msgs[next() % (sizeof msgs / sizeof msgs[0])];
			r.lineno = (long)(next() % 100000);
			struct osfs_buf a = {0}, b = {0};
			osfs_buf_puts(&b, "kept>"); /* the memo appends, as to a batch's text */
			agree &= log_format(f, &r, &a) == 0;
			agree &= log_format_shared(f, &r, &b, &m, k < 3 ? 1 : 2) == 0;
			agree &= a.len + 5 == b.len && memcmp(a.data ? a.data : "", b.data + 5, a.len) == 0;
			osfs_buf_free(&a);
			osfs_buf_free(&b);
		}
		CHECK(f != NULL);
		log_fmt_memo_free(&m);
		log_formatter_free(f);
	}
	CHECK(agree);
}

int main(void)
{
	test_bigint_bases();
	test_float_to_int();
	test_fixed_fast_path();
	test_direct_fields();
	test_shared_memo();
	return check_summary();
}
