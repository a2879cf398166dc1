#!/usr/bin/env python3
"""The layers of userspace/ hold in the build: each library compiles with the headers of its own
folder and of the libraries it links, and an include that runs back up (a parser reaching for
the flow table, the exporter for a protocol) does not compile.

Each probe is a one-line source, `#include "<header>"`, compiled with the exact command the
build uses for a source of the library's folder (compile_commands.json), syntax only.
Usage: layering_test.py BUILD_DIR
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# (library folder, header, whether it must compile)
PROBES = [
    # What each layer consumes: these must compile (else the probe itself is broken).
    ("parsers", "common/dir.h", True),
    ("parsers", "parsers/facts.h", True),
    ("records", "parsers/facts.h", True),
    ("records", "packet/endpoint.h", True),
    ("flow", "parsers/parser.h", True),
    ("export", "ipfix/ipfix.h", True),
    ("sensor", "records/assembler.h", True),
    ("sensor", "export/exporter.h", True),
    # Includes that run back up, or sideways into a protocol: these must not.
    ("common", "config/config.h", False),
    ("common", "packet/packet.h", False),
    ("config", "parsers/parser.h", False),
    ("packet", "flow/flow_table.h", False),
    ("parsers", "packet/packet.h", False),
    ("parsers", "flow/flow_table.h", False),
    ("parsers", "records/assembler.h", False),
    ("parsers", "export/exporter.h", False),
    ("parsers", "capture/af_xdp.h", False),
    ("records", "flow/flow_table.h", False),
    ("records", "export/exporter.h", False),
    ("records", "sensor/worker.h", False),
    ("flow", "records/assembler.h", False),
    ("ipfix", "parsers/parser.h", False),
    ("export", "parsers/parser.h", False),
    ("export", "records/assembler.h", False),
    ("export", "flow/flow_table.h", False),
    ("capture", "parsers/parser.h", False),
    ("capture", "sensor/worker.h", False),
]


def command_for(entries, folder):
    marker = os.sep + os.path.join("userspace", folder) + os.sep
    for e in entries:
        if marker in e["file"] and e["file"].endswith(".cc"):
            return e
    return None


def main():
    build = sys.argv[1]
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (folder, header, allowed) in enumerate(PROBES):
            entry = command_for(entries, folder)
            if entry is None:
                print(f"FAIL no source of userspace/{folder} in the build")
                failures += 1
                continue
            args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
            probe = os.path.join(tmp, f"probe{i}.cc")
            with open(probe, "w") as f:
                f.write(f'#include "{header}"\n')
            out, skip = [], False
            for a in args:
                if skip:
                    skip = False
                    continue
                if a in ("-o", "-c"):
                    skip = True
                    continue
                if a == entry["file"]:
                    continue
                out.append(a)
            out += ["-fsyntax-only", probe]
            r = subprocess.run(out, cwd=entry["directory"], capture_output=True, text=True)
            compiled = r.returncode == 0
            missing = "No such file" in r.stderr
            if allowed and not compiled:
                print(f"FAIL {folder} cannot include {header}:\n{r.stderr[:800]}")
                failures += 1
            elif not allowed and compiled:
                print(f"FAIL {folder} can include {header}: a layer runs back up")
                failures += 1
            elif not allowed and not missing:
                print(f"FAIL {folder} including {header} failed for another reason:\n{r.stderr[:800]}")
                failures += 1
            else:
                print(f"ok   {folder:8} {'sees' if allowed else 'cannot see'} {header}")
    if failures:
        print(f"{failures} of {len(PROBES)} probes failed")
        return 1
    print(f"all {len(PROBES)} probes hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
