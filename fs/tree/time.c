/* time/: Python's time module: clocks (the caller's CPU clocks included), clock
 * information, broken-down time, the zone (a setting), strftime and strptime. */
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/fmt.h"
#include "osfs/os.h"
#include "osfs/refuse.h"
#include "osfs/time.h"

/* A clock read for the caller: process and thread CPU clocks are the caller's. */
static int read_clock(const struct osfs_clock *c, const struct req *rq, struct timespec *ts)
{
	struct osfs_proc p = {.pid = rq->tid};
	if (c->scope != OSFS_CLOCK_SYSTEM) {
		int err = tree_caller(rq, &p);
		if (err)
			return err;
	}
	return osfs_clock_read(c, p.pid, rq->tid, ts);
}

/* The rows of time/ hold their clock and whether they print nanoseconds. */
struct clock_row {
	struct osfs_clock clock;
	int ns;
};

static int show_clock_value(struct osfs_buf *out, const struct osfs_clock *c, int ns,
			    const struct req *rq)
{
	struct timespec ts;
	int err = read_clock(c, rq, &ts);
	if (err)
		return err;
	if (ns)
		osfs_buf_printf(out, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	else {
		osfs_fmt_timespec(out, &ts);
		osfs_buf_putc(out, '\n');
	}
	return 0;
}

static int show_time_row(struct osfs_buf *out, const struct req *rq)
{
	const struct clock_row *r = rq->node->data;
	return show_clock_value(out, &r->clock, r->ns, rq);
}

#define CLOCK_ROW(n, clock_, scope_, ns_, flags_, doc_)                                  \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = (flags_),                \
	 .show = show_time_row,                                                           \
	 .data = &(const struct clock_row){{#clock_, clock_, (scope_)}, (ns_)}, .doc = (doc_)}

/* clocks/CLOCK/: time, time_ns, resolution; CLOCK a CLOCK_ name or a number. */
static int match_clock(const char *name, const struct req *rq)
{
	struct osfs_clock c;
	return osfs_clock_lookup(name, &c);
}

/* The clocks this machine has: those the kernel gives a resolution. */
static int list_clocks(emit_fn *emit, void *ctx, const struct req *rq)
{
	size_t n;
	const struct osfs_clock *c = osfs_clocks(&n);
	for (size_t i = 0; i < n; i++) {
		struct timespec ts;
		if (clock_getres(c[i].id, &ts) == 0)
			emit(ctx, c[i].name);
	}
	return 0;
}

static int show_named_clock(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_clock c;
	int err = osfs_clock_lookup(rq->arg, &c);
	return err ? err : show_clock_value(out, &c, rq->node->data != NULL, rq);
}

static int store_named_clock(const char *value, const struct req *rq)
{
	struct osfs_clock c;
	int err = osfs_clock_lookup(rq->arg, &c);
	return err ? err : osfs_clock_set(&c, value, rq->node->data != NULL);
}

static int show_resolution(struct osfs_buf *out, const struct osfs_clock *c)
{
	struct timespec ts;
	int err = osfs_clock_res(c, &ts);
	if (!err) {
		osfs_fmt_timespec(out, &ts);
		osfs_buf_putc(out, '\n');
	}
	return err;
}

static int show_clock_res(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_clock c;
	int err = osfs_clock_lookup(rq->arg, &c);
	return err ? err : show_resolution(out, &c);
}

static const struct node clock_rows[] = {
	{.name = "time", .kind = KIND_SETTING, .mode = 0644, .flags = NODE_CALLER,
	 .show = show_named_clock, .store = store_named_clock,
	 .doc = "time.clock_gettime(CLOCK) in seconds; the owner writes: clock_settime"},
	{.name = "time_ns", .kind = KIND_SETTING, .mode = 0644, .flags = NODE_CALLER,
	 .show = show_named_clock, .store = store_named_clock, .data = "ns",
	 .doc = "time.clock_gettime_ns(CLOCK); the owner writes: clock_settime_ns"},
	VALUE_ROW("resolution", show_clock_res, "time.clock_getres(CLOCK) in seconds"),
	END_ROW,
};
static const struct dir clock_dir = {.rows = clock_rows};
static const struct node clocks_each = DIR_ROW(NULL, clock_dir, "one clock: time, time_ns, resolution");
static const struct dir clocks_dir = {.each = &clocks_each, .match = match_clock, .list = list_clocks};

/* clock_info/NAME/: implementation, monotonic, adjustable, resolution */
static int match_info(const char *name, const struct req *rq)
{
	return osfs_clock_info_find(name)
		       ? 0
		       : osfs_refuse(ENOENT, "unknown clock '%s': time, monotonic, perf_counter, "
					     "process_time or thread_time", name);
}

static int list_infos(emit_fn *emit, void *ctx, const struct req *rq)
{
	size_t n;
	const struct osfs_clock_info *c = osfs_clock_infos(&n);
	for (size_t i = 0; i < n; i++)
		emit(ctx, c[i].name);
	return 0;
}

static int show_info(struct osfs_buf *out, const struct req *rq)
{
	const struct osfs_clock_info *c = osfs_clock_info_find(rq->arg);
	const char *field = rq->node->name;
	if (strcmp(field, "implementation") == 0)
		osfs_buf_printf(out, "clock_gettime(%s)\n", c->clock);
	else if (strcmp(field, "monotonic") == 0)
		osfs_buf_printf(out, "%d\n", c->monotonic);
	else if (strcmp(field, "adjustable") == 0)
		osfs_buf_printf(out, "%d\n", c->adjustable);
	else
		return show_resolution(out, osfs_clock_find(c->clock));
	return 0;
}

static const struct node info_rows[] = {
	CONST_ROW("implementation", show_info, "the C call behind the clock"),
	CONST_ROW("monotonic", show_info, "1 if the clock cannot go backward"),
	CONST_ROW("adjustable", show_info, "1 if the clock can be changed"),
	CONST_ROW("resolution", show_info, "the clock's resolution in seconds"),
	END_ROW,
};
static const struct dir info_dir = {.rows = info_rows};
static const struct node infos_each = DIR_ROW(NULL, info_dir, "time.get_clock_info(NAME)");
static const struct dir infos_dir = {.each = &infos_each, .match = match_info, .list = list_infos};

/* gmtime/, localtime/ and ctime/: now, or SECONDS (with .json for the first two).
 * The directory row's data is "utc" for gmtime. */
/* A name that is not a number at all is no entry (ENOENT); a number Python
 * refuses (nan, past time_t) is refused with Python's error. */
static int match_when(const char *name, const struct req *rq)
{
	char *end;
	time_t t;
	if (strcmp(name, "now") == 0)
		return 0;
	strtod(name, &end);
	if (end == name || *end || strpbrk(name, "xXpP"))
		return osfs_refuse(ENOENT, "'%s' is not a time in seconds since the epoch", name);
	return osfs_time_parse(name, &t);
}

static int match_struct_when(const char *name, const struct req *rq)
{
	char when[64];
	size_t len = strlen(name);
	if (len > 5 && strcmp(name + len - 5, ".json") == 0)
		len -= 5;
	if (len >= sizeof when)
		return osfs_refuse(ENOENT, "'%s' is not a time in seconds since the epoch", name);
	snprintf(when, sizeof when, "%.*s", (int)len, name);
	return match_when(when, rq);
}

static int struct_time_fields(struct osfs_kv *kv, const struct req *rq)
{
	struct tm tm;
	int err = osfs_time_at(rq->arg ? rq->arg : "now", rq->node->data != NULL, &tm);
	if (!err)
		osfs_struct_time(&tm, kv);
	return err;
}

/* SECONDS or SECONDS.json: the structure, as lines or as JSON by the name. */
static int show_struct_time(struct osfs_buf *out, const struct req *rq)
{
	char when[64];
	size_t len = strlen(rq->arg);
	int json = len > 5 && strcmp(rq->arg + len - 5, ".json") == 0;
	snprintf(when, sizeof when, "%.*s", (int)(json ? len - 5 : len), rq->arg);
	struct tm tm;
	struct osfs_kv kv = {0};
	int err = osfs_time_at(when, rq->node->data != NULL, &tm);
	if (!err) {
		osfs_struct_time(&tm, &kv);
		(json ? osfs_kv_json : osfs_kv_plain)(&kv, out);
		err = osfs_kv_error(&kv);
	}
	osfs_kv_free(&kv);
	return err;
}

static int show_ctime(struct osfs_buf *out, const struct req *rq)
{
	struct tm tm;
	int err = osfs_time_at(rq->arg ? rq->arg : "now", 0, &tm);
	if (!err) {
		osfs_asctime(&tm, out);
		osfs_buf_putc(out, '\n');
	}
	return err;
}

#define STRUCT_TIME_DIR(var, utc, what)                                                           \
	static const struct node var##_rows[] = {                                                 \
		{.name = "now", .kind = KIND_VALUE, .mode = 0444, .fields = struct_time_fields,   \
		 .data = (utc), .doc = "time." what "(): struct_time fields, now"},               \
		{.name = "now.json", .kind = KIND_VALUE, .mode = 0444, .flags = NODE_JSON,        \
		 .fields = struct_time_fields, .data = (utc), .doc = "time." what "() as JSON"},   \
		END_ROW};                                                                         \
	static const struct node var##_each = {                                                   \
		.kind = KIND_VALUE, .mode = 0444, .show = show_struct_time, .data = (utc),        \
		.doc = "time." what "(SECONDS): struct_time fields; SECONDS.json: as JSON"};      \
	static const struct dir var##_dir = {.rows = var##_rows, .each = &var##_each,             \
					     .match = match_struct_when}

