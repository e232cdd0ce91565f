/** The right panel: the selected node's form, or the graph's (or the open block's) own settings when nothing is selected. */
import { useState } from "react";
import { graphStore, scopeOf, useGraph } from "../../stores/graph";
import { useCatalogue } from "../../stores/catalogue";
import { errorsByNode, useValidation } from "../../stores/validation";
import { scopeReport } from "../../lib/scopeReport";
import * as ops from "../../lib/graphOps";
import { formatBytes, formatCount, formatShape } from "../../lib/format";
import type { Node } from "../../schemas/graph";
import type { ParamSpec } from "../../api/types";
import { blockPorts, shownOutputs } from "../../lib/ports";
import { ParamField } from "./ParamField";
import { VariablesPanel } from "./VariablesPanel";
import { blockParamSpecs, SelectionForm } from "./BlockForms";
import { BlockSettings } from "./BlockSettings";
import { WeightsUpload } from "./WeightsUpload";
import { TunePick } from "../../sweeps/TunePick";
import { useTunable } from "../../sweeps/tuneDraft";

const REPEAT: ParamSpec = { name: "repeat", type: "int", min: 1, help: "Stack this many copies in series (a number or =expression)", inferred: false };

/** Empty (or 1) removes `repeat`: one copy is the default. */
function withRepeat(node: Node, value: unknown): Node {
  const { repeat: _old, ...rest } = node;
  return value === undefined || value === 1 ? rest : { ...rest, repeat: value as Node["repeat"] };
}

function RenameField({ node }: { node: Node }) {
  const [text, setText] = useState(node.id);
  const [error, setError] = useState<string | null>(null);
  const commit = () => {
    if (text === node.id) return;
    let problem: string | null = null;
    graphStore.getState().edit((sc) => {
      const r = ops.renameNode(sc, node.id, text);
      if (typeof r === "string") {
        problem = r;
        return sc;
      }
      return r;
    });
    setError(problem);
    if (!problem) graphStore.getState().setSelection([text]);
  };
  return (
    <label className="field">
      <span className="field-label">id</span>
      <input key={node.id} value={text} onChange={(e) => setText(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === "Enter" && commit()} />
      {error && <span className="field-error">{error}</span>}
    </label>
  );
}

function NodeForm({ node, projectId }: { node: Node; projectId?: number }) {
  const registered = useCatalogue((s) => s.byOp[node.op]);
  const block = useGraph((s) => (node.op.startsWith("block:") ? s.doc.blocks[node.op.slice("block:".length)] : undefined));
  // A block's form is made from its exposed params, in the registry's shape.
  const spec = registered ?? (block ? { help: `Block of ${block.nodes.length} nodes`, params: blockParamSpecs(block) } : undefined);
  const report = useValidation((s) => s.report);
  const scopeName = useGraph((s) => s.scope);
  // Inside an opened block: the block's first instance, as the canvas shows it.
  const shown = scopeReport(report, scopeName);
  const nodeReport = shown?.nodes[node.id];
  const errors = errorsByNode(shown).get(node.id) ?? [];
  const set = (name: string, value: unknown) => graphStore.getState().edit((sc) => ops.setParam(sc, node.id, name, value));
  const isBlock = node.op.startsWith("block:");
  const tunable = useTunable();
  const ports = block ? blockPorts(block) : { inputs: [], outputs: registered?.outputs.map((p) => p.name) ?? [] };
  return (
    <div className="inspector-body" data-testid="inspector">
      <div className="inspector-title">
        <h3>{node.op.replace(/^block:/, "Block ")}</h3>
        {spec?.help && <p className="muted">{spec.help}</p>}
      </div>
      {errors.map((e, i) => <div key={i} className="error-note">{e.field ? <b>{e.field}: </b> : null}{e.message}</div>)}
      <RenameField key={node.id} node={node} />
      {spec?.params.map((p) => (
        <ParamField key={`${node.id}.${p.name}`} spec={p} value={node.params[p.name]} inferredValue={nodeReport?.inferred?.[p.name]}
          onChange={(v) => set(p.name, v)} tune={<TunePick dimension={tunable.get(`${node.id}.${p.name}`)} />} />
      ))}
      {registered?.category === "Backbone" && projectId !== undefined && (
        <WeightsUpload node={node} projectId={projectId} onPath={(path) => set("weights_file", path)} />
      )}
      {isBlock && (
        <>
          {/* A number or an =expression over the graph's variables (=depth), as the node shows it. */}
          <ParamField key={`${node.id}.repeat`} spec={REPEAT} value={node.repeat} inferredValue={undefined}
            tune={<TunePick dimension={tunable.get(`${node.id}.repeat`)} />}
            onChange={(v) => graphStore.getState().edit((sc) => ops.updateNode(sc, node.id, (n) => withRepeat(n, v)))} />
          <button className="btn" onClick={() => graphStore.getState().openScope(node.op.slice("block:".length))}>Open block</button>
        </>
      )}
      {nodeReport && (
        <dl className="facts">
          {shownOutputs(nodeReport.outputs, ports).map((port) => (
            <div key={port}><dt>{port}</dt><dd>{formatShape(nodeReport.outputs[port])}</dd></div>
          ))}
          <div><dt>params</dt><dd>{formatCount(nodeReport.params)}</dd></div>
          <div><dt>FLOPs</dt><dd>{formatCount(nodeReport.flops)}</dd></div>
          <div><dt>memory</dt><dd>{formatBytes(nodeReport.memory)}</dd></div>
        </dl>
      )}
    </div>
  );
}

export function Inspector({ projectId }: { projectId?: number } = {}) {
  const selection = useGraph((s) => s.selection);
  const doc = useGraph((s) => s.doc);
  const scope = useGraph((s) => s.scope);
  const nodes = scopeOf(doc, scope).nodes;
  if (selection.length === 1) {
    const node = nodes.find((n) => n.id === selection[0]);
    if (node) return <NodeForm node={node} projectId={projectId} />;
  }
  if (selection.length > 1) return <SelectionForm ids={selection} />;
  if (scope !== null) return <BlockSettings block={scope} />;
  return <VariablesPanel />;
}
