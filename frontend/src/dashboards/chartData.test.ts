import { describe, expect, it } from "vitest";
import { align, ema, GRID, MAX_EXACT, prepare } from "./chartData";

describe("ema", () => {
  it("keeps a constant line constant from the first point (debiased)", () => {
    expect(ema([2, 2, 2], 0.9)).toEqual([2, 2, 2].map(() => expect.closeTo(2, 9)));
  });
  it("is the identity at weight 0 and lags at 0.5", () => {
    expect(ema([1, 3], 0)).toEqual([1, 3]);
    const [a, b] = ema([0, 4], 0.5);
    expect(a).toBe(0);
    expect(b).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 4) / 0.75);
  });
});

describe("prepare", () => {
  const line = { key: "train/loss", count: 3, step: [0, 10, 20], value: [1, 0, 4], time: [100, 105, 103] };
  it("turns steps into epochs and wall time into seconds since the first point, sorted", () => {
    expect(prepare(line, "epoch", 10, 0, false).x).toEqual([0, 1, 2]);
    expect(prepare(line, "time", null, 0, false)).toEqual({ x: [0, 3, 5], y: [1, 4, 0] });
  });
  it("drops values a log scale cannot draw", () => {
    expect(prepare(line, "step", null, 0, true)).toEqual({ x: [0, 20], y: [1, 4] });
  });
});

describe("align", () => {
  it("shares the x values of lines exactly when they are few", () => {
    expect(align([{ x: [0, 2], y: [1, 2] }, { x: [1, 2], y: [5, 6] }])).toEqual([[0, 1, 2], [1, null, 2], [null, 5, 6]]);
  });
  it("puts many lines on a grid and keeps a spike", () => {
    const lines = Array.from({ length: 3 }, (_, r) => {
      const x = Array.from({ length: MAX_EXACT }, (_, i) => i * 3 + r);
      return { x, y: x.map((v) => (v === 6001 ? 100 : 1)) };
    });
    const [xs, ...cols] = align(lines);
    expect(xs.length).toBe(GRID);
    expect(Math.max(...(cols[1].filter((v) => v !== null) as number[]))).toBe(100);
    expect(cols[0][0]).toBe(1);
    expect(cols[2][GRID - 1]).toBe(1);
  });
});