STRUCT_TIME_DIR(gmtime, "utc", "gmtime");
STRUCT_TIME_DIR(localtime, NULL, "localtime");

static const struct node ctime_rows[] = {
	VALUE_ROW("now", show_ctime, "time.ctime(): the local time as text, now"),
	END_ROW,
};
static const struct node ctime_each =
	VALUE_ROW(NULL, show_ctime, "time.ctime(SECONDS): that time, local, as text");
static const struct dir ctime_dir = {.rows = ctime_rows, .each = &ctime_each, .match = match_when};

static int call_asctime(const char *request, struct osfs_buf *out, const struct req *rq)
{
	int err = osfs_asctime_request(request, out);
	if (!err)
		osfs_buf_putc(out, '\n');
	return err;
}

static int call_mktime(const char *request, struct osfs_buf *out, const struct req *rq)
{
	int err = osfs_mktime_request(request, out);
	if (!err)
		osfs_buf_putc(out, '\n');
	return err;
}

static int show_tzinfo(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_tzinfo z;
	osfs_tzinfo(&z);
	const char *field = rq->node->name;
	if (strcmp(field, "timezone") == 0)
		osfs_buf_printf(out, "%ld\n", z.timezone);
	else if (strcmp(field, "altzone") == 0)
		osfs_buf_printf(out, "%ld\n", z.altzone);
	else if (strcmp(field, "daylight") == 0)
		osfs_buf_printf(out, "%d\n", z.daylight);
	else
		osfs_buf_printf(out, "%s\n%s\n", z.tzname[0], z.tzname[1]);
	return 0;
}

