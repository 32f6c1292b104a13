#!/usr/bin/python3
"""Webhook benchmark: events delivered per second to a local receiver.

    bench/webhook.py [--count 2000] [--runs 3] [--build DIR]

Generates COUNT new-ticket mails once. Each run imports them into a fresh
gateway with one [webhook:bench] for "created" events (acks off, so only
webhooks are sent) and then times `postdesk-net queue --flush`, which
sends the COUNT deliveries to tests/servers/http-sink.py on 127.0.0.1
(--discard: it answers 200 and writes nothing). Prints, per run and as the
median over the runs: deliveries per second, postdesk-net's CPU time per
delivery, the receiver's CPU time per delivery, and the TCP connections
the receiver accepted (one: the connection is reused). What arrives, and
how it is signed, is checked by tests/t7000-webhook.sh.
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "bench"))
from ingest import build  # noqa: E402
from outbound import free_port  # noqa: E402


def cpu_seconds(pid):
    """User plus system CPU time of process PID so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connections(d):
    try:
        with open(os.path.join(d, "connections")) as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(TOP, "_build", "bench"))
    a = ap.parse_args()
    pd = build(a.build)
    net = os.path.join(a.build, "src", "postdesk-net")
    env = dict(os.environ, POSTDESK_DATADIR=TOP)
    for v in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(v, None)
    tmp = tempfile.mkdtemp(prefix="pd-bench-webhook-")
    corpus = os.path.join(tmp, "corpus")
    subprocess.check_call([sys.executable, os.path.join(TOP, "bench", "gen-corpus.py"), str(a.count),
                           corpus, "11", "--reply-ratio", "0", "--attach-ratio", "0",
                           "--to", "support@support.example.test"], stdout=subprocess.DEVNULL)
    os.remove(os.path.join(corpus, "manifest.tsv"))
    sink_dir = os.path.join(tmp, "sink")
    port = free_port()
    srv = subprocess.Popen(["/usr/bin/python3", os.path.join(TOP, "tests", "servers", "http-sink.py"),
                            sink_dir, "--port", str(port), "--discard"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rates = []
    try:
        for _ in range(500):
            if os.path.exists(os.path.join(sink_dir, "port")):
                break
            time.sleep(0.02)
        else:
            sys.exit("the HTTP sink did not start")
        for run in range(1, a.runs + 1):
            gw = os.path.join(tmp, f"gw{run}")
            os.makedirs(gw)
            conf = os.path.join(gw, "postdesk.conf")
            with open(os.path.join(gw, "hook.secret"), "w") as f:
                f.write(os.urandom(32).hex() + "\n")
            os.chmod(os.path.join(gw, "hook.secret"), 0o600)
            with open(conf, "w") as f:
                f.write("[gateway]\nsupport_address = support@support.example.test\n"
                        "[group:support]\nack = false\n"
                        f"[webhook:bench]\nurl = http://127.0.0.1:{port}/bench\ntls = none\n"
                        "events = created\nsecret_file = hook.secret\n")
            subprocess.check_call([pd, "-c", conf, "init"], env=env, stdout=subprocess.DEVNULL)
            subprocess.check_call([pd, "-c", conf, "import", corpus], env=env, stdout=subprocess.DEVNULL)
            conns0, sink0 = connections(sink_dir), cpu_seconds(srv.pid)
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            out = subprocess.run([net, "-c", conf, "queue", "--flush"], env=env, check=True,
                                 capture_output=True, text=True).stdout
            elapsed = time.monotonic() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            sink_cpu = cpu_seconds(srv.pid) - sink0
            line = [l for l in out.splitlines() if l.startswith("webhooks:")][0]
            sent = int(line.split()[2].rstrip(","))
            if sent != a.count:
                sys.exit(f"run {run}: {line} (expected {a.count} sent)")
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            rates.append(sent / elapsed)
            print(f"run {run}: {sent} deliveries in {elapsed:.2f} s = {sent / elapsed:6.0f}/s; "
                  f"postdesk-net CPU {cpu / sent * 1000:.3f} ms, receiver CPU "
                  f"{sink_cpu / sent * 1000:.3f} ms per delivery; "
                  f"{connections(sink_dir) - conns0} connection(s)")
        print(f"median over {a.runs} runs: {statistics.median(rates):.0f} deliveries/s")
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
