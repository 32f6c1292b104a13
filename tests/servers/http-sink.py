#!/usr/bin/python3
"""An HTTP receiver on 127.0.0.1 for the webhook tests and benchmark.

    http-sink.py DIR [--port N] [--discard] [--tls CERT KEY]

Listens on 127.0.0.1:N (0 or none: a free port) with HTTP/1.1 keep-alive,
one thread per connection (with --tls: HTTPS with that certificate and
key, PEM files), and writes:

  DIR/port              the port, once listening
  DIR/connections       one line per TCP connection accepted
  DIR/req/NNNNNN.head   per request: the request line and the header lines
                        as received (NNNNNN counts on across restarts)
  DIR/req/NNNNNN.body   per request: the body, byte for byte

With --discard nothing is written per request (for the benchmark); the
count of requests is still in DIR/count when the sink stops.

Each request is answered with the status in DIR/status.SEGMENT, where
SEGMENT is the first segment of the request's path (/crm/x: "crm"), else
in DIR/status, else 200: a number, optionally followed by a line of text
for the body. DIR/delay.SEGMENT or DIR/delay (seconds, a decimal) delays
the answer. The files are read at every request, so a test changes the
answer while the sink runs. Bodies over 1 MiB are answered 413 unread.
"""
import argparse, http.server, os, re, signal, ssl, sys, threading

MAX_BODY = 1 << 20


def read_setting(d, name, segment):
    for f in ([f"{name}.{segment}"] if segment else []) + [name]:
        try:
            with open(os.path.join(d, f)) as fh:
                return fh.read()
        except FileNotFoundError:
            continue
    return None


class Sink:
    def __init__(self, d, discard):
        self.dir = d
        self.discard = discard
        self.lock = threading.Lock()
        self.reqdir = os.path.join(d, "req")
        os.makedirs(self.reqdir, exist_ok=True)
        nums = [int(m.group(1)) for m in
                (re.match(r"(\d+)\.head$", n) for n in os.listdir(self.reqdir)) if m]
        self.next = max(nums, default=0) + 1
        self.count = 0

    def record(self, head, body):
        with self.lock:
            n = self.next
            self.next += 1
            self.count += 1
        if self.discard:
            return
        base = os.path.join(self.reqdir, "%06d" % n)
        with open(base + ".body", "wb") as f:
            f.write(body)
        # The .head file last: a test that sees it sees the body too.
        with open(base + ".head.tmp", "wb") as f:
            f.write(head)
        os.rename(base + ".head.tmp", base + ".head")

    def connection(self, peer):
        with self.lock, open(os.path.join(self.dir, "connections"), "a") as f:
            f.write("%s:%d\n" % peer[:2])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The status line and headers, then the body, go out in two writes:
    # with Nagle's algorithm the second waits for the client's delayed
    # ACK (40 ms a request on Linux). Real servers set TCP_NODELAY too.
    disable_nagle_algorithm = True
    sink = None

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()
        self.sink.connection(self.client_address)

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        segment = self.path.split("?")[0].strip("/").split("/")[0]
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self.answer(413, "too large\n")
            return
        body = self.rfile.read(length)
        head = (self.requestline + "\r\n" + str(self.headers)).encode("latin-1")
        self.sink.record(head, body)
        delay = read_setting(self.sink.dir, "delay", segment)
        if delay:
            threading.Event().wait(float(delay))
        setting = (read_setting(self.sink.dir, "status", segment) or "200").split("\n", 1)
        status = int(setting[0].strip())
        text = setting[1].strip() if len(setting) > 1 and setting[1].strip() else "ok"
        self.answer(status, text + "\n")

    do_PUT = do_POST


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--discard", action="store_true")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    Handler.sink = Sink(a.dir, a.discard)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*a.tls)
        # The handshake in the connection's thread, so a client that
        # refuses the certificate does not stop the sink.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)

    def stop(signum, frame):
        with open(os.path.join(a.dir, "count"), "w") as f:
            f.write("%d\n" % Handler.sink.count)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(os.path.join(a.dir, "port.tmp"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(os.path.join(a.dir, "port.tmp"), os.path.join(a.dir, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
