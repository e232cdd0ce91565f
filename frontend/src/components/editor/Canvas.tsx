/** The canvas: React Flow drawing the scope being edited, every change sent to the graph store. */
import { useCallback, useMemo, useRef, type DragEvent } from "react";
import {
  Background, Controls, MiniMap, ReactFlow, useReactFlow,
  type Connection, type EdgeChange, type NodeChange, type NodeTypes,
} from "@xyflow/react";
import { graphStore, scopeOf, useGraph } from "../../stores/graph";
import { catalogueStore, useCatalogue } from "../../stores/catalogue";
import { errorsByNode, useValidation } from "../../stores/validation";
import * as ops from "../../lib/graphOps";
import { LayerNode } from "./LayerNode";
import { createNodeCache, toFlowEdges } from "./flowModel";

export const DRAG_MIME = "application/netweave-op";
const nodeTypes: NodeTypes = { layer: LayerNode };

export function Canvas() {
  const doc = useGraph((s) => s.doc);
  const scopeName = useGraph((s) => s.scope);
  const selection = useGraph((s) => s.selection);
  const byOp = useCatalogue((s) => s.byOp);
  const report = useValidation((s) => s.report);
  const edgeSel = useGraph((s) => s.edgeSelection);
  const { screenToFlowPosition } = useReactFlow();
  const toFlowNodes = useRef(createNodeCache()).current;

  const scope = scopeOf(doc, scopeName);
  const errors = useMemo(() => errorsByNode(scopeName === null ? report : null), [report, scopeName]);
  const selSet = useMemo(() => new Set(selection), [selection]);
  const nodes = toFlowNodes(scope.nodes, scope.edges, selSet, byOp, doc.blocks, scopeName === null ? report : null, errors);
  const edges = useMemo(
    () => toFlowEdges(scope.edges, scopeName === null ? report : null, errors, new Set(edgeSel)),
    [scope.edges, report, errors, edgeSel, scopeName],
  );

  // Controlled mode: React Flow proposes changes, the graph store decides.
  const onNodesChange = useCallback((changes: NodeChange[]) => {
    const positions: Record<string, { x: number; y: number }> = {};
    let selected: Set<string> | null = null;
    for (const c of changes) {
      if (c.type === "position" && c.position) positions[c.id] = c.position;
      if (c.type === "select") {
        selected ??= new Set(graphStore.getState().selection);
        if (c.selected) selected.add(c.id);
        else selected.delete(c.id);
      }
    }
    if (Object.keys(positions).length) graphStore.getState().move(positions);
    if (selected) graphStore.getState().setSelection([...selected]);
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const picks = changes.filter((c) => c.type === "select");
    if (!picks.length) return;
    const next = new Set(graphStore.getState().edgeSelection);
    for (const c of picks) if (c.selected) next.add(c.id); else next.delete(c.id);
    graphStore.getState().setEdgeSelection([...next]);
  }, []);

  const onConnect = useCallback((c: Connection) => {
    const edge = { source: c.source, source_port: c.sourceHandle ?? "out", target: c.target, target_port: c.targetHandle ?? "in" };
    const { doc: d, scope: sn } = graphStore.getState();
    const problem = ops.connectionProblem(scopeOf(d, sn), edge);
    if (problem) graphStore.getState().setHint(problem);
    else {
      graphStore.getState().setHint(null);
      graphStore.getState().edit((sc) => ops.connect(sc, edge));
    }
  }, []);

  const onDrop = useCallback((e: DragEvent) => {
    e.preventDefault();
    const op = e.dataTransfer.getData(DRAG_MIME);
    if (!op) return;
    const position = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    addAt(op, position);
  }, [screenToFlowPosition]);

  return (
    <div className="canvas" onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; }} data-testid="canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStart={() => graphStore.getState().beginMove()}
        onSelectionDragStart={() => graphStore.getState().beginMove()}
        onConnect={onConnect}
        deleteKeyCode={null}
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        selectionKeyCode="Shift"
        onlyRenderVisibleElements
        minZoom={0.05}
        fitView
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} size={1} />
        <MiniMap pannable zoomable nodeStrokeWidth={2} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
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
