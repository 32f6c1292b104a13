#!/bin/sh
# Install what postdesk needs on Debian 12, to build, run and test it.
# Used by contrib/quickstart.sh and .ci/run. Run as root (or via sudo).
set -eu
if [ "$(id -u)" != 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
# Keep the system Postfix unconfigured: the tests run their own instance.
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential pkg-config autoconf automake libtool ca-certificates openssl \
	libglib2.0-dev libgmime-3.0-dev libsqlite3-dev libcurl4-gnutls-dev libpcre2-dev \
	libetpan-dev libuchardet-dev libxml2-dev libical-dev nettle-dev \
	sqlite3 tzdata locales python3 python3-aiosmtpd dovecot-imapd postfix swaks \
	clang libclang-rt-14-dev valgrind hyperfine time >/dev/null
