// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Small command-line helpers shared by the commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"

int parse_duration(const char *arg, uint64_t *ns)
{
	char *end;
	double v;
	double mult = 1e9;

	if (!arg || !*arg)
		return -EINVAL;
	errno = 0;
	v = strtod(arg, &end);
	/* plain decimals only: strtod also takes "nan", "0x10", "1e3" and signs */
	if (errno || end == arg || end != arg + strspn(arg, "0123456789.") || v < 0)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1e9;
	else if (!strcmp(end, "ms"))
		mult = 1e6;
	else if (!strcmp(end, "us"))
		mult = 1e3;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mult = 60e9;
	else if (!strcmp(end, "h"))
		mult = 3600e9;
	else
		return -EINVAL;
	if (v * mult > 1e18)
		return -EINVAL;
	*ns = (uint64_t)(v * mult);
	return 0;
}
