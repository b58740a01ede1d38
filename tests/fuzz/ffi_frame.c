/* The daemon's reader of the worker's answers: a byte stream as a worker (or a
 * call writing to the worker's socket) could send it, read as the daemon reads
 * it.  The first 4 bytes are the sequence number expected; the rest is the stream.
 * Nothing may be allocated past the bound, and a frame said good must be whole. */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ffi_internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || size > 100000)
		return 0;
	uint32_t seq;
	memcpy(&seq, data, 4);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	int buf = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
	for (size_t done = 4; done < size;) {
		ssize_t n = write(sv[1], data + done, size - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(sv[1]);
	struct ffi_rx rx = {0};
	struct ffi_frame head;
	const char *body;
	int r = ffi_frame_recv(sv[0], seq, 0, FFI_MAX_ANSWER, 1000, &rx, &head, &body);
	if (r == 0) {
		if (head.magic != FFI_FRAME_MAGIC || head.seq != seq || head.len > FFI_MAX_ANSWER ||
		    head.len + sizeof head != size - 4)
			abort(); /* believed a frame that is not the one sent */
		unsigned sum = 0;
		for (size_t i = 0; i < head.len; i++) /* every byte of the body is there */
			sum += (unsigned char)body[i];
		if (ffi_answer_check(&head, body) == 0) {
			uint32_t liblen;
			memcpy(&liblen, body, 4);
			if (liblen > head.len - 4 || strnlen(body + 4, head.len - 4) != head.len - 4)
				abort();
		}
		(void)sum;
	}
	ffi_rx_free(&rx);
	close(sv[0]);
	return 0;
}
