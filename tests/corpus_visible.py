#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check the visible-text splitter (src/mime-text.c) against the expected
results the reply-parser corpora ship (tests/corpus/README.md).

Runs `pd-test visible` once over every fixture body of the three sets, then
checks each expectation that carries over to a quote stripper:

  email_reply_trimmer   test/trimmed/NAME.txt, both sides stripped
  expected.json         visible_text           (trailing white space ignored:
                                                 upstream right-strips)
                        visible_text_trimmed   (stripped)
                        first_fragment_trimmed (stripped)
                        fragment_equals["0"]   (trailing white space ignored:
                                                 a fragment keeps its final
                                                 newline)
                        fragment_matches index 0 (JavaScript/Ruby regex)

Fragment 0 is the visible reply only when the fixture's flags do not mark
it quoted, hidden or a signature (a message starting with a quote); the
fragment-0 expectations of other fixtures are skipped.

Fixtures listed in tests/corpus-known-failures.txt (path<TAB>reason, path
relative to the corpus) may fail; a listed one that passes fails the run, so
the list stays honest. The `max_seconds` fixtures and the trimmer's
backtracking trap are also run one by one under a time limit.

Exit status: 0 when every unlisted fixture passes, 1 otherwise, 2 on usage or
environment errors. Standard library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

TRIMMER = "email_reply_trimmer/test"
SETS_JSON = (
    ("email_reply_parser", "email_reply_parser/test/emails"),
    ("crisp-email-reply-parser", "crisp-email-reply-parser/test/fixtures"),
)
# Run for speed only: upstream requires these to finish within a second.
TRAPS = (
    "email_reply_trimmer/test/matchers/does_not_contain_embedded_email.txt",
)
TRAP_SECONDS = 1.0


def shorten(text, width=160):
    r = repr(text)
    return r if len(r) <= width else r[: width - 5] + "...'"


def show_diff(want, got):
    """The expected and the actual text from a little before where they
    first differ."""
    if not isinstance(want, str) or want.startswith("/"):
        return f"  expected {want}\n  got      {shorten(got)}"
    p = 0
    while p < min(len(want), len(got)) and want[p] == got[p]:
        p += 1
    start = max(0, p - 40)
    lead = "..." if start else ""
    return (f"  expected {lead}{shorten(want[start:])}\n"
            f"  got      {lead}{shorten(got[start:])}")


def load_known(path):
    known = {}
    if not os.path.exists(path):
        return known
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if "\t" not in line:
                sys.exit(f"{path}:{n}: expected PATH<TAB>REASON")
            name, reason = line.split("\t", 1)
            if not reason.strip():
                sys.exit(f"{path}:{n}: {name}: the reason is empty")
            known[name.strip()] = reason.strip()
    return known


def fragment0_is_reply(exp):
    """False when the flags say fragment 0 is a quote, hidden or a
    signature: then it is not the author's reply."""
    flags_all = exp.get("flags_all", {})
    for key in ("quoted", "hidden", "signature"):
        values = flags_all.get(key)
        if values and values[0]:
            return False
    f0 = exp.get("flags", {}).get("0", {})
    return not any(f0.get(key) for key in ("quoted", "hidden", "signature"))


def js_regex(pattern, flags):
    py = 0
    for f in flags or "":
        py |= {"m": re.M, "i": re.I, "s": re.S}.get(f, 0)
    return re.compile(pattern.replace("\\/", "/"), py)


def checks_from_json(exp):
    """(name, predicate(got) -> bool, expected text) for one fixture."""
    checks = []
    if "visible_text" in exp:
        want = exp["visible_text"]
        checks.append(("visible_text", lambda g, w=want: g.rstrip() == w.rstrip(), want))
    if "visible_text_trimmed" in exp:
        want = exp["visible_text_trimmed"]
        checks.append(("visible_text_trimmed", lambda g, w=want: g.strip() == w.strip(), want))
    if fragment0_is_reply(exp):
        if "first_fragment_trimmed" in exp:
            want = exp["first_fragment_trimmed"]
            checks.append(("first_fragment_trimmed",
                           lambda g, w=want: g.strip() == w.strip(), want))
        if "0" in exp.get("fragment_equals", {}):
            want = exp["fragment_equals"]["0"]
            checks.append(("fragment_equals[0]",
                           lambda g, w=want: g.rstrip() == w.rstrip(), want))
        for m in exp.get("fragment_matches", []):
            if m.get("index") != 0:
                continue
            rx = js_regex(m["regex"], m.get("flags"))
            checks.append((f"fragment_matches[0] /{m['regex']}/",
                           lambda g, r=rx: r.search(g) is not None,
                           f"/{m['regex']}/{m.get('flags', '')}"))
    return checks


