// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Defines what every layer shares (maps, configuration, counters): see core.bpf.h. */
#define ASYNCSCOPE_CORE_DEFINES
#include "core.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
