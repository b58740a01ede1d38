/* Refusals that explain another one: osfs_refuse with osfs_refusal() among its
 * arguments once formatted the message buffer into itself (undefined behaviour,
 * and a garbled message); osfs_refuse_prefix chains a cause to its context. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "osfs/refuse.h"

int main(void)
{
	osfs_refuse(EINVAL, "custom factories '()' are not supported");
	CHECK(osfs_refuse(EINVAL, "Unable to configure filter '%s': %s", "f", osfs_refusal()) == -EINVAL);
	CHECK_STR(osfs_refusal(), "Unable to configure filter 'f': custom factories '()' are not supported");

	osfs_refuse(ENOENT, "KeyError: 'x'");
	CHECK(osfs_refuse_prefix(EINVAL, "Unable to configure handler '%s'", "h") == -EINVAL);
	CHECK_STR(osfs_refusal(), "Unable to configure handler 'h': KeyError: 'x'");
	osfs_refuse_prefix(EINVAL, "Unable to configure logger %s", "'a'");
	CHECK_STR(osfs_refusal(), "Unable to configure logger 'a': Unable to configure handler 'h': KeyError: 'x'");

	/* a cause that fills the buffer: cut where it ends, never past it */
	char big[OSFS_REFUSAL_MAX * 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	osfs_refuse(EINVAL, "%s", big);
	CHECK(strlen(osfs_refusal()) == OSFS_REFUSAL_MAX - 1);
	osfs_refuse_prefix(EINVAL, "context");
	CHECK(strlen(osfs_refusal()) == OSFS_REFUSAL_MAX - 1);
	CHECK(strncmp(osfs_refusal(), "context: xxx", 12) == 0);
	osfs_refuse(EINVAL, "%s", big);
	osfs_refuse_prefix(EINVAL, "%s", big); /* a prefix that fills it alone */
	CHECK(strlen(osfs_refusal()) == OSFS_REFUSAL_MAX - 1);

	/* cut before a character, never inside one */
	char wide[OSFS_REFUSAL_MAX * 2];
	size_t w = 0;
	wide[w++] = 'x';
	wide[w++] = 'x';
	while (w + 3 < sizeof wide) {
		memcpy(wide + w, "\xc3\xa9", 2); /* é */
		w += 2;
	}
	wide[w] = '\0';
	osfs_refuse(EINVAL, "%s", wide);
	CHECK(strlen(osfs_refusal()) == OSFS_REFUSAL_MAX - 2);
	CHECK(osfs_refusal()[OSFS_REFUSAL_MAX - 3] == '\xa9');
	osfs_refuse_prefix(EINVAL, "é");
	CHECK(strlen(osfs_refusal()) == OSFS_REFUSAL_MAX - 2);
	CHECK(strncmp(osfs_refusal(), "é: xxé", 8) == 0);

	osfs_refusal_clear(); /* no cause: the context alone */
	osfs_refuse_prefix(EINVAL, "alone");
	CHECK_STR(osfs_refusal(), "alone");
	return check_summary();
}
