// decoder: decodes the accelerator's 128-bit microcode words (hw/isa/Isa.h, docs/isa.md)
// into the opcode and its fields, and flags illegal encodings, bit for bit like isa::decode().
//
// Function: bits [7:0] are the opcode; each opcode's fields sit at the fixed positions of the
// ISA's field table and are presented zero-extended to FW bits in field order. Every bit no
// field covers is reserved and must be zero.
//   out_error = 0  legal
//             = 1  unknown opcode: then out_opcode reads 0x7F (END) and every field 0, as the
//                  default instruction isa::decode() returns
//             = 2  reserved bits set: the opcode and fields are still decoded
//
// Ports:
//   clk, rst_n            clock, synchronous active-low reset
//   in_valid, in_ready    one instruction word per handshake
//   in_word               the 128-bit word (low memory word in bits [63:0])
//   out_valid, out_ready  the decoded instruction, held until taken
//   out_opcode            opcode byte
//   out_error             0 legal, 1 unknown opcode, 2 reserved bits set
//   out_fields            field i at [FW*i +: FW] (16 fields; unused ones 0)
//
// Timing: one instruction per cycle; the decoded instruction is registered (latency 1 cycle).
// in_ready = !out_valid || out_ready (the output register frees in the cycle it is taken).
// Parameters: FW (field width, >= 40, the widest field: an address).
`default_nettype none
module decoder #(
    parameter int FW = 40,
    localparam int FIELDS = 16
) (
    input  wire                   clk,
    input  wire                   rst_n,
    input  wire                   in_valid,
    output logic                  in_ready,
    input  wire [127:0]           in_word,
    output logic                  out_valid,
    input  wire                   out_ready,
    output logic [7:0]            out_opcode,
    output logic [1:0]            out_error,
    output logic [FW*FIELDS-1:0]  out_fields
);
    localparam logic [7:0] OP_CFG_LAYER = 8'h01;
    localparam logic [7:0] OP_CFG_TERM  = 8'h02;
    localparam logic [7:0] OP_CFG_ADDR  = 8'h03;
    localparam logic [7:0] OP_CFG_CONV  = 8'h04;
    localparam logic [7:0] OP_CFG_TASD  = 8'h05;
    localparam logic [7:0] OP_CFG_OUT   = 8'h06;
    localparam logic [7:0] OP_LOAD_S    = 8'h10;
    localparam logic [7:0] OP_LOAD_D    = 8'h11;
    localparam logic [7:0] OP_LOAD_C    = 8'h12;
    localparam logic [7:0] OP_TASD      = 8'h20;
    localparam logic [7:0] OP_STREAM    = 8'h21;
    localparam logic [7:0] OP_STORE_C   = 8'h30;
    localparam logic [7:0] OP_BARRIER   = 8'h40;
    localparam logic [7:0] OP_END       = 8'h7F;

    localparam logic [1:0] ERR_NONE     = 2'd0;
    localparam logic [1:0] ERR_UNKNOWN  = 2'd1;
    localparam logic [1:0] ERR_RESERVED = 2'd2;

    // The bits [lsb, lsb + width) of the word, zero-extended.
    function automatic logic [FW-1:0] bits(input logic [127:0] w, input int lsb, input int width);
        logic [127:0] shifted;
        logic [127:0] mask;
        shifted = w >> lsb;
        mask = (128'd1 << width) - 128'd1;
        bits = FW'(shifted & mask);
    endfunction

    // The mask of the bits [lsb, lsb + width).
    function automatic logic [127:0] span(input int lsb, input int width);
        span = ((128'd1 << width) - 128'd1) << lsb;
    endfunction

    logic [7:0]            d_opcode;
    logic [1:0]            d_error;
    logic [FW*FIELDS-1:0]  d_fields;
    logic [127:0]          used;   // bits covered by the opcode and its fields
    logic                  known;

    // One field: f-th in order, at [lsb, lsb + width).
    `define UCODE_FIELD(f, lsb, width) \
        begin d_fields[FW*(f) +: FW] = bits(in_word, lsb, width); used = used | span(lsb, width); end

    always @* begin
        d_fields = '0;
        used = span(0, 8);
        known = 1'b1;
        case (in_word[7:0])
            OP_CFG_LAYER: begin
                `UCODE_FIELD(0, 8, 24)   // m
                `UCODE_FIELD(1, 32, 24)  // n
                `UCODE_FIELD(2, 56, 24)  // k
                `UCODE_FIELD(3, 80, 2)   // dtype
                `UCODE_FIELD(4, 82, 1)   // s_source
                `UCODE_FIELD(5, 83, 3)   // terms
                `UCODE_FIELD(6, 86, 1)   // s_conv
                `UCODE_FIELD(7, 87, 1)   // d_conv
            end
            OP_CFG_TERM: begin
                `UCODE_FIELD(0, 8, 3)    // index
                `UCODE_FIELD(1, 11, 6)   // n
                `UCODE_FIELD(2, 17, 6)   // m
                `UCODE_FIELD(3, 24, 40)  // values_addr
                `UCODE_FIELD(4, 64, 40)  // meta_addr
            end
            OP_CFG_ADDR: begin
                `UCODE_FIELD(0, 8, 2)    // operand
                `UCODE_FIELD(1, 10, 40)  // base
                `UCODE_FIELD(2, 50, 32)  // stride
            end
            OP_CFG_CONV: begin
                `UCODE_FIELD(0, 8, 1)    // operand
                `UCODE_FIELD(1, 9, 16)   // in_h
                `UCODE_FIELD(2, 25, 16)  // in_w
                `UCODE_FIELD(3, 41, 16)  // channels
                `UCODE_FIELD(4, 57, 5)   // kh
                `UCODE_FIELD(5, 62, 5)   // kw
                `UCODE_FIELD(6, 67, 4)   // stride_h
                `UCODE_FIELD(7, 71, 4)   // stride_w
                `UCODE_FIELD(8, 75, 5)   // pad_top
                `UCODE_FIELD(9, 80, 5)   // pad_left
                `UCODE_FIELD(10, 85, 5)  // pad_bottom
                `UCODE_FIELD(11, 90, 5)  // pad_right
                `UCODE_FIELD(12, 95, 4)  // dilation_h
                `UCODE_FIELD(13, 99, 4)  // dilation_w
                `UCODE_FIELD(14, 103, 8) // batch
            end
            OP_CFG_TASD: begin
                `UCODE_FIELD(0, 8, 32)   // tau_bits
            end
            OP_CFG_OUT: begin
                `UCODE_FIELD(0, 8, 2)    // mode
                `UCODE_FIELD(1, 10, 1)   // relu
                `UCODE_FIELD(2, 11, 1)   // per_row
                `UCODE_FIELD(3, 12, 1)   // bias
                `UCODE_FIELD(4, 13, 40)  // table_addr
            end
            OP_LOAD_S: begin
                `UCODE_FIELD(0, 8, 1)    // slot
                `UCODE_FIELD(1, 9, 3)    // term
                `UCODE_FIELD(2, 12, 1)   // dense
                `UCODE_FIELD(3, 13, 24)  // i0
                `UCODE_FIELD(4, 37, 16)  // ilen
                `UCODE_FIELD(5, 53, 24)  // k0
                `UCODE_FIELD(6, 77, 16)  // klen
            end
            OP_LOAD_D: begin
                `UCODE_FIELD(0, 8, 1)    // slot
                `UCODE_FIELD(1, 9, 24)   // j0
                `UCODE_FIELD(2, 33, 16)  // jlen
                `UCODE_FIELD(3, 49, 24)  // k0
                `UCODE_FIELD(4, 73, 16)  // klen
            end
            OP_LOAD_C, OP_STORE_C: begin
                `UCODE_FIELD(0, 8, 1)    // slot
                `UCODE_FIELD(1, 9, 24)   // i0
                `UCODE_FIELD(2, 33, 16)  // ilen
                `UCODE_FIELD(3, 49, 24)  // j0
                `UCODE_FIELD(4, 73, 16)  // jlen
                if (in_word[7:0] == OP_STORE_C) `UCODE_FIELD(5, 89, 1)  // partial
            end
            OP_TASD: begin
                `UCODE_FIELD(0, 8, 1)    // slot
            end
            OP_STREAM: begin
                `UCODE_FIELD(0, 8, 1)    // s_slot
                `UCODE_FIELD(1, 9, 1)    // d_slot
                `UCODE_FIELD(2, 10, 1)   // acc_slot
                `UCODE_FIELD(3, 11, 1)   // clear
                `UCODE_FIELD(4, 12, 3)   // first_term
                `UCODE_FIELD(5, 15, 3)   // term_count
            end
            OP_BARRIER, OP_END: begin
            end
            default: known = 1'b0;
        endcase
        if (!known) begin
            d_opcode = OP_END;
            d_fields = '0;
            d_error = ERR_UNKNOWN;
        end else begin
            d_opcode = in_word[7:0];
            d_error = (in_word & ~used) != '0 ? ERR_RESERVED : ERR_NONE;
        end
    end

    `undef UCODE_FIELD

    assign in_ready = !out_valid || out_ready;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            out_valid  <= 1'b0;
            out_opcode <= '0;
            out_error  <= '0;
            out_fields <= '0;
        end else if (in_valid && in_ready) begin
            out_valid  <= 1'b1;
            out_opcode <= d_opcode;
            out_error  <= d_error;
            out_fields <= d_fields;
        end else if (out_ready) begin
            out_valid <= 1'b0;
        end
    end
`ifndef SYNTHESIS
`ifndef __ICARUS__  // Icarus Verilog 11 compiles no assertions of this form
    // Protocol invariants, checked in co-simulation (Verilator --assert; a failure stops the
    // simulation with the assertion's name).
    // valid/ready: a decoded instruction on offer stays, unchanged, until it is taken.
    a_out_hold: assert property (@(posedge clk) disable iff (!rst_n)
        out_valid && !out_ready |=> out_valid && $stable({out_opcode, out_error, out_fields}))
        else $error("a_out_hold (%m): a decoded instruction changed or was withdrawn before out_ready");
    a_ready: assert property (@(posedge clk) disable iff (!rst_n)
        in_ready == (!out_valid || out_ready))
        else $error("a_ready (%m): in_ready is not !out_valid || out_ready");
    // The error code is one-hot (or zero): never both unknown and reserved.
    a_error_onehot: assert property (@(posedge clk) disable iff (!rst_n)
        out_valid |-> $onehot0(out_error))
        else $error("a_error_onehot (%m): out_error is not one-hot");
    a_unknown_is_end: assert property (@(posedge clk) disable iff (!rst_n)
        out_valid && out_error == ERR_UNKNOWN |-> out_opcode == OP_END && out_fields == '0)
        else $error("a_unknown_is_end (%m): an unknown opcode did not decode as END with zero fields");
`endif
`endif
endmodule
`default_nettype wire
