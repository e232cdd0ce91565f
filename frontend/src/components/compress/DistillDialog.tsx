/**
 * Distill from a finished run: the run is the teacher; the student is a graph version picked
 * here (often a narrower copy); the rest is the distill kind's form (its JSON Schema).
 */
import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { graphs as graphsApi, runs as runsApi } from "../../api/endpoints";
import { useProjectGraphs } from "../../api/queries";
import type { GraphSummary, JobKind, Run, Version } from "../../api/types";
import { navigate } from "../../router";
import { JobDialog } from "../jobs/JobDialog";

function StudentPicker({ projectId, graph, version, onChange }: {
  projectId: number; graph: number | null; version: number | null; onChange: (graph: number, version: number | null) => void;
}) {
  const { data: graphs } = useProjectGraphs(projectId);
  const { data: versions } = useQuery({ queryKey: ["graphs", graph, "versions"], queryFn: () => graphsApi.versions(graph!),
    enabled: graph !== null });
  return (
    <>
      <label className="field"><span className="field-label">Student graph</span>
        <select value={graph ?? ""} onChange={(e) => onChange(Number(e.target.value), null)} data-testid="student-graph">
          {(graphs ?? []).map((g: GraphSummary) => <option key={g.id} value={g.id}>{g.name}</option>)}
        </select>
      </label>
      <label className="field"><span className="field-label">Student version</span>
        <select value={version ?? ""} onChange={(e) => graph && onChange(graph, e.target.value ? Number(e.target.value) : null)} data-testid="student-version">
          <option value="">latest</option>
          {(versions ?? []).map((v: Version) => <option key={v.number} value={v.number}>v{v.number} {v.message}</option>)}
        </select>
      </label>
    </>
  );
}

export function DistillDialog({ run, kind, onClose }: { run: Run; kind: JobKind; onClose: () => void }) {
  const [student, setStudent] = useState<{ graph: number | null; version: number | null }>({ graph: run.graph ?? null, version: null });
  useEffect(() => setStudent({ graph: run.graph ?? null, version: null }), [run.graph]);
  return (
    <JobDialog kind={kind.kind} projectId={run.project!} title={`Distill run #${run.id} into a student`}
      fromRun={{ id: run.id, datasetName: String(run.dataset?.kind ?? "its dataset") }}
      inputsExtra={<StudentPicker projectId={run.project!} graph={student.graph} version={student.version}
        onChange={(graph, version) => setStudent({ graph, version })} />}
      onClose={onClose}
      onSubmit={async (s) => {
        const made = await runsApi.create({
          kind: kind.kind, graph: student.graph ?? undefined, version: student.version ?? undefined, inputs: [{ run: run.id, checkpoint: s.checkpoint }],
          dataset: s.datasetRef, config: s.config, devices: s.devices, nodes: s.nodes, queue: s.queue, name: s.name, tags: s.tags,
        });
        navigate(`/runs/${made.id}`);
      }} />
  );
}