static int show_tz(struct osfs_buf *out, const struct req *rq)
{
	osfs_tz_get(out);
	osfs_buf_putc(out, '\n');
	return 0;
}

static int store_tz(const char *value, const struct req *rq)
{
	int err = osfs_tz_set(value);
	if (!err)
		tree_changed();
	return err;
}

/* strftime/call (a transaction) and strftime/FORMAT (the path form). */
static int call_strftime(const char *request, struct osfs_buf *out, const struct req *rq)
{
	int err = osfs_strftime_request(request, out);
	if (!err)
		osfs_buf_putc(out, '\n');
	return err;
}

static int match_format(const char *name, const struct req *rq)
{
	return 0; /* every name is a format */
}

static int show_strftime(struct osfs_buf *out, const struct req *rq)
{
	return call_strftime(rq->arg, out, rq);
}

static int call_strptime(const char *request, struct osfs_buf *out, const struct req *rq)
{
	struct osfs_kv kv = {0};
	int err = osfs_strptime_request(request, &kv);
	if (!err)
		osfs_kv_plain(&kv, out);
	osfs_kv_free(&kv);
	return err;
}

static const struct node strftime_rows[] = {
	TRANSACTION_ROW("call", call_strftime,
			"time.strftime: write FORMAT[<tab>SECONDS[<tab>utc|local]], read the result"),
	END_ROW,
};
static const struct node strftime_each = {.kind = KIND_VALUE, .mode = 0444, .show = show_strftime,
					  .doc = "time.strftime(NAME): the current local time"};
