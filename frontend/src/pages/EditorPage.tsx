/**
 * The editor: palette, canvas, inspector/history, status bar. This page loads
 * the graph and wires the stores to the API; the components read the stores.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { catalogue as catalogueApi, graphs, projects, runs } from "../api/endpoints";
import { ApiError, saveBlob } from "../api/client";
import type { GraphDetail, Version } from "../api/types";
import { graphStore, isDirty, scopeOf, useGraph } from "../stores/graph";
import { catalogueStore } from "../stores/catalogue";
import { validationStore } from "../stores/validation";
import { emptyDocument, parseDocument, type GraphDocument } from "../schemas/graph";
import { autoLayout, placeUnplaced } from "../lib/layout";
import { Link, navigate, setLeaveGuard } from "../router";
import { Canvas } from "../components/editor/Canvas";
import { Palette } from "../components/editor/Palette";
import { Inspector } from "../components/editor/Inspector";
import { StatusBar } from "../components/editor/StatusBar";
import { HistoryPanel } from "../components/editor/HistoryPanel";
import { SaveDialog } from "../components/editor/SaveDialog";
import { LaunchDialog, type LaunchSettings } from "../components/editor/LaunchDialog";
import { TuneDialog, type TuneSettings } from "../sweeps/TuneDialog";
import { tuneDraft, useTuneDraft } from "../sweeps/tuneDraft";
import { ShortcutHelp } from "../components/editor/ShortcutHelp";
import { DraftOffer, useKeepDraft } from "../components/editor/DraftOffer";
import { useShortcuts } from "../components/editor/useShortcuts";
import { EditorToolbar, type Dialog, type ExportFormat, type Panel } from "../components/editor/Toolbar";
import { ErrorNote, Spinner } from "../components/ui/Spinner";

const validation = validationStore(graphs.validate);

/** Validate after every edit (debounced); the store drops answers for older revisions. */
function useLiveValidation() {
  useEffect(() => {
    validation.getState().reset();
    const { structureRevision, doc } = graphStore.getState();
    void validation.getState().run(structureRevision, doc);
    // Keyed by the structure revision: moving nodes changes no shape, so it asks nothing.
    return graphStore.subscribe((s, prev) => {
      if (s.structureRevision !== prev.structureRevision) validation.getState().schedule(s.structureRevision, s.doc);
    });
  }, []);
}

/** Unsaved changes are not lost by leaving: another page asks first, and so does closing the tab. */
function useWarnBeforeLeaving(name: string) {
  useEffect(() => {
    const unsaved = () => {
      return isDirty(graphStore.getState()) ? `Your changes to '${name}' are not saved. Leave anyway?` : null;
    };
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (unsaved()) e.preventDefault();
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    const removeGuard = setLeaveGuard(unsaved);
    return () => {
      removeGuard();
      window.removeEventListener("beforeunload", onBeforeUnload);
    };
  }, [name]);
}

/** The graph document as a file, readable by "Import document". */
export function documentFile(doc: GraphDocument): Blob {
  return new Blob([JSON.stringify(doc, null, 2) + "\n"], { type: "application/json" });
}

/** Point every Input at the dataset's sample shape (the batch dimension stays N). */
function bindInputs(doc: GraphDocument, shape: number[]): GraphDocument {
  return { ...doc, nodes: doc.nodes.map((n) => (n.op === "Input" ? { ...n, params: { ...n.params, shape } } : n)) };
}

/** The graph's versions, and saving and restoring them (each reloads the list and says what it did). */
function useVersions(graph: GraphDetail, reloadGraph: (g: GraphDetail) => void, setNotice: (n: string) => void) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const loadVersions = useCallback(() => graphs.versions(graph.id).then(setVersions, () => setVersions([])), [graph.id]);
  useEffect(() => {
    void loadVersions();
  }, [loadVersions]);

  const save = useCallback(async (message: string) => {
    const { doc } = graphStore.getState();
    try {
      const v = await graphs.save(graph.id, doc, message, graph.latest_version);
      graphStore.getState().markSaved(doc);
      reloadGraph({ ...graph, latest_version: v.number });
      setNotice(`Saved as version ${v.number}.`);
      void loadVersions();
      return v.number;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409)
        throw new Error("Someone saved a newer version while you were editing. Open History to compare, then save again.", { cause: err });
      throw err;
    }
  }, [graph, reloadGraph, loadVersions, setNotice]);

  const restore = async (n: number) => {
    const v = await graphs.restore(graph.id, n);
    const full = v.document ? v : await graphs.version(graph.id, v.number);
    graphStore.getState().load(full.document ? placeUnplaced(full.document) : emptyDocument(graph.name));
    reloadGraph({ ...graph, latest_version: v.number });
    setNotice(`Restored version ${n} as version ${v.number}.`);
    void loadVersions();
  };
  return { versions, save, restore };
}

/**
 * Bind the inputs if asked, check the graph, save if there are unsaved edits, create the run,
 * open its page. A graph that does not validate is refused before anything is saved.
 */
async function launchRun(graph: GraphDetail, s: LaunchSettings | (TuneSettings & { bindInput?: false }),
  save: (message: string) => Promise<number>) {
  if (s.bindInput && s.dataset.input_shape) {
    const shape = s.dataset.input_shape;
    const current = graphStore.getState().doc;
    if (current.nodes.some((n) => n.op === "Input" && JSON.stringify(n.params.shape) !== JSON.stringify(shape)))
      graphStore.getState().editDocument((d) => bindInputs(d, shape));
  }
  const report = await graphs.validate(graphStore.getState().doc);
  if (!report.ok) {
    const first = report.errors.slice(0, 3).map((e) => `${e.node ?? e.field ?? "graph"}: ${e.message}`).join("; ");
    throw new Error(`The graph does not compile, so nothing was saved or launched. ${first}`);
  }
  let version = graph.latest_version ?? null;
  if (isDirty(graphStore.getState()) || version === null) version = await save(`Launched a run on ${s.dataset.name}`);
  const run = await runs.create({
    graph: graph.id, version, kind: s.kind, dataset: s.datasetRef, config: s.config, devices: s.devices,
    nodes: s.nodes, queue: s.queue, priority: s.priority, name: s.name, tags: s.tags,
  });
  navigate(s.kind === "tune" ? `/sweeps/${run.id}` : `/runs/${run.id}`);
}

