"""Area of an engine from the synthesised RTL (hw/rtl/synth/results.json) and an SRAM model.

Logic: Yosys' CMOS transistor estimate of each synthesised block (hw/rtl/synth/synth.py), in gate
equivalents (GE = transistors / 4, a two-input NAND) and in mm^2 at 45 nm with the NAND2 cell of
the NanGate FreePDK45 Open Cell Library (NAND2_X1, 0.798 um^2). Cell area only: no wiring and no
placement utilisation.

A fitted model per block gives any size the sweeps ask for (least squares on the synthesised
sizes; the sizes listed in HELD_OUT are left out of the fit and report the model's error):
  PE          t = c0 + c1 L + c2 L (M - 1)                   (L MAC lanes; M-to-1 index mux)
  PE array    t = R C PE(L, M) + ks S + kd D + k0            (S, D: skew/pipeline register bits
                                                              of the slot and dense-block paths)
  TASD unit   t = c0 + c1 M + c2 M^2                         (8-bit elements, 3 terms a pass)
  decoder     t = the synthesised decoder
SRAM: 6T bit cell of 0.346 um^2 at 45 nm (Mistry et al., "A 45nm Logic Technology with High-k +
Metal Gate Transistors, Strained Silicon, 9 Cu Interconnect Layers, 193nm Dry Patterning, and 100%
Pb-free Packaging", IEDM 2007) over an array efficiency of 70% (the share of a macro that is bit
cells; assumed), so 4.05e-3 mm^2 per KiB.

  /usr/bin/python3 scripts/tasdsim_dse/area.py            # the tables of docs/AREA.md
  /usr/bin/python3 scripts/tasdsim_dse/area.py --check docs/AREA.md
"""
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(ROOT, "hw", "rtl", "synth", "results.json")

NAND2_UM2 = 0.798          # NanGate FreePDK45 OCL NAND2_X1
TRANSISTORS_PER_GE = 4
SRAM_BITCELL_UM2 = 0.346   # Mistry et al., IEDM 2007 (Intel 45 nm)
SRAM_ARRAY_EFFICIENCY = 0.70
SRAM_MM2_PER_KIB = 8192 * SRAM_BITCELL_UM2 / SRAM_ARRAY_EFFICIENCY / 1e6

# Sizes left out of the fits (their synthesis results measure the models' error).
HELD_OUT = {
    "pe": lambda p: p["LANES"] == 4,
    "pe_array": lambda p: (p["ROWS"], p["COLS"]) in ((8, 8), (8, 4)),
    "tasd_unit": lambda p: p["M"] == 8,
}

# The shipped engines (configs/arch): 16 x 16 PEs of 4 lanes, S/D/acc buffers 256/256/128 KiB;
# M = the largest block of the engine's patterns (1: dense), TASD units in the ttc_* variants.
ENGINES = [
    ("DenseTC", "dense_tc", 1, 0), ("STC", "stc", 4, 0), ("TTC-STC", "ttc_stc", 4, 16),
    ("VEGETA", "vegeta", 4, 0), ("TTC-VEGETA", "ttc_vegeta", 4, 16),
    ("VEGETA-M8", "vegeta_m8", 8, 0), ("TTC-VEGETA-M8", "ttc_vegeta_m8", 8, 16),
]
SHIPPED = {"rows": 16, "cols": 16, "lanes": 4, "sram_kib": 256 + 256 + 128}


def index_bits(m):
    return max(1, int(math.log2(m))) if m > 1 else 1


def ge_to_mm2(ge):
    return ge * NAND2_UM2 / 1e6


def _lstsq(rows, ys):
    """Least squares without numpy (normal equations, Gaussian elimination with pivoting)."""
    n = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(n)] + [sum(r[i] * y for r, y in zip(rows, ys))]
         for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda i: abs(a[i][c]))
        a[c], a[p] = a[p], a[c]
        if a[c][c] == 0:
            raise ValueError("area model: the synthesised sizes do not determine the fit")
        for i in range(n):
            if i != c:
                f = a[i][c] / a[c][c]
                a[i] = [x - f * y for x, y in zip(a[i], a[c])]
    return [a[i][n] / a[i][i] for i in range(n)]


def _pe_terms(lanes, m):
    return [1.0, lanes, lanes * (m - 1)]


