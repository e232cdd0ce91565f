import { describe, expect, it } from "vitest";
import { changedFrom, defaultsOf, parseEntry, rangeText, sectionsOf, withValue, type JsonSchema } from "./schema";

// The shape pydantic gives TrainConfig (trimmed): nested models by $ref, nullable numbers by anyOf.
const schema: JsonSchema = {
  $defs: {
    OptimizerConfig: {
      properties: {
        name: { enum: ["sgd", "adam"], default: "adam", type: "string", description: "Optimizer" },
        lr: { type: "number", default: 0.001, exclusiveMinimum: 0, maximum: 10, description: "Learning rate" },
        betas: { type: "array", prefixItems: [{ type: "number" }, { type: "number" }], default: [0.9, 0.999] },
        nesterov: { type: "boolean", default: false },
      },
    },
  },
  properties: {
    epochs: { type: "integer", default: 10, minimum: 1, maximum: 100000, title: "Epochs" },
    optimizer: { $ref: "#/$defs/OptimizerConfig", description: "Optimizer" },
    grad_clip: { anyOf: [{ type: "number", exclusiveMinimum: 0 }, { type: "null" }], default: null },
    latency_batch_sizes: { type: "array", items: { type: "integer" }, default: [1, 64] },
  },
};

describe("sectionsOf", () => {
  it("puts top-level fields first and a section per nested model", () => {
    const [top, optimizer] = sectionsOf(schema);
    expect(top.fields.map((f) => f.path)).toEqual(["epochs", "grad_clip", "latency_batch_sizes"]);
    expect(optimizer.path).toBe("optimizer");
    expect(optimizer.fields.map((f) => [f.path, f.kind])).toEqual([
      ["optimizer.name", "choice"], ["optimizer.lr", "number"], ["optimizer.betas", "numbers"], ["optimizer.nesterov", "boolean"],
    ]);
  });

  it("reads nullable numbers, ranges and labels", () => {
    const [top, optimizer] = sectionsOf(schema);
    const clip = top.fields.find((f) => f.path === "grad_clip")!;
    expect([clip.kind, clip.nullable, clip.min, clip.minOpen]).toEqual(["number", true, 0, true]);
    expect(rangeText(optimizer.fields[1])).toBe("> 0 and ≤ 10");
    expect(optimizer.fields[1].label).toBe("Learning rate");
    expect(top.fields[2].label).toBe("Latency batch sizes");
  });
});

describe("defaults and values", () => {
  it("builds the default config, nested", () => {
    expect(defaultsOf(schema)).toEqual({
      epochs: 10, grad_clip: null, latency_batch_sizes: [1, 64],
      optimizer: { name: "adam", lr: 0.001, betas: [0.9, 0.999], nesterov: false },
    });
  });

  it("sets a nested value without touching the original", () => {
    const before = defaultsOf(schema);
    const after = withValue(before, "optimizer.lr", 0.1);
    expect((after.optimizer as { lr: number }).lr).toBe(0.1);
    expect((before.optimizer as { lr: number }).lr).toBe(0.001);
    expect(changedFrom(after, before)).toEqual({ optimizer: { lr: 0.1 } });
  });

  it("parses typed entries, refusing what is not a value yet", () => {
    const [top, optimizer] = sectionsOf(schema);
    const [epochs, clip, sizes] = top.fields;
    expect(parseEntry(epochs, "12")).toBe(12);
    expect(parseEntry(epochs, "1.5")).toBeUndefined();
    expect(parseEntry(epochs, "")).toBeUndefined();
    expect(parseEntry(clip, "")).toBeNull();
    expect(parseEntry(optimizer.fields[1], "1e-4")).toBe(0.0001);
    expect(parseEntry(sizes, "1, 8 64")).toEqual([1, 8, 64]);
    expect(parseEntry(sizes, "1, x")).toBeUndefined();
  });
});
