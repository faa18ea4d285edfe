#!/usr/bin/python3
"""Every way of stopping a long tasdsim command: SIGINT, SIGTERM, SIGHUP, a closed output pipe
(SIGPIPE) and the file size limit (SIGXFSZ) end it with 128 + signal, leave no staging folder,
lock or temporary file, keep a result that was already complete (--overwrite), and the next run
completes normally. SIGKILL cannot be handled: what it leaves is removed by the next run into
the same folder, but only what proves to be tasdsim's. Concurrent runs into one folder: one
wins, the others fail at once. (How fast it stops is measured in docs/ROBUSTNESS.md, not
asserted here.)"""
import glob
import json
import os
import resource
import signal
import subprocess
import tempfile
import time
import unittest

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
LONG = os.path.join(ROOT, "configs/experiments/resnet50_ttc_vegeta_m8.yaml")  # values: ~1 s or more
SHORT = os.path.join(ROOT, "configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml")


def leftovers(folder):
    return [p for p in glob.glob(os.path.join(folder, ".*")) + glob.glob(os.path.join(folder, "**", "*.tmp-*"),
                                                                           recursive=True)]


class InterruptTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def start(self, args, staging_name, **popen):
        """Starts tasdsim and waits until its staging folder exists (work has started)."""
        popen.setdefault("stdout", subprocess.PIPE)
        popen.setdefault("stderr", subprocess.PIPE)
        p = subprocess.Popen([TASDSIM, *args], text=True, **popen)
        deadline = time.monotonic() + 120
        while not glob.glob(os.path.join(self.dir, "." + staging_name + ".partial-*")):
            if p.poll() is not None:
                err = p.stderr.read() if p.stderr else ""
                self.fail(f"tasdsim ended before it could be interrupted: {p.returncode} {err}")
            if time.monotonic() > deadline:
                p.kill()
                self.fail("no staging folder appeared")
            time.sleep(0.005)
        return p

    def interrupt(self, args, sig, staging_name):
        """Starts tasdsim, waits until its staging folder exists (work has started), sends sig."""
        p = self.start(args, staging_name)
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
        return p.returncode, err

    def run_short(self, out, *extra):
        r = subprocess.run([TASDSIM, "run", SHORT, "--out", out, "-q", *extra], capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def test_sigint_during_a_run_removes_the_staging_folder(self):
        out = os.path.join(self.dir, "out")
        rc, err = self.interrupt(["run", LONG, "--out", out, "-q"], signal.SIGINT, "out")
        self.assertEqual(rc, 130, err)
        self.assertIn("interrupted (SIGINT)", err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(leftovers(self.dir), [])
        # The next run completes.
        r = subprocess.run([TASDSIM, "run", SHORT, "--out", out, "-q"], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(out, "stats.json")))

    def test_sigterm_during_an_overwrite_keeps_the_complete_result(self):
        out = os.path.join(self.dir, "out")
        r = subprocess.run([TASDSIM, "run", SHORT, "--out", out, "-q"], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "stats.json")) as f:
            before = f.read()
        rc, err = self.interrupt(["run", LONG, "--out", out, "--overwrite", "-q"], signal.SIGTERM, "out")
        self.assertEqual(rc, 143, err)
        self.assertIn("interrupted (SIGTERM)", err)
        with open(os.path.join(out, "stats.json")) as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(json.loads(before)["experiment"]["workload"], "tiny_cnn")
        self.assertEqual(leftovers(self.dir), [])

    def test_sigint_during_a_search(self):
        exp = os.path.join(self.dir, "search.yaml")
        with open(exp, "w") as f:
            f.write(f"""experiment:
  name: r50_search
  arch: {ROOT}/configs/arch/ttc_vegeta_m8.yaml
  workload: {ROOT}/configs/workloads/resnet50.yaml
  search: {{cost: edp, quality: {{measure: rel_error, scope: network, target: 0.05}}}}
""")
        out = os.path.join(self.dir, "search")
        rc, err = self.interrupt(["search", exp, "--out", out, "-q"], signal.SIGINT, "search")
        self.assertEqual(rc, 130, err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(leftovers(self.dir), [])

    def test_sighup_during_a_run_removes_the_staging_folder(self):
        out = os.path.join(self.dir, "out")
        rc, err = self.interrupt(["run", LONG, "--out", out, "-q"], signal.SIGHUP, "out")
        self.assertEqual(rc, 128 + signal.SIGHUP, err)
        self.assertIn("interrupted (SIGHUP)", err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(leftovers(self.dir), [])

    def test_closed_output_pipe_stops_the_run_cleanly(self):
        # Progress lines go to stderr; the reader goes away (as `tasdsim ... 2>&1 | head` would).
        out = os.path.join(self.dir, "out")
        p = self.start(["run", LONG, "--out", out], "out", stdout=subprocess.DEVNULL)
        p.send_signal(signal.SIGSTOP)  # the pipe closes before the run goes on
        p.stderr.close()
        p.send_signal(signal.SIGCONT)
        self.assertEqual(p.wait(timeout=120), 128 + signal.SIGPIPE)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(leftovers(self.dir), [])

    def test_file_size_limit_stops_the_run_cleanly(self):
        # ulimit -f: stats.json is larger than the limit, so writing it raises SIGXFSZ.
        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        out = os.path.join(self.dir, "out")
        r = subprocess.run([TASDSIM, "run", SHORT, "--out", out, "-q"], capture_output=True, text=True, timeout=300,
                           preexec_fn=limit)
        self.assertEqual(r.returncode, 128 + signal.SIGXFSZ, r.stderr)
        self.assertIn("interrupted (SIGXFSZ)", r.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(leftovers(self.dir), [])

    def test_what_sigkill_leaves_is_removed_by_the_next_run(self):
        out = os.path.join(self.dir, "out")
        p = self.start(["run", LONG, "--out", out, "-q"], "out")
        p.kill()
        p.communicate(timeout=60)
        left = leftovers(self.dir)
        self.assertTrue(any(".out.partial-" in x for x in left), left)  # SIGKILL cannot be handled
        # Beside it, a folder with a staging name that is not tasdsim's (no marker): it stays.
        foreign = os.path.join(self.dir, ".out.partial-999999")
        os.makedirs(foreign)
        with open(os.path.join(foreign, "keep.txt"), "w") as f:
            f.write("mine\n")
        self.run_short(out)
        self.assertTrue(os.path.exists(os.path.join(out, "stats.json")))
        self.assertEqual(leftovers(self.dir), [foreign])
        with open(os.path.join(foreign, "keep.txt")) as f:
            self.assertEqual(f.read(), "mine\n")

    def test_concurrent_runs_into_one_folder_have_one_winner(self):
        out = os.path.join(self.dir, "out")
        first = self.start(["run", LONG, "--out", out, "-q", "--timing-only"], "out")
        first.send_signal(signal.SIGSTOP)  # holds its claim on the folder while the second starts
        try:
            second = subprocess.run([TASDSIM, "run", SHORT, "--out", out, "-q", "--overwrite"], capture_output=True,
                                    text=True, timeout=300)
        finally:
            first.send_signal(signal.SIGCONT)
        self.assertEqual(second.returncode, 2, second.stderr)
        self.assertIn(f"another tasdsim process (pid {first.pid}) is writing this output", second.stderr)
        _, err = first.communicate(timeout=300)
        self.assertEqual(first.returncode, 0, err)
        with open(os.path.join(out, "stats.json")) as f:
            self.assertEqual(json.load(f)["experiment"]["workload"], "resnet50")
        self.assertEqual(leftovers(self.dir), [])


if __name__ == "__main__":
    unittest.main()
