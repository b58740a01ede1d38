/* time/: Python's time module: clocks (the caller's CPU clocks included), clock
 * information, broken-down time, the zone (a setting), strftime and strptime. */
#include "tree.h"

#include <errno.h>
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

/* The rows of time/ name their clock and whether they print nanoseconds. */
struct clock_row {
	const char *clock;
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
	return show_clock_value(out, osfs_clock_find(r->clock), r->ns, rq);
}

#define CLOCK_ROW(n, clock_, ns_, flags_, doc_)                                        \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = (flags_),              \
	 .show = show_time_row, .data = &(const struct clock_row){(clock_), (ns_)}, \
	 .doc = (doc_)}

/* clocks/CLOCK_NAME/: time, time_ns, resolution */
static int match_clock(const char *name, const struct req *rq)
{
	return osfs_clock_find(name) ? 0 : osfs_refuse(ENOENT, "unknown clock '%s'", name);
}

static int list_clocks(emit_fn *emit, void *ctx, const struct req *rq)
{
	size_t n;
	const struct osfs_clock *c = osfs_clocks(&n);
	for (size_t i = 0; i < n; i++)
		emit(ctx, c[i].name);
	return 0;
}

static int show_named_clock(struct osfs_buf *out, const struct req *rq)
{
	return show_clock_value(out, osfs_clock_find(rq->arg), rq->node->data != NULL, rq);
}

static int show_resolution(struct osfs_buf *out, const char *clock)
{
	struct timespec ts;
	if (clock_getres(osfs_clock_find(clock)->id, &ts) < 0)
		return osfs_refuse(errno, "clock_getres(%s): %s", clock, strerror(errno));
	osfs_fmt_timespec(out, &ts);
	osfs_buf_putc(out, '\n');
	return 0;
}

static int show_clock_res(struct osfs_buf *out, const struct req *rq)
{
	return show_resolution(out, rq->arg);
}

static const struct node clock_rows[] = {
	{.name = "time", .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER,
	 .show = show_named_clock, .doc = "time.clock_gettime(CLOCK) in seconds"},
	{.name = "time_ns", .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER,
	 .show = show_named_clock, .data = "ns", .doc = "time.clock_gettime_ns(CLOCK)"},
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
		return show_resolution(out, c->clock);
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

/* Broken-down time, now. */
static int now_tm(int utc, struct tm *tm)
{
	time_t t = osfs_now();
	return utc ? osfs_gmtime(t, tm) : osfs_localtime(t, tm);
}

static int struct_time_fields(struct osfs_kv *kv, const struct req *rq)
{
	struct tm tm;
	int err = now_tm(rq->node->data != NULL, &tm);
	if (!err)
		osfs_struct_time(&tm, kv);
	return err;
}

static int show_asctime(struct osfs_buf *out, const struct req *rq)
{
	struct tm tm;
	int err = now_tm(0, &tm);
	if (!err) {
		osfs_asctime(&tm, out);
		osfs_buf_putc(out, '\n');
	}
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
static const struct node strftime_each = {.kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER,
					  .show = show_strftime,
					  .doc = "time.strftime(NAME): the current local time"};
static const struct dir strftime_dir = {.rows = strftime_rows, .each = &strftime_each,
					.match = match_format};

static const struct node time_rows[] = {
	CLOCK_ROW("time", "CLOCK_REALTIME", 0, 0, "time.time(): seconds since the epoch"),
	CLOCK_ROW("time_ns", "CLOCK_REALTIME", 1, 0, "time.time_ns()"),
	CLOCK_ROW("monotonic", "CLOCK_MONOTONIC", 0, 0, "time.monotonic()"),
	CLOCK_ROW("monotonic_ns", "CLOCK_MONOTONIC", 1, 0, "time.monotonic_ns()"),
	CLOCK_ROW("perf_counter", "CLOCK_MONOTONIC", 0, 0, "time.perf_counter()"),
	CLOCK_ROW("perf_counter_ns", "CLOCK_MONOTONIC", 1, 0, "time.perf_counter_ns()"),
	CLOCK_ROW("process_time", "CLOCK_PROCESS_CPUTIME_ID", 0, NODE_CALLER,
		  "time.process_time() of the calling process"),
	CLOCK_ROW("process_time_ns", "CLOCK_PROCESS_CPUTIME_ID", 1, NODE_CALLER,
		  "time.process_time_ns() of the calling process"),
	CLOCK_ROW("thread_time", "CLOCK_THREAD_CPUTIME_ID", 0, NODE_CALLER,
		  "time.thread_time() of the calling thread"),
	CLOCK_ROW("thread_time_ns", "CLOCK_THREAD_CPUTIME_ID", 1, NODE_CALLER,
		  "time.thread_time_ns() of the calling thread"),
	DIR_ROW("clocks", clocks_dir, "time.clock_gettime and clock_getres: clocks/CLOCK_*/"),
	DIR_ROW("clock_info", infos_dir, "time.get_clock_info: clock_info/NAME/"),
	{.name = "gmtime", .kind = KIND_VALUE, .mode = 0444, .fields = struct_time_fields,
	 .data = "utc", .doc = "time.gmtime(): struct_time fields, UTC"},
	{.name = "gmtime.json", .kind = KIND_VALUE, .mode = 0444, .flags = NODE_JSON,
	 .fields = struct_time_fields, .data = "utc", .doc = "time.gmtime() as JSON"},
	FIELDS_ROW("localtime", struct_time_fields, "time.localtime(): struct_time fields, in tz"),
	JSON_ROW("localtime.json", struct_time_fields, "time.localtime() as JSON"),
	VALUE_ROW("asctime", show_asctime, "time.asctime(): the local time as text"),
	VALUE_ROW("ctime", show_asctime, "time.ctime(): the local time as text"),
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
