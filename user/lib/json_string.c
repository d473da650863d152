// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lib/json_string.h"

static int hex_digit(char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

const char *json_read_string(const char *p, const char *end, char *out, size_t cap,
			     const char **why)
{
	size_t n = 0;

#define MORE() (end ? p < end : *p != '\0')
	if (!MORE() || *p != '"')
		return *why = "expected a string", NULL;
	p++;
	while (MORE() && *p != '"') {
		char c = *p++;

		if (c == '\\') {
			if (!MORE())
				break;
			c = *p++;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u': {
				unsigned int v = 0;

				for (int i = 0; i < 4; i++) {
					int d = MORE() ? hex_digit(*p++) : -1;

					if (d < 0)
						return *why = "bad \\u escape", NULL;
					v = v << 4 | d;
				}
				c = v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				return *why = "bad escape in a string", NULL;
			}
		}
		if (n + 1 < cap)
			out[n++] = c;
	}
	if (!MORE())
		return *why = "unterminated string", NULL;
#undef MORE
	out[n] = '\0';
	return p + 1;
}
