/* ffi internals shared by its files (not installed): the request arena, C types
 * and their layout (ffi_types.c), values in memory (ffi_values.c), the request
 * grammar (ffi_parse.c) and the channel between daemon and worker (ffi_channel.c). */
#ifndef OSFS_FFI_INTERNAL_H
#define OSFS_FFI_INTERNAL_H

#include <ffi.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "osfs/buf.h"

#define FFI_MAX_SIZE (1u << 20)       /* the largest type, buffer or memory read */
#define FFI_MAX_ARENA (16u << 20)     /* what one request may allocate */
#define FFI_MAX_ARGS 32
#define FFI_MAX_DEPTH 16              /* nesting of types and of values */
#define FFI_MAX_BYVALUE 4096          /* libffi elements of a structure passed by value */
#define FFI_MAX_DEF (64u << 10)       /* a definition's text */
#define FFI_MAX_REQUEST (4u << 20)    /* a request frame's body */
#define FFI_MAX_ANSWER (4u << 20)     /* an answer frame's body */

/* Everything one request allocates, freed at once: a parse that fails half way
 * leaks nothing. */
struct arena_block;
struct arena {
	struct arena_block *blocks;
	size_t total;
};
void *arena_alloc(struct arena *a, size_t size, size_t align); /* zeroed; NULL past the bound */
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

enum fkind {
	FK_VOID, FK_SINT, FK_UINT, FK_FLOAT, FK_BOOL, FK_CHAR, FK_WCHAR,
	FK_PTR, FK_STR, FK_WSTR, FK_STRUCT, FK_UNION, FK_ARRAY,
};

struct ffield;
struct ftype {
	enum fkind kind;
	const char *name; /* a fundamental type's name, else NULL */
	size_t size, align;
	ffi_type *ffi;    /* a fundamental type's libffi type */
	struct ffield *fields; /* struct, union */
	size_t nfields;
	unsigned pack;
	const struct ftype *elem; /* array */
	size_t count;
};
struct ffield {
	const char *name;
	const struct ftype *type;
	size_t offset;
};

/* Named layouts in scope: the text defining NAME, or NULL. */
struct fscope {
	const char *(*lookup)(void *ctx, const char *name, size_t len);
	void *ctx;
};

/* Reading text: where we are, what is being read (for messages), and the scope. */
struct fparser {
	const char *s;
	const char *what; /* "argument 2", "the result type", ... */
	const struct fscope *scope;
	struct arena *a;
	int depth;
};

/* ffi_types.c */
const struct ftype *ftype_fundamental(const char *name, size_t len);
const char *ftype_fundamental_name(size_t i); /* every name but void, NULL past the end */
int ftype_parse(struct fparser *p, const struct ftype **out);
/* A whole string as a type (nothing may follow): 0, or -errno after osfs_refuse(). */
int ftype_parse_text(const char *text, const char *what, const struct fscope *scope,
		     struct arena *a, const struct ftype **out);
void ftype_print(struct osfs_buf *out, const struct ftype *t);
/* type=, size=, align=, then offset.FIELD= for every field reached without an array. */
void ftype_layout(struct osfs_buf *out, const struct ftype *t);
/* The libffi type to pass or return t by value: NULL after osfs_refuse(). */
ffi_type *ftype_ffi(const struct ftype *t, struct arena *a, const char *what);
int ftype_is_ident_start(int c);
int ftype_is_ident(int c);
const char *fskip(const char *s);

/* ffi_values.c: values written as text into C memory, and read back. */
int fvalue_parse(struct fparser *p, const struct ftype *t, void *mem, int top);
void fvalue_print(struct osfs_buf *out, const char *key, const struct ftype *t, const void *mem);
/* An integer as C reads it (0x…, 0…, decimal), to the end of the token. */
int fparse_u64(const char *text, uint64_t *v, int *negative);

