// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "daemon/daemon_sampling.h"

bool sampling_window_at(const struct sampling *s, uint64_t now, uint64_t *next_ns)
{
	uint64_t phase, start;

	if (!s->period_ns) {
		*next_ns = UINT64_MAX;
		return true;
	}
	phase = now > s->origin_ns ? (now - s->origin_ns) % s->period_ns : 0;
	start = now - phase;
	if (phase < s->window_ns) {
		*next_ns = start + s->window_ns;
		return true;
	}
	*next_ns = start + s->period_ns;
	return false;
}

void coverage_open(struct coverage *c, uint64_t now)
{
	if (!c->open_since_ns)
		c->open_since_ns = now;
}

void coverage_close(struct coverage *c, uint64_t now)
{
	if (!c->open_since_ns)
		return;
	if (now > c->open_since_ns)
		c->total_ns += now - c->open_since_ns;
	c->last_open_ns = c->open_since_ns;
	c->last_close_ns = now;
	c->open_since_ns = 0;
}

uint64_t coverage_at(const struct coverage *c, uint64_t t)
{
	uint64_t v = c->total_ns;

	if (c->open_since_ns && t > c->open_since_ns)
		v += t - c->open_since_ns;
	/* t inside (or before) the last closed interval: only its part up to t */
	if (t < c->last_close_ns)
		v -= c->last_close_ns - (t > c->last_open_ns ? t : c->last_open_ns);
	return v;
}
