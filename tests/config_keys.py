#!/usr/bin/python3
"""Hold postdesk.conf(5) and the example config to config.c's KEYS table.

    config_keys.py KEYS MAN EXAMPLE

KEYS is the output of `pd-test config-keys` ("SECTION KEY" a line, named
sections by their prefix: "group: tier"). In MAN every key is a .TP entry
under the .SH of its section ("[gateway]", "[group:NAME]"); in EXAMPLE a
"key = value" line (commented out or not) under its section header
("[group:core]", "#[smtp]"). Prints every key missing from a file and
every key a file documents that the table does not have; exit 1 if any.
"""
import re
import sys


def man_keys(path):
    keys, section, after_tp = set(), None, False
    for line in open(path, encoding="utf-8"):
        m = re.match(r'\.SH "\[([a-z]+)(:[A-Z]+)?\]"', line)
        if m:
            section = m.group(1) + (":" if m.group(2) else "")
            continue
        if line.startswith(".SH"):
            section = None
        if line.startswith(".TP"):
            after_tp = True
            continue
        m = re.match(r"\.BR? ([a-z_]+) ", line)
        if after_tp and section and m:
            keys.add("%s %s" % (section, m.group(1)))
        after_tp = False
    return keys


def example_keys(path):
    keys, section = set(), None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"#?\[([a-z]+)(:[^\]]+)?\]\s*$", line)
        if m:
            section = m.group(1) + (":" if m.group(2) else "")
            continue
        m = re.match(r"#?([a-z_]+) = ", line)
        if section and m:
            keys.add("%s %s" % (section, m.group(1)))
    return keys


def main():
    table = set(l.strip() for l in open(sys.argv[1]) if l.strip())
    ok = bool(table)
    for name, found in ((sys.argv[2], man_keys(sys.argv[2])),
                        (sys.argv[3], example_keys(sys.argv[3]))):
        for k in sorted(table - found):
            print("%s: [%s] %s is not documented" % ((name,) + tuple(k.split(" "))))
            ok = False
        for k in sorted(found - table):
            print("%s: [%s] %s is not a key config.c reads" % ((name,) + tuple(k.split(" "))))
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
