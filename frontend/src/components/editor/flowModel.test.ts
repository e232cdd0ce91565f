import { describe, expect, it } from "vitest";
import { getBezierPath, Position } from "@xyflow/react";
import { createEdgeCache, createFarEdgeCache, createNodeCache } from "./flowModel";
import type { ValidationReport } from "../../api/types";
import type { Edge, Node } from "../../schemas/graph";

const nodes: Node[] = [
  { id: "x", op: "Input", params: {}, position: { x: 0, y: 0 } },
  { id: "r", op: "ReLU", params: {}, position: { x: 0, y: 100 } },
];
const edges: Edge[] = [{ source: "x", source_port: "out", target: "r", target_port: "in" }];
const stats = { params: 0, flops: 0, memory: 0, inferred: {} };
const report = (c: number): ValidationReport => ({
  ok: true, errors: [], totals: { params: 0, flops: 0, memory: 0 }, blocks: {},
  nodes: { x: { ...stats, outputs: { out: [null, c] } }, r: { ...stats, outputs: { out: [null, c] } } },
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

  it("zoomed far out, draws each edge between the declared ports, and a drag recomputes only the moved node's edges", () => {
    const toNodes = createNodeCache();
    const toEdges = createEdgeCache();
    const toFar = createFarEdgeCache();
    const none = new Map();
    const sizes = new Map([["x", { width: 220, height: 40 }], ["r", { width: 220, height: 40 }]]);
    const byOp = {}; // unknown ops: ports "in" and "out"
    const flowNodes = toNodes(nodes, edges, new Set(), byOp, {}, null, none, sizes, true);
    const flowEdges = toEdges(edges, null, none, new Set(), true);
    const [[first]] = toFar(flowNodes, flowEdges);
    // React Flow's own default edge: the middle of the output port's bottom to the input port's top.
    const [d] = getBezierPath({ sourceX: 110, sourceY: 45, sourcePosition: Position.Bottom, targetX: 110, targetY: 95, targetPosition: Position.Top });
    expect(first).toEqual({ id: "x:out->r:in", d, className: "far-edge" });

    const again = toFar(toNodes(nodes, edges, new Set(), byOp, {}, null, none, sizes, true), flowEdges);
    expect(again[0][0]).toBe(first);
    const moved = [nodes[0], { ...nodes[1], position: { x: 40, y: 300 } }];
    const [[after]] = toFar(toNodes(moved, edges, new Set(), byOp, {}, null, none, sizes, true), flowEdges);
    expect(after.d).not.toBe(first.d);
    expect(after.d.endsWith("150,295")).toBe(true);

    // Selected and broken edges keep their look; an edge to an unmeasured node is not drawn yet.
    const marked = toEdges(edges, null, new Map([["r", [{ node: "r", port: "in", field: null, message: "bad" }]]]), new Set(["x:out->r:in"]), true);
    expect(toFar(flowNodes, marked)[0][0].className).toBe("far-edge edge-error selected");
    expect(toFar(toNodes(nodes, edges, new Set(), byOp, {}, null, none, new Map(), true), flowEdges)).toEqual([]);
  });
});
