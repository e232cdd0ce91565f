/** The validation report (POST /api/graphs/validate) and the shared error shape. */
import { z } from "zod";
import { JsonValue } from "./graph";

export const GraphErrorItem = z.object({
  node: z.string().nullish(),
  port: z.string().nullish(),
  field: z.string().nullish(),
  message: z.string(),
});

const Shape = z.array(z.number().nullable());

export const NodeReport = z.object({
  outputs: z.record(z.string(), Shape.nullable()).default({}),
  params: z.number().nullish(),
  flops: z.number().nullish(),
  memory: z.number().nullish(),
  inferred: z.record(z.string(), JsonValue).default({}),
});

export const EdgeReport = z.object({
  source: z.string(),
  source_port: z.string(),
  target: z.string(),
  target_port: z.string(),
  shape: Shape.nullish(),
  dtype: z.string().nullish(),
});

export const ValidationReport = z.object({
  ok: z.boolean(),
  errors: z.array(GraphErrorItem).default([]),
  nodes: z.record(z.string(), NodeReport).default({}),
  edges: z.array(EdgeReport).default([]),
  totals: z
    .object({ params: z.number().nullish(), flops: z.number().nullish(), memory: z.number().nullish() })
    .default({}),
});

export type GraphErrorItem = z.infer<typeof GraphErrorItem>;
export type NodeReport = z.infer<typeof NodeReport>;
export type EdgeReport = z.infer<typeof EdgeReport>;
export type ValidationReport = z.infer<typeof ValidationReport>;
