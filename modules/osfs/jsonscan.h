/* Where a JSON text written in pieces stands: a whole value already, still a good
 * beginning, or wrong whatever follows.  A document node applies a JSON document in
 * the write() that decides it, so that the writer sees a refusal where it can (a
 * shell's echo and printf never see a close() fail: bash puts their stdout back with
 * dup2, which drops a close's error).  The grammar is cJSON's, as lenient as it is:
 * a text called wrong here is one cJSON refuses too. */
#ifndef OSFS_JSONSCAN_H
#define OSFS_JSONSCAN_H

enum osfs_json_state {
	OSFS_JSON_PARTIAL, /* a beginning that more text can complete */
	OSFS_JSON_WHOLE,   /* one value, complete (what follows is not looked at) */
	OSFS_JSON_WRONG,   /* no text that follows can make it valid */
};

enum osfs_json_state osfs_json_scan(const char *text);

#endif
