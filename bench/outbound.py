#!/usr/bin/python3
"""Outbound benchmark: acks rendered and sent to a local SMTP server.

    bench/outbound.py [--count 2000] [--build DIR]

Imports COUNT new-ticket mails (each renders and queues an ack: template,
MIME, subject tag, signed Reply-To), then flushes the queue to aiosmtpd on
127.0.0.1, once over reused connections (max_per_connection = 100) and
once with a new connection per mail (max_per_connection = 1), on fresh
gateways from the same corpus, in one run. Prints mails/s for rendering
and for sending, and the CPU time postdesk-net used per mail sent. The
server is aiosmtpd with its Sink handler (it answers 250 and discards), so
the figure is postdesk's, not a Python Maildir writer's; t5100 checks
what arrives.
"""
import argparse, os, resource, shutil, socket, subprocess, sys, tempfile, time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "bench"))
from ingest import build  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port):
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    sys.exit("SMTP sink did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--build", default=os.path.join(TOP, "_build", "bench"))
    a = ap.parse_args()
    pd = build(a.build)
    net = os.path.join(a.build, "src", "postdesk-net")
    env = dict(os.environ, POSTDESK_DATADIR=TOP)
    tmp = tempfile.mkdtemp(prefix="pd-bench-out-")
    corpus = os.path.join(tmp, "corpus")
    subprocess.check_call([sys.executable, os.path.join(TOP, "bench", "gen-corpus.py"), str(a.count),
                           corpus, "7", "--reply-ratio", "0", "--attach-ratio", "0",
                           "--to", "support@support.example.test"], stdout=subprocess.DEVNULL)
    os.remove(os.path.join(corpus, "manifest.tsv"))
    port = free_port()
    srv = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                            "-c", "aiosmtpd.handlers.Sink"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        for per_conn in (100, 1):
            gw = os.path.join(tmp, f"gw{per_conn}")
            os.makedirs(gw)
            conf = os.path.join(gw, "postdesk.conf")
            with open(conf, "w") as f:
                f.write("[gateway]\nsupport_address = support@support.example.test\n"
                        "[limits]\nauto_replies_per_hour = 100\n"
                        f"[smtp]\nurl = smtp://127.0.0.1:{port}\ntls = none\n"
                        f"max_per_connection = {per_conn}\n")
            subprocess.check_call([pd, "-c", conf, "init"], env=env, stdout=subprocess.DEVNULL)
            t0 = time.monotonic()
            subprocess.check_call([pd, "-c", conf, "import", corpus], env=env, stdout=subprocess.DEVNULL)
            t_render = time.monotonic() - t0
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            out = subprocess.run([net, "-c", conf, "queue", "--flush"], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
            t_send = time.monotonic() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            sent = int(out.split()[1].rstrip(","))
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            print(f"max_per_connection={per_conn:<3}  ingest+render {a.count / t_render:6.0f} mails/s   "
                  f"send {sent / t_send:6.0f} mails/s, postdesk-net CPU {cpu / sent * 1000:.2f} ms/mail ({out})")
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