def _array_regs(rows, cols, lanes, m):
    """Register bits of the array outside its PEs: slot-path (with reset) and dense-path bits."""
    sw = 8 * lanes + index_bits(m) * lanes + 3
    dw = 8 * m * lanes
    s_bits = sw * (rows * cols + rows * (rows - 1) // 2 + rows)
    d_bits = dw * (rows * cols + cols * (cols - 1) // 2 + cols)
    return s_bits, d_bits


def _tasd_terms(m):
    return [1.0, m, m * m]


class AreaModel:
    """The fitted per-block models and the synthesis results they come from (transistors)."""

    def __init__(self, results=None):
        if results is None:
            with open(RESULTS) as f:
                results = json.load(f)
        self.results = results
        self.blocks = results["blocks"]
        by = {}
        for b in self.blocks:
            by.setdefault(b["block"], []).append(b)
        self.by_block = by
        fit_pe = [b for b in by["pe"] if not HELD_OUT["pe"](b["params"])]
        self.pe_coef = _lstsq([_pe_terms(b["params"]["LANES"], b["params"]["M"]) for b in fit_pe],
                              [b["transistors"] for b in fit_pe])
        fit_arr = [b for b in by["pe_array"] if not HELD_OUT["pe_array"](b["params"])]
        rows, ys = [], []
        for b in fit_arr:
            p = b["params"]
            s_bits, d_bits = _array_regs(p["ROWS"], p["COLS"], p["LANES"], p["M"])
            rows.append([s_bits, d_bits, 1.0])
            ys.append(b["transistors"] - p["ROWS"] * p["COLS"] * self.pe(p["LANES"], p["M"]))
        self.array_coef = _lstsq(rows, ys)
        fit_tasd = [b for b in by["tasd_unit"] if not HELD_OUT["tasd_unit"](b["params"])]
        self.tasd_coef = _lstsq([_tasd_terms(b["params"]["M"]) for b in fit_tasd],
                                [b["transistors"] for b in fit_tasd])
        self.decoder_t = by["decoder"][0]["transistors"]

    # ---- models, in transistors ----
    def pe(self, lanes, m):
        return sum(c * t for c, t in zip(self.pe_coef, _pe_terms(lanes, m)))

    def pe_array(self, rows, cols, lanes, m):
        s_bits, d_bits = _array_regs(rows, cols, lanes, m)
        ks, kd, k0 = self.array_coef
        return rows * cols * self.pe(lanes, m) + ks * s_bits + kd * d_bits + k0

    def tasd_unit(self, m):
        return sum(c * t for c, t in zip(self.tasd_coef, _tasd_terms(m)))

    def predict(self, block, p):
        if block == "pe":
            return self.pe(p["LANES"], p["M"])
        if block == "pe_array":
            return self.pe_array(p["ROWS"], p["COLS"], p["LANES"], p["M"])
        if block == "tasd_unit":
            return self.tasd_unit(p["M"])
        return self.decoder_t

    def errors(self):
        """(block record, model transistors, relative error, held out) for every synthesised size."""
        out = []
        for b in self.blocks:
            pred = self.predict(b["block"], b["params"])
            held = HELD_OUT.get(b["block"], lambda p: False)(b["params"])
            out.append((b, pred, pred / b["transistors"] - 1.0, held))
        return out

    def synthesised(self, block, **params):
        for b in self.by_block.get(block, []):
            if all(b["params"].get(k) == v for k, v in params.items()):
                return b["transistors"]
        return None

    # ---- an engine ----
    def engine(self, rows, cols, lanes, m, sram_kib, tasd_unit, measured=False):
        """Area breakdown in mm^2. m: the largest block of the engine's patterns (1: dense); the
        TASD units decompose blocks of that size (at least 2). measured: use the synthesised
        block of exactly this size where there is one."""
        m = max(1, int(m or 1))
        tm = max(2, m)
        arr = (self.synthesised("pe_array", ROWS=rows, COLS=cols, LANES=lanes, M=m) if measured else None) \
            or self.pe_array(rows, cols, lanes, m)
        unit = (self.synthesised("tasd_unit", M=tm) if measured else None) or self.tasd_unit(tm)
        tr = TRANSISTORS_PER_GE
        parts = {
            "pe_array": ge_to_mm2(arr / tr),
            "decoder": ge_to_mm2(self.decoder_t / tr),
            "tasd_unit": ge_to_mm2(unit * (tasd_unit or 0) / tr),
            "sram": (sram_kib or 0) * SRAM_MM2_PER_KIB,
        }
        parts["logic"] = parts["pe_array"] + parts["decoder"] + parts["tasd_unit"]
        parts["total"] = parts["logic"] + parts["sram"]
        return parts


_MODEL = None


def model():
    global _MODEL
    if _MODEL is None:
        _MODEL = AreaModel()
    return _MODEL


def area_mm2(m):
    """The DSE table's area column from a point's metrics (pe_rows, pe_cols, pe_lanes,
    max_block_m, sram_kib, tasd_unit); None when the arch's size is unknown."""
    if not m.get("pe_rows") or not m.get("pe_cols") or not m.get("pe_lanes"):
        return None
    return model().engine(m["pe_rows"], m["pe_cols"], m["pe_lanes"], m.get("max_block_m") or 1,
                          m.get("sram_kib") or 0, m.get("tasd_unit") or 0)["total"]


# ---- the tables of docs/AREA.md ----
BEGIN, END = "<!-- area.py: begin -->", "<!-- area.py: end -->"


def _table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _p(params):
    return ", ".join(f"{k}={v}" for k, v in params.items())


def markdown(mdl=None):
    mdl = mdl or model()
    tr = TRANSISTORS_PER_GE
    L = [(f"Synthesis: {mdl.results['yosys']}; {mdl.results['flow']}. GE = transistors / {tr}; "
            f"mm^2 = GE x {NAND2_UM2} um^2 (NAND2_X1, NanGate 45 nm); SRAM {SRAM_MM2_PER_KIB:.5f} mm^2 per KiB."), ""]
    L += ["### Synthesised blocks", ""]
    rows = []
    for b, pred, err, held in mdl.errors():
        rows.append([b["top"], _p(b["params"]), f"{b['cells']:,}", f"{b['dffs']:,}", f"{b['transistors']:,}",
                     f"{b['ge']:,.0f}", f"{ge_to_mm2(b['ge']):.4f}", f"{err * 100:+.2f}%" + (" (held out)" if held else "")])
    L += [_table(["block", "parameters", "cells", "DFFs", "transistors", "GE", "mm^2", "model error"], rows), ""]

    L += ["### Engines (16 x 16 PEs, 4 lanes, 640 KiB SRAM)", ""]
    rows, base = [], {}
    for name, cfg, m, units in ENGINES:
        e = mdl.engine(SHIPPED["rows"], SHIPPED["cols"], SHIPPED["lanes"], m, SHIPPED["sram_kib"], units,
                       measured=True)
        if units == 0:
            base[m] = e
        over = ""
        if units:
            b = base[m]
            over = f"{(e['total'] / b['total'] - 1) * 100:.2f}% ({(e['logic'] / b['logic'] - 1) * 100:.2f}% of logic)"
        rows.append([name, f"`{cfg}`", m, units, f"{e['pe_array']:.3f}", f"{e['decoder']:.4f}",
                     f"{e['tasd_unit']:.4f}", f"{e['sram']:.3f}", f"{e['logic']:.3f}", f"{e['total']:.3f}", over or "-"])
    L += [_table(["engine", "config", "M", "TASD units", "PE array", "decoder", "TASD units mm^2", "SRAM", "logic",
                  "total mm^2", "TASD overhead"], rows), ""]

    L += ["### Fitted models (transistors)", ""]
    c = mdl.pe_coef
    L.append(f"- PE: {c[0]:.1f} + {c[1]:.1f} L + {c[2]:.1f} L (M - 1)")
    ks, kd, k0 = mdl.array_coef
    L.append(f"- PE array: R C PE(L, M) + {ks:.2f} S + {kd:.2f} D + {k0:.1f}")
    c = mdl.tasd_coef
    L.append(f"- TASD unit (8-bit elements, 3 terms): {c[0]:.1f} + {c[1]:.1f} M + {c[2]:.1f} M^2")
    L.append(f"- decoder: {mdl.decoder_t}")
    held = [abs(err) for b, pred, err, h in mdl.errors() if h]
    fit = [abs(err) for b, pred, err, h in mdl.errors() if not h and b["block"] != "decoder"]
    L += ["", f"Held-out sizes: {len(held)}, largest error {max(held) * 100:.2f}%; "
              f"fitted sizes: {len(fit)}, largest residual {max(fit) * 100:.2f}%."]
    return "\n".join(L) + "\n"


def main(argv):
    text = markdown()
    if len(argv) == 2 and argv[0] == "--check":
        with open(argv[1]) as f:
            doc = f.read()
        if BEGIN not in doc or END not in doc:
            print(f"area.py: {argv[1]} has no {BEGIN} ... {END} section", file=sys.stderr)
            return 1
        got = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
        if got != text:
            print(f"area.py: the tables in {argv[1]} differ from hw/rtl/synth/results.json; regenerate with "
                  f"/usr/bin/python3 scripts/tasdsim_dse/area.py --update {argv[1]}", file=sys.stderr)
            return 1
        return 0
    if len(argv) == 2 and argv[0] == "--update":
        with open(argv[1]) as f:
            doc = f.read()
        head, rest = doc.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        with open(argv[1], "w") as f:
            f.write(head + BEGIN + "\n" + text + END + tail)
        return 0
    if argv:
        print("usage: area.py [--check|--update docs/AREA.md]", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
