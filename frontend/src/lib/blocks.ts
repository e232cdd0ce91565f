/**
 * Make a block from a selection: the selected nodes move into
 * `blocks[name]`, each value entering the selection becomes one of the
 * block's Input nodes, each value leaving it one of its Output nodes, and a
 * single `block:<name>` node takes their place, wired the same way.
 */
import type { Block, BlockParam, Edge, GraphDocument, Node } from "../schemas/graph";
import type { ParamSpec } from "../api/types";
import { ID_PATTERN } from "../schemas/graph";
import type { Scope } from "./graphOps";
import { freshId } from "./graphOps";

export function makeBlock(scope: Scope, ids: string[], name: string, blocks: Record<string, Block>):
  { scope: Scope; block: Block; id: string } | string {
  if (!ID_PATTERN.test(name)) return `'${name}' is not a valid block name: a letter or _ then letters, digits or _.`;
  if (blocks[name]) return `A block named '${name}' already exists.`;
  const inside = new Set(ids);
  const members = scope.nodes.filter((n) => inside.has(n.id));
  if (!members.length) return "Select the nodes to put in the block first.";
  if (members.some((n) => n.op === "Input" || n.op === "Output")) return "Inputs and outputs of the model stay outside blocks: leave them out of the selection.";

  const taken = new Set(members.map((n) => n.id));
  const inputs = new Map<string, string>(); // "source:port" outside → block Input id
  const outputs = new Map<string, string>(); // "source:port" inside → block Output id
  const innerEdges: Edge[] = [];
  const outerEdges: Edge[] = [];
  const blockId = freshId(name, scope.nodes.filter((n) => !inside.has(n.id)).map((n) => n.id));
  const portName = (map: Map<string, string>, key: string, prefix: string) => {
    if (!map.has(key)) {
      const id = freshId(prefix, taken);
      taken.add(id);
      map.set(key, id);
    }
    return map.get(key)!;
  };

  for (const e of scope.edges) {
    const fromIn = inside.has(e.source);
    const toIn = inside.has(e.target);
    if (fromIn && toIn) innerEdges.push(e);
    else if (toIn) {
      const port = portName(inputs, `${e.source}:${e.source_port}`, "in");
      innerEdges.push({ source: port, source_port: "out", target: e.target, target_port: e.target_port });
      if (!outerEdges.some((o) => o.target === blockId && o.target_port === port))
        outerEdges.push({ source: e.source, source_port: e.source_port, target: blockId, target_port: port });
    } else if (fromIn) {
      const port = portName(outputs, `${e.source}:${e.source_port}`, "out");
      outerEdges.push({ source: blockId, source_port: port, target: e.target, target_port: e.target_port });
    } else outerEdges.push(e);
  }
  for (const [key, id] of outputs) {
    const [source, source_port] = key.split(":");
    innerEdges.push({ source, source_port, target: id, target_port: "in" });
  }

  const xs = members.map((n) => n.position?.x ?? 0);
  const ys = members.map((n) => n.position?.y ?? 0);
  // Data flows downwards: the block's inputs sit above its nodes, its outputs below.
  const ports = (map: Map<string, string>, op: string, y: number): Node[] =>
    [...map.values()].map((id, i) => ({ id, op, params: {}, position: { x: Math.min(...xs) + i * 240, y } }));
  const block: Block = {
    params: {},
    nodes: [...ports(inputs, "Input", Math.min(...ys) - 140), ...members, ...ports(outputs, "Output", Math.max(...ys) + 140)],
    edges: innerEdges,
  };
  const node: Node = { id: blockId, op: `block:${name}`, params: {}, position: { x: xs.reduce((a, b) => a + b, 0) / xs.length, y: ys.reduce((a, b) => a + b, 0) / ys.length } };
  return { scope: { nodes: [...scope.nodes.filter((n) => !inside.has(n.id)), node], edges: outerEdges }, block, id: blockId };
}

/** A block param made from a layer param's spec, `value` its default. */
function paramOf(spec: ParamSpec, value: unknown): BlockParam {
  return {
    // A tensor's values never become a block param (exposeParams and exposeBlockParam skip them).
    type: spec.type === "path" || spec.type === "values" ? "str" : spec.type,
    default: value,
    min: spec.min ?? null,
    max: spec.max ?? null,
    choices: spec.choices ?? null,
    help: spec.help ?? "", // the server reads help as a string: null is refused
  };
}

