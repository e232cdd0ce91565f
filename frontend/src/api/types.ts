/**
 * Resources of the REST API as the editor reads them: the types generated from
 * the server's OpenAPI schema (schema.ts, `make api-types`; a test fails when it
 * drifts), named here. Only the graph document is typed from its zod schema
 * (schemas/graph.ts), the one source of the graph's types in the browser.
 */
import type { components, operations } from "./schema";
import type { Block, GraphDocument } from "../schemas/graph";
import type { JsonSchema } from "../components/jobs/schema";

type Schemas = components["schemas"];

/** A page of a list (every list has the same envelope; the graphs' stands for all). */
export type Page<T> = Omit<Schemas["PaginatedGraphList"], "results"> & { results: T[] };

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
/** POST /api/runs: a launch. Its dataset is a built-in {kind, options} or an upload {id}; left out with
 * inputs, the first input run's (and so its graph version). */
export type LaunchRequest = Schemas["RunCreateRequest"];
export type DatasetRef = Schemas["DatasetRefRequest"];
/** A run as GET /api/runs/<id> answers it (lists leave out log_tail and resumable). */
export type Run = Schemas["RunDetail"];
export type RunRow = Schemas["Run"];
export type Checkpoint = Schemas["Checkpoint"];
export type MetricSummary = Schemas["Summary"];
/** GET /api/series: each run's lines (columns of equal length), and the query it takes. */
export type SeriesAnswer = Schemas["ManySeriesAnswer"];
export type SeriesLine = Schemas["SeriesLine"];
export type SeriesQuery = operations["series_retrieve"]["parameters"]["query"];
/** The engine's validation report (POST /api/graphs/validate) and its parts. */
export type ValidationReport = Schemas["ValidationReport"];
export type NodeReport = Schemas["NodeReport"];
export type EdgeReport = Schemas["EdgeReport"];
export type BlockReport = Schemas["BlockReport"];
/** One problem where it is: the report's errors and a 400's `errors` alike. */
export type GraphErrorItem = Schemas["ErrorItem"];
/**
 * A param as the editor handles it: the registry's (GET /api/layers, every field) or
 * one the editor makes itself (a block's exposed params), which may leave the rest out.
 */
export type ParamSpec = Pick<Schemas["LayerParam"], "name" | "type" | "inferred"> &
  Partial<Omit<Schemas["LayerParam"], "name" | "type" | "inferred">>;
type Port = Pick<Schemas["LayerPort"], "name"> & Partial<Schemas["LayerPort"]>;
/** An op of the layer registry (GET /api/layers), or a block op the editor lists beside them. */
export type LayerSpec = Omit<Schemas["LayerSpec"], "inputs" | "outputs" | "params"> & {
  inputs: Port[];
  outputs: Port[];
  params: ParamSpec[];
};
export type WeightsAnswer = Schemas["WeightsAnswer"];
export type VersionDiff = Schemas["VersionDiff"];
