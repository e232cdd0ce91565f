/**
 * "Block settings": shown when a block is open and nothing is selected. Lists
 * the block's params and edits them (default, help, name, removal), and exposes
 * another inner param. Each change is one undoable edit of the whole document,
 * since renaming or removing a param also rewrites every use of the block.
 */
import { useState } from "react";
import { graphStore, useGraph } from "../../stores/graph";
import { catalogueStore, useCatalogue } from "../../stores/catalogue";
import { exposeBlockParam, removeBlockParam, renameBlockParam, updateBlockParam } from "../../lib/blocks";
import { paramText } from "../../lib/format";
import type { ParamSpec } from "../../api/types";
import type { BlockParam, GraphDocument } from "../../schemas/graph";
import { ParamField } from "./ParamField";
import { blockParamSpecs } from "./BlockForms";

/** Apply a document change, or hand back why it was refused. */
function apply(change: (doc: GraphDocument) => GraphDocument | string): string | null {
  const next = change(graphStore.getState().doc);
  if (typeof next === "string") return next;
  graphStore.getState().editDocument(() => next);
  return null;
}

function limits(p: BlockParam): string {
  const parts = [];
  if (p.min !== null && p.min !== undefined) parts.push(`min ${p.min}`);
  if (p.max !== null && p.max !== undefined) parts.push(`max ${p.max}`);
  if (p.choices?.length) parts.push(`one of ${p.choices.map(String).join(", ")}`);
  return parts.join(" · ");
}

function ParamRow({ block, name, param }: { block: string; name: string; param: BlockParam }) {
  const [text, setText] = useState(name);
  const [error, setError] = useState<string | null>(null);
  const rename = () => {
    if (text.trim() === name) return setError(null);
    const problem = apply((d) => renameBlockParam(d, block, name, text.trim()));
    setError(problem);
  };
  const spec: ParamSpec = { ...blockParamSpecs({ params: { [name]: param }, nodes: [], edges: [] })[0], name: "default", help: null };
  return (
    <fieldset className="block-param" data-testid={`block-param-${name}`}>
      <div className="inline-form">
        <input aria-label={`name of param ${name}`} value={text} onChange={(e) => setText(e.target.value)} onBlur={rename}
          onKeyDown={(e) => e.key === "Enter" && rename()} />
        <span className="tag">{param.type}</span>
        <button className="btn btn-ghost" aria-label={`remove param ${name}`} title="Remove this param"
          onClick={() => setError(apply((d) => removeBlockParam(d, block, name)))}>✕</button>
      </div>
      {limits(param) && <p className="muted">{limits(param)}</p>}
      <ParamField spec={spec} value={param.default} inferredValue={undefined}
        onChange={(v) => setError(apply((d) => updateBlockParam(d, block, name, { default: v })))} />
      <label className="field">
        <span className="field-label">help</span>
        <input aria-label={`help of param ${name}`} defaultValue={param.help ?? ""} key={param.help ?? ""}
          onBlur={(e) => e.target.value !== (param.help ?? "") && apply((d) => updateBlockParam(d, block, name, { help: e.target.value }))} />
      </label>
      {error && <span className="field-error" role="alert">{error}</span>}
    </fieldset>
  );
}

/** Params of an inner node that could become the block's: its layer's (or nested block's) params not set by an expression. */
function exposable(doc: GraphDocument, node: GraphDocument["nodes"][number] | undefined): ParamSpec[] {
  if (!node) return [];
  const nested = node.op.startsWith("block:") ? doc.blocks[node.op.slice("block:".length)] : undefined;
  const specs = nested ? blockParamSpecs(nested) : catalogueStore.getState().byOp[node.op]?.params ?? [];
  return specs.filter((p) => !p.inferred && !String(node.params[p.name] ?? "").startsWith("="));
}

function ExposeForm({ block }: { block: string }) {
  const doc = useGraph((s) => s.doc);
  useCatalogue((s) => s.byOp); // re-list once the catalogue has loaded
  const nodes = doc.blocks[block].nodes.filter((n) => n.op !== "Input" && n.op !== "Output");
  const [nodeId, setNodeId] = useState("");
  const [param, setParam] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const node = nodes.find((n) => n.id === nodeId);
  const specs = exposable(doc, node);
  const spec = specs.find((p) => p.name === param);
  const expose = () => {
    if (!spec) return;
    const problem = apply((d) => exposeBlockParam(d, block, nodeId, spec, name.trim() || spec.name));
    setError(problem);
    if (!problem) {
      setParam("");
      setName("");
    }
  };
  return (
    <div className="field" data-testid="expose-form">
      <span className="field-label">Expose a parameter<span className="field-help">An inner node's param becomes one each use of the block sets</span></span>
      <select aria-label="node to expose from" value={nodeId} onChange={(e) => { setNodeId(e.target.value); setParam(""); setError(null); }}>
        <option value="">node…</option>
        {nodes.map((n) => <option key={n.id} value={n.id}>{n.id} ({n.op.replace(/^block:/, "")})</option>)}
      </select>
      <select aria-label="param to expose" value={param} disabled={!node} onChange={(e) => { setParam(e.target.value); setName(e.target.value); setError(null); }}>
        <option value="">param…</option>
        {specs.map((p) => <option key={p.name} value={p.name}>{p.name} = {paramText(node?.params[p.name] ?? p.default)}</option>)}
      </select>
      <input aria-label="new param name" placeholder="param name" value={name} onChange={(e) => setName(e.target.value)} />
      {error && <span className="field-error" role="alert">{error}</span>}
      <button className="btn" disabled={!spec} onClick={expose}>Expose</button>
    </div>
  );
}

export function BlockSettings({ block }: { block: string }) {
  const params = useGraph((s) => s.doc.blocks[block]?.params);
  if (!params) return null;
  return (
    <div className="inspector-body" data-testid="block-settings">
      <h3>Block settings: {block}</h3>
      <p className="muted">Each use of the block sets these params; its nodes read them as <code>=name</code> (also inside larger expressions).</p>
      {Object.keys(params).length === 0 && <p className="muted">This block exposes no params yet.</p>}
      {Object.entries(params).map(([name, p]) => <ParamRow key={name} block={block} name={name} param={p} />)}
      <ExposeForm block={block} />
    </div>
  );
}
