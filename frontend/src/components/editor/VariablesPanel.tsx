/** Graph variables (width, depth, …): node params refer to them as `=width`. Blocks are listed here too. */
import { useState } from "react";
import { graphStore, useGraph } from "../../stores/graph";
import { TunePick } from "../../sweeps/TunePick";
import { useTunable } from "../../sweeps/tuneDraft";

function parseValue(text: string): number | string | boolean {
  if (text === "true" || text === "false") return text === "true";
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
}

export function VariablesPanel() {
  const variables = useGraph((s) => s.doc.variables);
  const blocks = useGraph((s) => s.doc.blocks);
  const tunable = useTunable();
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const setVar = (key: string, v: number | string | boolean | undefined) =>
    graphStore.getState().editDocument((d) => {
      const next = { ...d.variables };
      if (v === undefined) delete next[key];
      else next[key] = v;
      return { ...d, variables: next };
    });
  const valid = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && value.trim() !== "";
  return (
    <div className="inspector-body" data-testid="variables-panel">
      <h3>Graph variables</h3>
      <p className="muted">Use them in any parameter as <code>=width</code> or <code>=width * 2</code> to make a family of models.</p>
      <table className="table compact var-table">
        <tbody>
          {Object.entries(variables).map(([k, v]) => (
            <tr key={k}>
              <td><code>{k}</code></td>
              <td>
                {/* Keyed by the value: an undo or a restore shows the new value, not what was typed. */}
                <input key={`${k}=${String(v)}`} defaultValue={String(v)} aria-label={`variable ${k}`}
                  onKeyDown={(e) => e.key === "Enter" && e.currentTarget.blur()}
                  onBlur={(e) => { const next = parseValue(e.target.value); if (next !== v) setVar(k, next); }} />
              </td>
              <td><TunePick dimension={tunable.get(`=${k}`)} /></td>
              <td><button className="btn btn-ghost" aria-label={`remove ${k}`} onClick={() => setVar(k, undefined)}>✕</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="inline-form var-form">
        <input placeholder="name" value={name} onChange={(e) => setName(e.target.value)} aria-label="variable name" />
        <input placeholder="value" value={value} onChange={(e) => setValue(e.target.value)} aria-label="variable value" />
        <button className="btn" disabled={!valid} onClick={() => { setVar(name, parseValue(value)); setName(""); setValue(""); }}>Add</button>
      </div>
      <h3>Blocks</h3>
      {Object.keys(blocks).length === 0 ? (
        <p className="muted">Select several nodes to make a block from them.</p>
      ) : (
        <ul className="plain-list">
          {Object.entries(blocks).map(([n, b]) => (
            <li key={n}>
              <span>▣ {n} <span className="muted">({b.nodes.length} nodes)</span></span>
              <button className="btn btn-ghost" onClick={() => graphStore.getState().openScope(n)}>Open</button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
