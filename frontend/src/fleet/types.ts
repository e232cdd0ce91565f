/** GET /api/fleet (docs/contracts.md section 5), as the server's OpenAPI schema types it. */
import type { components } from "../api/schema";

type Schemas = components["schemas"];

export type Fleet = Schemas["Fleet"];
/** `state`: idle, busy, lost (silent past the heartbeat timeout) or stopped. */
export type FleetWorker = Schemas["FleetWorker"];
export type FleetJob = Schemas["FleetJob"];
export type FleetQueue = Schemas["FleetQueue"];
export type FleetGpu = Schemas["GpuNow"];
