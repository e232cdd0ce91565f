/**
 * What the dashboards API answers (designer/dashboards, docs/contracts.md
 * section 6): the types generated from the OpenAPI schema (api/schema.ts), named.
 */
import type { components, operations } from "../api/schema";

type Schemas = components["schemas"];

/** Which way is better; "none" for settings recorded as metrics (the learning rate). */
export type Goal = Schemas["GoalEnum"];

/** The arrow shown after a metric's name: ↓ lower is better, ↑ higher is better, nothing for a setting. */
export const goalArrow = (goal: Goal): string => (goal === "min" ? " ↓" : goal === "max" ? " ↑" : "");

export type MetricColumn = Schemas["MetricColumn"];
export type TableRow = Schemas["TableRow"];
export type TableAnswer = Schemas["RunsTableAnswer"];
export type CompareRun = Schemas["CompareRun"];
export type GraphDiff = Schemas["GraphDiff"];
export type CompareAnswer = Schemas["CompareAnswer"];
export type Insights = Schemas["InsightsAnswer"];
/** One model in a compress run's report (docs/contracts.md section 3). */
export type CompressRow = Schemas["CompressRow"];

/** The runs table's query (the page's controls), sent as query parameters. */
export type TableQuery = Required<Pick<NonNullable<operations["projects_runs_table_retrieve"]["parameters"]["query"]>,
  "sort" | "state" | "tag" | "q">>;
