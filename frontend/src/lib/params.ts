/** Reading what a person typed into a parameter field, by the registry's param type. */
import type { ParamSpec } from "../api/types";

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

const INT = /^-?\d+$/;

function checkRange(spec: ParamSpec, n: number): string | null {
  if (spec.min !== null && spec.min !== undefined && n < spec.min) return `${spec.name} must be at least ${spec.min}`;
  if (spec.max !== null && spec.max !== undefined && n > spec.max) return `${spec.name} must be at most ${spec.max}`;
  return null;
}

/** Empty text means "use the default" (the value is removed from params). */
export function parseParam(spec: ParamSpec, text: string): Parsed {
  const t = text.trim();
  if (t === "") return { ok: true, value: undefined };
  if (t.startsWith("=")) return { ok: true, value: t };
  switch (spec.type) {
    case "int": {
      if (!INT.test(t)) return { ok: false, message: `${spec.name} needs a whole number (or =expression)` };
      const n = Number(t);
      const bad = checkRange(spec, n);
      return bad ? { ok: false, message: bad } : { ok: true, value: n };
    }
    case "float": {
      const n = Number(t);
      if (!Number.isFinite(n)) return { ok: false, message: `${spec.name} needs a number (or =expression)` };
      const bad = checkRange(spec, n);
      return bad ? { ok: false, message: bad } : { ok: true, value: n };
    }
    case "ints":
    case "shape": {
      const parts = t.replace(/[[\]()]/g, "").split(/[\s,×x]+/).filter(Boolean);
      if (!parts.length || !parts.every((p) => INT.test(p)))
        return { ok: false, message: `${spec.name} needs whole numbers separated by commas, e.g. 3, 3` };
      const nums = parts.map(Number);
      for (const n of nums) {
        const bad = checkRange(spec, n);
        if (bad) return { ok: false, message: bad };
      }
      return { ok: true, value: spec.type === "ints" && nums.length === 1 ? nums[0] : nums };
    }
    case "values": {
      // A tensor's contents, flat (a Parameter's fixed values).
      const nums = t.replace(/[[\]()]/g, "").split(/[\s,]+/).filter(Boolean).map(Number);
      if (!nums.length || !nums.every(Number.isFinite))
        return { ok: false, message: `${spec.name} needs numbers separated by commas` };
      return { ok: true, value: nums };
    }
    default:
      return { ok: true, value: t };
  }
}
