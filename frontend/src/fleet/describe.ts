import type { FleetJob, FleetWorker } from "./types";

/** "16 CPUs · 62.5 GiB · 2× NVIDIA H200 (141 GiB)": what a worker may use, in one line. */
export function describeDevices(devices: FleetWorker["devices"]): string {
  const parts: string[] = [];
  if (devices.cpus) parts.push(`${devices.cpus} CPU${devices.cpus === 1 ? "" : "s"}`);
  if (devices.memory_mb) parts.push(`${(devices.memory_mb / 1024).toFixed(1)} GiB`);
  const byName = new Map<string, number[]>();
  for (const gpu of devices.gpus ?? []) byName.set(gpu.name, [...(byName.get(gpu.name) ?? []), gpu.memory_mb]);
  for (const [name, memory] of byName)
    parts.push(`${memory.length > 1 ? `${memory.length}× ` : ""}${name} (${Math.round(memory[0] / 1024)} GiB)`);
  return parts.join(" · ") || "unknown";
}

/** Seconds since the worker's last announcement, as a person reads it. */
export function sinceText(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

export function jobTitle(job: FleetJob): string {
  if (job.hidden) return "a run of another project";
  return `#${job.id}${job.name ? ` ${job.name}` : ""}${job.project ? ` · ${job.project.name}` : ""}`;
}
