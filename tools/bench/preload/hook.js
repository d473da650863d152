// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The in-process alternative: a no-op async_hooks hook with every callback.
require('async_hooks').createHook({ init() {}, before() {}, after() {}, destroy() {} }).enable();
