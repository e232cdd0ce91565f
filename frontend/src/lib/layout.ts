/** Auto-layout with dagre: top to bottom, in the order data flows (as the nodes' ports are). */
import dagre from "@dagrejs/dagre";
import type { GraphDocument, Position } from "../schemas/graph";
import type { Scope } from "./graphOps";

const WIDTH = 200;
const HEIGHT = 84;

export function autoLayout(scope: Scope): Record<string, Position> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 36, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of scope.nodes) g.setNode(n.id, { width: WIDTH, height: HEIGHT });
  for (const e of scope.edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out: Record<string, Position> = {};
  for (const n of scope.nodes) {
    const p = g.node(n.id);
    out[n.id] = { x: Math.round(p.x - WIDTH / 2), y: Math.round(p.y - HEIGHT / 2) };
  }
  return out;
}

/**
 * Give every node without a position (a document imported or made through the
 * API often has none) the place auto-layout finds for it, in every scope;
 * otherwise they all sit at 0,0, one on top of the other.
 */
export function placeUnplaced(doc: GraphDocument): GraphDocument {
  const place = (scope: Scope): Scope => {
    if (scope.nodes.every((n) => n.position)) return scope;
    const at = autoLayout(scope);
    return { ...scope, nodes: scope.nodes.map((n) => (n.position ? n : { ...n, position: at[n.id] })) };
  };
  const top = place({ nodes: doc.nodes, edges: doc.edges });
  const blocks = Object.fromEntries(Object.entries(doc.blocks).map(([k, b]) => [k, { ...b, ...place(b) }]));
  return { ...doc, nodes: top.nodes, blocks };
}
