/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* doctor's "V8 layout" section: the constants JS stacks need, and their sources. */
#ifndef __ASYNCSCOPE_OUT_DOCTOR_V8_H
#define __ASYNCSCOPE_OUT_DOCTOR_V8_H

#include <stdio.h>

#include "lib/json_writer.h"
#include "resolve/v8_layout.h"

/* err is v8_layout__resolve's return for l. */
void doctor_print_v8_text(FILE *out, int err, const struct v8_layout *l);
/* Writes the "v8" member of doctor's JSON object. */
void doctor_print_v8_json(struct json_writer *w, int err, const struct v8_layout *l);

#endif /* __ASYNCSCOPE_OUT_DOCTOR_V8_H */
