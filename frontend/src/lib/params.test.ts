import { describe, expect, it } from "vitest";
import { parseParam } from "./params";
import type { ParamSpec } from "../api/types";

const spec = (type: ParamSpec["type"], extra: Partial<ParamSpec> = {}): ParamSpec => ({ name: "p", type, inferred: false, ...extra });

describe("parseParam", () => {
  it("reads ints with their range, and expressions as text", () => {
    expect(parseParam(spec("int", { min: 1 }), "16")).toEqual({ ok: true, value: 16 });
    expect(parseParam(spec("int", { min: 1 }), "0")).toEqual({ ok: false, message: "p must be at least 1" });
    expect(parseParam(spec("int"), "1.5").ok).toBe(false);
    expect(parseParam(spec("int"), "=width * 2")).toEqual({ ok: true, value: "=width * 2" });
    expect(parseParam(spec("int"), "  ")).toEqual({ ok: true, value: undefined });
  });
  it("reads ints-or-lists and shapes", () => {
    expect(parseParam(spec("ints"), "3")).toEqual({ ok: true, value: 3 });
    expect(parseParam(spec("ints"), "3, 5")).toEqual({ ok: true, value: [3, 5] });
    expect(parseParam(spec("shape"), "[1, 8, 8]")).toEqual({ ok: true, value: [1, 8, 8] });
    expect(parseParam(spec("shape"), "1, a").ok).toBe(false);
  });
  it("reads a tensor's values as numbers", () => {
    expect(parseParam(spec("values"), "[0, 2.5, -1]")).toEqual({ ok: true, value: [0, 2.5, -1] });
    expect(parseParam(spec("values"), "1, x").ok).toBe(false);
  });
});
