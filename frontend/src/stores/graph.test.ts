import { describe, expect, it } from "vitest";
import { createGraphStore, isDirty } from "./graph";
import * as ops from "../lib/graphOps";
import { nodePorts } from "../lib/ports";
import { emptyDocument } from "../schemas/graph";
import type { LayerSpec } from "../api/types";

const conv: LayerSpec = {
  op: "Conv2d", category: "Convolution", help: "",
  inputs: [{ name: "in", variadic: false }], outputs: [{ name: "out" }],
  params: [
    { name: "in_channels", type: "int", inferred: true },
    { name: "out_channels", type: "int", default: 16, inferred: false },
    { name: "bias", type: "bool", default: true, inferred: false },
  ],
};
const add: LayerSpec = { op: "Add", category: "Merge", help: "", inputs: [{ name: "in", variadic: true }], outputs: [{ name: "out" }], params: [] };

function threeInARow() {
  const store = createGraphStore(emptyDocument());
  for (const op of ["Input", "Conv2d", "ReLU"]) store.getState().edit((s) => ops.addNode(s, op, { x: 0, y: 0 }, op === "Conv2d" ? conv : undefined).scope);
  store.getState().edit((s) => ops.connect(s, { source: "input_1", source_port: "out", target: "conv2d_1", target_port: "in" }));
  store.getState().edit((s) => ops.connect(s, { source: "conv2d_1", source_port: "out", target: "relu_1", target_port: "in" }));
  return store;
}

describe("graph store", () => {
  it("adds nodes with fresh ids and the registry's non-inferred defaults", () => {
    const store = threeInARow();
    const { doc } = store.getState();
    expect(doc.nodes.map((n) => n.id)).toEqual(["input_1", "conv2d_1", "relu_1"]);
    expect(doc.nodes[1].params).toEqual({ out_channels: 16, bias: true });
  });

  it("has no unsaved changes once undone back to the saved document, and again after redo", () => {
    const store = threeInARow();
    const s = store.getState;
    s().markSaved(s().doc);
    expect(isDirty(s())).toBe(false);
    s().edit((sc) => ops.addNode(sc, "ReLU", { x: 0, y: 0 }).scope);
    s().beginMove();
    s().move({ relu_1: { x: 40, y: 40 } });
    expect(isDirty(s())).toBe(true);
    s().undo();
    s().undo();
    expect(isDirty(s())).toBe(false);
    s().redo();
    expect(isDirty(s())).toBe(true);
  });

  it("undoes and redoes every edit, and a new edit clears redo", () => {
    const store = threeInARow();
    const s = store.getState;
    expect(s().doc.edges).toHaveLength(2);
    s().undo();
    expect(s().doc.edges).toHaveLength(1);
    s().undo();
    s().undo();
    expect(s().doc.nodes).toHaveLength(2);
    s().redo();
    expect(s().doc.nodes).toHaveLength(3);
    s().edit((sc) => ops.setParam(sc, "conv2d_1", "out_channels", 32));
    expect(s().future).toHaveLength(0);
    s().redo();
    expect(s().doc.nodes[1].params.out_channels).toBe(32);
    s().undo();
    expect(s().doc.nodes[1].params.out_channels).toBe(16);
  });

  it("bumps the revision on every change, undo included", () => {
    const store = threeInARow();
    const r = store.getState().revision;
    store.getState().undo();
    expect(store.getState().revision).toBe(r + 1);
    store.getState().undo();
    store.getState().redo();
    expect(store.getState().revision).toBe(r + 3);
  });

  it("records a whole drag as one undo step", () => {
    const store = threeInARow();
    const s = store.getState;
    const depth = s().past.length;
    s().beginMove();
    for (let x = 1; x <= 30; x++) s().move({ relu_1: { x, y: 5 } });
    expect(s().past.length).toBe(depth + 1);
    expect(s().doc.nodes[2].position).toEqual({ x: 30, y: 5 });
    s().undo();
    expect(s().doc.nodes[2].position).toEqual({ x: 0, y: 0 });
  });

  it("deletes the selection with its edges, and copy/paste gives fresh ids", () => {
    const store = threeInARow();
    const s = store.getState;
    s().setSelection(["conv2d_1", "relu_1"]);
    s().copy();
    s().paste();
    expect(s().doc.nodes.map((n) => n.id)).toContain("conv2d_2");
    expect(s().doc.edges).toContainEqual({ source: "conv2d_2", source_port: "out", target: "relu_2", target_port: "in" });
    expect(s().selection).toEqual(["conv2d_2", "relu_2"]);
    s().deleteSelection();
    s().setSelection(["conv2d_1"]);
    s().deleteSelection();
    expect(s().doc.edges).toEqual([]);
    expect(s().doc.nodes.map((n) => n.id)).toEqual(["input_1", "relu_1"]);
  });

  it("edits inside an opened block without touching the top level", () => {
    const store = createGraphStore({ ...emptyDocument(), blocks: { Res: { params: {}, nodes: [], edges: [] } } });
    store.getState().openScope("Res");
    store.getState().edit((sc) => ops.addNode(sc, "ReLU", { x: 0, y: 0 }).scope);
    expect(store.getState().doc.blocks.Res.nodes).toHaveLength(1);
    expect(store.getState().doc.nodes).toHaveLength(0);
  });
});

