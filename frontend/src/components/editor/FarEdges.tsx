/**
 * Edges zoomed far out: every edge one <path> of a single <svg> under the
 * nodes (flowModel's createFarEdgeCache computes them). Too thin to click at
 * that zoom, like the ports the nodes leave out: zoom in to select an edge.
 */
import { memo } from "react";
import { ViewportPortal } from "@xyflow/react";
import type { FarEdge } from "./flowModel";

const EdgePath = memo(function EdgePath({ id, d, className }: FarEdge) {
  return <path data-id={id} d={d} className={className} />;
});

/** One <svg> per group: a changed path repaints its group, not every edge. */
const EdgeGroup = memo(function EdgeGroup({ edges }: { edges: FarEdge[] }) {
  return (
    <svg className="far-edges">
      {edges.map((e) => <EdgePath key={e.id} {...e} />)}
    </svg>
  );
});

export function FarEdges({ groups }: { groups: FarEdge[][] }) {
  return (
    <ViewportPortal>
      {groups.map((g, i) => <EdgeGroup key={i} edges={g} />)}
    </ViewportPortal>
  );
}
