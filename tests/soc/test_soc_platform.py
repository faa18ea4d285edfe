#!/usr/bin/python3
"""The example platform (examples/soc_platform): the accelerator IP beside a DRAM model and a
traffic generator on one interconnect. Runs it without and with competing traffic: the GEMM's
result must match the platform's own reference both times, the traffic must really flow, and
the accelerator must take longer when it shares the memory with it (simulated cycles, not wall
time). Bad options are refused with exit status 2."""
import json
import os
import subprocess
import sys

PLATFORM = os.environ["SOC_PLATFORM"]


def run(*args):
    p = subprocess.run([PLATFORM, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    code, out, err = run()
    check(code == 0, f"quiet run exits 0 (got {code}: {err.strip()})")
    quiet = json.loads(out)
    code, out, err = run("--traffic-gbps", "56")
    check(code == 0, f"busy run exits 0 (got {code}: {err.strip()})")
    busy = json.loads(out)
    for name, r in (("quiet", quiet), ("busy", busy)):
        check(r["check"] == "passed", f"{name}: result matches the reference ({r})")
        check(r["error_code"] == 0, f"{name}: no accelerator error ({r})")
        check(r["id"] == 0x7A5D0001, f"{name}: the ID register reads 0x7A5D0001 ({r})")
        check(r["traffic_errors"] == 0, f"{name}: the traffic generator saw no error ({r})")
    check(quiet["traffic_bytes"] == 0, f"no traffic without --traffic-gbps ({quiet})")
    check(busy["traffic_bytes"] > 0, f"traffic flows with --traffic-gbps ({busy})")
    check(busy["cycles"] > quiet["cycles"], f"contention costs cycles: {quiet['cycles']} -> {busy['cycles']}")
    # The interrupt arrives after the program's cycles (1 GHz: one cycle per ns).
    check(quiet["irq_ns"] >= quiet["cycles"], f"irq after completion ({quiet})")

    for args, needle in ((["--traffic-gbps", "-1"], "--traffic-gbps -1"), (["--m", "0"], "--m 0"),
                         (["--bogus"], "unknown option '--bogus'")):
        code, _, err = run(*args)
        check(code == 2 and needle in err and len(err.strip().splitlines()) == 1,
              f"{args}: one-line error naming it, exit 2 (got {code}: {err.strip()})")

    print(f"quiet: {quiet['cycles']} cycles; with {busy['traffic_gbps']} GB/s of other traffic: "
          f"{busy['cycles']} cycles ({busy['traffic_bytes']} bytes of traffic)")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
