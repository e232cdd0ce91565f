/**
 * One layer on the canvas: op and id, its typed named ports (handle ids are
 * the port names), a few parameters, the output shape, and its errors.
 */
import { createContext, memo, useContext } from "react";
import { Handle, Position, type NodeProps, type Node as FlowNode } from "@xyflow/react";
import type { Node } from "../../schemas/graph";
import type { GraphErrorItem, NodeReport } from "../../schemas/report";
import type { Ports } from "../../lib/ports";
import { formatShape, paramText } from "../../lib/format";

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

const PORT_GAP = 22;
const HEAD = 34;

function summary(node: Node): string {
  const entries = Object.entries(node.params).slice(0, 3);
  return entries.map(([k, v]) => `${k}=${paramText(v)}`).join("  ");
}

function LayerNodeView({ data, selected }: NodeProps<LayerFlowNode>) {
  const { node, ports, errors, report, category } = data;
  const far = useContext(FarContext);
  const rows = Math.max(ports.inputs.length, ports.outputs.length, 1);
  const firstOut = ports.outputs[0];
  const shape = firstOut ? report?.outputs?.[firstOut] : undefined;
  const cls = ["layer", `cat-${category.toLowerCase().replace(/[^a-z]/g, "")}`, errors.length ? "has-error" : "", selected ? "selected" : ""];
  return (
    <div className={cls.join(" ")} data-testid={`node-${node.id}`} title={errors.map((e) => e.message).join("\n") || undefined}>
      <div className="layer-head">
        <span className="layer-op">{node.op.replace(/^block:/, "▣ ")}</span>
        <span className="layer-id">{node.id}</span>
        {node.repeat !== undefined && node.repeat !== 1 && <span className="layer-repeat">×{String(node.repeat)}</span>}
      </div>
      <div className="layer-ports" style={{ minHeight: rows * PORT_GAP }}>
        {ports.inputs.map((p, i) => (
          <div key={`in-${p}`}>
            <Handle type="target" position={Position.Left} id={p} style={{ top: HEAD + 11 + i * PORT_GAP }} />
            {ports.inputs.length > 1 && !far && <span className="port-label port-in" style={{ top: 4 + i * PORT_GAP }}>{p}</span>}
          </div>
        ))}
        {ports.outputs.map((p, i) => (
          <div key={`out-${p}`}>
            <Handle type="source" position={Position.Right} id={p} style={{ top: HEAD + 11 + i * PORT_GAP }} />
            {ports.outputs.length > 1 && !far && <span className="port-label port-out" style={{ top: 4 + i * PORT_GAP }}>{p}</span>}
          </div>
        ))}
        {!far && <div className="layer-params">{summary(node)}</div>}
      </div>
      {shape !== undefined && !far && <div className="layer-shape" data-testid={`shape-${node.id}`}>→ {formatShape(shape)}</div>}
      {errors.length > 0 && !far && (
        <div className="layer-errors" data-testid={`errors-${node.id}`}>
          {/* The first error here; all of them in the inspector and the tooltip. */}
          <div>{errors[0].port ? <b>{errors[0].port}: </b> : null}{errors[0].message}</div>
          {errors.length > 1 && <div className="muted">+{errors.length - 1} more</div>}
        </div>
      )}
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
