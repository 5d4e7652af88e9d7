#!/usr/bin/env bash
# Installs Debian's Postfix and Dovecot for the test MSSanté operators (tests/operator/operator.py).
# Idempotent and quick when already installed. Debian's post-install must not start the daemons
# with their default (all-interfaces) configuration: policy-rc.d forbids it; operator.py starts
# them itself, on 127.0.0.1 only, with its own configuration.
set -euo pipefail
pkgs=(postfix dovecot-core dovecot-imapd dovecot-lmtpd dovecot-submissiond openssl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ ! -x /usr/sbin/policy-rc.d ] || ! grep -q "exit 101" /usr/sbin/policy-rc.d; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix asks its mailer type at install; "No configuration" leaves main.cf empty.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
