// pe_array: ROWS x COLS output-stationary systolic array of pe (LANES MAC lanes each).
//
// Function (the dataflow of hw/model/pe_array/StreamMath.h): a pass maps ROWS rows of the
// structured operand S and COLS rows of the dense operand D (output columns) onto the array;
// PE (r, c) accumulates C[r][c]. Each cycle every S row presents LANES stored slots (values and
// in-block indices) and every column presents, per lane, the M-element block of its D row that
// the lane's slot belongs to. S slots move right one PE per cycle, D blocks move down one PE per
// cycle, so PE (r, c) meets the data of input cycle i at cycle i + r + c. The terms of a STREAM
// follow one another inside a pass (in_first .. in_last) and passes follow one another with no
// bubbles: the accumulators are never drained between terms, and pass p + 1 fills the array
// while pass p drains. Which block a lane needs (slot / n for a term n:m) is the feeder's
// business: the array only multiplies what it is given.
//
// Ports:
//   clk, rst_n     clock, synchronous active-low reset
//   in_valid       a slot group for every row (and blocks for every column) this cycle
//   in_first       first group of a pass (every PE restarts its accumulator)
//   in_last        last group of a pass (every PE emits its result)
//   in_values      ROWS x LANES x int8, row r lane l at [8*(LANES*r + l) +: 8]
//   in_index       ROWS x LANES x IW bits (log2(M), 1 when M = 1), row r lane l at [IW*(LANES*r + l) +: IW]
//   in_dense       COLS x LANES x M x int8, column c lane l element e at [8*(M*(LANES*c + l) + e) +: 8]
//   out_valid      ROWS x COLS bits, (r, c) at [COLS*r + c]: PE (r, c) finished a pass
//   out_acc        ROWS x COLS x AW-bit results, (r, c) at [AW*(COLS*r + c) +: AW], held
//
// Timing: the inputs are registered at the array edge (1 cycle), skewed (row r by r, column c by
// c cycles) and pass through the PE chain: the result of a pass whose last group entered in
// cycle i is registered at the edge ending cycle i + r + c + 1 in PE (r, c). A STREAM of T input
// cycles therefore takes T + ROWS + COLS cycles until the last result is out (the model's
// pipeline_latency_cycles default, rows + cols).
// Parameters: ROWS, COLS (1..64), LANES, M, AW as pe.
`default_nettype none
module pe_array #(
    parameter int ROWS = 8,
    parameter int COLS = 8,
    parameter int LANES = 4,
    parameter int M = 8,
    parameter int AW = 32,
    localparam int IW = M > 1 ? $clog2(M) : 1,
    localparam int SW = 8 * LANES + IW * LANES + 3,  // one row's slot group with its flags
    localparam int DW = 8 * M * LANES                // one column's dense blocks
) (
    input  wire                       clk,
    input  wire                       rst_n,
    input  wire                       in_valid,
    input  wire                       in_first,
    input  wire                       in_last,
    input  wire [8*LANES*ROWS-1:0]    in_values,
    input  wire [IW*LANES*ROWS-1:0]   in_index,
    input  wire [DW*COLS-1:0]         in_dense,
    output logic [ROWS*COLS-1:0]      out_valid,
    output logic [AW*ROWS*COLS-1:0]   out_acc
);
    // Input registers: the array edge.
    logic                  q_valid, q_first, q_last;
    logic [8*LANES*ROWS-1:0]  q_values;
    logic [IW*LANES*ROWS-1:0] q_index;
    logic [DW*COLS-1:0]       q_dense;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            q_valid <= 1'b0;
            q_first <= 1'b0;
            q_last  <= 1'b0;
        end else begin
            q_valid <= in_valid;
            q_first <= in_first;
            q_last  <= in_last;
        end
        q_values <= in_values;
        q_index  <= in_index;
        q_dense  <= in_dense;
    end

    // h_bus (r, c): the slot group (with valid/first/last) that PE (r, c) works on this cycle;
    // v_bus (r, c): the dense blocks PE (r, c) works on this cycle. Flat vectors, one register
    // per PE in its generate block.
    wire [SW*ROWS*COLS-1:0] h_bus;
    wire [DW*ROWS*COLS-1:0] v_bus;

    for (genvar r = 0; r < ROWS; r++) begin : g_row
        // Row skew: row r's slots wait r cycles before entering the array.
        wire [SW-1:0] row_in = {q_valid, q_first, q_last, q_index[IW*LANES*r +: IW*LANES],
                                q_values[8*LANES*r +: 8*LANES]};
        // stage d of the delay line at [SW*d +: SW]; stage 0 is the input itself.
        wire [SW*(r+1)-1:0] row_stage;
        assign row_stage[0 +: SW] = row_in;
        for (genvar d = 1; d <= r; d++) begin : g_skew
            logic [SW-1:0] q;
            always_ff @(posedge clk) begin
                if (!rst_n) q <= '0;
                else q <= row_stage[SW*(d-1) +: SW];
            end
            assign row_stage[SW*d +: SW] = q;
        end
        wire [SW-1:0] row_skewed = row_stage[SW*r +: SW];
        for (genvar c = 0; c < COLS; c++) begin : g_col
            wire [SW-1:0] from_left;
            if (c == 0) begin : g_edge
                assign from_left = row_skewed;
            end else begin : g_inner
                assign from_left = h_bus[SW*(COLS*r + c - 1) +: SW];
            end
            logic [SW-1:0] h_q;
            always_ff @(posedge clk) begin
                if (!rst_n) h_q <= '0;
                else h_q <= from_left;
            end
            assign h_bus[SW*(COLS*r + c) +: SW] = h_q;
        end
    end

    for (genvar c = 0; c < COLS; c++) begin : g_dcol
        // Column skew: column c's blocks wait c cycles before entering the array.
        wire [DW-1:0] col_in = q_dense[DW*c +: DW];
        wire [DW*(c+1)-1:0] col_stage;
        assign col_stage[0 +: DW] = col_in;
        for (genvar d = 1; d <= c; d++) begin : g_skew
            logic [DW-1:0] q;
            always_ff @(posedge clk) q <= col_stage[DW*(d-1) +: DW];
            assign col_stage[DW*d +: DW] = q;
        end
        wire [DW-1:0] col_skewed = col_stage[DW*c +: DW];
        for (genvar r = 0; r < ROWS; r++) begin : g_drow
            wire [DW-1:0] from_above;
            if (r == 0) begin : g_edge
                assign from_above = col_skewed;
            end else begin : g_inner
                assign from_above = v_bus[DW*(COLS*(r - 1) + c) +: DW];
            end
            logic [DW-1:0] v_q;
            always_ff @(posedge clk) v_q <= from_above;
            assign v_bus[DW*(COLS*r + c) +: DW] = v_q;
        end
    end

    for (genvar r = 0; r < ROWS; r++) begin : g_pe_row
        for (genvar c = 0; c < COLS; c++) begin : g_pe_col
            wire [SW-1:0] h = h_bus[SW*(COLS*r + c) +: SW];
            wire pe_valid;
            wire signed [AW-1:0] pe_acc;
            pe #(.M(M), .LANES(LANES), .AW(AW)) u_pe (
                .clk(clk),
                .rst_n(rst_n),
                .in_valid(h[SW-1]),
                .in_first(h[SW-2]),
                .in_last(h[SW-3]),
                .in_values(h[0 +: 8*LANES]),
                .in_index(h[8*LANES +: IW*LANES]),
                .in_dense(v_bus[DW*(COLS*r + c) +: DW]),
                .out_valid(pe_valid),
                .out_acc(pe_acc)
            );
            assign out_valid[COLS*r + c] = pe_valid;
            assign out_acc[AW*(COLS*r + c) +: AW] = pe_acc;
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
                else $error("a_pass_started (%m): a slot group (at the array's edge) continues a pass that no in_first group started");
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
