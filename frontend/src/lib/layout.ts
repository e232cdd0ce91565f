/** Auto-layout with dagre: top to bottom, in the order data flows (as the nodes' ports are). */
import dagre from "@dagrejs/dagre";
import type { Position } from "../schemas/graph";
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
