/* The harnesses' name lookups: addresses and localhost only, as /etc/hosts and the
 * address itself answer them.  Fuzzed handler configurations name arbitrary hosts;
 * a real lookup of each would wait on the network for a second (the harness crawls)
 * and leave resolver threads running at exit (LeakSanitizer then reports what
 * glibc's resolver holds in them).  Linked into every harness, this definition is
 * the one libosfs's calls reach. */
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	typedef int lookup_fn(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	static lookup_fn *real;
	if (!real)
		real = (lookup_fn *)dlsym(RTLD_NEXT, "getaddrinfo");
	if (!real)
		return EAI_SYSTEM;
	struct addrinfo h = hints ? *hints : (struct addrinfo){0};
	if (node && strcmp(node, "localhost") != 0)
		h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}
