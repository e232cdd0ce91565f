/**
 * From the document (plus selection, catalogue and validation report) to the
 * nodes and edges React Flow draws. Node objects are cached by the identity of
 * what they show, so dragging one node of a thousand re-renders one node.
 */
import { getBezierPath, Position, type Edge as FlowEdge, type NodeHandle } from "@xyflow/react";
import type { Block, Edge, Node } from "../../schemas/graph";
import { edgeKey } from "../../schemas/graph";
import type { LayerSpec } from "../../api/types";
import type { EdgeReport, GraphErrorItem, ValidationReport } from "../../api/types";
import { handleFor, nodePorts, type Ports } from "../../lib/ports";
import { formatShape } from "../../lib/format";
import type { LayerFlowNode } from "./LayerNode";

interface Cached {
  node: Node;
  selected: boolean;
  errors: GraphErrorItem[] | undefined;
  report: unknown;
  portsKey: string;
  spec: LayerSpec | undefined;
  size: Size | undefined;
  edges: Edge[];
  blocks: Record<string, Block>;
  ports: Ports;
  flow: LayerFlowNode;
}

export interface Size {
  width: number;
  height: number;
}

const NO_ERRORS: GraphErrorItem[] = [];
const HANDLE = 10;

/**
 * Where the ports are, declared rather than measured (they sit on the top and
 * bottom edges, spread evenly, as LayerNode draws them). React Flow then draws
 * edges without <Handle> elements, which LayerNode leaves out when zoomed far out.
 */
export function declaredHandles(id: string, ports: { inputs: string[]; outputs: string[] }, size: Size): NodeHandle[] {
  const at = (i: number, n: number) => (size.width * (i + 1)) / (n + 1) - HANDLE / 2;
  return [
    ...ports.inputs.map((p, i) => ({ id: p, nodeId: id, type: "target" as const, position: Position.Top, x: at(i, ports.inputs.length), y: -HANDLE / 2, width: HANDLE, height: HANDLE })),
    ...ports.outputs.map((p, i) => ({ id: p, nodeId: id, type: "source" as const, position: Position.Bottom, x: at(i, ports.outputs.length), y: size.height - HANDLE / 2, width: HANDLE, height: HANDLE })),
  ];
}

export function createNodeCache() {
  const cache = new Map<string, Cached>();
  return function toFlowNodes(
    nodes: Node[],
    edges: Edge[],
    selection: Set<string>,
    byOp: Record<string, LayerSpec>,
    blocks: Record<string, Block>,
    report: ValidationReport | null,
    errors: Map<string, GraphErrorItem[]>,
    sizes: Map<string, Size>,
    far = false,
  ): LayerFlowNode[] {
    const out: LayerFlowNode[] = [];
    const seen = new Set<string>();
    for (const node of nodes) {
      seen.add(node.id);
      const spec = byOp[node.op];
      const hit = cache.get(node.id);
      // Ports depend on the op, the edges and the blocks only: a drag reuses them.
      const same = hit && hit.edges === edges && hit.blocks === blocks && hit.spec === spec && hit.node.op === node.op;
      const ports = same ? hit.ports : nodePorts(node, edges, spec, blocks);
      const portsKey = ports.inputs.join(",") + "|" + ports.outputs.join(",");
      const selected = selection.has(node.id);
      const nodeErrors = errors.get(node.id);
      // Zoomed far out a node shows no shapes: a new report then redraws only nodes whose errors changed.
      const nodeReport = far ? undefined : report?.nodes[node.id];
      const size = sizes.get(node.id);
      if (hit && hit.node === node && hit.selected === selected && hit.errors === nodeErrors && hit.report === nodeReport && hit.portsKey === portsKey && hit.spec === spec && hit.size === size) {
        out.push(hit.flow);
        continue;
      }
      const flow: LayerFlowNode = {
        id: node.id,
        type: "layer",
        position: node.position ?? { x: 0, y: 0 },
        selected,
        // Controlled mode: React Flow's measurements live with our nodes (the minimap needs them).
        measured: size,
        handles: size ? declaredHandles(node.id, ports, size) : undefined,
        data: { node, ports, errors: nodeErrors ?? NO_ERRORS, report: nodeReport, category: spec?.category ?? (node.op.startsWith("block:") ? "Block" : "") },
      };
      cache.set(node.id, { node, selected, errors: nodeErrors, report: nodeReport, portsKey, spec, size, edges, blocks, ports, flow });
      out.push(flow);
    }
    for (const id of cache.keys()) if (!seen.has(id)) cache.delete(id);
    return out;
  };
}

/** Which handle an edge end attaches to (ports.handleFor, bound to the scope's nodes and the blocks). */
export type HandleOf = (nodeId: string, port: string, side: "in" | "out") => string;
const samePort: HandleOf = (_id, port) => port;

export function handleResolver(nodes: Node[], blocks: Record<string, Block>): HandleOf {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return (nodeId, port, side) => handleFor(byId.get(nodeId), port, side, blocks);
}