export interface Exposed {
  node: string;
  param: string;
  spec: ParamSpec;
}

/**
 * Expose chosen parameters of a block's nodes as the block's own parameters:
 * the inner node reads `=<name>`, the block node carries the value, so each
 * use of the block can set it (e.g. a residual block's `channels`).
 */
export function exposeParams(block: Block, blockNode: Node, exposed: Exposed[]): { block: Block; node: Node } {
  const params: Block["params"] = { ...block.params };
  const outer: Record<string, unknown> = { ...blockNode.params };
  let nodes = block.nodes;
  for (const { node, param, spec } of exposed) {
    const inner = nodes.find((n) => n.id === node);
    if (!inner || spec.type === "values") continue;
    const name = params[param] === undefined ? param : `${node}_${param}`;
    const value = inner.params[param] ?? spec.default;
    params[name] = paramOf(spec, value);
    outer[name] = value;
    nodes = nodes.map((n) => (n.id === node ? { ...n, params: { ...n.params, [param]: `=${name}` } } : n));
  }
  return { block: { ...block, params, nodes }, node: { ...blockNode, params: outer } };
}

// Words an expression cannot use as a name: Python reads them as keywords or constants.
const KEYWORDS = new Set(("False None True and as assert async await break class continue def del elif else except " +
  "finally for from global if import in is lambda nonlocal not or pass raise return try while with yield").split(" "));

/** Why `name` cannot be a param of `block` (null: it can). */
export function paramNameProblem(doc: GraphDocument, block: string, name: string): string | null {
  if (!ID_PATTERN.test(name) || KEYWORDS.has(name))
    return `'${name}' is not a valid param name: a letter or _ then letters, digits or _, not a Python keyword.`;
  if (doc.blocks[block]?.params[name]) return `Block ${block} already has a param '${name}'.`;
  if (name in doc.variables) return `'${name}' is a graph variable: a param of that name would hide it inside the block.`;
  return null;
}

/** The names an expression uses, with their places, so a rename or removal can rewrite them. */
const nameIn = (name: string) => new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`, "g");
const isExpr = (v: unknown): v is string => typeof v === "string" && v.startsWith("=");

export function usesName(value: unknown, name: string): boolean {
  if (Array.isArray(value)) return value.some((v) => usesName(v, name));
  return isExpr(value) && nameIn(name).test(value);
}

/** A param value (or a list of them, one level deep) with each expression passed through `change`. */
function mapExprs(value: unknown, change: (expr: string) => unknown): unknown {
  if (isExpr(value)) return change(value);
  return Array.isArray(value) ? value.map((v) => (isExpr(v) ? change(v) : v)) : value;
}

/** Every node of the block with its params (and repeat) expressions passed through `change`; undefined drops the key. */
function mapBlockExprs(block: Block, change: (expr: string) => unknown): Block {
  const nodes = block.nodes.map((n) => {
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n.params)) {
      const next = mapExprs(v, change);
      if (next !== undefined) params[k] = next;
    }
    const node: Node = { ...n, params };
    if (n.repeat !== undefined) {
      const repeat = mapExprs(n.repeat, change) as Node["repeat"];
      if (repeat === undefined) delete node.repeat;
      else node.repeat = repeat;
    }
    return node;
  });
  return { ...block, nodes };
}

/** Every use of block `name`, in every scope, passed through `change`. */
function mapInstances(doc: GraphDocument, name: string, change: (n: Node) => Node): GraphDocument {
  const op = `block:${name}`;
  const each = (nodes: Node[]) => (nodes.some((n) => n.op === op) ? nodes.map((n) => (n.op === op ? change(n) : n)) : nodes);
  const blocks = Object.fromEntries(Object.entries(doc.blocks).map(([k, b]) => [k, { ...b, nodes: each(b.nodes) }]));
  return { ...doc, nodes: each(doc.nodes), blocks };
}

const withBlock = (doc: GraphDocument, name: string, block: Block): GraphDocument => ({ ...doc, blocks: { ...doc.blocks, [name]: block } });

/** Each expression of the block's nodes that uses `name`, and where it is. */
function references(block: Block, name: string): { where: string; expr: string; inList: boolean }[] {
  const found: { where: string; expr: string; inList: boolean }[] = [];
  for (const n of block.nodes) {
    for (const [key, value] of [...Object.entries(n.params), ["repeat", n.repeat] as const]) {
      for (const expr of [value].flat())
        if (usesName(expr, name)) found.push({ where: `${n.id}.${key}`, expr: expr as string, inList: Array.isArray(value) });
    }
  }
  return found;
}

/** Change a param's default or help; the uses of the block keep the values they set. */
export function updateBlockParam(doc: GraphDocument, block: string, name: string, patch: Partial<BlockParam>): GraphDocument {
  const b = doc.blocks[block];
  const param: BlockParam = { ...b.params[name], ...patch };
  if (patch.default === undefined && "default" in patch) delete param.default;
  return withBlock(doc, block, { ...b, params: { ...b.params, [name]: param } });
}

/** Expose `param` of the inner node `node` as the block's param `name`: the node reads `=name`, every use sets the value. */
export function exposeBlockParam(doc: GraphDocument, block: string, node: string, spec: ParamSpec, name: string): GraphDocument | string {
  const b = doc.blocks[block];
  const inner = b?.nodes.find((n) => n.id === node);
  if (!inner) return `Block ${block} has no node '${node}'.`;
  if (spec.type === "values") return `${node}.${spec.name} holds a tensor's values, which a block param cannot.`;
  const problem = paramNameProblem(doc, block, name);
  if (problem) return problem;
  const current = inner.params[spec.name];
  if (isExpr(current)) return `${node}.${spec.name} already reads '${current}': set it to a value first.`;
  const value = current ?? spec.default;
  const nodes = b.nodes.map((n) => (n.id === node ? { ...n, params: { ...n.params, [spec.name]: `=${name}` } } : n));
  const made = withBlock(doc, block, { ...b, nodes, params: { ...b.params, [name]: paramOf(spec, value) } });
  return value === undefined ? made : mapInstances(made, block, (n) => ({ ...n, params: { ...n.params, [name]: value } }));
}

