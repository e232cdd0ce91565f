/** The fleet: every worker, what it runs, the queues and the runs waiting in them, in order. */
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { runs } from "../api/endpoints";
import { errorText, keys, useFleet } from "../api/queries";
import { Link } from "../router";
import { ErrorNote, Spinner } from "../components/ui/Spinner";
import { describeDevices, jobTitle, sinceText } from "./describe";
import type { FleetJob, FleetWorker } from "./types";
import "./fleet.css";

export function FleetPage() {
  const { data, error: readError } = useFleet();
  const queryClient = useQueryClient();
  const error = errorText(readError);
  const [actionError, setActionError] = useState<string | null>(null);
  const cancel = async (id: number) => {
    try {
      await runs.cancel(id);
      setActionError(null);
      await queryClient.invalidateQueries({ queryKey: keys.fleet });
      await queryClient.invalidateQueries({ queryKey: keys.run(id) });
    } catch (err) {
      setActionError(err instanceof Error ? err.message : String(err));
    }
  };
  if (!data) return error ? <ErrorNote message={error} /> : <Spinner label="Loading the fleet" />;
  return (
    <div className="content fleet">
      <div className="page-head">
        <h1>Fleet</h1>
      </div>
      <ErrorNote message={actionError ?? error} />
      <h2>Workers</h2>
      {data.workers.length === 0 && <p className="muted">No worker has announced itself yet: start one with `make run` or `docker compose up`.</p>}
      <table className="table fleet-workers">
        <thead>
          <tr><th>Worker</th><th>State</th><th>Queues</th><th>Devices</th><th>Last heard</th><th>Running</th></tr>
        </thead>
        <tbody>
          {data.workers.map((w) => <WorkerRow key={`${w.host}:${w.pid}`} worker={w} cancel={cancel} />)}
        </tbody>
      </table>
      <h2>Queues</h2>
      {data.queues.map((queue) => (
        <section key={queue.name} className="card fleet-queue" data-queue={queue.name}>
          <h3>
            {queue.name} <span className="tag">{queue.queued.length} queued</span>{" "}
            <span className="tag">{queue.workers} worker{queue.workers === 1 ? "" : "s"}</span>{" "}
            {queue.messages !== null && <span className="tag">{queue.messages} in the broker</span>}
          </h3>
          {queue.queued.length === 0 ? <p className="muted">Nothing waits here.</p> : (
            <ol className="fleet-queued">
              {queue.queued.map((job, i) => <li key={job.id ?? `hidden-${i}`}><JobLine job={job} cancel={cancel} /></li>)}
            </ol>
          )}
        </section>
      ))}
    </div>
  );
}

function WorkerRow({ worker, cancel }: { worker: FleetWorker; cancel: (id: number) => void }) {
  return (
    <tr className={`fleet-worker state-${worker.state}`} data-worker={worker.name}>
      <td><strong>{worker.name}</strong><div className="muted">{worker.host} · pid {worker.pid}</div></td>
      <td><span className={`tag fleet-state-${worker.state}`}>{worker.state}</span></td>
      <td>{worker.queues.join(", ")}</td>
      <td>
        {describeDevices(worker.devices)}
        {(worker.devices.gpus ?? []).map((gpu) => (
          <div key={gpu.uuid} className="muted">
            GPU {gpu.index}: {gpu.utilization_percent}% · {Math.round(gpu.memory_used_mb / 1024)}/{Math.round(gpu.memory_mb / 1024)} GiB
          </div>
        ))}
      </td>
      <td>{sinceText(worker.heartbeat)}</td>
      <td>{worker.jobs.length === 0 ? <span className="muted">—</span> : worker.jobs.map((job, i) => (
        <JobLine key={job.id ?? `hidden-${i}`} job={job} cancel={cancel} />
      ))}</td>
    </tr>
  );
}

function JobLine({ job, cancel }: { job: FleetJob; cancel: (id: number) => void }) {
  if (job.hidden || job.id === null) return <span className="muted">{jobTitle(job)}</span>;
  const id = job.id;
  return (
    <span className="fleet-job" data-run={id}>
      <Link to={`/runs/${id}`}>{jobTitle(job)}</Link>
      {job.user && <span className="muted"> · {job.user}</span>}
      {job.gpus && job.gpus.length > 0 && <span className="muted"> · GPU {job.gpus.join(", ")}</span>}
      {job.priority ? <span className="tag">priority {job.priority}</span> : null}
      <button className="btn btn-ghost" onClick={() => cancel(id)} aria-label={`Cancel run ${id}`}>Cancel</button>
    </span>
  );
}
