// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The no-op hook without promise tracking (createHook's trackPromises option).
require('async_hooks').createHook({ init() {}, before() {}, after() {}, destroy() {}, trackPromises: false }).enable();
