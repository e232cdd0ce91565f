/** Making a block from a selection (with the parameters it exposes), and a block's params as inspector fields. */
import { useState } from "react";
import { graphStore, scopeOf, useGraph } from "../../stores/graph";
import { catalogueStore } from "../../stores/catalogue";
import { exposeParams, makeBlock, type Exposed } from "../../lib/blocks";
import type { ParamSpec } from "../../api/types";
import type { Block } from "../../schemas/graph";

export function blockParamSpecs(block: Block): ParamSpec[] {
  return Object.entries(block.params).map(([name, p]) => ({
    name, type: p.type, default: p.default, min: p.min, max: p.max, choices: p.choices, help: p.help, inferred: false,
  }));
}

function exposable(ids: string[]): Exposed[] {
  const { doc, scope } = graphStore.getState();
  const byOp = catalogueStore.getState().byOp;
  return scopeOf(doc, scope).nodes
    .filter((n) => ids.includes(n.id))
    .flatMap((n) => (byOp[n.op]?.params ?? []).filter((p) => !p.inferred).map((spec) => ({ node: n.id, param: spec.name, spec })));
}

export function SelectionForm({ ids }: { ids: string[] }) {
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  useGraph((s) => s.doc); // re-list the params when the selected nodes change
  const options = exposable(ids);
  const key = (e: Exposed) => `${e.node}.${e.param}`;
  const make = () => {
    const blockName = name.trim();
    const { doc, scope } = graphStore.getState();
    const made = makeBlock(scopeOf(doc, scope), ids, blockName, doc.blocks);
    if (typeof made === "string") return setError(made);
    const node = made.scope.nodes.find((n) => n.id === made.id)!;
    const exposed = exposeParams(made.block, node, options.filter((o) => chosen.has(key(o))));
    const nodes = made.scope.nodes.map((n) => (n.id === made.id ? exposed.node : n));
    graphStore.getState().editDocument((d) => {
      const blocks = { ...d.blocks, [blockName]: exposed.block };
      if (scope === null) return { ...d, blocks, nodes, edges: made.scope.edges };
      return { ...d, blocks: { ...blocks, [scope]: { ...blocks[scope], nodes, edges: made.scope.edges } } };
    });
    graphStore.getState().setSelection([made.id]);
  };
  return (
    <div className="inspector-body">
      <h3>{ids.length} nodes selected</h3>
      <p className="muted">Move them together, copy them (Ctrl+C), delete them, or make them a reusable block.</p>
      <label className="field">
        <span className="field-label">Block name</span>
        <input value={name} placeholder="e.g. ConvBlock" onChange={(e) => setName(e.target.value)} />
      </label>
      {options.length > 0 && (
        <div className="field">
          <span className="field-label">Parameters the block exposes</span>
          <div className="expose-list">
            {options.map((o) => (
              <label key={key(o)} className="field-check">
                <input type="checkbox" checked={chosen.has(key(o))}
                  onChange={() => setChosen((c) => { const n = new Set(c); if (n.has(key(o))) n.delete(key(o)); else n.add(key(o)); return n; })} />
                <code>{o.node}.{o.param}</code>
              </label>
            ))}
          </div>
        </div>
      )}
      {error && <div className="error-note">{error}</div>}
      <button className="btn" disabled={!name.trim()} onClick={make}>Make block</button>
    </div>
  );
}
