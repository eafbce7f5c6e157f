#!/usr/bin/env bash
# Runs the end-to-end tests as a normal user, through file capabilities on the helper: the way
# glasshouse is meant to be used. Needs root (it creates the user, sets the capabilities, and
# keeps a busy root-owned process running beside the tests, which must not appear in any
# receipt). Usage: test/run-unprivileged.sh   (make test-unprivileged)
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "test/run-unprivileged.sh: run as root (it creates a user and sets file capabilities)" >&2
  exit 1
fi
user=${GLASSHOUSE_TEST_USER:-glasshouse-ci}
src=$(cd "$(dirname "$0")/.." && pwd)
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
home=$(getent passwd "$user" | cut -d: -f6)

work=$(mktemp -d /tmp/glasshouse-unpriv.XXXXXX)
neighbour=
steer=
cleanup() {
  [ -n "$neighbour" ] && kill "$neighbour" 2>/dev/null || true
  [ -n "$steer" ] && kill "$steer" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A copy the user owns (tap keeps state beside the tests); the helper itself stays root's and
# read-only, with exactly the capabilities `make setcap` gives it.
tar -C "$src" --exclude=./.git --exclude=./.tap -cf - . | tar -C "$work" -xf -
chown -R "$user" "$work"
chmod 755 "$work"
chown root:root "$work/helper/glasshouse-helper"
chmod 755 "$work/helper/glasshouse-helper"
setcap cap_bpf,cap_perfmon+ep "$work/helper/glasshouse-helper"
getcap "$work/helper/glasshouse-helper"

# a setuid-root test program for the ptrace rule (test/e2e/privilege.ts)
cc -O2 -o "$work/setuid-probe" "$src/test/fixtures/programs/setuid-probe.c"
chown root:root "$work/setuid-probe"
chmod 4755 "$work/setuid-probe"

# root's busy neighbour: opens a marker file and execs in a loop for the whole run
marker="$work/root-neighbour-marker"
echo x > "$marker"
chown root:root "$marker"
( while :; do cat "$marker" >/dev/null; done ) &
neighbour=$!

# the pid-reuse attack (test/e2e/follow-identity.ts) hands a freed pid to a root victim through
# /proc/sys/kernel/ns_last_pid, which only root may write: a root service answers the user's test
python3 "$src/test/fixtures/programs/pid-steer.py" serve "$work/pid-steer.sock" &
steer=$!

as_user() {
  runuser -u "$user" -- env -i PATH="$PATH" HOME="$home" CI="${CI:-}" LANG=C.UTF-8 \
    GLASSHOUSE_ROOT_NEIGHBOUR_MARKER="$marker" GLASSHOUSE_PID_STEER="$work/pid-steer.sock" \
    GLASSHOUSE_SETUID_PROBE="$work/setuid-probe" "$@"
}
cd "$work"
echo "running the end-to-end tests as $user ($(id -u "$user")), helper with file capabilities"
# all but guest mode, which is PID 1 in new namespaces, and the root half of the helper limits
# (other uids): root scenarios, run as root by make test;
# and the caller's helper limit, which holds 4 of this user's helpers and so runs alone after
as_user npx tap $(ls test/e2e/*.ts | grep -v -e '/guest\.ts$' -e '/helper-slots\.ts$' -e '/helper-slots-caller\.ts$')
echo "running the helper limit test alone as $user"
as_user env GLASSHOUSE_TEST_ALONE=1 npx tap test/e2e/helper-slots-caller.ts

# the alternative for systems without file capabilities: `make setuid`
setcap -r "$work/helper/glasshouse-helper"
chmod 4755 "$work/helper/glasshouse-helper"
echo "running the privilege, scope, file, security and doctor tests as $user, helper setuid root"
as_user npx tap test/e2e/privilege.ts test/e2e/scope.ts test/e2e/files.ts test/e2e/process-tree.ts \
  test/e2e/follow-identity.ts test/e2e/tampering.ts test/e2e/doctor.ts
echo "running the helper limit test alone as $user, helper setuid root"
as_user env GLASSHOUSE_TEST_ALONE=1 npx tap test/e2e/helper-slots-caller.ts
