#!/usr/bin/python3
"""pip installs tasdsim from the source tree into a fresh virtual environment (offline: no build
isolation, the system's setuptools and NumPy), reusing this build; the installed module works
from another folder."""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.environ["TASDSIM_SOURCE_DIR"]
BUILD = os.environ["TASDSIM_BUILD_DIR"]


class InstallTest(unittest.TestCase):
    def test_pip_install_into_a_venv(self):
        with tempfile.TemporaryDirectory() as d:
            venv = os.path.join(d, "venv")
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], check=True)
            python = os.path.join(venv, "bin", "python")
            env = dict(os.environ, TASDSIM_BUILD_DIR=BUILD, JOBS="2")
            env.pop("PYTHONPATH", None)
            r = subprocess.run([python, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
                                "--quiet", ROOT], capture_output=True, text=True, env=env, timeout=1200)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            check = ("import numpy as np, tasdsim, tasdsim.torch; "
                     "d = tasdsim.decompose(np.arange(16, dtype=np.float32).reshape(2, 8), '1:4'); "
                     "print(tasdsim.__file__); print(d['approx'].tolist())")
            r = subprocess.run([python, "-c", check], capture_output=True, text=True, env=env, cwd=d, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            where, approx = r.stdout.splitlines()
            self.assertTrue(where.startswith(venv), where)
            self.assertEqual(approx, str([[0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 7.0],
                                          [0.0, 0.0, 0.0, 11.0, 0.0, 0.0, 0.0, 15.0]]))


if __name__ == "__main__":
    unittest.main()
