/**
 * Make a block from a selection: the selected nodes move into
 * `blocks[name]`, each value entering the selection becomes one of the
 * block's Input nodes, each value leaving it one of its Output nodes, and a
 * single `block:<name>` node takes their place, wired the same way.
 */
import type { Block, Edge, Node } from "../schemas/graph";
import type { ParamSpec } from "../schemas/catalogue";
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
    if (!inner) continue;
    const name = params[param] === undefined ? param : `${node}_${param}`;
    const value = inner.params[param] ?? spec.default;
    params[name] = {
      type: spec.type === "path" ? "str" : spec.type,
      default: value,
      min: spec.min ?? null,
      max: spec.max ?? null,
      choices: spec.choices ?? null,
      help: spec.help ?? null,
    };
    outer[name] = value;
    nodes = nodes.map((n) => (n.id === node ? { ...n, params: { ...n.params, [param]: `=${name}` } } : n));
  }
  return { block: { ...block, params, nodes }, node: { ...blockNode, params: outer } };
}
