#!/usr/bin/python3
"""Ingest benchmark: postdesk import and one deliver process per message.

    bench/ingest.py [--count 10000] [--deliver 1000] [--build DIR]

Generates a deterministic corpus with bench/gen-corpus.py (plain, HTML,
attachments, 30 % follow-ups carrying the [Support #N] tag), then measures
on a fresh gateway each time:
  import   all COUNT messages in one command: messages/s, s/100 messages,
           median and p99 per message (postdesk import --timings), peak RSS;
  deliver  the first DELIVER messages, one process each, sequentially:
           messages/s, median and p99 wall time per process, peak RSS;
  big      deliver of one message with a 25 MB attachment: peak RSS against
           the message size.
Everything a real mail gets is on: MIME parse, visible text, threading, the
FTS index, and the ack queued. The build should be an optimised one without
sanitizers (default: _build/bench, made by this script if missing).
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time, base64

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(dirname):
    """The optimised build in DIRNAME, configured once, brought up to date."""
    os.makedirs(dirname, exist_ok=True)
    if not os.path.exists(os.path.join(dirname, "Makefile")):
        if not os.path.exists(os.path.join(TOP, "configure")):
            subprocess.check_call(["autoreconf", "-fi"], cwd=TOP)
        subprocess.check_call([os.path.join(TOP, "configure"), "-q",
                               "--disable-crash-points", "CFLAGS=-O2 -g"], cwd=dirname)
    subprocess.check_call(["make", "-j2", "-s", "src/postdesk", "src/postdesk-net"], cwd=dirname)
    return os.path.join(dirname, "src", "postdesk")


def gateway(tmp, name):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    with open(os.path.join(d, "postdesk.conf"), "w") as f:
        f.write("[gateway]\nsupport_address = support@support.example.test\n"
                "tag = Support\n[limits]\nmax_message_size = 100M\n"
                "max_attachment_size = 50M\nmax_quarantine_size = 200M\n")
    return d


def run_pd(pd, gw, args, **kw):
    return subprocess.run([pd, "-c", os.path.join(gw, "postdesk.conf")] + args, **kw)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def child_maxrss_kb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--deliver", type=int, default=1000)
    ap.add_argument("--build", default=os.path.join(TOP, "_build", "bench"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    env = dict(os.environ, POSTDESK_DATADIR=TOP)
    pd = build(a.build)
    tmp = tempfile.mkdtemp(prefix="pd-bench-")
    corpus = os.path.join(tmp, "corpus")
    subprocess.check_call([sys.executable, os.path.join(TOP, "bench", "gen-corpus.py"),
                           str(a.count), corpus, "42", "--rtname", "Support",
                           "--to", "support@support.example.test"], stdout=subprocess.DEVNULL)
    files = sorted(f for f in os.listdir(corpus) if f.endswith(".eml"))
    total_bytes = sum(os.path.getsize(os.path.join(corpus, f)) for f in files)
    print(f"corpus: {len(files)} messages, {total_bytes / 1e6:.1f} MB (gen-corpus.py {a.count} DIR 42)")

    # import: a fresh gateway, one command; the RSS is this child's.
    gw = gateway(tmp, "import")
    run_pd(pd, gw, ["init"], env=env, check=True, stdout=subprocess.DEVNULL)
    md = os.path.join(tmp, "md")
    os.makedirs(os.path.join(md, "cur"))
    os.makedirs(os.path.join(md, "tmp"))
    shutil.copytree(corpus, os.path.join(md, "new"), ignore=shutil.ignore_patterns("*.tsv"))
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss %M", pd, "-c",
                        os.path.join(gw, "postdesk.conf"), "import", "--timings", md],
                       env=env, capture_output=True, text=True)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("import failed: " + r.stderr)
    rss = [l for l in r.stderr.splitlines() if l.startswith("maxrss")][0].split()[1]
    per = [l for l in r.stderr.splitlines() if l.startswith("per message")][0]
    print(f"import:  {r.stdout.strip()}")
    print(f"import:  {len(files) / dt:.0f} messages/s, {dt / len(files) * 100:.3f} s/100, "
          f"{per}, peak RSS {int(rss) / 1024:.1f} MiB")

    # deliver: one process per message, sequentially.
    gw = gateway(tmp, "deliver")
    run_pd(pd, gw, ["init"], env=env, check=True, stdout=subprocess.DEVNULL)
    times, peak = [], 0
    conf = os.path.join(gw, "postdesk.conf")
    n = min(a.deliver, len(files))
    t0 = time.monotonic()
    for f in files[:n]:
        with open(os.path.join(corpus, f), "rb") as fh:
            s = time.monotonic()
            r = subprocess.run([pd, "-c", conf, "deliver"], stdin=fh, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.monotonic() - s)
        if r.returncode != 0:
            sys.exit(f"deliver {f}: exit {r.returncode}")
    dt = time.monotonic() - t0
    peak = child_maxrss_kb()
    print(f"deliver: {n / dt:.0f} messages/s, {dt / n * 100:.3f} s/100, median "
          f"{statistics.median(times) * 1000:.2f} ms, p99 {percentile(times, 0.99) * 1000:.2f} ms "
          f"per process over {n}, peak RSS {peak / 1024:.1f} MiB")

    # big: one message with a 25 MB attachment.
    big = os.path.join(tmp, "big.eml")
    with open(big, "w") as f:
        f.write("From: Big <big@example.com>\nTo: support@support.example.test\n"
                "Subject: big attachment\nMessage-ID: <big@example.com>\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n"
                "The dump is attached.\n--B\nContent-Type: application/octet-stream; name=\"core.bin\"\n"
                "Content-Transfer-Encoding: base64\n\n")
        f.write(base64.encodebytes(os.urandom(25 * 1024 * 1024)).decode())
        f.write("--B--\n")
    size = os.path.getsize(big)
    gw = gateway(tmp, "big")
    run_pd(pd, gw, ["init"], env=env, check=True, stdout=subprocess.DEVNULL)
    with open(big, "rb") as fh:
        r = subprocess.run(["/usr/bin/time", "-f", "maxrss %M", pd, "-c",
                            os.path.join(gw, "postdesk.conf"), "deliver"], stdin=fh, env=env,
                           capture_output=True, text=True)
    rss = int([l for l in r.stderr.splitlines() if l.startswith("maxrss")][0].split()[1]) * 1024
    print(f"big:     deliver exit {r.returncode}, message {size / 2**20:.1f} MiB, peak RSS "
          f"{rss / 2**20:.1f} MiB = {rss / size:.2f}x the message")
    if not a.keep:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