def collect(corpus):
    """[(relative path, [checks])] for every fixture body, checks possibly
    empty (run only: it must not crash)."""
    fixtures = []
    emails = os.path.join(corpus, TRIMMER, "emails")
    for name in sorted(os.listdir(emails)):
        if not name.endswith(".txt"):
            continue
        rel = f"{TRIMMER}/emails/{name}"
        expected = os.path.join(corpus, TRIMMER, "trimmed", name)
        checks = []
        if os.path.exists(expected):
            with open(expected, encoding="utf-8", errors="surrogateescape") as f:
                want = f.read().replace("\r\n", "\n")
            checks.append(("trimmed", lambda g, w=want: g.strip() == w.strip(), want))
        fixtures.append((rel, checks))
    for top, sub in SETS_JSON:
        with open(os.path.join(corpus, top, "expected.json"), encoding="utf-8") as f:
            expected = json.load(f)["fixtures"]
        for name in sorted(os.listdir(os.path.join(corpus, sub))):
            if not name.endswith(".txt"):
                continue
            fixtures.append((f"{sub}/{name}", checks_from_json(expected.get(name, {}))))
    for rel in TRAPS:
        if os.path.exists(os.path.join(corpus, rel)):
            fixtures.append((rel, []))
    return fixtures


def run_visible(pd_test, paths, scale):
    start = time.monotonic()
    proc = subprocess.run([pd_test, "visible", *paths], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=300 * scale)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
        sys.exit(f"corpus visible: pd-test exited with {proc.returncode}")
    records = proc.stdout.split(b"\0")
    if records and records[-1] == b"":
        records.pop()
    if len(records) != len(paths):
        sys.exit(f"corpus visible: {len(paths)} files but {len(records)} results")
    return [r.decode("utf-8", "surrogateescape") for r in records], elapsed


def timed_runs(pd_test, corpus, fixtures_json, scale):
    """Fixtures upstream requires to be fast, each run alone; SCALE
    stretches the limits (valgrind)."""
    slow = []
    targets = [(rel, TRAP_SECONDS) for rel in TRAPS]
    for top, sub in SETS_JSON:
        for name, exp in fixtures_json[top].items():
            if "max_seconds" in exp:
                targets.append((f"{sub}/{name}", float(exp["max_seconds"])))
    targets = [(rel, limit * scale) for rel, limit in targets]
    for rel, limit in targets:
        path = os.path.join(corpus, rel)
        if not os.path.exists(path):
            continue
        start = time.monotonic()
        proc = subprocess.run([pd_test, "visible", path], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=60 * scale)
        elapsed = time.monotonic() - start
        if proc.returncode != 0 or elapsed > limit:
            sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
            slow.append((rel, elapsed, limit, proc.returncode))
    return slow, len(targets)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pd-test", required=True, help="the built tests/helper/pd-test")
    ap.add_argument("--corpus", default=os.path.join(here, "corpus"))
    ap.add_argument("--known", default=os.path.join(here, "corpus-known-failures.txt"))
    ap.add_argument("--time-scale", type=float, default=1.0,
                    help="multiply time limits by this (valgrind is ~20x slower)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also show known failures and every passing fixture")
    args = ap.parse_args()

    if not os.access(args.pd_test, os.X_OK):
        print(f"corpus visible: {args.pd_test} is not an executable", file=sys.stderr)
        return 2
    known = load_known(args.known)
    fixtures = collect(args.corpus)
    paths = [os.path.join(args.corpus, rel) for rel, _ in fixtures]
    results, elapsed = run_visible(args.pd_test, paths, args.time_scale)

    checked = passed = failed = known_failed = 0
    problems = 0
    seen = set()
    for (rel, checks), got in zip(fixtures, results):
        if not checks:
            continue
        seen.add(rel)
        checked += 1
        bad = [(name, want) for name, ok, want in checks if not ok(got)]
        if not bad:
            passed += 1
            if rel in known:
                print(f"now passing, remove from list: {rel}")
                problems += 1
            elif args.verbose:
                print(f"ok {rel}")
            continue
        if rel in known:
            known_failed += 1
            if args.verbose:
                print(f"known {rel}: {known[rel]}")
            continue
        failed += 1
        for name, want in bad:
            print(f"FAIL {rel}: {name}\n{show_diff(want, got)}")
    for rel in sorted(set(known) - seen):
        print(f"stale entry in {os.path.basename(args.known)}: {rel} has no expectation here")
        problems += 1

    fixtures_json = {}
    for top, _ in SETS_JSON:
        with open(os.path.join(args.corpus, top, "expected.json"), encoding="utf-8") as f:
            fixtures_json[top] = json.load(f)["fixtures"]
    slow, timed = timed_runs(args.pd_test, args.corpus, fixtures_json,
                             args.time_scale)
    for rel, secs, limit, rc in slow:
        print(f"SLOW {rel}: {secs:.3f} s (limit {limit:.1f} s, exit {rc})")
        problems += 1

    print(f"corpus visible: {checked} checked, {passed} passed, {failed} failed, "
          f"{known_failed} known ({len(paths)} files in {elapsed:.2f} s, "
          f"{timed - len(slow)}/{timed} timed within limit)")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
