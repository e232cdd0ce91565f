import { describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatShape, paramSummary } from "./format";

describe("format", () => {
  it("writes the batch dimension as N", () => {
    expect(formatShape([null, 32, 8, 8])).toBe("N×32×8×8");
    expect(formatShape(null)).toBe("?");
  });
  it("abbreviates counts and bytes", () => {
    expect(formatCount(1234)).toBe("1.2 k");
    expect(formatCount(36_864_000)).toBe("36.86 M");
    expect(formatBytes(8192)).toBe("8.0 KiB");
  });
});

describe("paramSummary", () => {
  it("writes the first params, expressions in brackets", () => {
    expect(paramSummary({ out_features: "=width * 2", bias: true, kernel_size: [3, 3], padding: 1 })).toBe("out_features=(width * 2)  bias=true  kernel_size=3, 3");
    expect(paramSummary({})).toBe("");
  });
});
