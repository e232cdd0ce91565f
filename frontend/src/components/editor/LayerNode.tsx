/**
 * One layer on the canvas: op and id, its typed named ports (handle ids are
 * the port names), a few parameters, the output shape, and its errors.
 */
import { createContext, memo, useContext } from "react";
import { Handle, Position, type NodeProps, type Node as FlowNode } from "@xyflow/react";
import type { Node } from "../../schemas/graph";
import type { GraphErrorItem, NodeReport } from "../../api/types";
import type { Ports } from "../../lib/ports";
import { formatShape, paramSummary } from "../../lib/format";

export interface LayerData extends Record<string, unknown> {
  node: Node;
  ports: Ports;
  errors: GraphErrorItem[];
  report: NodeReport | undefined;
  category: string;
}

export type LayerFlowNode = FlowNode<LayerData, "layer">;

/** True when the canvas is zoomed out too far to read text: nodes draw only op and ports. */
export const FarContext = createContext(false);

/** Ports spread along the top (inputs) and the bottom (outputs): data flows downwards. */
const spread = (i: number, n: number) => `${((i + 1) / (n + 1)) * 100}%`;

function summary(node: Node): string {
  return paramSummary(node.params);
}

function LayerNodeView({ data, selected }: NodeProps<LayerFlowNode>) {
  const { node, ports, errors, report, category } = data;
  const far = useContext(FarContext);
  const firstOut = ports.outputs[0];
  const shape = firstOut ? report?.outputs?.[firstOut] : undefined;
  const cls = ["layer", `cat-${category.toLowerCase().replace(/[^a-z]/g, "")}`, errors.length ? "has-error" : "", selected ? "selected" : ""];
  return (
    <div className={cls.join(" ")} data-testid={`node-${node.id}`} title={errors.map((e) => e.message).join("\n") || undefined}>
      {/* Zoomed far out the ports are too small to use: edges follow the declared handles (flowModel). */}
      {!far && ports.inputs.map((p, i) => (
        <Handle key={`in-${p}`} type="target" position={Position.Top} id={p} style={{ left: spread(i, ports.inputs.length) }}>
          {ports.inputs.length > 1 && !far && <span className="port-label port-in">{p}</span>}
        </Handle>
      ))}
      <div className="layer-head">
        <span className="layer-op">{node.op.replace(/^block:/, "▣ ")}</span>
        <span className="layer-id">{node.id}</span>
        {node.repeat !== undefined && node.repeat !== 1 && <span className="layer-repeat">×{String(node.repeat)}</span>}
      </div>
      {!far && <div className="layer-params">{summary(node)}</div>}
      {shape !== undefined && !far && <div className="layer-shape" data-testid={`shape-${node.id}`}>→ {formatShape(shape)}</div>}
      {errors.length > 0 && !far && (
        <div className="layer-errors" data-testid={`errors-${node.id}`}>
          {/* The first error here; all of them in the inspector and the tooltip. */}
          <div>{errors[0].port ? <b>{errors[0].port}: </b> : null}{errors[0].message}</div>
          {errors.length > 1 && <div className="muted">+{errors.length - 1} more</div>}
        </div>
      )}
      {!far && ports.outputs.map((p, i) => (
        <Handle key={`out-${p}`} type="source" position={Position.Bottom} id={p} style={{ left: spread(i, ports.outputs.length) }}>
          {ports.outputs.length > 1 && !far && <span className="port-label port-out">{p}</span>}
        </Handle>
      ))}
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
