#!/bin/sh
# Starts a SimpleCM test host (docker/ssh-host.Dockerfile) as PID 1: installs the mounted
# authorized key as root:root 0600 (sshd StrictModes), makes the host keys on first start, then
# becomes sshd.
set -eu
if [ -f /run/simplecm/authorized_keys ]; then
  install -o root -g root -m 0600 /run/simplecm/authorized_keys /root/.ssh/authorized_keys
fi
ssh-keygen -A -q
if [ -n "${SSHD_LISTEN:-}" ]; then exec /usr/sbin/sshd -D -e -o "ListenAddress=${SSHD_LISTEN}"; fi
exec /usr/sbin/sshd -D -e
