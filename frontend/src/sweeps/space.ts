/**
 * What a sweep may search in a graph: its variables, its nodes' params (from the layer
 * catalogue, with their ranges) and repeat counts, and the usual training fields; and a first
 * range for each (the param's own range, else around its current value).
 */
import type { GraphDocument, Node } from "../schemas/graph";
import type { LayerSpec } from "../api/types";
import type { Dimension } from "./api";

export interface Candidate {
  name: string;
  label: string;
  dimension: Dimension;
}

const TRAINING: Candidate[] = [
  { name: "optimizer.lr", label: "training · learning rate", dimension: { name: "optimizer.lr", type: "float", low: 1e-4, high: 1e-1, log: true } },
  { name: "batch_size", label: "training · batch size", dimension: { name: "batch_size", type: "categorical", choices: [32, 64, 128] } },
  { name: "optimizer.name", label: "training · optimizer", dimension: { name: "optimizer.name", type: "categorical", choices: ["sgd", "adam", "adamw"] } },
  { name: "optimizer.weight_decay", label: "training · weight decay", dimension: { name: "optimizer.weight_decay", type: "float", low: 1e-6, high: 1e-2, log: true } },
];

function around(value: unknown, integer: boolean, min?: number | null, max?: number | null): [number, number] {
  const v = typeof value === "number" && value > 0 ? value : 1;
  let low = integer ? Math.max(1, Math.floor(v / 2)) : v / 2;
  let high = integer ? Math.max(low + 1, v * 2) : v * 2;
  if (typeof min === "number") low = Math.max(low, min);
  if (typeof max === "number") high = Math.min(high, max);
  return [low, high > low ? high : low + (integer ? 1 : (high || 1))];
}

/** A block instance's declared params (as the engine reads them: type int unless said). */
function blockParams(doc: GraphDocument, node: Node): LayerSpec["params"] | undefined {
  const block = node.op.startsWith("block:") ? doc.blocks[node.op.slice("block:".length)] : undefined;
  return block && Object.entries(block.params).map(([name, p]) => ({ ...p, name, type: p.type ?? "int", inferred: false }));
}

function nodeCandidates(doc: GraphDocument, byOp: Record<string, LayerSpec>): Candidate[] {
  const out: Candidate[] = [];
  for (const node of doc.nodes) {
    const spec = byOp[node.op];
    const block = blockParams(doc, node);
    for (const p of spec?.params ?? block ?? []) {
      // "ints" (an int or one per spatial dim, e.g. kernel_size) is searched as one int.
      if (p.inferred || !["int", "ints", "float", "choice"].includes(p.type)) continue;
      const name = `${node.id}.${p.name}`;
      const current = (node.params as Record<string, unknown>)[p.name] ?? p.default;
      let dimension: Dimension;
      if (p.type === "choice") dimension = { name, type: "categorical", choices: (p.choices ?? []) as (string | number)[] };
      else if (p.type === "float" && typeof p.min === "number" && typeof p.max === "number") dimension = { name, type: "float", low: p.min, high: p.max };
      else {
        const integer = p.type === "int" || p.type === "ints";
        const [low, high] = around(current, integer, p.min, p.max);
        dimension = { name, type: integer ? "int" : "float", low, high };
      }
      out.push({ name, label: `${node.id} · ${p.name}`, dimension });
    }
    if (block || (spec && spec.inputs.length === 1 && spec.outputs.length === 1 && node.op !== "Input" && node.op !== "Output"))
      out.push({ name: `${node.id}.repeat`, label: `${node.id} · repeat`, dimension: { name: `${node.id}.repeat`, type: "int", low: 1, high: 3 } });
  }
  return out;
}

export function candidates(doc: GraphDocument, byOp: Record<string, LayerSpec>): Candidate[] {
  const variables = Object.entries(doc.variables ?? {})
    .filter(([, v]) => typeof v === "number")
    .map(([name, v]) => {
      const integer = Number.isInteger(v);
      const [low, high] = around(v, integer);
      return { name: `=${name}`, label: `variable · ${name}`, dimension: { name: `=${name}`, type: integer ? "int" : "float", low, high } as Dimension };
    });
  return [...variables, ...nodeCandidates(doc, byOp), ...TRAINING];
}

/** "16, 32, 64" → [16, 32, 64]; words stay words. */
export function parseChoices(text: string): (string | number)[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean).map((s) => (s !== "" && !Number.isNaN(Number(s)) ? Number(s) : s));
}
