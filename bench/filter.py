#!/usr/bin/python3
"""Filter benchmark: filter_eval() with many PCRE2 rules per message.

    bench/filter.py [--count 1000] [--rules 500] [--evals 10000] [--build DIR]

Generates COUNT messages with bench/gen-corpus.py (seed 42), builds
bench/filter-bench in the optimised build (default: _build/bench, made if
missing) and runs it with RULES generated rules three times: as postdesk
runs them (PCRE2 JIT and the literal prefilter), with the interpreter only,
and without the prefilter. filter-bench parses every message first
(mime_parse, visible text) and times EVALS evaluations alone, header
lookups included; it prints the median, p90, p99 and maximum in µs.
"""
import argparse, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ingest import TOP, build  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--rules", type=int, default=500)
    ap.add_argument("--evals", type=int, default=10000)
    ap.add_argument("--build", default=os.path.join(TOP, "_build", "bench"))
    a = ap.parse_args()

    build(a.build)
    subprocess.check_call(["make", "-s", "bench/filter-bench"], cwd=a.build)
    bench = os.path.join(a.build, "bench", "filter-bench")
    with tempfile.TemporaryDirectory(prefix="pd-filter-bench-") as tmp:
        corpus = os.path.join(tmp, "corpus")
        subprocess.check_call([sys.executable, os.path.join(TOP, "bench", "gen-corpus.py"),
                               str(a.count), corpus, "42", "--rtname", "Support"],
                              stdout=subprocess.DEVNULL)
        for extra in ([], ["--no-jit"], ["--no-prefilter"]):
            subprocess.check_call([bench, "--rules", str(a.rules), "--evals", str(a.evals)]
                                  + extra + [corpus])


if __name__ == "__main__":
    main()
