// nm_pe: one VEGETA-style N:M processing element (int8 x int8 -> int32).
//
// Function: the PE holds N stored values of a structured operand and their in-block indices
// (log2(M) bits each). The dense operand's M-element block is broadcast to it; each index
// drives a mux that picks the dense element to multiply with its stored value. The N products
// are summed and accumulated into a 32-bit accumulator.
//
// Ports:
//   clk, rst_n       clock, synchronous active-low reset
//   in_valid         a block is presented this cycle
//   in_clear         with in_valid: start a new accumulation (acc = this block's dot product)
//   in_dense         M x int8 dense block, element e at [8*e +: 8]
//   in_values        N x int8 stored values, slot s at [8*s +: 8] (empty slots hold 0)
//   in_index         N x log2(M)-bit in-block positions, slot s at [IW*s +: IW]
//   out_valid        acc holds the result of the block presented one cycle earlier
//   out_acc          signed 32-bit accumulator
//
// Timing: one block per cycle, latency 1 cycle (the accumulator register).
// Parameters: M (block size, power of two, 2..32), N (slots, 1..M).
`default_nettype none
module nm_pe #(
    parameter int M = 8,
    parameter int N = 2,
    localparam int IW = $clog2(M)
) (
    input  wire                   clk,
    input  wire                   rst_n,
    input  wire                   in_valid,
    input  wire                   in_clear,
    input  wire [8*M-1:0]         in_dense,
    input  wire [8*N-1:0]         in_values,
    input  wire [IW*N-1:0]        in_index,
    output reg                    out_valid,
    output reg  signed [31:0]     out_acc
);
    // Sum of the N products; |product| <= 2^14, so 16 + log2(N) bits never overflow.
    logic signed [31:0] dot;
    always_comb begin
        dot = 32'sd0;
        for (int s = 0; s < N; s++) begin
            dot = dot + 32'(signed'(in_values[8*s +: 8]) * signed'(in_dense[8*in_index[IW*s +: IW] +: 8]));
        end
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            out_valid <= 1'b0;
            out_acc   <= 32'sd0;
        end else begin
            out_valid <= in_valid;
            if (in_valid) out_acc <= in_clear ? dot : out_acc + dot;
        end
    end
endmodule
`default_nettype wire
