import { describe, expect, it } from "vitest";
import { blockBanner, blockErrors, scopeReport } from "./scopeReport";
import { errorsByNode } from "../stores/validation";
import type { ValidationReport } from "../api/types";

// As the engine answers for x -> stage (block Outer: a = block Res, b = block Res) -> y, stage repeated twice.
const stats = { params: 0, flops: 0, memory: 0, inferred: {} };
const report: ValidationReport = {
  ok: false,
  errors: [
    { node: "stage", port: "in", field: "in_features", message: "Linear 'stage.0.b.fc' has in_features=5",
      path: "stage.0.b.fc", block: "Res", block_node: "fc", in_blocks: { Outer: "b", Res: "fc" } },
    { node: "stage", port: null, field: "blocks.Outer", message: "block Outer needs an Output", block: "Outer", in_blocks: {} },
    { node: "y", port: "in", field: null, message: "top-level trouble" },
  ],
  nodes: { stage: { ...stats, outputs: { out: [null, 8] }, params: 144 } },
  edges: [{ source: "x", source_port: "out", target: "stage", target_port: "in", shape: [null, 8], dtype: "float32" }],
  totals: { params: 144, flops: 0, memory: 0 },
  blocks: {
    Res: {
      instance: "stage.0.a.", uses: 4,
      nodes: { fc: { ...stats, outputs: { out: [null, 8] }, params: 72, inferred: { in_features: 8 } } },
      edges: [{ source: "x", source_port: "out", target: "fc", target_port: "in", shape: [null, 8], dtype: "float32" }],
    },
    Outer: { instance: "stage.0.", uses: 2, nodes: {}, edges: [] },
    Spare: { instance: null, uses: 0, nodes: {}, edges: [] },
  },
};

describe("scopeReport: what an opened block shows", () => {
  it("is the report itself at the top level", () => {
    expect(scopeReport(report, null)).toBe(report);
    expect(scopeReport(null, "Res")).toBeNull();
  });

  it("gives the block's first instance as nodes and edges", () => {
    const shown = scopeReport(report, "Res")!;
    expect(shown.nodes.fc.inferred).toEqual({ in_features: 8 });
    expect(shown.edges.map((e) => e.shape)).toEqual([[null, 8]]);
    expect(shown.totals).toBe(report.totals);
  });

  it("places each error on the node of the opened block that leads to it", () => {
    // In Res the error is fc's; in Outer it is the node b that holds that Res.
    expect([...errorsByNode(scopeReport(report, "Res")).keys()]).toEqual(["fc"]);
    expect(errorsByNode(scopeReport(report, "Outer")).get("b")?.[0].path).toBe("stage.0.b.fc");
    // An error about the block as a whole has no node there; top-level ones are not shown inside.
    expect(errorsByNode(scopeReport(report, "Outer")).get("")?.[0].message).toBe("block Outer needs an Output");
    expect(blockErrors(report, "Spare")).toEqual([]);
  });

  it("answers with the same object for the same report and scope", () => {
    expect(scopeReport(report, "Res")).toBe(scopeReport(report, "Res"));
    expect(scopeReport({ ...report }, "Res")).not.toBe(scopeReport(report, "Res"));
  });

  it("is empty for a block the report does not detail", () => {
    const shown = scopeReport(report, "Missing")!;
    expect(shown.nodes).toEqual({});
    expect(shown.edges).toEqual([]);
  });
});

describe("blockBanner", () => {
  it("says which instance the shapes come from", () => {
    expect(blockBanner(report, "Res")).toBe("shapes of stage.0.a, 1 of 4 uses");
    const once = { ...report, blocks: { Res: { ...report.blocks!.Res, instance: "res1.", uses: 1 } } };
    expect(blockBanner(once, "Res")).toBe("shapes of res1, 1 of 1 use");
  });

  it("says when there are no shapes, and why", () => {
    expect(blockBanner(report, "Spare")).toBe("this block is not used yet: no shapes");
    expect(blockBanner({ ...report, blocks: {} }, "Res")).toMatch(/fix the errors/);
    expect(blockBanner(report, null)).toBeNull();
    expect(blockBanner(null, "Res")).toBeNull();
  });
});
