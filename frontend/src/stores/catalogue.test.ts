import { describe, expect, it } from "vitest";
import { createCatalogueStore, searchLayers } from "./catalogue";
import type { LayerSpec } from "../api/types";

const layer = (op: string, category: string, help = ""): LayerSpec => ({
  op, category, help, inputs: [{ name: "in", variadic: false }], outputs: [{ name: "out" }], params: [],
});
const layers = [layer("Conv2d", "Convolution", "2-D convolution"), layer("ConvTranspose2d", "Convolution"),
  layer("ReLU", "Activation", "rectified linear unit"), layer("Linear", "Linear", "fully connected")];

describe("catalogue store", () => {
  it("loads once and indexes by op", async () => {
    const store = createCatalogueStore();
    let calls = 0;
    const fetchLayers = async () => { calls++; return layers; };
    await store.getState().load(fetchLayers);
    await store.getState().load(fetchLayers);
    expect(calls).toBe(1);
    expect(store.getState().byOp.ReLU.category).toBe("Activation");
  });

  it("keeps the error message when loading fails", async () => {
    const store = createCatalogueStore();
    await store.getState().load(async () => { throw new Error("403 not logged in"); });
    expect(store.getState().status).toBe("error");
    expect(store.getState().error).toBe("403 not logged in");
  });

  it("searches as you type: op, category and help, prefix matches first", () => {
    expect(searchLayers(layers, "conv")).toEqual([["Convolution", [layers[0], layers[1]]]]);
    expect(searchLayers(layers, "linear").map(([, ls]) => ls.map((l) => l.op)).flat()).toEqual(["Linear", "ReLU"]);
    expect(searchLayers(layers, "zzz")).toEqual([]);
    expect(searchLayers(layers, "").map(([c]) => c)).toEqual(["Convolution", "Activation", "Linear"]);
  });
});
