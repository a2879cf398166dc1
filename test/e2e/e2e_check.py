"""What the e2e scripts' checks share: the records xsensor-recv wrote, tshark's field lines,
and ok/FAIL lines whose sum is the exit status (`finish()`)."""
import json
import sys

_failed = False


def records(path="records.json"):
    return [json.loads(l) for l in open(path)]


def check(ok, what):
    global _failed
    print(("ok: " if ok else "FAIL: ") + what)
    _failed |= not ok


def lines(path):
    """tshark -T fields output written with separator '|': one list of fields per line."""
    return [l.rstrip("\n").split("|") for l in open(path) if l.strip()]


def finish():
    sys.exit(1 if _failed else 0)
