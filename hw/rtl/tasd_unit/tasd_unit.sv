// tasd_unit: on-the-fly TASD of activation blocks (one unit of the TASD-A hardware).
//
// Function: takes one block of up to M elements, zeroes the elements whose magnitude is at
// most the pseudo-density threshold, and decomposes it greedily into the terms of a series that
// share the block size m (sw/tasd/Decompose.cpp): term t keeps the n_t largest magnitudes of
// what the earlier terms left, ties to the lower index, and never an exact zero (a block with
// fewer nonzeros leaves slots empty). Selection is sequential: one element per cycle, the
// largest remaining one (a priority chain over the block), assigned to the current term until
// it holds n_t elements. It stops early when every term is full or no nonzero is left, so a
// block takes max(1, min(sum n_t, nonzeros)) cycles: up to m when the terms can hold the whole
// block. The magnitude of an element is its key: |x| for two's-complement integers, the bit
// pattern without the sign bit for IEEE floats (fp32, or bf16 in the upper half), which orders
// like |x| with NaN above +Inf.
//
// Ports:
//   clk, rst_n      clock, synchronous active-low reset
//   cfg_*           the pass's configuration, sampled with every accepted block:
//     cfg_m         block size m (2..M); elements at m and above are ignored
//     cfg_terms     terms in the pass (1..TERMS)
//     cfg_n         n of term t at [CW*t +: CW] (1..m)
//     cfg_float     1: elements are IEEE bit patterns, 0: two's-complement integers
//     cfg_tau_en    pseudo-density threshold on
//     cfg_tau_key   a nonzero element whose key is <= cfg_tau_key becomes zero
//   in_valid, in_ready, in_block   one block (element e at [DW*e +: DW]); valid/ready handshake
//   out_valid, out_ready           one beat per term of the block, then the next block
//   out_term        the term this beat carries (0-based)
//   out_last        last beat of the block; out_resid and out_zeroed are valid on it
//   out_values      slot s at [DW*s +: DW]: the term's kept values by ascending position;
//                   slots at n_t and above, and empty slots, hold 0
//   out_index       slot s at [IW*s +: IW]: in-block position of the slot (0 when empty)
//   out_resid       the thresholded block minus every term of the pass (the residual)
//   out_zeroed      how many nonzeros the threshold zeroed in this block
//
// Timing: a block is accepted while the selection stage is empty or finishing; its selections
// run in the following cycles and the finished block moves to the output stage in the cycle of
// its last selection (if the output stage is free, i.e. empty or handing over its last beat).
// With out_ready held high a block therefore occupies the unit for max(1, selections, terms)
// cycles, and the first beat of a block accepted at edge a appears after edge a + max(1, sel).
// in_ready depends on out_ready combinationally (the output stage frees in the cycle of its last
// beat); all other outputs are registered state.
// Parameters: M (largest block, power of two 2..32), DW (element bits), TERMS (most terms in
// one pass, 1..7).
`default_nettype none
module tasd_unit #(
    parameter int M = 32,
    parameter int DW = 32,
    parameter int TERMS = 7,
    localparam int IW = $clog2(M),
    localparam int CW = $clog2(M + 1),
    localparam int TW = $clog2(TERMS + 1)
) (
    input  wire                  clk,
    input  wire                  rst_n,
    input  wire [CW-1:0]         cfg_m,
    input  wire [TW-1:0]         cfg_terms,
    input  wire [CW*TERMS-1:0]   cfg_n,
    input  wire                  cfg_float,
    input  wire                  cfg_tau_en,
    input  wire [DW-1:0]         cfg_tau_key,
    input  wire                  in_valid,
    output logic                 in_ready,
    input  wire [DW*M-1:0]       in_block,
    output logic                 out_valid,
    input  wire                  out_ready,
    output logic [TW-1:0]        out_term,
    output logic                 out_last,
    output logic [DW*M-1:0]      out_values,
    output logic [IW*M-1:0]      out_index,
    output logic [DW*M-1:0]      out_resid,
    output logic [CW-1:0]        out_zeroed
);
    // Magnitude key of an element.
    function automatic logic [DW-1:0] key_of(input logic [DW-1:0] v, input logic is_float);
        if (is_float) key_of = {1'b0, v[DW-2:0]};
        else key_of = v[DW-1] ? (~v + 1'b1) : v;
    endfunction

    // ---- selection stage ----
    logic              w_busy;
    logic [DW*M-1:0]   w_val;     // thresholded block
    logic [M-1:0]      w_alive;   // nonzero and not yet kept by a term
    logic [TW*M-1:0]   w_tag;     // 0: residual, t + 1: kept by term t
    logic [TW-1:0]     w_term;    // term being filled
    logic [CW-1:0]     w_slot;    // elements it holds so far
    logic [TW-1:0]     w_terms;
    logic [CW*TERMS-1:0] w_n;
    logic              w_float;
    logic [CW-1:0]     w_zeroed;

    // ---- output stage ----
    logic              o_busy;
    logic [DW*M-1:0]   o_val;
    logic [TW*M-1:0]   o_tag;
    logic [TW-1:0]     o_terms;
    logic [TW-1:0]     o_beat;
    logic [CW-1:0]     o_zeroed;

    // The largest alive key, first occurrence (a strict compare keeps the lower index on ties).
    logic              found;
    logic [IW-1:0]     best;
    logic [DW-1:0]     best_key;
    always @* begin
        found = 1'b0;
        best = '0;
        best_key = '0;
        for (int j = 0; j < M; j++) begin
            if (w_alive[j] && key_of(w_val[DW*j +: DW], w_float) > best_key) begin
                found = 1'b1;
                best = IW'(j);
                best_key = key_of(w_val[DW*j +: DW], w_float);
            end
        end
    end

    // This cycle's selection and whether the block is finished after it.
    logic              sel_ok;
    logic [CW-1:0]     n_cur;
    logic              term_full;
    logic [M-1:0]      alive_after;
    logic [TW*M-1:0]   tag_after;
    logic              complete;
    logic              o_free;
    always @* begin
        n_cur = w_n[CW*w_term +: CW];
        sel_ok = w_busy && found && (w_term < w_terms);
        term_full = (w_slot + 1'b1) == n_cur;
        alive_after = w_alive;
        tag_after = w_tag;
        if (sel_ok) begin
            alive_after[best] = 1'b0;
            tag_after[TW*best +: TW] = w_term + 1'b1;
        end
        complete = w_busy && (!sel_ok || (term_full && (w_term + 1'b1) == w_terms) || alive_after == '0);
        o_free = !o_busy || (out_ready && out_last);
        in_ready = !w_busy || (complete && o_free);
    end

    // Block input: threshold, keys, configuration.
    logic [DW*M-1:0]   in_val;
    logic [M-1:0]      in_alive;
    logic [CW-1:0]     in_zeroed;
    logic [DW-1:0]     in_key;
    always @* begin
        in_val = '0;
        in_alive = '0;
        in_zeroed = '0;
        in_key = '0;
        for (int j = 0; j < M; j++) begin
            if (CW'(j) < cfg_m) begin
                in_key = key_of(in_block[DW*j +: DW], cfg_float);
                if (in_key != '0 && cfg_tau_en && in_key <= cfg_tau_key) begin
                    in_zeroed = in_zeroed + 1'b1;
                end else begin
                    in_val[DW*j +: DW] = in_block[DW*j +: DW];
                    in_alive[j] = in_key != '0;
                end
            end
        end
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            w_busy <= 1'b0;
            o_busy <= 1'b0;
        end else begin
            // Output stage: hand over a beat.
            if (o_busy && out_ready) begin
                if (out_last) o_busy <= 1'b0;
                else o_beat <= o_beat + 1'b1;
            end
            // Selection stage.
            if (complete && o_free) begin
                o_busy   <= 1'b1;
                o_val    <= w_val;
                o_tag    <= tag_after;
                o_terms  <= w_terms;
                o_beat   <= '0;
                o_zeroed <= w_zeroed;
                w_busy   <= 1'b0;
            end else if (sel_ok) begin
                w_alive <= alive_after;
                w_tag   <= tag_after;
                if (term_full) begin
                    w_term <= w_term + 1'b1;
                    w_slot <= '0;
                end else begin
                    w_slot <= w_slot + 1'b1;
                end
            end
            if (in_valid && in_ready) begin
                w_busy   <= 1'b1;
                w_val    <= in_val;
                w_alive  <= in_alive;
                w_tag    <= '0;
                w_term   <= '0;
                w_slot   <= '0;
                w_terms  <= cfg_terms;
                w_n      <= cfg_n;
                w_float  <= cfg_float;
                w_zeroed <= in_zeroed;
            end
        end
    end

    // Output beat: the kept elements of term o_beat by ascending position, and the residual.
    logic [CW-1:0] slot;
    always @* begin
        out_valid = o_busy;
        out_term = o_beat;
        out_last = o_beat + 1'b1 >= o_terms;
        out_zeroed = o_zeroed;
        out_values = '0;
        out_index = '0;
        out_resid = '0;
        slot = '0;
        for (int j = 0; j < M; j++) begin
            if (o_tag[TW*j +: TW] == o_beat + 1'b1) begin
                out_values[DW*slot[IW-1:0] +: DW] = o_val[DW*j +: DW];
                out_index[IW*slot[IW-1:0] +: IW] = IW'(j);
                slot = slot + 1'b1;
            end
            if (o_tag[TW*j +: TW] == '0) out_resid[DW*j +: DW] = o_val[DW*j +: DW];
        end
    end
`ifndef SYNTHESIS
`ifndef __ICARUS__  // Icarus Verilog 11 compiles no assertions of this form
    // Protocol invariants, checked in co-simulation (Verilator --assert; a failure stops the
    // simulation with the assertion's name).
    // A block is accepted only with a configuration in range: 2 <= m <= M, 1 <= terms <= TERMS,
    // 1 <= n_t <= m for every term of the pass.
    logic sva_cfg_ok;
    always_comb begin
        // (terms <= TERMS always holds when TERMS + 1 is a power of two)
        /* verilator lint_off CMPCONST */
        sva_cfg_ok = cfg_m >= CW'(2) && cfg_m <= CW'(M) && cfg_terms != '0 && cfg_terms <= TW'(TERMS);
        /* verilator lint_on CMPCONST */
        for (int t = 0; t < TERMS; t++) begin
            if (TW'(t) < cfg_terms && (cfg_n[CW*t +: CW] == '0 || cfg_n[CW*t +: CW] > cfg_m)) sva_cfg_ok = 1'b0;
        end
    end
    // An input requirement: an immediate assertion at the edge, on the values the unit takes
    // (a concurrent assertion samples the values from before the time step).
    always_ff @(posedge clk) begin
        if (rst_n && in_valid && in_ready) begin
            a_cfg_range: assert (sva_cfg_ok)
                else $error("a_cfg_range (%m): block accepted with a configuration out of range (m, terms or n)");
        end
    end
    // valid/ready: a beat on offer stays on offer, unchanged, until it is taken.
    a_out_hold: assert property (@(posedge clk) disable iff (!rst_n)
        out_valid && !out_ready |=> out_valid && $stable({out_term, out_last, out_values, out_index,
                                                          out_resid, out_zeroed}))
        else $error("a_out_hold (%m): an output beat changed or was withdrawn before out_ready");
    a_term_range: assert property (@(posedge clk) disable iff (!rst_n)
        out_valid |-> out_term < o_terms)
        else $error("a_term_range (%m): out_term beyond the pass's terms");
    // One selection a cycle (one-hot): only the selected element leaves the alive set, and it
    // was alive.
    a_select_onehot: assert property (@(posedge clk) disable iff (!rst_n)
        $onehot0(w_alive ^ alive_after) && (!sel_ok || w_alive[best]))
        else $error("a_select_onehot (%m): selection is not one alive element");
`endif
`endif
endmodule
`default_nettype wire