/** A param picked for tuning (the inspector's "tune" buttons) opens the Tune dialog. */
function useTuneOnPick(graphId: number, setDialog: (d: Dialog) => void) {
  const wanted = useTuneDraft((s) => s.wanted);
  useEffect(() => tuneDraft.getState().forGraph(graphId), [graphId]);
  useEffect(() => {
    if (!wanted) return;
    setDialog("tune");
    tuneDraft.getState().opened();
  }, [wanted, setDialog]);
}

function Workspace({ graph, reloadGraph }: { graph: GraphDetail; reloadGraph: (g: GraphDetail) => void }) {
  const [panel, setPanel] = useState<Panel>("inspector");
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const dirty = useGraph(isDirty);
  const { fitView } = useReactFlow();
  useLiveValidation();
  useKeepDraft(graph.id, graph.latest_version ?? null);
  useWarnBeforeLeaving(graph.name);
  const { versions, save, restore } = useVersions(graph, reloadGraph, setNotice);
  useTuneOnPick(graph.id, setDialog);

  const layout = useCallback(() => {
    const { doc, scope: sc } = graphStore.getState();
    graphStore.getState().beginMove();
    graphStore.getState().move(autoLayout(scopeOf(doc, sc)));
    window.requestAnimationFrame(() => void fitView({ duration: 200 }));
  }, [fitView]);
  const shortcuts = useMemo(() => ({
    save: () => setDialog("save"), layout, fit: () => void fitView({ duration: 200 }), help: () => setDialog("help"),
  }), [layout, fitView]);
  useShortcuts(shortcuts);

  const exportAs = async (format: ExportFormat) => {
    setNotice(null);
    // The document as it is in the editor (unsaved edits and layout included): "Import document" reads it back.
    if (format === "json") return saveBlob(documentFile(graphStore.getState().doc), `${graph.name}.json`);
    if (!graph.latest_version || dirty) return setNotice("Save first: exports are made from a saved version.");
    const ext = { py: "py", torchscript: "pt", onnx: "onnx" }[format];
    try {
      await graphs.exportFile(graph.id, graph.latest_version, format, `${graph.name}-v${graph.latest_version}.${ext}`);
    } catch (err) {
      setNotice(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div className="editor">
      <EditorToolbar graph={graph} panel={panel} setPanel={setPanel} setDialog={setDialog} layout={layout}
        fit={() => void fitView({ duration: 200 })} exportAs={exportAs} />
      <DraftOffer graphId={graph.id} latest={graph.latest_version ?? null} />
      {notice && <div className="notice" role="status">{notice} <button className="btn btn-ghost" onClick={() => setNotice(null)}>✕</button></div>}
      <div className="editor-body">
        <Palette />
        <Canvas />
        <aside className="inspector">
          {panel === "history" ? <HistoryPanel graphId={graph.id} versions={versions} loading={versions === null} onRestore={restore} /> : <Inspector projectId={graph.project} />}
        </aside>
      </div>
      <StatusBar />
      {dialog === "save" && <SaveDialog onClose={() => setDialog(null)} onSave={async (m) => void (await save(m))} />}
      {dialog === "launch" && <LaunchDialog graphId={graph.id} projectId={graph.project} onClose={() => setDialog(null)} onLaunch={(st) => launchRun(graph, st, save)} />}
      {dialog === "tune" && <TuneDialog graphId={graph.id} projectId={graph.project} onClose={() => setDialog(null)} onTune={(st) => launchRun(graph, st, save)} />}
      {dialog === "help" && <ShortcutHelp onClose={() => setDialog(null)} />}
    </div>
  );
}

export function EditorPage({ params }: { params: Record<string, string> }) {
  const id = Number(params.id);
  const [graph, setGraph] = useState<GraphDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void catalogueStore.getState().load(catalogueApi.layers);
    graphs.get(id).then(
      (g) => {
        if (!live) return;
        const parsed = g.document ? parseDocument(g.document) : null;
        if (parsed && !parsed.ok) setError(`The saved document does not read as netweave.graph/1: ${parsed.errors.slice(0, 3).join("; ")}`);
        graphStore.getState().load(parsed?.ok ? placeUnplaced(parsed.doc) : emptyDocument(g.name));
        setGraph(g);
        projects.blocks(g.project).then(
          (blocks) => catalogueStore.getState().setProjectBlocks(Object.fromEntries(blocks.filter((b) => b.graph !== g.id).map((b) => [b.name, b.definition]))),
          () => undefined,
        );
      },
      (err) => live && setError(err instanceof ApiError && err.status === 404 ? "This graph does not exist, or you have no access to it." : String(err.message ?? err)),
    );
    return () => {
      live = false;
    };
  }, [id]);
  if (error && !graph) return <div className="content"><ErrorNote message={error} /><Link to="/">Back to projects</Link></div>;
  if (!graph) return <Spinner label="Opening the graph" />;
  return (
    <ReactFlowProvider>
      {error && <ErrorNote message={error} />}
      <Workspace graph={graph} reloadGraph={setGraph} />
    </ReactFlowProvider>
  );
}
