# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# scripts/kernel-problems.sh — the one definition of a "kernel problem": a
# kernel log line that means a kernel bug whatever the test said.  Sourced
# by scripts/vm-init (the whole boot), selftests/run.sh (after each test
# binary), selftests/run-debug.sh (the debug gate's fuzz run); the fuzzer
# (selftests/exo_fuzz) gets the same list compiled in: selftests/Makefile
# generates kernel_problems.h from the lines between the parentheses below,
# one single-quoted POSIX extended regular expression per line, and from
# KERNEL_PROBLEM_EXCLUDE (keep both in that form).
#
# Defines KERNEL_PROBLEMS (the patterns joined with |) and
# kernel_problems, a filter: the lines of stdin that match, less those the
# harness logged itself (KERNEL_PROBLEM_EXCLUDE: "vm-init: running: CMD"
# may quote a pattern); exit status 0 iff it printed any.
KERNEL_PROBLEM_PATTERNS=(
'BUG:'
'WARNING:'
'Oops'
'general protection'
'Kernel panic'
'possible circular locking'
'INFO: lockdep'
'inconsistent lock state'
'suspicious RCU usage'
'UBSAN:'
'KASAN:'
'hung_task'
'blocked for more than'
'kmemleak:.*(unreferenced object|suspected memory leak)'
)
KERNEL_PROBLEM_EXCLUDE='(vm-init|exo selftests): '
KERNEL_PROBLEMS=$(IFS='|'; echo "${KERNEL_PROBLEM_PATTERNS[*]}")

kernel_problems() {
	grep -E "$KERNEL_PROBLEMS" | grep -Ev "$KERNEL_PROBLEM_EXCLUDE"
}
