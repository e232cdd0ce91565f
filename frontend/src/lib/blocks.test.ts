import { describe, expect, it } from "vitest";
import { makeBlock } from "./blocks";
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
