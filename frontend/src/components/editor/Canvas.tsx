/** The canvas: React Flow drawing the scope being edited, every change sent to the graph store. */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState, type DragEvent } from "react";
import {
  Background, Controls, MiniMap, ReactFlow, useReactFlow, useStore as useFlowStore,
  type Connection, type Edge as FlowEdge, type EdgeChange, type NodeChange, type NodeTypes,
} from "@xyflow/react";
import { graphStore, scopeOf, useGraph } from "../../stores/graph";
import { catalogueStore, useCatalogue } from "../../stores/catalogue";
import { errorsByNode, useValidation } from "../../stores/validation";
import { scopeReport } from "../../lib/scopeReport";
import * as ops from "../../lib/graphOps";
import { FarContext, LayerNode } from "./LayerNode";
import { BlockBanner } from "./BlockBanner";
import { createEdgeCache, createFarEdgeCache, createNodeCache, handleResolver, type Size } from "./flowModel";
import { FarEdges } from "./FarEdges";

export const DRAG_MIME = "application/netweave-op";
const nodeTypes: NodeTypes = { layer: LayerNode };
/** Below this zoom text is unreadable: draw nodes plain and edges without shape labels (big graphs stay smooth). */
const FAR_ZOOM = 0.4;
// Props React Flow copies into its store are kept stable: a new array or function per
// render would update that store, and every node, edge and handle listening to it, each frame.
const MULTI_SELECT_KEYS = ["Shift", "Meta", "Control"];
const PRO_OPTIONS = { hideAttribution: true };
/** Zoomed far out React Flow draws no edge: FarEdges draws them all, in a few <svg>s. */
const NO_EDGES: FlowEdge[] = [];
const beginMove = () => graphStore.getState().beginMove();

/** Edge clicks select edges in the store (module-level: a stable prop for React Flow). */
function onEdgesChange(changes: EdgeChange[]) {
  const picks = changes.filter((c) => c.type === "select");
  if (!picks.length) return;
  const next = new Set(graphStore.getState().edgeSelection);
  for (const c of picks) if (c.selected) next.add(c.id); else next.delete(c.id);
  graphStore.getState().setEdgeSelection([...next]);
}

/** A new connection, unless it fills an occupied input or makes a cycle: then a hint says why. */
function onConnect(c: Connection) {
  const edge = { source: c.source, source_port: c.sourceHandle ?? "out", target: c.target, target_port: c.targetHandle ?? "in" };
  const { doc: d, scope: sn } = graphStore.getState();
  const problem = ops.connectionProblem(scopeOf(d, sn), edge);
  if (problem) graphStore.getState().setHint(problem);
  else {
    graphStore.getState().setHint(null);
    graphStore.getState().edit((sc) => ops.connect(sc, edge));
  }
}

/** Opening a block (or leaving it) shows other nodes: frame them. */
function useFrameOnScopeChange(scopeName: string | null) {
  const { fitView } = useReactFlow();
  const shownScope = useRef(scopeName);
  useEffect(() => {
    if (shownScope.current === scopeName) return;
    shownScope.current = scopeName;
    window.requestAnimationFrame(() => void fitView({ duration: 150 }));
  }, [scopeName, fitView]);
}

/**
 * What React Flow draws: the scope's nodes (at their mid-drag positions) and
 * edges with the report's shapes and errors, built through caches that keep
 * unchanged nodes and edges the same objects (React Flow skips them).
 */
function useFlowElements(far: boolean) {
  const doc = useGraph((s) => s.doc);
  const scopeName = useGraph((s) => s.scope);
  const selection = useGraph((s) => s.selection);
  const edgeSel = useGraph((s) => s.edgeSelection);
  const byOp = useCatalogue((s) => s.byOp);
  const report = useValidation((s) => s.report);
  const { sizes, dragged, onNodesChange } = useNodeChanges();
  const toFlowNodes = useRef(createNodeCache()).current;
  const toFlowEdges = useRef(createEdgeCache()).current;
  const toFarEdges = useRef(createFarEdgeCache()).current;

  const scope = scopeOf(doc, scopeName);
  // An opened block shows its first instance's shapes and the errors placed on its nodes.
  const shown = scopeReport(report, scopeName);
  const errors = useMemo(() => errorsByNode(shown), [shown]);
  const selSet = useMemo(() => new Set(selection), [selection]);
  // Mid-drag positions live here until the drop commits them to the document.
  const placed = useMemo(() => withPositions(scope.nodes, dragged), [scope.nodes, dragged]);
  const nodes = toFlowNodes(placed, scope.edges, selSet, byOp, doc.blocks, shown, errors, sizes, far);
  // A block's `in`/`out` aliases in edges attach to its Input/Output handles.
  const handleOf = useMemo(() => handleResolver(scope.nodes, doc.blocks), [scope.nodes, doc.blocks]);
  const edges = useMemo(
    () => toFlowEdges(scope.edges, shown, errors, new Set(edgeSel), far, handleOf),
    [scope.edges, shown, errors, edgeSel, far, toFlowEdges, handleOf],
  );
  const farEdges = far ? toFarEdges(nodes, edges) : null;
  return { scope, nodes, edges, farEdges, onNodesChange };
}

