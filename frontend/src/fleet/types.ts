/** GET /api/fleet (docs/contracts.md section 5): the workers, their jobs, the queues. */
export interface FleetGpu {
  index: number;
  uuid: string;
  name: string;
  memory_mb: number;
  memory_used_mb: number;
  utilization_percent: number;
}

export interface FleetJob {
  id: number | null;
  /** A run of a project this person cannot see: no id, no name. */
  hidden: boolean;
  state: string;
  queue: string;
  name?: string;
  kind?: string;
  project?: { id: number; name: string };
  user?: string | null;
  devices?: number;
  priority?: number;
  gpus?: number[];
  created?: string;
  started?: string | null;
}

export interface FleetWorker {
  name: string;
  host: string;
  pid: number;
  queues: string[];
  devices: { cpus?: number; memory_mb?: number; gpus?: FleetGpu[] };
  state: "idle" | "busy" | "lost" | "stopped";
  started: string;
  heartbeat: string;
  jobs: FleetJob[];
}

export interface FleetQueue {
  name: string;
  /** Messages waiting in the broker (null: the broker could not be asked). */
  messages: number | null;
  queued: FleetJob[];
  workers: number;
}

export interface Fleet {
  workers: FleetWorker[];
  queues: FleetQueue[];
}
