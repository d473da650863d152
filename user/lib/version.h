/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __ASYNCSCOPE_VERSION_H
#define __ASYNCSCOPE_VERSION_H

#define ASYNCSCOPE_VERSION "0.1.0"

#endif
