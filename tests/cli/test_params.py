#!/usr/bin/python3
"""tasdsim params: the arch keys from the blocks' declarations; the Markdown listing is the arch
table of docs/config.md (scripts/update_config_docs --check agrees), and every listed key is one
the arch reader accepts (an override of it with its default value runs). tasdsim counters: the
counters, which are the keys of stats.json's counters and the table of docs/outputs.md."""
import os
import subprocess
import unittest

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]


def run(*args):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=300)


class ParamsTest(unittest.TestCase):
    def test_text_lists_every_key(self):
        r = run("params")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("key"))
        keys = [line.split()[0] for line in lines[1:]]
        for key in ("clock_ghz", "pe_array.rows", "pe_array.pipeline_latency_cycles",
                    "buffer.acc.banks", "tasd_unit.count", "decoder.fetch_bytes",
                    "dram.bandwidth_gbps", "address_map.reg_base", "energy"):
            self.assertIn(key, keys)
        self.assertEqual(len(keys), len(set(keys)))

    def test_markdown_is_the_docs_table(self):
        r = run("params", "--format", "markdown")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(ROOT, "docs", "config.md")) as f:
            self.assertIn(r.stdout, f.read())
        check = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "update_config_docs"),
                                "--tasdsim", TASDSIM, "--check"], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)

    def test_counters_are_the_stats_json_keys_and_the_docs_table(self):
        r = run("counters")
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = [line.split()[0] for line in r.stdout.splitlines()[1:]]
        self.assertEqual(len(listed), len(set(listed)))
        for name in ("pe_array.busy_cycles", "pe_array.stall.wait_tasd_unit", "tasd_unit.tiles",
                     "buffer.acc.write_bytes", "memory_port.read_bytes", "load_unit.dram_bytes.s",
                     "store_unit.stall.wait_results", "decoder.instructions", "dram.read_bytes"):
            self.assertIn(name, listed)
        # The keys of a layer's counters in stats.json are exactly the listed accelerator counters.
        exp = os.path.join(ROOT, "configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml")
        import json
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "run")
            self.assertEqual(run("run", exp, "--timing-only", "-q", "--out", out).returncode, 0)
            with open(os.path.join(out, "stats.json")) as f:
                stats = json.load(f)
        layer = next(l for l in stats["layers"] if l["on_accelerator"])
        self.assertEqual(set(layer["counters"]), {n for n in listed if not n.startswith("dram.")})
        md = run("counters", "--format", "markdown")
        with open(os.path.join(ROOT, "docs", "outputs.md")) as f:
            self.assertIn(md.stdout, f.read())

    def test_bad_format_is_a_usage_error(self):
        r = run("params", "--format", "html")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--format", r.stderr)

    def test_an_out_of_range_value_names_the_key_file_and_declared_range(self):
        exp = os.path.join(ROOT, "configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml")
        r = run("run", exp, "--timing-only", "--set", "arch.decoder.queue_depth=0", "-q")
        self.assertEqual(r.returncode, 2)
        self.assertIn("ttc_vegeta_m8.yaml", r.stderr)
        self.assertIn("arch.decoder.queue_depth: value 0 is out of range [1, 1024]", r.stderr)


if __name__ == "__main__":
    unittest.main()
