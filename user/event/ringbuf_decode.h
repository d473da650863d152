/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Ring-buffer record (bpf/events.h) -> event. Pure, so the unit tests can
 * feed it bytes; live/ingest.c and the daemon's captures call it.
 */
#ifndef __ASYNCSCOPE_RINGBUF_DECODE_H
#define __ASYNCSCOPE_RINGBUF_DECODE_H

#include <stddef.h>

#include "event/event.h"

/* Decodes one ring-buffer record; -EBADMSG if it is not one we know. */
int ingest_decode(const void *data, size_t size, const char *const *provider_types, int nproviders,
		  struct event *e);

#endif /* __ASYNCSCOPE_RINGBUF_DECODE_H */
