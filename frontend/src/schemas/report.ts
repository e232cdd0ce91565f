/** The validation report (POST /api/graphs/validate) and the shared error shape. */
import { z } from "zod";
import { JsonValue } from "./graph";

export const GraphErrorItem = z.object({
  node: z.string().nullish(),
  port: z.string().nullish(),
  field: z.string().nullish(),
  message: z.string(),
  /** Inside a block (absent at the top level): the flat key of the node that failed. */
  path: z.string().nullish(),
  /** The innermost block definition to blame, and its node (docs/contracts.md section 2). */
  block: z.string().nullish(),
  block_node: z.string().nullish(),
  /** Block name → node id in that block's body, for every block on the way to the cause. */
  in_blocks: z.record(z.string(), z.string()).nullish(),
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

/** A block's first instance: what its opened body shows. */
export const BlockReport = z.object({
  /** Key prefix of the instance shown ("res1.", "stage.0."); null when the block is unused. */
  instance: z.string().nullable(),
  uses: z.number(),
  nodes: z.record(z.string(), NodeReport).default({}),
  edges: z.array(EdgeReport).default([]),
});

export const ValidationReport = z.object({
  ok: z.boolean(),
  errors: z.array(GraphErrorItem).default([]),
  nodes: z.record(z.string(), NodeReport).default({}),
  edges: z.array(EdgeReport).default([]),
  totals: z
    .object({ params: z.number().nullish(), flops: z.number().nullish(), memory: z.number().nullish() })
    .default({}),
  /** Per block of the document, once shape inference ran (absent from older servers). */
  blocks: z.record(z.string(), BlockReport).optional(),
});

export type GraphErrorItem = z.infer<typeof GraphErrorItem>;
export type NodeReport = z.infer<typeof NodeReport>;
export type EdgeReport = z.infer<typeof EdgeReport>;
export type BlockReport = z.infer<typeof BlockReport>;
export type ValidationReport = z.infer<typeof ValidationReport>;
