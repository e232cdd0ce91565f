import { describe, expect, it } from "vitest";
import { exposeBlockParam, exposeParams, makeBlock, paramNameProblem, removeBlockParam, renameBlockParam, updateBlockParam } from "./blocks";
import type { GraphDocument } from "../schemas/graph";
import type { Scope } from "./graphOps";

const chain = (ids: string[]): Scope => ({
  nodes: ids.map((id) => ({ id, op: id === "x" ? "Input" : id === "y" ? "Output" : "ReLU", params: {} })),
  edges: ids.slice(1).map((id, i) => ({ source: ids[i], source_port: "out", target: id, target_port: "in" })),
});

describe("makeBlock", () => {
  it("moves the selection into a block wired through Input and Output nodes", () => {
    const result = makeBlock(chain(["x", "a", "b", "y"]), ["a", "b"], "Pair", {});
    if (typeof result === "string") throw new Error(result);
    expect(result.scope.nodes.map((n) => n.op)).toEqual(["Input", "Output", "block:Pair"]);
    expect(result.scope.edges).toEqual([
      { source: "x", source_port: "out", target: "pair_1", target_port: "in_1" },
      { source: "pair_1", source_port: "out_1", target: "y", target_port: "in" },
    ]);
    expect(result.block.nodes.map((n) => `${n.op}:${n.id}`)).toEqual(["Input:in_1", "ReLU:a", "ReLU:b", "Output:out_1"]);
    expect(result.block.edges).toHaveLength(3);
  });

  it("refuses a bad name, an empty selection and the model's inputs", () => {
    expect(makeBlock(chain(["x", "a"]), ["a"], "1x", {})).toMatch(/not a valid block name/);
    expect(makeBlock(chain(["x", "a"]), [], "B", {})).toMatch(/Select the nodes/);
    expect(makeBlock(chain(["x", "a"]), ["x", "a"], "B", {})).toMatch(/stay outside/);
    expect(makeBlock(chain(["x", "a"]), ["a"], "B", { B: { params: {}, nodes: [], edges: [] } })).toMatch(/already exists/);
  });
});

describe("exposeParams", () => {
  it("turns chosen inner params into block params the block node sets", () => {
    const scope: Scope = {
      nodes: [{ id: "x", op: "Input", params: {} }, { id: "c1", op: "Conv2d", params: { out_channels: 32 } },
        { id: "c2", op: "Conv2d", params: {} }, { id: "y", op: "Output", params: {} }],
      edges: [["x", "c1"], ["c1", "c2"], ["c2", "y"]].map(([s, t]) => ({ source: s, source_port: "out", target: t, target_port: "in" })),
    };
    const made = makeBlock(scope, ["c1", "c2"], "Stack", {});
    if (typeof made === "string") throw new Error(made);
    const spec = { name: "out_channels", type: "int" as const, default: 16, min: 1, inferred: false };
    const node = made.scope.nodes.find((n) => n.id === made.id)!;
    const out = exposeParams(made.block, node, [{ node: "c1", param: "out_channels", spec }, { node: "c2", param: "out_channels", spec }]);
    expect(Object.keys(out.block.params)).toEqual(["out_channels", "c2_out_channels"]);
    expect(out.block.params.out_channels.default).toBe(32);
    expect(out.block.nodes.find((n) => n.id === "c2")!.params.out_channels).toBe("=c2_out_channels");
    expect(out.node.params).toEqual({ out_channels: 32, c2_out_channels: 16 });
  });
});

/** Block Stack (c1 reads =width, c2 =width * 2, repeat =depth) used at the top level and inside block Outer. */
function stackDoc(): GraphDocument {
  const edge = (source: string, target: string) => ({ source, source_port: "out", target, target_port: "in" });
  return {
    schema: "netweave.graph/1", name: "m", variables: { base: 8 },
    nodes: [{ id: "x", op: "Input", params: {} }, { id: "s", op: "block:Stack", params: { width: 16, depth: 2 } }, { id: "y", op: "Output", params: {} }],
    edges: [edge("x", "s"), edge("s", "y")],
    blocks: {
      Stack: {
        params: { width: { type: "int", default: 8, min: 1, help: "channels" }, depth: { type: "int", default: 1 } },
        nodes: [{ id: "in_1", op: "Input", params: {} }, { id: "c1", op: "Conv2d", params: { out_channels: "=width", kernel_size: 3 } },
          { id: "c2", op: "Conv2d", params: { out_channels: "=width * 2", kernel_size: ["=width", 1] }, repeat: "=depth" },
          { id: "out_1", op: "Output", params: {} }],
        edges: [edge("in_1", "c1"), edge("c1", "c2"), edge("c2", "out_1")],
      },
      Outer: {
        params: {},
        nodes: [{ id: "in_1", op: "Input", params: {} }, { id: "inner", op: "block:Stack", params: { width: "=base" } }, { id: "out_1", op: "Output", params: {} }],
        edges: [edge("in_1", "inner"), edge("inner", "out_1")],
      },
    },
  };
}
const done = (r: GraphDocument | string): GraphDocument => {
  if (typeof r === "string") throw new Error(r);
  return r;
};
const inner = (doc: GraphDocument, block: string, id: string) => doc.blocks[block].nodes.find((n) => n.id === id)!;

