# A test host for the compose layout: Debian's OpenSSH server, key-only root login. The host
# key is generated when the container first starts (never baked into the image). The authorized
# key is mounted read-only at /run/simplecm/authorized_keys, owned by whoever made it on the
# operator's side; ssh-host-init.sh installs a root-owned 0600 copy, because sshd's StrictModes
# refuses an authorized_keys that another uid owns.
# BASE: a pinned public image in production; the containers suite passes its local Debian 12
# build (docker/engine.sh), since it cannot pull from a registry.
ARG BASE=debian:12.12-slim
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends openssh-server procps && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && : > /root/.bashrc \
 && printf '%s\n' 'PermitRootLogin prohibit-password' 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' 'UsePAM no' 'UseDNS no' 'PrintMotd no' 'StrictModes yes' > /etc/ssh/sshd_config.d/simplecm.conf \
 && rm -f /etc/ssh/ssh_host_*
COPY ssh-host-init.sh /usr/local/sbin/ssh-host-init
EXPOSE 22
HEALTHCHECK --interval=2s --timeout=3s --retries=30 CMD pgrep -x sshd >/dev/null || exit 1
# SSHD_LISTEN (address[:port]) binds one address: each host container of the host-network test
# has its own loopback address. Unset, sshd listens on every address of its network.
CMD ["/usr/local/sbin/ssh-host-init"]
