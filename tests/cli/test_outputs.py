#!/usr/bin/python3
"""What tasdsim may replace and where it writes (docs/ROBUSTNESS.md, "Outputs"): --overwrite
replaces a result tasdsim wrote and nothing around it, output files carry tasdsim's signature
and replace only their own kind, a default output folder stays under out/, and staging folders
are removed only when their process is gone. (Refusals are cases of test_robustness.py.)"""
import json
import os
import socket
import subprocess
import tempfile
import unittest

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
SHORT = os.path.join(ROOT, "configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml")
TENSOR = os.path.join(ROOT, "examples/tensors/pruned_fc_70.npy")
FACE = os.path.join(ROOT, "realdata", "face_detection", "face_detection_short_range.tflite")


def run(*args, cwd=None):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd)


def hidden(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith("."))


def first_line(path):
    with open(path) as f:
        return f.readline()


def staging_marker(pid, start_ticks):
    """A staging marker as tasdsim writes it, for process pid."""
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot = f.read().strip()
    return ('{\n  "written_by": "tasdsim staging folder",\n' +
            json.dumps({"boot_id": boot, "host": socket.gethostname(), "pid": pid, "start_ticks": start_ticks},
                       indent=2)[1:])


def start_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


class OutputsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_overwrite_replaces_a_result_tasdsim_wrote_and_nothing_beside_it(self):
        out = self.path("out")
        with open(self.path("notes.txt"), "w") as f:
            f.write("mine\n")
        r = run("run", SHORT, "--out", out, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("run", SHORT, "--out", out, "-q", "--overwrite", "--series", "2:8", "--timing-only")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "stats.json")) as f:
            self.assertEqual(json.load(f)["experiment"]["plan"], "uniform W 2:8")
        with open(os.path.join(out, "tasdsim-manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(sorted(manifest["files"]),
                         ["layers.csv", "resolved_config.yaml", "stats.json", "summary.txt", "wall_clock.json"])
        self.assertEqual(sorted(os.listdir(self.dir)), ["notes.txt", "out"])  # no staging, .old or lock left
        with open(self.path("notes.txt")) as f:
            self.assertEqual(f.read(), "mine\n")

    def test_a_result_with_a_subfolder_is_replaced_whole(self):
        out = self.path("out")
        r = run("run", SHORT, "--out", out, "-q", "--save-outputs")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "tasdsim-manifest.json")) as f:
            manifest = json.load(f)
        saved = sorted(os.listdir(os.path.join(out, "outputs")))
        self.assertEqual(manifest["folders"], ["outputs"])
        self.assertEqual(sorted(n for n in manifest["files"] if n.startswith("outputs/")), ["outputs/" + n for n in saved])
        # A file of the user's in the subfolder makes the result the user's too.
        with open(os.path.join(out, "outputs", "mine.txt"), "w") as f:
            f.write("mine\n")
        r = run("run", SHORT, "--out", out, "-q", "--overwrite")
        self.assertEqual(r.returncode, 2)
        self.assertIn("holds 'outputs/mine.txt', which tasdsim did not write", r.stderr)
        os.unlink(os.path.join(out, "outputs", "mine.txt"))
        r = run("run", SHORT, "--out", out, "-q", "--overwrite", "--timing-only")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "outputs")))
        self.assertEqual(sorted(os.listdir(self.dir)), ["out"])

    def test_a_trailing_separator_names_the_folder(self):
        r = run("decompose", TENSOR, "-s", "2:8", "--out", self.path("result") + "/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"wrote {self.path('result')}/", r.stdout)
        self.assertIn("term0_2x8.tasd", os.listdir(self.path("result")))

    def test_the_default_folder_is_under_out(self):
        os.makedirs(self.path("out"))
        r = run("run", SHORT, "-q", "--timing-only", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(self.path("out")), ["tiny_cnn_ttc_vegeta_m8"])

    def test_output_files_carry_the_signature_and_replace_only_their_own(self):
        if not os.path.isfile(FACE):
            self.fail(f"{FACE} is missing: run scripts/fetch_realdata.sh")
        report, workload = self.path("report.json"), self.path("w.yaml")
        r = run("import", FACE, "--json", report, "--out", workload)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(report) as f:
            self.assertTrue(f.read().startswith('{\n  "written_by": "tasdsim '))
        self.assertTrue(first_line(workload).startswith("# written by tasdsim "))
        r = run("import", FACE, "--json", report)
        self.assertEqual(r.returncode, 2)
        self.assertIn("already exists", r.stderr)
        os.utime(report, (0, 0))
        r = run("import", FACE, "--json", report, "--out", workload, "--overwrite")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotEqual(os.stat(report).st_mtime, 0)  # replaced
        with open(report) as f:
            self.assertIn("layers", json.load(f))
        self.assertEqual(hidden(self.dir), [])

    def test_staging_folders_are_removed_only_when_their_process_is_gone(self):
        out = self.path("out")
        # A live process's staging folder (this test's own process) and a dead one's.
        live = self.path(f".out.partial-{os.getpid()}")
        os.makedirs(live)
        with open(os.path.join(live, ".tasdsim-staging"), "w") as f:
            f.write(staging_marker(os.getpid(), start_ticks(os.getpid())))
        child = subprocess.Popen(["true"])
        child.wait()
        dead = self.path(f".out.partial-{child.pid}")
        os.makedirs(dead)
        with open(os.path.join(dead, ".tasdsim-staging"), "w") as f:
            f.write(staging_marker(child.pid, 1))
        with open(os.path.join(dead, "stats.json"), "w") as f:
            f.write("{}\n")
        r = run("run", SHORT, "--out", out, "-q", "--timing-only")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isdir(live))
        self.assertFalse(os.path.exists(dead))


if __name__ == "__main__":
    unittest.main()
