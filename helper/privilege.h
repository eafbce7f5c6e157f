/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Privilege handling: the helper holds privilege only until its programs are attached. */
#ifndef GLASSHOUSE_PRIVILEGE_H
#define GLASSHOUSE_PRIVILEGE_H

#include <stdbool.h>

/* "root", "setuid" or "caps": how this process got its privilege. */
const char *gh_privilege_mode(void);

/* True when running with privilege the real caller does not have (setuid, file capabilities). */
bool gh_privilege_is_elevated(void);

/* Clear the environment of a privileged-by-exec process, and check fds 0-2 are open.
 * Returns 0, or -1 when a standard fd is closed. */
int gh_privilege_sanitize(void);

/* Drop every capability (effective, permitted, inheritable, ambient; bounding set where
 * allowed), return to the real uid/gid in setuid mode, set no_new_privs, then verify.
 * Returns 0 or -errno. */
int gh_privilege_drop(void);

#endif
