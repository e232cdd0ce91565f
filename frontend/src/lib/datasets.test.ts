import { describe, expect, it } from "vitest";
import { csvColumns, describeShape, describeSizes, kindForFile, uploadOptions } from "./datasets";

describe("kindForFile", () => {
  it("knows the three upload kinds by extension, in any case", () => {
    expect(kindForFile("iris.CSV")).toBe("csv");
    expect(kindForFile("pets.zip")).toBe("image_zip");
    expect(kindForFile("arrays.npz")).toBe("npz");
    expect(kindForFile("model.pt")).toBeNull();
  });
});

describe("csvColumns", () => {
  it("reads the header line only", () => {
    expect(csvColumns("a,b,label\n1,2,x\n")).toEqual(["a", "b", "label"]);
  });
  it("handles quotes, doubled quotes, a BOM, CRLF and another delimiter", () => {
    expect(csvColumns('\uFEFF"petal, length","say ""hi""",y\r\n1,2,3')).toEqual(["petal, length", 'say "hi"', "y"]);
    expect(csvColumns("x;y;z", ";")).toEqual(["x", "y", "z"]);
  });
});

describe("uploadOptions", () => {
  it("sends a CSV's target and normalisation", () => {
    expect(uploadOptions("csv", { target: "label", normalize: false })).toEqual({ target: "label", normalize: false });
    expect(uploadOptions("csv", {})).toEqual({ normalize: true });
    expect(uploadOptions("csv", { sequences: true, target: "label", time: "t", normalize: true }))
      .toEqual({ layout: "sequences", target: "label", time: "t" });
  });
  it("sends an image zip's size only when both sides are given", () => {
    expect(uploadOptions("image_zip", { height: 28, width: 32, channels: 1 })).toEqual({ size: [28, 32], channels: 1 });
    expect(uploadOptions("image_zip", { height: 28, channels: "auto" })).toEqual({});
  });
  it("sends nothing for an npz", () => {
    expect(uploadOptions("npz", { target: "ignored" })).toEqual({});
  });
});

describe("describing a dataset", () => {
  it("says what goes in and what comes out", () => {
    expect(describeShape({ id: "digits", name: "digits", kind: "digits", source: "builtin", available: true, task: "classification", input_shape: [1, 8, 8], num_classes: 10 })).toBe("1×8×8 → 10 classes");
    expect(describeShape({ id: 3, name: "houses", kind: "csv", source: "upload", available: true, task: "regression", input_shape: [4] })).toBe("4 → regression");
    expect(describeSizes({ train: 1259, val: 179, test: 359 })).toBe("1,259 train · 179 val · 359 test");
  });
});
