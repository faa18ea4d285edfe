#!/usr/bin/python3
"""examples/tasdsim_tour.ipynb executed top to bottom (nbclient, the system's python3 kernel);
every cell must run without error and the plots must be produced."""
import os
import unittest

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # the kernel's debugger notes, not errors

import nbclient
import nbformat

ROOT = os.environ["TASDSIM_SOURCE_DIR"]
NOTEBOOK = os.path.join(ROOT, "examples", "tasdsim_tour.ipynb")


class NotebookTest(unittest.TestCase):
    def test_runs_and_plots(self):
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": os.path.dirname(NOTEBOOK)}})
        client.execute()
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {})]
        self.assertEqual(len(images), 2)
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
        self.assertIn("4:8+1:8", text)
        self.assertIn("cycles", text)


if __name__ == "__main__":
    unittest.main()