/* ffi_text.c: "..." with C escapes into bytes (NUL-terminated in the arena): 0 or
 * -EINVAL; UTF-8 to wide characters (the count, or -1 if not UTF-8; out may be
 * NULL to count); bytes and wide text quoted as the syntax reads them back. */
int fstring_parse(struct fparser *p, char **bytes, size_t *len);
long fdecode_utf8(const char *s, size_t n, wchar_t *out);
void fquote(struct osfs_buf *out, const char *s, size_t n);
void fquote_wide(struct osfs_buf *out, const wchar_t *s, size_t n);

/* ffi_parse.c: one request, parsed and its libffi call prepared.  The body a worker
 * gets is context lines ("def NAME TYPE" for the named layouts the request uses,
 * "global LIB" for libraries to load RTLD_GLOBAL first), then the request line. */
enum fpass { P_VALUE, P_IN, P_OUT, P_INOUT, P_BUF, P_XBUF, P_FN };
struct farg {
	const struct ftype *t; /* the value's type, or what a pointer points to */
	enum fpass pass;
	void *mem;             /* the value, or the memory pointed to */
	void *ptr;             /* the pointer passed */
	const char *lib, *sym; /* fn:LIB:SYM */
};
enum fverb { V_CALL, V_STRING_AT, V_WSTRING_AT, V_MEMORY_AT, V_FROM_ADDRESS };
struct fdef {
	const char *name, *text;
	size_t len;
};
struct frequest {
	struct arena arena;
	enum fverb verb;
	const char *lib, *sym;
	int global;
	const struct ftype *rt;
	struct farg args[FFI_MAX_ARGS];
	int nargs, nfixed;
	ffi_cif cif;
	ffi_type *argt[FFI_MAX_ARGS];
	void *argv[FFI_MAX_ARGS];
	uintptr_t addr; /* the memory verbs */
	size_t n;
	int has_n;
	struct fdef *defs;
	size_t ndefs;
	const char **globals;
	size_t nglobals;
	struct fscope scope;
};
int frequest_parse(struct frequest *q, const char *body);
void frequest_free(struct frequest *q);
/* Is this library name a short one, for find_library ("m", "c", "crypto")? */
int ffi_short_name(const char *name);

/* ffi_find.c */
int ffi_find_library(const char *name, struct osfs_buf *out); /* 0, or -ENOENT */

/* ffi_channel.c: frames between daemon and worker.  A frame is this header, then
 * len bytes.  seq is the request's number, echoed by its answer; the daemon sends
 * its errno copy in err, the worker its status (0 or the refusal's errno) in status
 * and errno after the call in err. */
#define FFI_FRAME_MAGIC 0x6f736669u /* "osfi" */
struct ffi_frame {
	uint32_t magic;
	uint32_t seq;
	uint32_t len;
	int32_t status;
	int32_t err;
};
struct iovec;
/* Sends head (its len set from the parts) and the parts in one writev where the
 * socket takes it: 0, -ETIMEDOUT or -EPIPE. */
int ffi_frame_send(int fd, struct ffi_frame *head, const struct iovec *parts, int nparts);
/* Receives one frame into buf (grown as needed, at most max bytes of body): the
 * header checked (magic; seq unless any_seq; len <= max), and nothing after it.
 * timeout_ms < 0 waits for ever.  0, -EPIPE (closed or failed), -ETIMEDOUT, or
 * -EPROTO (a frame that is not one: the channel is out of step). */
struct ffi_rx {
	char *data;
	size_t cap;
};
int ffi_frame_recv(int fd, uint32_t seq, int any_seq, size_t max, int timeout_ms,
		   struct ffi_rx *rx, struct ffi_frame *head, const char **body);
void ffi_rx_free(struct ffi_rx *rx);
/* An answer's body is 4 bytes of the loaded library's length, the library, then
 * the text (no NUL in either); status is 0 or an errno value.  0 or -EPROTO. */
int ffi_answer_check(const struct ffi_frame *h, const char *body);

#endif
