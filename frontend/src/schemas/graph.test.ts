import { describe, expect, it } from "vitest";
import { parseDocument } from "./graph";

const doc = {
  schema: "netweave.graph/1",
  name: "mnist-cnn",
  variables: { width: 32 },
  nodes: [
    { id: "x", op: "Input", params: { shape: [1, 8, 8], dtype: "float32" }, position: { x: 0, y: 0 } },
    { id: "conv1", op: "Conv2d", params: { out_channels: "=width", kernel_size: 3, padding: 1 } },
    { id: "res", op: "block:ResidualBlock", params: { channels: 64 }, repeat: 2 },
    { id: "y", op: "Output", params: {} },
  ],
  edges: [
    { source: "x", source_port: "out", target: "conv1", target_port: "in" },
    { source: "conv1", target: "res" },
  ],
  blocks: {
    ResidualBlock: {
      params: { channels: { type: "int", default: 64, min: 1 } },
      nodes: [{ id: "inp", op: "Input", params: {} }, { id: "out", op: "Output", params: {} }],
      edges: [{ source: "inp", source_port: "out", target: "out", target_port: "in" }],
    },
  },
};

describe("netweave.graph/1 schema", () => {
  it("accepts the contract's example and fills default ports", () => {
    const r = parseDocument(doc);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.doc.edges[1]).toEqual({ source: "conv1", source_port: "out", target: "res", target_port: "in" });
  });

  it("refuses another schema version", () => {
    const r = parseDocument({ ...doc, schema: "netweave.graph/2" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^schema:/);
  });

  it("refuses a dotted op path and names the node", () => {
    const bad = { ...doc, nodes: [...doc.nodes, { id: "evil", op: "os.system", params: {} }] };
    const r = parseDocument(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join("\n")).toContain("nodes.4.op: op is a registry name");
  });

  it("refuses invalid and duplicate ids and edges to missing nodes", () => {
    const bad = {
      ...doc,
      nodes: [...doc.nodes, { id: "1bad", op: "ReLU", params: {} }, { id: "x", op: "ReLU", params: {} }],
      edges: [...doc.edges, { source: "ghost", source_port: "out", target: "y", target_port: "in" }],
    };
    const r = parseDocument(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const text = r.errors.join("\n");
      expect(text).toContain("nodes.4.id");
      expect(text).toContain("duplicate node id 'x'");
      expect(text).toContain("edge source 'ghost' is not a node");
    }
  });

  it("checks edges inside blocks too", () => {
    const bad = structuredClone(doc);
    bad.blocks.ResidualBlock.edges.push({ source: "inp", source_port: "out", target: "nowhere", target_port: "in" });
    const r = parseDocument(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join("\n")).toContain("blocks.ResidualBlock.edges.1.target");
  });

  it("refuses a repeat of zero", () => {
    const bad = structuredClone(doc);
    bad.nodes[2].repeat = 0;
    expect(parseDocument(bad).ok).toBe(false);
  });
});
