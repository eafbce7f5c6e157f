/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Slots: how many helpers may run at once. Every helper that holds privilege its caller does
 * not have holds one slot, a listening abstract unix socket named
 * "glasshouse-helper/<uid>/<time>-<random>", for its whole life. A slot counts only while its
 * socket listens and is owned by the uid in its name, so other users cannot fill anyone's
 * slots; the name is unguessable, so they cannot take it first either.
 */
#ifndef GLASSHOUSE_SLOTS_H
#define GLASSHOUSE_SLOTS_H

#include <stddef.h>

#define GH_SLOTS_PER_UID 4
#define GH_SLOTS_TOTAL   16

/*
 * Take a slot for the caller's real uid, before anything costs the kernel memory. Returns 0
 * with the listening slot in *fd (or *fd = -1: a root caller, or a helper without privilege
 * from its file, takes no slot), or -1 when the helper must not start, with the reason in
 * @why.
 */
int gh_slot_take(int *fd, char *why, size_t len);

/* Accept and close what connected to the slot, so that its backlog never fills. */
void gh_slot_serve(int fd);

#endif