export function Canvas() {
  const scopeName = useGraph((s) => s.scope);
  const { screenToFlowPosition } = useReactFlow();
  const far = useFlowStore((s) => s.transform[2] < FAR_ZOOM);
  useFrameOnScopeChange(scopeName);
  const { scope, nodes, edges, farEdges, onNodesChange } = useFlowElements(far);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const viewport = useMemo(() => initialViewport(scope.nodes), []);

  const onDrop = useCallback((e: DragEvent) => {
    e.preventDefault();
    const op = e.dataTransfer.getData(DRAG_MIME);
    if (!op) return;
    const position = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    addAt(op, position);
  }, [screenToFlowPosition]);

  return (
    <FarContext.Provider value={far}>
    <div className={far ? "canvas lod-far" : "canvas"} onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; }} data-testid="canvas">
      <BlockBanner />
      <ReactFlow
        nodes={nodes}
        edges={farEdges ? NO_EDGES : edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStart={beginMove}
        onSelectionDragStart={beginMove}
        onConnect={onConnect}
        deleteKeyCode={null}
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        selectionKeyCode="Shift"
        onlyRenderVisibleElements
        minZoom={0.05}
        defaultViewport={viewport}
        proOptions={PRO_OPTIONS}
      >
        <Background gap={20} size={1} />
        {farEdges && <FarEdges groups={farEdges} />}
        {/* Zoomed far out over a big graph the canvas is its own overview: spare the minimap's redraws. */}
        {!(far && scope.nodes.length > 300) && <MiniMap pannable zoomable bgColor="#131a23" maskColor="rgba(5, 8, 12, 0.55)" nodeColor="#4b5a70" nodeBorderRadius={4} />}
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
    </FarContext.Provider>
  );
}

type Positions = Record<string, { x: number; y: number }>;

/**
 * Controlled mode: React Flow proposes changes, the graph store decides.
 * Measured sizes are kept here (nodes declare their ports from them), and so
 * are mid-drag positions: React Flow draws from them, and the document gets
 * them once, on drop (no store update or inspector redraw per drag frame).
 */
function useNodeChanges() {
  const sizes = useRef(new Map<string, Size>()).current;
  const [, remeasured] = useReducer((n: number) => n + 1, 0);
  const [dragged, setDragged] = useState<Positions | null>(null);
  const onNodesChange = useCallback((changes: NodeChange[]) => {
    const positions: Positions = {};
    const moving: Positions = {};
    let selected: Set<string> | null = null;
    let resized = false;
    for (const c of changes) {
      if (c.type === "dimensions" && c.dimensions) {
        const old = sizes.get(c.id);
        if (!old || old.width !== c.dimensions.width || old.height !== c.dimensions.height) {
          sizes.set(c.id, c.dimensions);
          resized = true;
        }
      }
      if (c.type === "position" && c.position) (c.dragging ? moving : positions)[c.id] = c.position;
      if (c.type === "select") {
        selected ??= new Set(graphStore.getState().selection);
        if (c.selected) selected.add(c.id);
        else selected.delete(c.id);
      }
    }
    // The drop commits the positions: one undo step with beginMove.
    if (Object.keys(moving).length) setDragged((d) => ({ ...d, ...moving }));
    if (Object.keys(positions).length) {
      graphStore.getState().move(positions);
      setDragged(null);
    }
    if (selected) graphStore.getState().setSelection([...selected]);
    if (resized) remeasured();
  }, [sizes]);
  return { sizes, dragged, onNodesChange };
}

function withPositions<N extends { id: string }>(nodes: N[], positions: Positions | null): N[] {
  return positions ? nodes.map((n) => (positions[n.id] ? { ...n, position: positions[n.id] } : n)) : nodes;
}

/**
 * Fit the graph before the first paint, from the saved positions: React
 * Flow's own fitView waits for every node to be measured, and a large graph
 * would first render at full detail and then again when zoomed out.
 */
function initialViewport(nodes: { position?: { x: number; y: number } }[]) {
  if (!nodes.length) return { x: 0, y: 0, zoom: 1 };
  const xs = nodes.map((n) => n.position?.x ?? 0);
  const ys = nodes.map((n) => n.position?.y ?? 0);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs) + 220, Math.min(...ys), Math.max(...ys) + 100];
  const width = Math.max(400, window.innerWidth - 560);
  const height = Math.max(300, window.innerHeight - 130);
  const zoom = Math.min(1, Math.max(0.05, 0.92 * Math.min(width / (maxX - minX), height / (maxY - minY))));
  return { x: (width - (maxX - minX) * zoom) / 2 - minX * zoom, y: (height - (maxY - minY) * zoom) / 2 - minY * zoom, zoom };
}

/** Add a layer where it was dropped (or clicked in the palette) and select it. */
export function addAt(op: string, position: { x: number; y: number }) {
  const blockName = op.startsWith("block:") ? op.slice("block:".length) : null;
  const shared = blockName ? catalogueStore.getState().projectBlocks[blockName] : undefined;
  if (blockName && shared && !graphStore.getState().doc.blocks[blockName])
    graphStore.getState().editDocument((d) => ({ ...d, blocks: { ...d.blocks, [blockName]: shared } }));
  let id = "";
  graphStore.getState().edit((sc) => {
    const result = ops.addNode(sc, op, position, catalogueStore.getState().byOp[op]);
    id = result.id;
    return result.scope;
  });
  graphStore.getState().setSelection([id]);
}
