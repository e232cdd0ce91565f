/** The palette: the registry by category, search as you type, drag (or click) to add. */
import { useMemo, useState } from "react";
import { useReactFlow } from "@xyflow/react";
import { searchLayers, useCatalogue } from "../../stores/catalogue";
import { useGraph } from "../../stores/graph";
import type { LayerSpec } from "../../api/types";
import { blockPorts } from "../../lib/ports";
import { addAt, DRAG_MIME } from "./Canvas";
import { ErrorNote, Spinner } from "../ui/Spinner";

function blockSpecs(blocks: Record<string, import("../../schemas/graph").Block>, category: string): LayerSpec[] {
  return Object.entries(blocks).map(([name, b]) => {
    const ports = blockPorts(b);
    return {
      op: `block:${name}`, category, help: `Block with ${b.nodes.length} nodes`,
      inputs: ports.inputs.map((p) => ({ name: p, variadic: false })), outputs: ports.outputs.map((p) => ({ name: p })), params: [],
    };
  });
}

export function Palette() {
  const { layers, status, error } = useCatalogue((s) => s);
  const projectBlocks = useCatalogue((s) => s.projectBlocks);
  const docBlocks = useGraph((s) => s.doc.blocks);
  const [query, setQuery] = useState("");
  const [closed, setClosed] = useState<Set<string>>(new Set());
  const { screenToFlowPosition } = useReactFlow();

  const all = useMemo(() => {
    const own = blockSpecs(docBlocks, "Blocks of this graph");
    const shared = blockSpecs(Object.fromEntries(Object.entries(projectBlocks).filter(([n]) => !docBlocks[n])), "Project blocks");
    return [...layers, ...own, ...shared];
  }, [layers, docBlocks, projectBlocks]);
  // Inputs and outputs first: every graph starts and ends with them.
  const groups = useMemo(() => searchLayers(all, query).sort(([a], [b]) => Number(b === "IO") - Number(a === "IO")), [all, query]);

  const addToCentre = (op: string) => {
    const pane = document.querySelector(".canvas")?.getBoundingClientRect();
    const centre = pane ? { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 } : { x: 400, y: 300 };
    addAt(op, screenToFlowPosition(centre));
  };

  return (
    <aside className="palette" aria-label="Layer palette">
      <input className="palette-search" type="search" placeholder="Search layers…  ( / )" value={query}
        onChange={(e) => setQuery(e.target.value)} aria-label="Search layers" data-testid="palette-search" />
      {status === "loading" && <Spinner label="Loading layers" />}
      <ErrorNote message={error} />
      {status === "ready" && groups.length === 0 && <p className="muted pad">No layer matches “{query}”.</p>}
      <div className="palette-groups">
        {groups.map(([category, items]) => {
          const open = query !== "" || !closed.has(category);
          return (
            <section key={category} className="palette-group">
              <button className="palette-cat" aria-expanded={open}
                onClick={() => setClosed((c) => { const n = new Set(c); if (n.has(category)) n.delete(category); else n.add(category); return n; })}>
                <span>{open ? "▾" : "▸"} {category}</span><span className="muted">{items.length}</span>
              </button>
              {open && items.map((l) => (
                <div key={l.op} className="palette-item" draggable title={l.help || l.op} data-testid={`palette-${l.op}`}
                  onDragStart={(e) => { e.dataTransfer.setData(DRAG_MIME, l.op); e.dataTransfer.effectAllowed = "copy"; }}
                  onDoubleClick={() => addToCentre(l.op)}>
                  <span className="palette-op">{l.op.replace(/^block:/, "▣ ")}</span>
                  {l.help && <span className="palette-help">{l.help}</span>}
                </div>
              ))}
            </section>
          );
        })}
      </div>
    </aside>
  );
}
