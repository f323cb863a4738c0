#!/bin/sh
# Turns one SimpleCM test host into a running sshd. Started by hosts.ts as
#
#   unshare --mount --uts --pid --fork --kill-child --propagation private -- \
#     sh host-init.sh <hostDir> <hostname> <stateDir> <sshd>
#
# so this shell is PID 1 of a fresh PID namespace, in its own mount and UTS
# namespaces. It builds the host's root filesystem and then *replaces itself*
# with sshd: sshd stays PID 1, so when it exits the kernel kills every process of
# the host, unshare (the only other holder of the mount namespace) exits, and the
# overlay and all mounts below are gone with the namespace. Nothing is mounted
# in the machine's own namespace, so a crash can never leave a mount behind.
#
# Files the host needs (sshd_config, host key, authorized_keys, ...) are already
# written into <hostDir>/upper by hosts.ts before this runs.
set -eu

host_dir=$1
host_name=$2
state_dir=$3
sshd=$4
root=$host_dir/root

hostname "$host_name"

# The host's / : the machine's root filesystem, copy-on-write. Only / itself is
# the lower layer (overlayfs does not descend into submounts), so /proc, /dev,
# /sys, /run, /tmp appear empty and get their own mounts below.
mount -t overlay overlay \
  -o "lowerdir=/,upperdir=$host_dir/upper,workdir=$host_dir/work" "$root"

# A proc of this PID namespace: `ps` on the host shows only the host's processes.
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"

# Device nodes are the machine's (bind), but ptys come from a private devpts
# instance (/dev/ptmx resolves to the pts mount next to it) and /dev/shm is private.
mount --bind /dev "$root/dev"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/dev/shm"

# sysfs read-only: some tools look at it, none of our scripts should change it.
mount --bind /sys "$root/sys"
mount -o remount,bind,ro "$root/sys"

# /run and /tmp start empty on every host, like after a boot. /run/sshd is sshd's
# privilege-separation directory (must be root-owned and not group/world-writable).
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs "$root/run"
mkdir -m 0755 "$root/run/sshd"
mkdir -m 1777 "$root/run/lock"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"

# The stack's state dir is inside the lower layer: hide it, so a host sees neither
# the client's private key nor other hosts' files (and never hits the ELOOP that
# overlayfs returns for its own upper/work dirs).
if [ -d "$root$state_dir" ]; then
  mount -t tmpfs -o ro,mode=0755,size=4k tmpfs "$root$state_dir"
fi

cd /
# -D: stay in the foreground (we are PID 1); -e: log to stderr, which hosts.ts
# points at <hostDir>/sshd.log outside the overlay. sshd needs an absolute path.
exec chroot "$root" "$sshd" -D -e -f /etc/ssh/sshd_config
