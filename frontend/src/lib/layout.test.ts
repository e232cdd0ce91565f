import { describe, expect, it } from "vitest";
import { placeUnplaced } from "./layout";
import type { GraphDocument } from "../schemas/graph";

const edge = (source: string, target: string) => ({ source, source_port: "out", target, target_port: "in" });

describe("placeUnplaced", () => {
  it("lays out nodes without a position, top to bottom, and keeps placed ones", () => {
    const doc: GraphDocument = {
      schema: "netweave.graph/1", name: "m", variables: {},
      nodes: [{ id: "x", op: "Input", params: {} }, { id: "r", op: "ReLU", params: {} }, { id: "y", op: "Output", params: {} }],
      edges: [edge("x", "r"), edge("r", "y")],
      blocks: { B: { params: {}, nodes: [{ id: "i", op: "Input", params: {}, position: { x: 5, y: 7 } }, { id: "o", op: "Output", params: {} }], edges: [edge("i", "o")] } },
    };
    const placed = placeUnplaced(doc);
    const ys = placed.nodes.map((n) => n.position!.y);
    expect(ys[0]).toBeLessThan(ys[1]);
    expect(ys[1]).toBeLessThan(ys[2]);
    expect(placed.blocks.B.nodes[0].position).toEqual({ x: 5, y: 7 });
    expect(placed.blocks.B.nodes[1].position).toBeDefined();
    expect(placeUnplaced(placed).nodes).toBe(placed.nodes); // nothing left to place: unchanged
  });
});
