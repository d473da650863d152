// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A short process for the exit-linger test: N fs.stat requests one after
// another (N FSREQCALLBACK inits), its pid on stdout, then it exits.
'use strict';
const fs = require('fs');

let left = +(process.argv[2] || 10);
const next = () => (left-- > 0 ? fs.stat(__filename, next) : null);
process.stdout.write(process.pid + '\n');
next();
