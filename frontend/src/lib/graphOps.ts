/**
 * Pure edits of one scope of a graph document (the top level, or the inside of
 * a block). The graph store wraps them with history; the tests call them directly.
 */
import type { LayerSpec } from "../api/types";
import type { Edge, Node, Position } from "../schemas/graph";
import { ID_PATTERN } from "../schemas/graph";

export interface Scope {
  nodes: Node[];
  edges: Edge[];
}

/** Would source → target close a loop? True when target already reaches source. */
export function wouldCycle(edges: Edge[], source: string, target: string): boolean {
  if (source === target) return true;
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set<string>();
  const stack = [target];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === source) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

/** Why a connection is refused (a hint for the person), or null when it is fine. */
export function connectionProblem(scope: Scope, edge: Edge): string | null {
  if (edge.source === edge.target) return `A node cannot feed itself ('${edge.source}').`;
  const taken = scope.edges.find((e) => e.target === edge.target && e.target_port === edge.target_port);
  if (taken)
    return `Input '${edge.target_port}' of '${edge.target}' is already fed by '${taken.source}'. Delete that connection first, or use another input.`;
  if (wouldCycle(scope.edges, edge.source, edge.target))
    return `Connecting '${edge.source}' → '${edge.target}' would make a cycle: '${edge.target}' already feeds '${edge.source}'.`;
  return null;
}

export function connect(scope: Scope, edge: Edge): Scope {
  return { ...scope, edges: [...scope.edges, edge] };
}

/** A fresh id from the op: Conv2d → conv2d_1, conv2d_2, ... (valid as a submodule name). */
export function freshId(op: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  let base = op.replace(/^block:/, "").replace(/[^A-Za-z0-9_]/g, "_").toLowerCase();
  if (!/^[A-Za-z_]/.test(base)) base = `n_${base}`;
  base = base.slice(0, 56);
  for (let i = 1; ; i++) {
    const id = `${base}_${i}`;
    if (!used.has(id)) return id;
  }
}

/** Parameters a new node starts with: the registry's defaults, except inferred ones. */
export function defaultParams(spec: LayerSpec | undefined): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of spec?.params ?? []) {
    if (p.inferred || p.default === undefined || p.default === null) continue;
    params[p.name] = p.default;
  }
  return params;
}

export function addNode(scope: Scope, op: string, position: Position, spec?: LayerSpec): { scope: Scope; id: string } {
  const id = freshId(op, scope.nodes.map((n) => n.id));
  const node: Node = { id, op, params: defaultParams(spec), position };
  return { scope: { ...scope, nodes: [...scope.nodes, node] }, id };
}

export function removeNodes(scope: Scope, ids: Iterable<string>): Scope {
  const gone = new Set(ids);
  return {
    nodes: scope.nodes.filter((n) => !gone.has(n.id)),
    edges: scope.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
  };
}

export function removeEdges(scope: Scope, keys: Iterable<string>, keyOf: (e: Edge) => string): Scope {
  const gone = new Set(keys);
  return { ...scope, edges: scope.edges.filter((e) => !gone.has(keyOf(e))) };
}

export function moveNodes(scope: Scope, positions: Record<string, Position>): Scope {
  return {
    ...scope,
    nodes: scope.nodes.map((n) => (positions[n.id] ? { ...n, position: positions[n.id] } : n)),
  };
}

export function updateNode(scope: Scope, id: string, change: (n: Node) => Node): Scope {
  return { ...scope, nodes: scope.nodes.map((n) => (n.id === id ? change(n) : n)) };
}

/** Set (or with `undefined`, clear back to the default) one parameter. */
export function setParam(scope: Scope, id: string, name: string, value: unknown): Scope {
  return updateNode(scope, id, (n) => {
    const params = { ...n.params };
    if (value === undefined) delete params[name];
    else params[name] = value;
    return { ...n, params };
  });
}

/** Rename a node and the edges that touch it; refuses ids that are invalid or taken. */
export function renameNode(scope: Scope, id: string, next: string): Scope | string {
  if (!ID_PATTERN.test(next)) return `'${next}' is not a valid id: a letter or _ then letters, digits or _ (64 at most).`;
  if (next !== id && scope.nodes.some((n) => n.id === next)) return `'${next}' is already the id of another node.`;
  return {
    nodes: scope.nodes.map((n) => (n.id === id ? { ...n, id: next } : n)),
    edges: scope.edges.map((e) => ({
      ...e,
      source: e.source === id ? next : e.source,
      target: e.target === id ? next : e.target,
    })),
  };
}

/** The selected nodes and the edges between them: what copy puts on the clipboard. */
export function extract(scope: Scope, ids: Iterable<string>): Scope {
  const keep = new Set(ids);
  return {
    nodes: scope.nodes.filter((n) => keep.has(n.id)),
    edges: scope.edges.filter((e) => keep.has(e.source) && keep.has(e.target)),
  };
}

/** Paste a clipboard with fresh ids, shifted so the copy does not hide the original. */
export function paste(scope: Scope, clip: Scope, offset = 40): { scope: Scope; ids: string[] } {
  const taken = new Set(scope.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  const nodes = clip.nodes.map((n) => {
    const id = freshId(n.op, taken);
    taken.add(id);
    rename.set(n.id, id);
    const p = n.position ?? { x: 0, y: 0 };
    return { ...n, id, position: { x: p.x + offset, y: p.y + offset } };
  });
  const edges = clip.edges.map((e) => ({ ...e, source: rename.get(e.source)!, target: rename.get(e.target)! }));
  return { scope: { nodes: [...scope.nodes, ...nodes], edges: [...scope.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}