/** Edges keep their object while what they show is unchanged, like nodes. */
export function createEdgeCache() {
  const cache = new Map<string, FlowEdge>();
  return function cached(edges: Edge[], report: ValidationReport | null, errors: Map<string, GraphErrorItem[]>, selected: Set<string>, hideLabels = false, handleOf: HandleOf = samePort) {
    const next = toFlowEdges(edges, report, errors, selected, hideLabels, handleOf).map((e) => {
      const old = cache.get(e.id);
      return old && old.label === e.label && old.className === e.className && old.selected === e.selected
        && old.sourceHandle === e.sourceHandle && old.targetHandle === e.targetHandle ? old : e;
    });
    cache.clear();
    for (const e of next) cache.set(e.id, e);
    return next;
  };
}

export function toFlowEdges(
  edges: Edge[], report: ValidationReport | null, errors: Map<string, GraphErrorItem[]>, selected: Set<string>, hideLabels = false,
  handleOf: HandleOf = samePort,
): FlowEdge[] {
  const shapes = new Map<string, EdgeReport>();
  if (!hideLabels) for (const e of report?.edges ?? []) shapes.set(edgeKey(e), e);
  return edges.map((e) => {
    const id = edgeKey(e);
    const info = shapes.get(id);
    // Only an error about this very input port marks the edge; node-level ones stay on the node.
    const broken = (errors.get(e.target) ?? []).some((err) => err.port === e.target_port);
    return {
      id,
      source: e.source,
      sourceHandle: handleOf(e.source, e.source_port, "out"),
      target: e.target,
      targetHandle: handleOf(e.target, e.target_port, "in"),
      selected: selected.has(id),
      className: broken ? "edge-error" : undefined,
      label: info?.shape && !hideLabels ? formatShape(info.shape) : undefined,
      labelBgPadding: [6, 3] as [number, number],
      labelBgBorderRadius: 4,
    };
  });
}

/** An edge drawn zoomed far out: one path of the canvas's single edge <svg> (FarEdges). */
export interface FarEdge {
  id: string;
  d: string;
  className: string;
}

const FAR_GROUP = 64;

interface CachedFar {
  source: LayerFlowNode;
  target: LayerFlowNode;
  flow: FlowEdge;
  far: FarEdge;
}

/** Where an edge meets a port: the middle of the handle's outer side, as React Flow computes it. */
function portPoint(node: LayerFlowNode, port: string | null | undefined, type: "source" | "target") {
  const h = node.handles?.find((x) => x.id === port && x.type === type);
  if (!h) return null;
  const [w, hh] = [h.width ?? HANDLE, h.height ?? HANDLE];
  return { x: node.position.x + h.x + w / 2, y: node.position.y + h.y + (type === "source" ? hh : 0) };
}

/**
 * Zoomed far out, edges are paths of one <svg> instead of React Flow's one
 * <svg> per edge: a thousand SVG roots cost the browser layout, hit tests and
 * layerization on every drag frame, and React Flow a store listener per edge.
 * The same bezier as React Flow's default edge, between the declared handles
 * (so only measured nodes are joined, as React Flow does). Paths are cached by
 * the node objects they join: a drag recomputes the moved node's edges only.
 * They come in groups of FAR_GROUP (one <svg> each), a group keeping its array
 * while none of its paths changed: a drag redraws and repaints a group or two.
 */
export function createFarEdgeCache() {
  let cache = new Map<string, CachedFar>();
  let groups: FarEdge[][] = [];
  return function farEdges(nodes: LayerFlowNode[], edges: FlowEdge[]): FarEdge[][] {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const next = new Map<string, CachedFar>();
    for (const flow of edges) {
      const source = byId.get(flow.source);
      const target = byId.get(flow.target);
      if (!source || !target) continue;
      const hit = cache.get(flow.id);
      if (hit && hit.source === source && hit.target === target && hit.flow === flow) {
        next.set(flow.id, hit);
        continue;
      }
      const from = portPoint(source, flow.sourceHandle, "source");
      const to = portPoint(target, flow.targetHandle, "target");
      if (!from || !to) continue;
      const [d] = getBezierPath({ sourceX: from.x, sourceY: from.y, sourcePosition: Position.Bottom, targetX: to.x, targetY: to.y, targetPosition: Position.Top });
      const className = ["far-edge", flow.className ?? "", flow.selected ? "selected" : ""].filter(Boolean).join(" ");
      next.set(flow.id, { source, target, flow, far: { id: flow.id, d, className } });
    }
    cache = next;
    const all = [...next.values()].map((c) => c.far);
    groups = Array.from({ length: Math.ceil(all.length / FAR_GROUP) }, (_, g) => {
      const group = all.slice(g * FAR_GROUP, (g + 1) * FAR_GROUP);
      const old = groups[g];
      return old && old.length === group.length && old.every((e, i) => e === group[i]) ? old : group;
    });
    return groups;
  };
}
