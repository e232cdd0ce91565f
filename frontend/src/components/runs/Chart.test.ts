import { describe, expect, it } from "vitest";
import { alignLines, tickLabel } from "./Chart";

describe("chart data", () => {
  it("aligns lines on the union of their steps, null where a line has no point", () => {
    expect(alignLines([{ steps: [1, 3], values: [10, 30] }, { steps: [2, 3], values: [0.2, 0.3] }])).toEqual([
      [1, 2, 3], [10, null, 30], [null, 0.2, 0.3],
    ]);
  });
  it("labels small ticks distinctly", () => {
    expect([0.0015, 0.002].map(tickLabel)).toEqual(["1.5e-3", "2.0e-3"]);
    expect(tickLabel(2.5)).toBe("2.5");
    expect(tickLabel(60000)).toBe("60.0k");
  });
});