describe("editing a block's params", () => {
  it("renames a param inside expressions, lists and repeat, and on every use of the block", () => {
    const doc = done(renameBlockParam(stackDoc(), "Stack", "width", "channels"));
    expect(Object.keys(doc.blocks.Stack.params)).toEqual(["channels", "depth"]);
    expect(inner(doc, "Stack", "c1").params.out_channels).toBe("=channels");
    expect(inner(doc, "Stack", "c2").params).toEqual({ out_channels: "=channels * 2", kernel_size: ["=channels", 1] });
    expect(doc.nodes[1].params).toEqual({ channels: 16, depth: 2 });
    expect(inner(doc, "Outer", "inner").params).toEqual({ channels: "=base" });
    // A name that merely contains the old one is left alone.
    const longer = done(renameBlockParam(stackDoc(), "Stack", "depth", "d"));
    expect(inner(longer, "Stack", "c2").repeat).toBe("=d");
    expect(inner(longer, "Stack", "c1").params.out_channels).toBe("=width");
  });

  it("refuses bad names, duplicates and graph variables with a message naming them", () => {
    expect(renameBlockParam(stackDoc(), "Stack", "width", "2x")).toMatch(/'2x' is not a valid param name/);
    expect(renameBlockParam(stackDoc(), "Stack", "width", "lambda")).toMatch(/not a valid param name/);
    expect(renameBlockParam(stackDoc(), "Stack", "width", "depth")).toMatch(/already has a param 'depth'/);
    expect(renameBlockParam(stackDoc(), "Stack", "width", "base")).toMatch(/'base' is a graph variable/);
    expect(renameBlockParam(stackDoc(), "Stack", "nope", "x2")).toMatch(/has no param 'nope'/);
    expect(paramNameProblem(stackDoc(), "Stack", "groups")).toBeNull();
  });

  it("removes a param: references get the default back, uses drop the key", () => {
    const doc = done(removeBlockParam(stackDoc(), "Stack", "width"));
    expect(Object.keys(doc.blocks.Stack.params)).toEqual(["depth"]);
    expect(inner(doc, "Stack", "c1").params.out_channels).toBe(8);
    expect(inner(doc, "Stack", "c2").params).toEqual({ out_channels: "=8 * 2", kernel_size: [8, 1] });
    expect(doc.nodes[1].params).toEqual({ depth: 2 });
    expect(inner(doc, "Outer", "inner").params).toEqual({});
  });

  it("refuses to remove a param without a number default that a larger expression uses", () => {
    const doc = updateBlockParam(stackDoc(), "Stack", "width", { default: undefined });
    expect("default" in doc.blocks.Stack.params.width).toBe(false);
    expect(removeBlockParam(doc, "Stack", "width")).toMatch(/c2.out_channels \(=width \* 2\)/);
    // Without a default an exact reference is dropped, so the layer's own default applies.
    const plain = done(removeBlockParam(updateBlockParam(stackDoc(), "Stack", "depth", { default: undefined }), "Stack", "depth"));
    expect("repeat" in inner(plain, "Stack", "c2")).toBe(false);
    expect(done(removeBlockParam(stackDoc(), "Stack", "depth")).blocks.Stack.nodes[2].repeat).toBe(1);
  });

  it("exposes another inner param and gives every use of the block its value", () => {
    const spec = { name: "kernel_size", type: "ints" as const, default: 3, min: 1, inferred: false };
    const doc = done(exposeBlockParam(stackDoc(), "Stack", "c1", spec, "k"));
    expect(doc.blocks.Stack.params.k).toEqual({ type: "ints", default: 3, min: 1, max: null, choices: null, help: "" });
    expect(inner(doc, "Stack", "c1").params.kernel_size).toBe("=k");
    expect(doc.nodes[1].params.k).toBe(3);
    expect(inner(doc, "Outer", "inner").params.k).toBe(3);
    expect(exposeBlockParam(stackDoc(), "Stack", "c1", { ...spec, name: "out_channels" }, "oc")).toMatch(/already reads '=width'/);
    expect(exposeBlockParam(stackDoc(), "Stack", "c1", spec, "width")).toMatch(/already has a param/);
    expect(exposeBlockParam(stackDoc(), "Stack", "zz", spec, "k")).toMatch(/has no node 'zz'/);
  });

  it("edits a default and help without touching the uses", () => {
    const doc = updateBlockParam(stackDoc(), "Stack", "width", { default: 4, help: "output channels" });
    expect(doc.blocks.Stack.params.width).toMatchObject({ default: 4, help: "output channels", min: 1 });
    expect(doc.nodes[1].params.width).toBe(16);
  });
});
