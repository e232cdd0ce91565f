import { describe, expect, it } from "vitest";
import { exposeParams, makeBlock } from "./blocks";
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