static const struct dir strftime_dir = {.rows = strftime_rows, .each = &strftime_each,
					.match = match_format};

static const struct node time_rows[] = {
	CLOCK_ROW("time", CLOCK_REALTIME, OSFS_CLOCK_SYSTEM, 0, 0,
		  "time.time(): seconds since the epoch"),
	CLOCK_ROW("time_ns", CLOCK_REALTIME, OSFS_CLOCK_SYSTEM, 1, 0, "time.time_ns()"),
	CLOCK_ROW("monotonic", CLOCK_MONOTONIC, OSFS_CLOCK_SYSTEM, 0, 0, "time.monotonic()"),
	CLOCK_ROW("monotonic_ns", CLOCK_MONOTONIC, OSFS_CLOCK_SYSTEM, 1, 0, "time.monotonic_ns()"),
	CLOCK_ROW("perf_counter", CLOCK_MONOTONIC, OSFS_CLOCK_SYSTEM, 0, 0, "time.perf_counter()"),
	CLOCK_ROW("perf_counter_ns", CLOCK_MONOTONIC, OSFS_CLOCK_SYSTEM, 1, 0,
		  "time.perf_counter_ns()"),
	CLOCK_ROW("process_time", CLOCK_PROCESS_CPUTIME_ID, OSFS_CLOCK_CALLER_PROCESS, 0,
		  NODE_CALLER, "time.process_time() of the calling process"),
	CLOCK_ROW("process_time_ns", CLOCK_PROCESS_CPUTIME_ID, OSFS_CLOCK_CALLER_PROCESS, 1,
		  NODE_CALLER, "time.process_time_ns() of the calling process"),
	CLOCK_ROW("thread_time", CLOCK_THREAD_CPUTIME_ID, OSFS_CLOCK_CALLER_THREAD, 0, NODE_CALLER,
		  "time.thread_time() of the calling thread"),
	CLOCK_ROW("thread_time_ns", CLOCK_THREAD_CPUTIME_ID, OSFS_CLOCK_CALLER_THREAD, 1,
		  NODE_CALLER, "time.thread_time_ns() of the calling thread"),
	DIR_ROW("clocks", clocks_dir, "time.clock_gettime and clock_getres: clocks/CLOCK_*/"),
	DIR_ROW("clock_info", infos_dir, "time.get_clock_info: clock_info/NAME/"),
	{.name = "gmtime", .kind = KIND_DIR, .mode = 0555, .dir = &gmtime_dir, .data = "utc",
	 .doc = "time.gmtime: gmtime/now, gmtime/SECONDS (and .json)"},
	DIR_ROW("localtime", localtime_dir,
		"time.localtime: localtime/now, localtime/SECONDS (and .json), in tz"),
	DIR_ROW("ctime", ctime_dir, "time.ctime: ctime/now, ctime/SECONDS"),
	TRANSACTION_ROW("asctime", call_asctime,
			"time.asctime: write the 9 struct_time fields (or nothing: now), read the text"),
	TRANSACTION_ROW("mktime", call_mktime,
			"time.mktime: write the 9 struct_time fields (local time), read seconds"),
	VALUE_ROW("timezone", show_tzinfo, "time.timezone: seconds west of UTC, standard time"),
	VALUE_ROW("altzone", show_tzinfo, "time.altzone: seconds west of UTC, daylight time"),
	VALUE_ROW("daylight", show_tzinfo, "time.daylight: 1 if the zone has daylight time"),
	VALUE_ROW("tzname", show_tzinfo, "time.tzname: standard and daylight names, one per line"),
	SETTING_ROW("tz", show_tz, store_tz,
		    "the zone osfs uses for local time: a zoneinfo name or a POSIX TZ rule"),
	DIR_ROW("strftime", strftime_dir,
		"time.strftime: cat strftime/FORMAT, or the transaction strftime/call"),
	TRANSACTION_ROW("strptime", call_strptime,
			"time.strptime: write STRING[<tab>FORMAT], read struct_time fields"),
	END_ROW,
};

const struct dir time_dir = {.rows = time_rows};

int time_tree_init(void)
{
	osfs_tz_init();
	return 0;
}

void time_tree_fini(void)
{
}