/** Rename a param: its uses inside the block's expressions and its key on every use of the block follow. */
export function renameBlockParam(doc: GraphDocument, block: string, old: string, next: string): GraphDocument | string {
  const b = doc.blocks[block];
  if (!b?.params[old]) return `Block ${block} has no param '${old}'.`;
  if (old === next) return doc;
  const problem = paramNameProblem(doc, block, next);
  if (problem) return problem;
  const params = Object.fromEntries(Object.entries(b.params).map(([k, v]) => [k === old ? next : k, v]));
  const body = mapBlockExprs(b, (e) => e.replace(nameIn(old), next));
  const renamed = withBlock(doc, block, { ...body, params });
  return mapInstances(renamed, block, (n) => {
    if (!(old in n.params)) return n;
    const p = Object.fromEntries(Object.entries(n.params).map(([k, v]) => [k === old ? next : k, v]));
    return { ...n, params: p };
  });
}

/** Remove a param: `=name` inside the block becomes its default again (a number within a larger expression), uses drop the key. */
export function removeBlockParam(doc: GraphDocument, block: string, name: string): GraphDocument | string {
  const b = doc.blocks[block];
  const param = b?.params[name];
  if (!param) return `Block ${block} has no param '${name}'.`;
  const value = param.default;
  // An exact `=name` takes the default back; inside a larger expression only a number can stand in.
  const stuck = references(b, name).filter(({ expr, inList }) =>
    expr.slice(1).trim() === name ? inList && (value === undefined || value === null) : typeof value !== "number");
  if (stuck.length)
    return `'${name}' has no default that can take its place in ${stuck.map((s) => `${s.where} (${s.expr})`).join(", ")}: edit those first.`;
  const literal = typeof value === "number" && value < 0 ? `(${value})` : String(value);
  const body = mapBlockExprs(b, (e) => (e.slice(1).trim() === name ? (value ?? undefined) : e.replace(nameIn(name), literal)));
  const params = { ...b.params };
  delete params[name];
  return mapInstances(withBlock(doc, block, { ...body, params }), block, (n) => {
    if (!(name in n.params)) return n;
    const p = { ...n.params };
    delete p[name];
    return { ...n, params: p };
  });
}
