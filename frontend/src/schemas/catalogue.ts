/** The layer registry as GET /api/layers returns it (docs/contracts.md section 2). */
import { z } from "zod";
import { JsonValue } from "./graph";

export const ParamSpec = z.object({
  name: z.string(),
  type: z.enum(["int", "float", "bool", "str", "choice", "ints", "shape", "path"]),
  default: JsonValue.optional(),
  min: z.number().nullish(),
  max: z.number().nullish(),
  choices: z.array(JsonValue).nullish(),
  help: z.string().nullish(),
  inferred: z.boolean().default(false),
});

export const LayerSpec = z.object({
  op: z.string(),
  category: z.string(),
  help: z.string().default(""),
  inputs: z.array(z.object({ name: z.string(), variadic: z.boolean().default(false) })),
  outputs: z.array(z.object({ name: z.string() })),
  params: z.array(ParamSpec),
});

export const Catalogue = z.array(LayerSpec);

export type ParamSpec = z.infer<typeof ParamSpec>;
export type LayerSpec = z.infer<typeof LayerSpec>;
