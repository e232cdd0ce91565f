import { describe, expect, it } from "vitest";
import { candidates, parseChoices } from "./space";
import type { GraphDocument } from "../schemas/graph";
import type { LayerSpec } from "../api/types";

const conv: LayerSpec = {
  op: "Conv2d", category: "conv", help: "", inputs: [{ name: "in", variadic: false }], outputs: [{ name: "out" }],
  params: [
    { name: "in_channels", type: "int", inferred: true, min: 1 },
    { name: "out_channels", type: "int", min: 1, max: 65536, inferred: false },
    { name: "padding_mode", type: "choice", choices: ["zeros", "reflect"], inferred: false },
    { name: "kernel_size", type: "ints", min: 1, inferred: false },
  ],
};
const drop: LayerSpec = { ...conv, op: "Dropout", params: [{ name: "p", type: "float", min: 0, max: 1, inferred: false }] };

const doc = {
  schema: "netweave.graph/1", name: "m", variables: { width: 16, label: "=width * 2" }, blocks: {}, edges: [],
  nodes: [{ id: "conv1", op: "Conv2d", params: { out_channels: 32, kernel_size: 3 } }, { id: "drop", op: "Dropout", params: { p: 0.5 } }],
} as unknown as GraphDocument;

describe("what a sweep may search", () => {
  const found = Object.fromEntries(candidates(doc, { Conv2d: conv, Dropout: drop }).map((c) => [c.name, c.dimension]));

  it("offers number variables, settable node params, repeats and training fields", () => {
    expect(found["=width"]).toEqual({ name: "=width", type: "int", low: 8, high: 32 });
    expect(found["=label"]).toBeUndefined(); // an expression is not searched itself
    expect(found["conv1.in_channels"]).toBeUndefined(); // inferred from the input
    expect(found["conv1.out_channels"]).toMatchObject({ type: "int", low: 16, high: 64 });
    expect(found["conv1.padding_mode"]).toEqual({ name: "conv1.padding_mode", type: "categorical", choices: ["zeros", "reflect"] });
    expect(found["drop.p"]).toMatchObject({ type: "float", low: 0, high: 1 });
    expect(found["conv1.kernel_size"]).toEqual({ name: "conv1.kernel_size", type: "int", low: 1, high: 6 });
    expect(found["conv1.repeat"]).toMatchObject({ type: "int", low: 1 });
    expect(found["optimizer.lr"]).toMatchObject({ log: true });
  });

  it("offers a block instance's declared params and its repeat count", () => {
    const withBlock = {
      ...doc, blocks: { stage: { nodes: [], edges: [], params: { ch: { type: "int", default: 8, min: 4, max: 64 } } } },
      nodes: [...doc.nodes, { id: "s1", op: "block:stage", params: { ch: 16 } }],
    } as unknown as GraphDocument;
    const names = Object.fromEntries(candidates(withBlock, { Conv2d: conv, Dropout: drop }).map((c) => [c.name, c.dimension]));
    expect(names["s1.ch"]).toEqual({ name: "s1.ch", type: "int", low: 8, high: 32 });
    expect(names["s1.repeat"]).toMatchObject({ type: "int", low: 1, high: 3 });
  });

  it("keeps what the inspector picked, once each, and asks for the dialog", async () => {
    const { tuneDraft, FIRST_SPACE } = await import("./tuneDraft");
    tuneDraft.getState().forGraph(1);
    tuneDraft.getState().pick(found["drop.p"]);
    tuneDraft.getState().pick(found["drop.p"]);
    expect(tuneDraft.getState().space.map((d) => d.name)).toEqual(["optimizer.lr", "drop.p"]);
    expect(tuneDraft.getState().wanted).toBe(true);
    tuneDraft.getState().forGraph(2); // another graph starts again
    expect(tuneDraft.getState().space).toEqual(FIRST_SPACE);
  });

  it("reads choices as numbers where they are numbers", () => {
    expect(parseChoices("16, 32 ,sgd,")).toEqual([16, 32, "sgd"]);
  });
});

describe("the tune kind's form from its schema", () => {
  it("gives nested objects their own sections and leaves lists of objects to the sweep's editor", async () => {
    const { sectionsOf } = await import("../components/jobs/schema");
    const schema = {
      properties: {
        train: { $ref: "#/$defs/TrainConfig", description: "Base training config" },
        space: { type: "array", items: { $ref: "#/$defs/Dimension" } },
        n_trials: { type: "integer", default: 20, minimum: 1 },
      },
      $defs: {
        TrainConfig: { properties: { epochs: { type: "integer", default: 10 }, optimizer: { $ref: "#/$defs/Opt" } } },
        Opt: { properties: { lr: { type: "number", default: 0.001 } } },
        Dimension: { properties: { name: { type: "string" } } },
      },
    };
    const sections = sectionsOf(schema as never);
    expect(sections.map((s) => [s.path, s.fields.map((f) => f.path)])).toEqual([
      ["", ["n_trials"]], ["train", ["train.epochs"]], ["train.optimizer", ["train.optimizer.lr"]],
    ]);
  });
});
