#!/bin/sh
# Turns one SimpleCM test host into a running sshd. Started by hosts.ts as
#
#   unshare --mount --uts --pid --fork --kill-child --propagation private -- \
#     sh host-init.sh <hostDir> <hostname> <sshd>
#
# so this shell is PID 1 of a fresh PID namespace, in its own mount and UTS
# namespaces. It builds the host's root filesystem and then *replaces itself*
# with sshd: sshd stays PID 1, so when it exits the kernel kills every process of
# the host, unshare (the only other holder of the mount namespace) exits, and the
# overlay and every mount below it go with the namespace. Nothing is mounted in
# the machine's own namespace, so a crash cannot leave a mount behind there.
#
# hosts.ts has already written into <hostDir>:
#   upper/  the host's own files (sshd_config, host key, authorized_keys, ...)
#   fstab   the overlay of / on <hostDir>/root, then a fresh /proc (this PID
#           namespace's), /dev (bind) with a private devpts and /dev/shm,
#           read-only /sys, empty tmpfs /run, /run/sshd, /run/lock and /tmp, and an
#           empty tmpfs over the stack's state dir (hosts must see neither the
#           client key nor other hosts' files).
# One `mount --all` does them all in order: one process instead of one per mount
# (each exec is a few ms, which adds up with 200 hosts on 2 cores).
set -eu

host_dir=$1
host_name=$2
sshd=$3

# Builtin write instead of running hostname(1): this is our own UTS namespace.
printf '%s' "$host_name" > /proc/sys/kernel/hostname

mount --all --fstab "$host_dir/fstab"

cd /
# -D: stay in the foreground (we are PID 1); -e: log to stderr, which hosts.ts
# points at <hostDir>/sshd.log outside the overlay. sshd wants an absolute path.
exec chroot "$host_dir/root" "$sshd" -D -e -f /etc/ssh/sshd_config
