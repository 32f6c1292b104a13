#!/bin/bash
# bench/daemon.sh [LATENCY_N] [BACKLOG_N] [LMTP_N] — postdesk run, measured (0 skips a part)
# against a private Dovecot and aiosmtpd on 127.0.0.1 (started here):
#   latency  APPEND of one message -> its ack accepted by the SMTP server,
#            one message at a time, LATENCY_N times (default 200): median
#            and p99, and how much of it is the server's IDLE notice
#            (APPEND -> ticket stored);
#   lmtp     LMTP_N messages (default 5000) over one LMTP session from
#            Python's smtplib.LMTP: messages/s answered 250, and until
#            all of them are tickets;
#   backlog  BACKLOG_N messages (default 5000) in the INBOX, then
#            postdesk run --once: messages/s until all are tickets, and
#            until run is done (the acks written to the spool).
# The last two queue their acks into the spool Maildir instead of sending
# them to aiosmtpd: its Python Maildir handler takes ~300 mails/s and
# would be what they measure.
# Uses the optimised build in _build/bench (made if missing). Run as root
# (Dovecot's mail processes run as the mail user).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
LAT_N=${1:-200}; BACKLOG_N=${2:-5000}; LMTP_N=${3:-5000}
build=$top/_build/bench
mkdir -p "$build" && (cd "$build" && { [ -f Makefile ] || "$top/configure" -q --disable-crash-points "CFLAGS=-O2 -g"; } &&
	make -j2 -s src/postdesk src/postdesk-net) || exit 1
top_srcdir=$top top_builddir=$build
. "$top/tests/lib.sh"
. "$top/tests/servers/dovecot.sh"
. "$top/tests/servers/smtp-sink.sh"
unset POSTDESK_NOW   # real time: the daemon's timers and the latency are real

start_dovecot
start_smtp_sink
setup_gateway
printf secret >imap-password && chmod 600 imap-password
imap_account_conf </dev/null >>postdesk.conf
cat >>postdesk.conf <<EOF
[smtp]
url = smtp://127.0.0.1:$SMTP_PORT
tls = none
[lmtp]
listen = unix:var/lmtp.sock
[limits]
auto_replies_per_hour = 10000
EOF

"$PYTHON3" - "$IMAP_PORT" "$T" "$LAT_N" "$BACKLOG_N" "$LMTP_N" "$POSTDESK" <<'PY'
import imaplib, os, re, smtplib, sqlite3, statistics, subprocess, sys, time
port, T, lat_n, backlog_n, lmtp_n, pd = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
conf = os.path.join(T, "postdesk.conf")
sink = os.path.join(T, "sink", "new")
def msg(tag, i):
    return (f"From: Cust {i} <cust{i}@c{i}.example.com>\r\nTo: support@example.org\r\n"
            f"Subject: {tag} {i}\r\nMessage-ID: <{tag}-{i}@example.com>\r\n\r\n"
            f"Please help with {tag} {i}.\r\n").encode()
def imap():
    m = imaplib.IMAP4("127.0.0.1", port); m.login("support", "secret"); return m
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(len(xs) * p))]
db = lambda: sqlite3.connect(os.path.join(T, "var", "postdesk.db"), timeout=10)
# A range of messages_dedupe, polled every 50 ms: a scan of the table as
# often would take the CPU it measures.
count = lambda tag: db().execute("select count(*) from messages where message_id >= ? and message_id < ?",
                                 (tag + "-", tag + ".")).fetchone()[0]

def latency():
    """The daemon idles; one APPEND at a time."""
    run = subprocess.Popen([pd, "-c", conf, "run"], stderr=open(os.path.join(T, "run.log"), "w"))
    while b"connected" not in open(os.path.join(T, "run.log"), "rb").read():
        if run.poll() is not None:
            sys.exit("postdesk run ended: " + open(os.path.join(T, "run.log")).read())
        time.sleep(0.05)
    m = imap(); acks, stored = [], []
    seen = set(os.listdir(sink))
    for i in range(lat_n):
        mid = f"<lat-{i}@example.com>"
        t0 = time.monotonic(); m.append("INBOX", None, None, msg("lat", i)); t1 = time.monotonic()
        t_store = None
        while True:
            if t_store is None and db().execute("select 1 from messages where message_id=?", (mid[1:-1],)).fetchone():
                t_store = time.monotonic()
            new = [f for f in os.listdir(sink) if f not in seen]
            hit = [f for f in new if mid.encode() in open(os.path.join(sink, f), "rb").read()]
            if hit:
                t_ack = time.monotonic(); seen.update(new); break
            time.sleep(0.002)
        stored.append(((t_store or t_ack) - t1) * 1000); acks.append((t_ack - t1) * 1000)
    m.logout()
    print(f"latency: APPEND -> ack accepted by the SMTP server over {lat_n}: median {statistics.median(acks):.0f} ms, "
          f"p99 {pct(acks, 0.99):.0f} ms; APPEND -> ticket stored (the IDLE notice and ingest): "
          f"median {statistics.median(stored):.0f} ms, p99 {pct(stored, 0.99):.0f} ms")
    run.terminate(); run.wait()
def lmtp():
    """One LMTP session."""
    run = subprocess.Popen([pd, "-c", conf, "run"], stderr=open(os.path.join(T, "run2.log"), "w"))
    while not os.path.exists(os.path.join(T, "var", "lmtp.sock")):
        if run.poll() is not None:
            sys.exit("postdesk run ended: " + open(os.path.join(T, "run2.log")).read())
        time.sleep(0.05)
    c = smtplib.LMTP(os.path.join(T, "var", "lmtp.sock"))
    t0 = time.monotonic()
    for i in range(lmtp_n):
        c.sendmail("sender@example.com", ["support@example.org"], msg("lmtp", i))
    dt = time.monotonic() - t0
    c.quit()
    while count("lmtp") < lmtp_n:
        time.sleep(0.05)
    dt_all = time.monotonic() - t0
    print(f"lmtp: {lmtp_n} messages over one session in {dt:.2f} s: {lmtp_n / dt:.0f} messages/s answered 250; "
          f"all of them tickets after {dt_all:.2f} s ({lmtp_n / dt_all:.0f} messages/s)")
    run.terminate(); run.wait()

def backlog():
    """The daemon stopped, BACKLOG_N messages appended, then run --once."""
    m = imap()
    for i in range(backlog_n):
        m.append("INBOX", None, None, msg("backlog", i))
    m.logout()
    t0 = time.monotonic()
    r = subprocess.Popen([pd, "-c", conf, "run", "--once"], stderr=subprocess.DEVNULL)
    t_tickets = None
    while r.poll() is None:
        if t_tickets is None and count("backlog") >= backlog_n:
            t_tickets = time.monotonic() - t0
        time.sleep(0.05)
    dt = time.monotonic() - t0
    n = count("backlog")
    t_tickets = t_tickets or dt
    print(f"backlog: {n} of {backlog_n} messages taken by run --once: all tickets after {t_tickets:.2f} s "
          f"({n / t_tickets:.0f} messages/s: fetched, stored, moved to Processed, the ack kept for the sender); "
          f"done after {dt:.2f} s ({n / dt:.0f} messages/s, the acks rendered and written to the spool too)")

if lat_n:
    latency()
# From here on the acks go to the spool (see the top).
text = open(conf).read()
open(conf, "w").write(re.sub(r"\[smtp\]\nurl = [^\n]*\ntls = none\n", "", text))
if lmtp_n:
    lmtp()
if backlog_n:
    backlog()
PY
stop_smtp_sink
stop_dovecot
