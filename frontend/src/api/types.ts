/**
 * Resources of the REST API as the editor reads them: the types generated from
 * the server's OpenAPI schema (schema.ts, `make api-types`; a test fails when it
 * drifts), named here. Only the graph document is typed from its zod schema
 * (schemas/graph.ts), the one source of the graph's types in the browser.
 */
import type { components } from "./schema";
import type { Block, GraphDocument } from "../schemas/graph";
import type { JsonSchema } from "../components/jobs/schema";

type Schemas = components["schemas"];

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export type User = Schemas["User"];
export type Project = Schemas["Project"];
export type GraphSummary = Schemas["Graph"];
export type GraphDetail = Omit<Schemas["GraphDetail"], "document"> & { document: GraphDocument | null };
/** A version row; restore and a single version also carry the document. */
export type Version = Schemas["Version"] & { document?: GraphDocument };
export type ProjectBlock = Omit<Schemas["ProjectBlock"], "definition"> & { definition: Block };
export type Template = Schemas["Template"];
/** Built-ins have the kind as id ("digits"); uploads a number. */
export type Dataset = Omit<Schemas["DatasetRow"], "id"> & { id: number | string };
export type RunState = Schemas["StateEnum"];
/** A job kind from GET /api/jobs (the engine's registry); its config's JSON Schema drives the form. */
export type JobKind = Omit<Schemas["JobKind"], "config_schema"> & { config_schema: JsonSchema };
/** A run as GET /api/runs/<id> answers it (lists leave out log_tail and resumable). */
export type Run = Schemas["RunDetail"];
export type RunRow = Schemas["Run"];
export type Checkpoint = Schemas["Checkpoint"];
export type MetricSummary = Schemas["Summary"];
export type RunSeriesAnswer = Schemas["RunSeriesAnswer"];
