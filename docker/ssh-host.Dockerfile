# A test host for the compose layout: Debian's OpenSSH server, key-only root login. The host
# key is generated when the container first starts (never baked into the image) and the
# authorized key is mounted read-only.
FROM debian:12.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssh-server procps && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && : > /root/.bashrc \
 && printf '%s\n' 'PermitRootLogin prohibit-password' 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' 'UsePAM no' 'UseDNS no' 'PrintMotd no' > /etc/ssh/sshd_config.d/simplecm.conf \
 && rm -f /etc/ssh/ssh_host_*
EXPOSE 22
HEALTHCHECK --interval=5s --timeout=3s --retries=10 CMD pgrep -x sshd >/dev/null || exit 1
CMD ["/bin/sh", "-c", "ssh-keygen -A -q && exec /usr/sbin/sshd -D -e"]
