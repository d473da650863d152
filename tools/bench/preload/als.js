// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// AsyncLocalStorage in use, as a typical instrumented service has it.
const { AsyncLocalStorage } = require('async_hooks');
new AsyncLocalStorage().enterWith({ requestId: 1 });
