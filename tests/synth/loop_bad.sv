// A module with a combinational loop (a ring through two gates): synthesis must reject it.
`default_nettype none
module loop_bad (
    input  wire  a,
    input  wire  b,
    output wire  y
);
    wire x;
    assign x = ~(a & y);
    assign y = ~(b & x);
endmodule
`default_nettype wire
