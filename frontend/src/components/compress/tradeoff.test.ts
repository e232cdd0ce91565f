import { describe, expect, it } from "vitest";
import type { Run } from "../../api/types";
import { markPareto, pointsOf } from "./tradeoff";

const run = (id: number, summary: Record<string, unknown>, kind = "compress") => ({ id, kind, summary, name: "" }) as unknown as Run;

describe("trade-off points", () => {
  it("takes a compress run's model and its source, and an evaluation's checkpoint size", () => {
    const points = pointsOf([
      run(1, { test_accuracy: 0.95, params: 1000, source_test_accuracy: 0.96, source_params: 4000 }),
      run(2, { test_accuracy: 0.9, checkpoint_bytes: 500, params: 9000 }, "evaluate"),
      run(3, { test_loss: 0.2, params: 10 }, "train"),
    ], "file_bytes");
    expect(points.map((p) => [p.run, p.x])).toEqual([[2, 500]]);
    const byParams = pointsOf([run(1, { test_accuracy: 0.95, params: 1000, source_test_accuracy: 0.96, source_params: 4000 })], "params");
    expect(byParams.map((p) => [p.label, p.x, p.pareto])).toEqual([["#1", 1000, true], ["#1 (its source)", 4000, true]]);
  });

  it("marks only the points nothing beats on both axes", () => {
    const mk = (x: number, accuracy: number) => ({ run: x, label: "", kind: "train", x, accuracy, pareto: false });
    const marked = markPareto([mk(1, 0.8), mk(2, 0.9), mk(3, 0.85), mk(4, 0.9), mk(5, 0.95)]);
    expect(marked.map((p) => p.pareto)).toEqual([true, true, false, false, true]);
  });
});
