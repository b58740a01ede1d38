/* C unit tests of the parsers behind os/ and time/ nodes: sizes and flags of random
 * bytes, constants, kill requests, times and struct_time fields as Python takes
 * them.  (The behaviour against Python itself is tests/test_os*.py, test_time.py.) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "check.h"
#include "osfs/os.h"
#include "osfs/refuse.h"
#include "osfs/time.h"

static void test_random(void)
{
	size_t n;
	unsigned flags;
	CHECK(osfs_random_size("0", &n) == 0 && n == 0);
	CHECK(osfs_random_size("1048576", &n) == 0 && n == 1048576);
	CHECK(osfs_random_size("1048577", &n) == -ERANGE);
	CHECK(osfs_random_size("99999999999999999999", &n) == -ERANGE);
	CHECK(osfs_random_size("-1", &n) == -EINVAL);
	CHECK(osfs_random_size("x", &n) == -ENOENT);
	CHECK(osfs_getrandom_parse("16,GRND_NONBLOCK|GRND_RANDOM", &n, &flags) == 0 && n == 16 &&
	      flags == (GRND_NONBLOCK | GRND_RANDOM));
	CHECK(osfs_getrandom_parse("8,1", &n, &flags) == 0 && flags == 1);
	CHECK(osfs_getrandom_parse("8,O_RDONLY", &n, &flags) == -ENOENT); /* not a GRND_ flag */
	CHECK(osfs_getrandom_parse("8,", &n, &flags) == 0 && flags == 0);
	struct osfs_buf b = {0};
	CHECK(osfs_urandom(33, &b) == 0 && b.len == 33);
	osfs_buf_free(&b);
}

static void test_constants(void)
{
	const struct osfs_const *c = osfs_const_find("O_CREAT");
	CHECK(c && c->value == O_CREAT);
	CHECK((c = osfs_const_find("P_PIDFD")) && c->value == P_PIDFD); /* an enumerator */
	CHECK((c = osfs_const_find("WNOHANG")) && c->value == WNOHANG);
	CHECK((c = osfs_const_find("SCHED_RESET_ON_FORK")) && c->value == SCHED_RESET_ON_FORK);
	CHECK(osfs_const_find("RTLD_NEXT") == NULL); /* a pointer, not a number */
	CHECK(osfs_const_find("EX__MAX") == NULL);   /* internal */
	const struct osfs_const_family *f = osfs_const_family_find("SEEK");
	CHECK(f && f->count >= 5);
	for (size_t i = 1; f && i < f->count; i++)
		CHECK(strcmp(f->consts[i - 1].name, f->consts[i].name) < 0);
}

static void test_kill_parse(void)
{
	/* a uid no process has: whatever parses is refused by kill(2)'s rule */
	const uid_t stranger = 0x7ffffff0;
	struct osfs_ident caller = {.tid = getpid(), .pid = getpid(), .uid = stranger, .euid = stranger,
				   .suid = stranger};
	CHECK(osfs_kill_request("1 TERM", &caller) == -EPERM);
	CHECK(osfs_kill_request("1 99", &caller) == -EINVAL);     /* after the target */
	CHECK(osfs_kill_request("999999999 99", &caller) == -ESRCH); /* the target first */
	CHECK(osfs_kill_request("-2147483648 0", &caller) == -ESRCH);
	CHECK(osfs_kill_request("1 NOPE", &caller) == -EINVAL);
	CHECK(osfs_kill_request("1", &caller) == -EINVAL);
	CHECK(osfs_killpg_request("-1 0", &caller) == -EINVAL);
	osfs_refusal_clear();
}

static void test_time_parse(void)
{
	time_t t;
	CHECK(osfs_time_parse("-62135596801", &t) == 0 && t == -62135596801LL);
	CHECK(osfs_time_parse("1.9", &t) == 0 && t == 1);
	CHECK(osfs_time_parse("-0.5", &t) == 0 && t == -1); /* floored, as Python */
	CHECK(osfs_time_parse("1e3", &t) == 0 && t == 1000);
	CHECK(osfs_time_parse("nan", &t) == -EINVAL);
	CHECK(osfs_time_parse("1e300", &t) == -ERANGE);
	CHECK(osfs_time_parse("9223372036854775808", &t) == -ERANGE);
	CHECK(osfs_time_parse("0x10", &t) == -EINVAL);
	CHECK(osfs_time_parse("soon", &t) == -EINVAL);
	struct tm tm;
	CHECK(osfs_struct_time_parse("2024 2 29 13 45 0 3 60 -1", "asctime", 1, &tm) == 0 &&
	      tm.tm_year == 124 && tm.tm_mon == 1 && tm.tm_wday == 4 && tm.tm_yday == 59);
	CHECK(osfs_struct_time_parse("(2024, 0, 0, 0, 0, 0, 0, 0, 0)", "asctime", 1, &tm) == 0 &&
	      tm.tm_mon == 0 && tm.tm_mday == 1 && tm.tm_yday == 0); /* 0 is the lowest */
	CHECK(osfs_struct_time_parse("2024 13 1 0 0 0 0 1 0", "asctime", 1, &tm) == -EINVAL);
	CHECK_STR(osfs_refusal(), "month out of range");
	CHECK(osfs_struct_time_parse("2024 13 1 0 0 0 0 1 0", "mktime", 0, &tm) == 0);
	CHECK(osfs_struct_time_parse("2024 1 1", "asctime", 1, &tm) == -EINVAL);
	CHECK_STR(osfs_refusal(), "asctime(): illegal time tuple argument");
	CHECK(osfs_struct_time_parse("2147483648 1 1 0 0 0 0 1 0", "asctime", 1, &tm) == -ERANGE);
	CHECK_STR(osfs_refusal(), "signed integer is greater than maximum");
	CHECK(osfs_struct_time_parse("-2147483648 1 1 0 0 0 0 1 0", "asctime", 1, &tm) == -ERANGE);
	CHECK_STR(osfs_refusal(), "year out of range");
	CHECK(osfs_struct_time_parse("2024 1 1 0 0 0 1.5 1 0", "asctime", 1, &tm) == -EINVAL);
	CHECK_STR(osfs_refusal(), "'float' object cannot be interpreted as an integer");
	CHECK(osfs_struct_time_parse("tm_year=2024\ntm_mon=1\ntm_mday=1\ntm_hour=0\ntm_min=0\n"
				     "tm_sec=0\ntm_wday=0\ntm_yday=1\ntm_isdst=0\ntm_zone=UTC",
				     "asctime", 1, &tm) == 0 && tm.tm_year == 124);
	struct osfs_buf b = {0};
	CHECK(osfs_asctime_request("2024 2 29 13 45 0 3 60 -1", &b) == 0);
	CHECK_STR(b.data, "Thu Feb 29 13:45:00 2024");
	osfs_buf_free(&b);
	osfs_refusal_clear();
}

int main(void)
{
	test_random();
	test_constants();
	test_kill_parse();
	test_time_parse();
	return check_summary();
}
