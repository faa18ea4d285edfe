// A small registered adder: synthesis must accept it (the control for latch_bad and loop_bad).
`default_nettype none
module good (
    input  wire       clk,
    input  wire [3:0] a,
    input  wire [3:0] b,
    output logic [4:0] s
);
    always_ff @(posedge clk) s <= a + b;
endmodule
`default_nettype wire
