// pe: one VEGETA-style N:M processing element with LANES MAC lanes (int8 x int8 -> int32).
//
// Function: each lane holds one stored value of the structured operand and its in-block index
// (log2(M) bits). The lane's M-element block of the dense operand is presented beside it; the
// index drives a mux that picks the dense element to multiply with the stored value. The lanes'
// products are summed and accumulated into an AW-bit accumulator (two's complement, wraps).
// A pass (one output element) is a run of slot groups from in_first to in_last; the terms of a
// series simply follow one another inside a pass, so the accumulator is never drained between
// them. Empty slots hold value 0 and contribute nothing.
//
// Ports:
//   clk, rst_n     clock, synchronous active-low reset
//   in_valid       a slot group is presented this cycle
//   in_first       with in_valid: first group of a pass (the accumulator restarts from 0)
//   in_last        with in_valid: last group of a pass (the result goes to out_acc)
//   in_values      LANES x int8 stored values, lane l at [8*l +: 8]
//   in_index       LANES x log2(M)-bit in-block positions, lane l at [IW*l +: IW]
//   in_dense       LANES x M x int8 dense blocks, element e of lane l at [8*(M*l + e) +: 8]
//   out_valid      one cycle: out_acc holds the result of a pass that ended the cycle before
//   out_acc        signed AW-bit result of the last finished pass (held until the next one)
//
// Timing: one slot group per cycle, no bubbles; a pass's result is registered on the clock
// edge that takes its last group (latency 1). A new pass may start in the cycle after in_last.
// Parameters: M (dense block size of the index mux, power of two, 1..32; 1 is a dense PE: no
// index mux, in_index is one ignored bit per lane), LANES (MAC lanes, 1..64), AW (accumulator
// bits, >= 17 + log2(LANES) so that one group never overflows).
`default_nettype none
module pe #(
    parameter int M = 8,
    parameter int LANES = 4,
    parameter int AW = 32,
    localparam int IW = M > 1 ? $clog2(M) : 1
) (
    input  wire                    clk,
    input  wire                    rst_n,
    input  wire                    in_valid,
    input  wire                    in_first,
    input  wire                    in_last,
    input  wire [8*LANES-1:0]      in_values,
    input  wire [IW*LANES-1:0]     in_index,
    input  wire [8*M*LANES-1:0]    in_dense,
    output logic                   out_valid,
    output logic signed [AW-1:0]   out_acc
);
    // Sum of the lanes' products: |product| <= 2^14, so the sum fits in AW bits.
    logic signed [AW-1:0] dot;
    logic signed [AW-1:0] acc;
    logic signed [AW-1:0] acc_next;

    // The index mux of lane l: element in_index of the lane's own M-element block.
    logic [8*M-1:0] block;
    logic [7:0]     picked;
    always_comb begin
        dot = '0;
        for (int l = 0; l < LANES; l++) begin
            block = in_dense[8*M*l +: 8*M];
            picked = M == 1 ? block[7:0] : block[8*in_index[IW*l +: IW] +: 8];
            dot = dot + AW'($signed(in_values[8*l +: 8])) * AW'($signed(picked));
        end
        acc_next = (in_first ? '0 : acc) + dot;
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            acc       <= '0;
            out_valid <= 1'b0;
            out_acc   <= '0;
        end else begin
            out_valid <= in_valid && in_last;
            if (in_valid) begin
                acc <= acc_next;
                if (in_last) out_acc <= acc_next;
            end
        end
    end
`ifndef SYNTHESIS
`ifndef __ICARUS__  // Icarus Verilog 11 compiles no assertions of this form
    // Protocol invariants, checked in co-simulation (Verilator --assert; a failure stops the
    // simulation with the assertion's name). These are input requirements, so they are immediate
    // assertions at the clock edge: they see the values the registers take (a concurrent
    // assertion samples the values from before the time step and would miss a run's first cycle).
    // A group that does not start a pass (in_first) continues an open one: a pass is open from
    // its in_first group to its in_last group.
    logic sva_pass_open;
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            sva_pass_open <= 1'b0;
        end else begin
            a_pass_started: assert (!in_valid || in_first || sva_pass_open)
                else $error("a_pass_started (%m): a slot group continues a pass that no in_first group started");
            if (in_valid) sva_pass_open <= !in_last;
        end
    end
    // Index range: a dense PE (M = 1) has one position per block.
    if (M == 1) begin : g_sva_dense
        always_ff @(posedge clk) begin
            if (rst_n) begin
                a_index_range: assert (!in_valid || in_index == '0)
                    else $error("a_index_range (%m): in-block index out of range for M = 1");
            end
        end
    end
`endif
`endif
endmodule
`default_nettype wire
