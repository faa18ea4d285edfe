// A module that describes a latch (q holds its value while en is low): synthesis must reject it.
`default_nettype none
module latch_bad (
    input  wire       en,
    input  wire [3:0] d,
    output logic [3:0] q
);
    always @* begin
        if (en) q = d;
    end
endmodule
`default_nettype wire
