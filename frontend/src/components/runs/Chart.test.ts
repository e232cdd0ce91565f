import { describe, expect, it } from "vitest";
import { alignLines, fromZero, tickLabel, tickLabels } from "./Chart";

describe("chart data", () => {
  it("aligns lines on the union of their steps, null where a line has no point", () => {
    expect(alignLines([{ steps: [1, 3], values: [10, 30] }, { steps: [2, 3], values: [0.2, 0.3] }])).toEqual([
      [1, 2, 3], [10, null, 30], [null, 0.2, 0.3],
    ]);
  });
  it("draws a rate from 0, a little above its highest point", () => {
    expect(fromZero(null, 980, 1000)).toEqual([0, 1100]);
    expect(fromZero(null, null, null)).toEqual([0, 1]);
  });
  it("labels small ticks distinctly", () => {
    expect([0.0015, 0.002].map(tickLabel)).toEqual(["1.5e-3", "2.0e-3"]);
    expect(tickLabel(2.5)).toBe("2.5");
    expect(tickLabel(60000)).toBe("60.0k");
  });
  it("writes an axis's ticks alike, evenly", () => {
    // A learning rate decaying from 0.001: one format, not 2.0e-4 beside 1.0e-3.
    expect(tickLabels([0, 0.0002, 0.0004, 0.0006, 0.0008, 0.001])).toEqual(["0.0000", "0.0002", "0.0004", "0.0006", "0.0008", "0.0010"]);
    expect(tickLabels([0.25, 0.5, 0.75, 1])).toEqual(["0.25", "0.50", "0.75", "1.00"]);
    expect(tickLabels([0, 20, 40])).toEqual(["0", "20", "40"]);
    expect(tickLabels([0.000002, 0.000004])).toEqual(["2e-6", "4e-6"]);
    expect(tickLabels([20000, 40000, 60000])).toEqual(["20k", "40k", "60k"]);
    expect(tickLabels([7])).toEqual(["7"]);
  });
});
