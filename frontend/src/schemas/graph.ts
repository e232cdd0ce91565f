/**
 * The graph document, `netweave.graph/1`: the one source of the graph's types
 * in the browser. It mirrors workers/engine/schema/netweave.graph.v1.json
 * (docs/contracts.md section 1); the server checks the same rules with pydantic.
 */
import { z } from "zod";

export const SCHEMA_ID = "netweave.graph/1";
export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** `=width * 2`: an expression over graph variables (and a block's params). */
export const Expression = z.string().regex(/^=/, "an expression starts with '='");

export const JsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);

export const Position = z.object({ x: z.number(), y: z.number() });

export const Node = z.object({
  id: z.string().regex(ID_PATTERN, "a node id is a letter or _ then letters, digits or _ (64 at most)"),
  op: z
    .string()
    .min(1)
    .refine((op) => !op.includes(".") || op.startsWith("block:"), "op is a registry name or block:<Name>, never a dotted path"),
  params: z.record(z.string(), JsonValue).default({}),
  repeat: z.union([z.number().int().min(1), Expression]).optional(),
  position: Position.optional(),
});

export const Edge = z.object({
  source: z.string(),
  source_port: z.string().default("out"),
  target: z.string(),
  target_port: z.string().default("in"),
});

export const BlockParam = z.object({
  type: z.enum(["int", "float", "bool", "str", "choice", "ints", "shape"]),
  default: JsonValue.optional(),
  min: z.number().nullish(),
  max: z.number().nullish(),
  choices: z.array(JsonValue).nullish(),
  help: z.string().nullish(),
});

export const Block = z.object({
  description: z.string().optional(),
  params: z.record(z.string(), BlockParam).default({}),
  nodes: z.array(Node),
  edges: z.array(Edge),
});

export const GraphDocument = z
  .object({
    schema: z.literal(SCHEMA_ID),
    name: z.string().default("untitled"),
    variables: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
    nodes: z.array(Node),
    edges: z.array(Edge),
    blocks: z.record(z.string(), Block).default({}),
  })
  .superRefine((doc, ctx) => {
    checkScope(doc.nodes, doc.edges, ctx, []);
    for (const [name, block] of Object.entries(doc.blocks)) checkScope(block.nodes, block.edges, ctx, ["blocks", name]);
  });

/** Ids unique, and every edge names nodes that exist: said with the path to fix. */
function checkScope(nodes: Node[], edges: Edge[], ctx: z.RefinementCtx, prefix: (string | number)[]) {
  const ids = new Set<string>();
  nodes.forEach((n, i) => {
    if (ids.has(n.id)) ctx.addIssue({ code: "custom", path: [...prefix, "nodes", i, "id"], message: `duplicate node id '${n.id}'` });
    ids.add(n.id);
  });
  edges.forEach((e, i) => {
    for (const end of ["source", "target"] as const) {
      if (!ids.has(e[end]))
        ctx.addIssue({ code: "custom", path: [...prefix, "edges", i, end], message: `edge ${end} '${e[end]}' is not a node of this graph` });
    }
  });
}

export type Position = z.infer<typeof Position>;
export type Node = z.infer<typeof Node>;
export type Edge = z.infer<typeof Edge>;
export type Block = z.infer<typeof Block>;
export type BlockParam = z.infer<typeof BlockParam>;
export type GraphDocument = z.infer<typeof GraphDocument>;

export function emptyDocument(name = "untitled"): GraphDocument {
  return { schema: SCHEMA_ID, name, variables: {}, nodes: [], edges: [], blocks: {} };
}

/** Parse a document (an import, an API answer) into errors a person can act on. */
export function parseDocument(raw: unknown): { ok: true; doc: GraphDocument } | { ok: false; errors: string[] } {
  const result = GraphDocument.safeParse(raw);
  if (result.success) return { ok: true, doc: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "document"}: ${i.message}`),
  };
}

export function edgeKey(e: Edge): string {
  return `${e.source}:${e.source_port}->${e.target}:${e.target_port}`;
}
