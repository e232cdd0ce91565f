import { describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatShape } from "./format";

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
