import { describe, expect, it } from "vitest";
import { parseTags, pointsFrom, runIdsFrom } from "./params";

describe("dashboard params", () => {
  it("reads run ids once each, ignoring what is not an id", () => {
    expect(runIdsFrom("?runs=3,1,x,3,-2,0")).toEqual([3, 1]);
    expect(runIdsFrom("")).toEqual([]);
  });
  it("keeps points within what the server accepts", () => {
    expect(pointsFrom("?points=10000")).toBe(10000);
    expect(pointsFrom("?points=3")).toBe(1000);
    expect(pointsFrom("?runs=1")).toBe(1000);
  });
  it("splits tags on commas, trims and drops repeats", () => {
    expect(parseTags(" best, cnn,, best ")).toEqual(["best", "cnn"]);
  });
});
