/* errno/: Python's errno module.  NAME -> number, errorcode/N -> NAME,
 * strerror/N and strerror/NAME -> os.strerror, table and table.json. */
#include "tree.h"

#include <errno.h>
#include <stdio.h>

#include "osfs/errno.h"
#include "osfs/kv.h"
#include "osfs/refuse.h"

/* The number behind an entry named by number or by errno name. */
static int code_of(const char *arg, int *code)
{
	if (osfs_errno_code(arg, code) == 0)
		return 0;
	int err = osfs_parse_int(arg, code);
	if (err == -ERANGE)
		return osfs_refuse(ERANGE, "%s is out of range for an error number (a C int)", arg);
	if (err)
		return osfs_refuse(ENOENT, "'%s' is neither an error number nor an errno name", arg);
	return 0;
}

static int match_name(const char *name, const struct req *rq)
{
	int code;
	if (osfs_errno_code(name, &code) < 0)
		return osfs_refuse(ENOENT, "unknown errno name '%s' (errno/table lists them all)",
				   name);
	return 0;
}

static void list_names(emit_fn *emit, void *ctx, int numbers)
{
	size_t n;
	const struct osfs_errno *t = osfs_errno_table(&n);
	for (size_t i = 0; i < n; i++) {
		if (!numbers) {
			emit(ctx, t[i].name);
		} else if (i == 0 || t[i].code != t[i - 1].code) {
			char num[16];
			snprintf(num, sizeof num, "%d", t[i].code);
			emit(ctx, num);
		}
	}
}

static int list_all_names(emit_fn *emit, void *ctx, const struct req *rq)
{
	list_names(emit, ctx, 0);
	return 0;
}

static int list_numbers(emit_fn *emit, void *ctx, const struct req *rq)
{
	list_names(emit, ctx, 1);
	return 0;
}

static int show_code(struct osfs_buf *out, const struct req *rq)
{
	int code;
	int err = code_of(rq->arg, &code);
	if (!err)
		osfs_buf_printf(out, "%d\n", code);
	return err;
}

static int match_errorcode(const char *name, const struct req *rq)
{
	int code;
	if (osfs_parse_int(name, &code) < 0 || !osfs_errno_name(code))
		return osfs_refuse(ENOENT, "no errno name has the number '%s'", name);
	return 0;
}

static int show_errorcode(struct osfs_buf *out, const struct req *rq)
{
	int code;
	int err = code_of(rq->arg, &code);
	const char *name = err ? NULL : osfs_errno_name(code);
	if (!name)
		return err ? err : osfs_refuse(ENOENT, "no errno name has the number %d", code);
	osfs_buf_printf(out, "%s\n", name);
	return 0;
}

static int match_strerror(const char *name, const struct req *rq)
{
	int code;
	return code_of(name, &code);
}

static int show_strerror(struct osfs_buf *out, const struct req *rq)
{
	int code;
	int err = code_of(rq->arg, &code);
	if (!err) {
		osfs_strerror(code, out);
		osfs_buf_putc(out, '\n');
	}
	return err;
}

static int table_fields(struct osfs_kv *kv, const struct req *rq)
{
	size_t n;
	const struct osfs_errno *t = osfs_errno_table(&n);
	for (size_t i = 0; i < n; i++)
		osfs_kv_int(kv, t[i].name, t[i].code);
	return 0;
}

static const struct node errorcode_each =
	CONST_ROW(NULL, show_errorcode, "errno.errorcode[N]: the name of error number N");
static const struct dir errorcode_dir = {
	.each = &errorcode_each, .match = match_errorcode, .list = list_numbers};

static const struct node strerror_each =
	CONST_ROW(NULL, show_strerror, "os.strerror(): the message of an error number or name");
static const struct dir strerror_dir = {
	.each = &strerror_each, .match = match_strerror, .list = list_numbers};

static const struct node errno_rows[] = {
	DIR_ROW("errorcode", errorcode_dir, "errno.errorcode: errorcode/N is the name of N"),
	DIR_ROW("strerror", strerror_dir, "os.strerror: strerror/N or strerror/NAME"),
	CONST_FIELDS_ROW("table", table_fields, "every errno name and its number: NAME=N, by number"),
	CONST_JSON_ROW("table.json", table_fields, "every errno name and its number, as JSON"),
	END_ROW,
};

static const struct node errno_each =
	CONST_ROW(NULL, show_code, "the error number of this errno name");

const struct dir errno_dir = {
	.rows = errno_rows, .each = &errno_each, .match = match_name, .list = list_all_names};