describe("connection rules", () => {
  it("refuses a cycle, an occupied input and a self-loop with a hint", () => {
    const { doc } = threeInARow().getState();
    expect(ops.connectionProblem(doc, { source: "relu_1", source_port: "out", target: "input_1", target_port: "in" })).toMatch(/cycle/);
    expect(ops.connectionProblem(doc, { source: "input_1", source_port: "out", target: "relu_1", target_port: "in" })).toMatch(/already fed by 'conv2d_1'/);
    expect(ops.connectionProblem(doc, { source: "relu_1", source_port: "out", target: "relu_1", target_port: "in" })).toMatch(/itself/);
    expect(ops.connectionProblem(doc, { source: "input_1", source_port: "out", target: "relu_1", target_port: "other" })).toBeNull();
  });

  it("shows variadic inputs as the connected ones plus one free", () => {
    const node = { id: "add_1", op: "Add", params: {} };
    expect(nodePorts(node, [], add, {}).inputs).toEqual(["in0", "in1"]);
    const edges = [0, 1, 2].map((i) => ({ source: `a${i}`, source_port: "out", target: "add_1", target_port: `in${i}` }));
    expect(nodePorts(node, edges, add, {}).inputs).toEqual(["in0", "in1", "in2", "in3"]);
  });

  it("renames a node with its edges and refuses a bad id", () => {
    const { doc } = threeInARow().getState();
    const renamed = ops.renameNode(doc, "conv2d_1", "stem");
    expect(typeof renamed).toBe("object");
    if (typeof renamed === "object") expect(renamed.edges.map((e) => e.target)).toEqual(["stem", "relu_1"]);
    expect(ops.renameNode(doc, "conv2d_1", "relu_1")).toMatch(/already/);
    expect(ops.renameNode(doc, "conv2d_1", "2x")).toMatch(/not a valid id/);
  });
});

describe("deleting edges", () => {
  it("deletes the selected edges and keeps the nodes", () => {
    const store = threeInARow();
    store.getState().setEdgeSelection(["input_1:out->conv2d_1:in"]);
    store.getState().deleteSelection();
    expect(store.getState().doc.edges).toEqual([{ source: "conv2d_1", source_port: "out", target: "relu_1", target_port: "in" }]);
    expect(store.getState().doc.nodes).toHaveLength(3);
  });
});

describe("what validation depends on", () => {
  it("moving nodes does not change the structure revision; edits do", () => {
    const store = threeInARow();
    const s = store.getState;
    const structure = s().structureRevision;
    s().beginMove();
    s().move({ relu_1: { x: 9, y: 9 } });
    expect(s().structureRevision).toBe(structure);
    s().edit((sc) => ops.setParam(sc, "conv2d_1", "out_channels", 8));
    expect(s().structureRevision).toBe(structure + 1);
  });
});
