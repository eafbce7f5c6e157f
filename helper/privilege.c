// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privilege.h"

const char *gh_privilege_mode(void)
{
	if (getuid() != geteuid() || getgid() != getegid())
		return "setuid";
	if (getuid() == 0)
		return "root";
	return "caps";
}

bool gh_privilege_is_elevated(void)
{
	return getauxval(AT_SECURE) != 0 || getuid() != geteuid() || getgid() != getegid();
}

int gh_privilege_sanitize(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return -1; /* a closed standard fd would be reused by our own opens */
	if (gh_privilege_is_elevated()) {
		/* Nothing from the caller's environment may steer a privileged process:
		 * no LD_*, no LIBBPF_*, a fixed PATH, a fixed locale. */
		clearenv();
		setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	}
	return 0;
}

static int capset_zero(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = {};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static int caps_are_zero(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	for (int i = 0; i < 2; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return 0;
	return 1;
}

int gh_privilege_drop(void)
{
	uid_t ruid = getuid();
	gid_t rgid = getgid();
	int err;

	/* The bounding set needs CAP_SETPCAP: root has it, a file-capability helper does not
	 * (and then has nothing in it to fear: with no_new_privs nothing can be regained). */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno == EINVAL)
			break;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

	if (getegid() != rgid && setresgid(rgid, rgid, rgid))
		return -errno;
	if (geteuid() != ruid && setresuid(ruid, ruid, ruid))
		return -errno;
	err = capset_zero();
	if (err)
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (!caps_are_zero() || geteuid() != ruid || getegid() != rgid)
		return -EPERM;
	return 0;
}
