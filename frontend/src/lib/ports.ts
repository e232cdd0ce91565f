/**
 * Which ports a node shows. Handle ids are port names, exactly as the registry
 * and the document name them: `in`/`out`, `in0..inN` for variadic inputs
 * (shown as the connected ones plus one free), a block's Input/Output node ids.
 * A block with a single Input (Output) also answers to `in` (`out`) in edges
 * (docs/contracts.md): `handleFor` maps such an alias to the handle it means.
 */
import type { LayerSpec } from "../api/types";
import type { Block, Edge, Node } from "../schemas/graph";

export interface Ports {
  inputs: string[];
  outputs: string[];
}

const VARIADIC = /^in(\d+)$/;

export function variadicInputs(nodeId: string, edges: Edge[]): string[] {
  let highest = -1;
  for (const e of edges) {
    if (e.target !== nodeId) continue;
    const m = VARIADIC.exec(e.target_port);
    if (m) highest = Math.max(highest, Number(m[1]));
  }
  // The connected ones plus one free, and at least two (an Add of one is no Add).
  const count = Math.max(highest + 2, 2);
  return Array.from({ length: count }, (_, i) => `in${i}`);
}

export function blockPorts(block: Block): Ports {
  return {
    inputs: block.nodes.filter((n) => n.op === "Input").map((n) => n.id),
    outputs: block.nodes.filter((n) => n.op === "Output").map((n) => n.id),
  };
}

export function nodePorts(
  node: Node,
  edges: Edge[],
  spec: LayerSpec | undefined,
  blocks: Record<string, Block>,
): Ports {
  if (node.op.startsWith("block:")) {
    const block = blocks[node.op.slice("block:".length)];
    if (block) return blockPorts(block);
  }
  if (!spec) {
    // Unknown op (catalogue not loaded, or a stale document): show what edges use.
    const inputs = new Set<string>(["in"]);
    const outputs = new Set<string>(["out"]);
    for (const e of edges) {
      if (e.target === node.id) inputs.add(e.target_port);
      if (e.source === node.id) outputs.add(e.source_port);
    }
    return { inputs: [...inputs], outputs: [...outputs] };
  }
  const inputs: string[] = [];
  for (const port of spec.inputs) {
    if (port.variadic) inputs.push(...variadicInputs(node.id, edges));
    else inputs.push(port.name);
  }
  return { inputs, outputs: spec.outputs.map((p) => p.name) };
}

/**
 * The handle an edge end attaches to: the port itself, or for a block's
 * `in`/`out` alias the id of its single Input/Output node.
 */
export function handleFor(node: Node | undefined, port: string, side: "in" | "out", blocks: Record<string, Block>): string {
  if (!node?.op.startsWith("block:") || (port !== "in" && port !== "out") || port !== side) return port;
  const block = blocks[node.op.slice("block:".length)];
  if (!block) return port;
  const ports = blockPorts(block)[side === "in" ? "inputs" : "outputs"];
  return ports.length === 1 && !ports.includes(port) ? ports[0] : port;
}

/** The ports of a node that a report's `outputs` should be shown for (a block's aliases left out). */
export function shownOutputs(outputs: Record<string, unknown>, ports: Ports): string[] {
  const named = Object.keys(outputs).filter((p) => ports.outputs.includes(p));
  return named.length ? named : Object.keys(outputs);
}
