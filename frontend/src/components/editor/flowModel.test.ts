import { describe, expect, it } from "vitest";
import { createEdgeCache, createNodeCache } from "./flowModel";
import type { ValidationReport } from "../../schemas/report";
import type { Edge, Node } from "../../schemas/graph";

const nodes: Node[] = [
  { id: "x", op: "Input", params: {}, position: { x: 0, y: 0 } },
  { id: "r", op: "ReLU", params: {}, position: { x: 0, y: 100 } },
];
const edges: Edge[] = [{ source: "x", source_port: "out", target: "r", target_port: "in" }];
const report = (c: number): ValidationReport => ({
  ok: true, errors: [], totals: {},
  nodes: { x: { outputs: { out: [null, c] }, inferred: {} }, r: { outputs: { out: [null, c] }, inferred: {} } },
  edges: [{ ...edges[0], shape: [null, c], dtype: "float32" }],
});

describe("flow model caches", () => {
  it("keeps node objects when nothing they show changed, and moves only the moved one", () => {
    const toNodes = createNodeCache();
    const none = new Map();
    const first = toNodes(nodes, edges, new Set(), {}, {}, null, none, new Map());
    const moved = [nodes[0], { ...nodes[1], position: { x: 5, y: 5 } }];
    const second = toNodes(moved, edges, new Set(), {}, {}, null, none, new Map());
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
    expect(second[1].position).toEqual({ x: 5, y: 5 });
  });

  it("zoomed far out, a new report redraws no node and no edge label", () => {
    const toNodes = createNodeCache();
    const toEdges = createEdgeCache();
    const none = new Map();
    const a = toNodes(nodes, edges, new Set(), {}, {}, report(4), none, new Map(), true);
    const b = toNodes(nodes, edges, new Set(), {}, {}, report(8), none, new Map(), true);
    expect(b[0]).toBe(a[0]);
    const near = toNodes(nodes, edges, new Set(), {}, {}, report(8), none, new Map(), false);
    expect(near[0]).not.toBe(b[0]);
    expect(near[0].data.report?.outputs.out).toEqual([null, 8]);

    const e1 = toEdges(edges, report(4), none, new Set(), true);
    const e2 = toEdges(edges, report(8), none, new Set(), true);
    expect(e2[0]).toBe(e1[0]);
    expect(toEdges(edges, report(8), none, new Set(), false)[0].label).toBe("N×8");
  });
});
