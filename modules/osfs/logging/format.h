/* logging.Formatter: the %, { and $ styles with their full syntax, datefmt,
 * defaults, and validation as Python does it when the formatter is made. */
#ifndef OSFS_LOGGING_FORMAT_H
#define OSFS_LOGGING_FORMAT_H

#include "../buf.h"
#include "record.h"

struct log_formatter;

/* fmt NULL means the style's default; style is '%', '{' or '$'.  defaults_json is
 * a JSON object or NULL.  Returns the formatter, or NULL after osfs_refuse(). */
struct log_formatter *log_formatter_new(const char *fmt, const char *datefmt, char style,
					const char *defaults_json, int validate);
void log_formatter_free(struct log_formatter *f);
const char *log_formatter_fmt(const struct log_formatter *f);
const char *log_formatter_datefmt(const struct log_formatter *f);
char log_formatter_style(const struct log_formatter *f);
const char *log_formatter_defaults(const struct log_formatter *f);
/* What of the writer its format shows (LOG_CALLER_*): osfs reads only that. */
unsigned log_formatter_caller(const struct log_formatter *f);

/* Formatter.format(record): 0, or -EINVAL after osfs_refuse() (a missing field,
 * a value of the wrong type: what Python reports through handleError). */
int log_format(const struct log_formatter *f, struct log_record *r, struct osfs_buf *out);
/* Records that share all but their message and line number (the lines of one
 * write, from one writer to one logger at one moment) are formatted from a memo:
 * the format run once over what they share, into pieces of text between the
 * fields that vary.  Zeroed to start; key names what the records share (0:
 * nothing, log_format is used). */
struct log_fmt_memo {
	const struct log_formatter *f;
	unsigned long key;
	struct osfs_buf text;
	struct log_fmt_piece *pieces;
	size_t n, cap;
};
int log_format_shared(const struct log_formatter *f, struct log_record *r, struct osfs_buf *out,
		      struct log_fmt_memo *m, unsigned long key);
void log_fmt_memo_free(struct log_fmt_memo *m);
/* The part of Formatter.format after the message: the record's exc_text, then
 * its stack_info, each after a newline unless the text since mark ends in one. */
int log_format_tail(const struct log_record *r, struct osfs_buf *out, size_t mark);

#endif
