#!/bin/sh
# The README's first command (run it as root, or with sudo where sudo is
# installed): install what Debian 12 lacks, build postdesk,
# and run its main job on the embedded default (SQLite and a Maildir spool,
# no servers): turn the demo mails into tickets and show them.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
contrib/install-deps.sh
[ -x configure ] || autoreconf -fi
mkdir -p _build/default
cd _build/default
[ -f Makefile ] || "$top/configure" -q
make -j"$(nproc)" -s
pd="$(pwd)/src/postdesk"
demo="$top/_build/demo"
mkdir -p "$demo"
# The demo runs from the build tree, not installed: its templates are the
# source tree's.
if [ ! -f "$demo/postdesk.conf" ]; then
	sed -e "s|^#templates = templates|templates = $top/templates|" \
		"$top/contrib/postdesk.conf.example" >"$demo/postdesk.conf"
fi
cd "$demo"
"$pd" -c postdesk.conf check
"$pd" -c postdesk.conf init
"$pd" -c postdesk.conf import "$top/contrib/demo"
# Without [smtp], sending writes each mail into the spool Maildir.
"$pd" -c postdesk.conf queue --flush
echo
"$pd" -c postdesk.conf ticket list
echo
"$pd" -c postdesk.conf ticket show 1
echo
echo "The acks postdesk sent are in $demo/var/outbox/new/:"
ls "$demo/var/outbox/new"
echo "The demo gateway is in $demo (postdesk.conf, var/postdesk.db, var/outbox/)."
echo "Try: $pd -c $demo/postdesk.conf ticket show 2 --json"
