#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# 070-js-exact as it runs on a host whose hardware watchpoints never fire
# (ASYNCSCOPE_E2E_DEAD_WATCHPOINTS=1: asyncscope's self-check watches a
# decoy word): --js exact refused in one line on every node version, doctor
# saying the same, nothing attached. So that branch runs on every host.
. "$(dirname "$0")/lib.sh"
require_bpf
ASYNCSCOPE_E2E_DEAD_WATCHPOINTS=1 sh "$E2E_DIR/070-js-exact.sh"
