/** The sweeps API (docs/contracts.md section 8): trials, analysis, extend, promote. */
import { request } from "../api/client";
import type { components } from "../api/schema";
import type { Run } from "../api/types";

export type TrialState = "running" | "complete" | "pruned" | "fail";

export interface Trial {
  number: number;
  state: TrialState;
  params: Record<string, unknown>;
  values: number[] | null;
  pruned_epoch: number | null;
  run: number | null;
  run_state: string | null;
  duration_s: number | null;
  error: string;
}

type Schemas = components["schemas"];

/** One thing a trial may change; the tune dialog builds them, so all but name and type may be left out. */
export type Dimension = Pick<Schemas["SweepDimension"], "name" | "type"> & Partial<Omit<Schemas["SweepDimension"], "name" | "type">>;
export type Objective = Schemas["SweepObjective"];
export type Analysis = Schemas["SweepAnalysisAnswer"];
export type Promoted = Schemas["PromotedTrial"];

/** The server sends one compact row per trial (10,000 trials stay small): name them here. */
export function trialsFrom(answer: Schemas["SweepTrials"]): Trial[] {
  const at = Object.fromEntries(answer.columns.map((c, i) => [c, i]));
  return answer.rows.map((r) => ({
    number: r[at.number] as number, state: r[at.state] as TrialState, params: (r[at.params] ?? {}) as Record<string, unknown>,
    values: r[at.values] as number[] | null, pruned_epoch: r[at.pruned_epoch] as number | null, run: r[at.run] as number | null,
    run_state: r[at.run_state] as string | null, duration_s: r[at.duration_s] as number | null, error: (r[at.error] ?? "") as string,
  }));
}

export const sweeps = {
  run: (id: number) => request<Run>("GET", `/runs/${id}`),
  trials: async (id: number) => trialsFrom(await request<Schemas["SweepTrials"]>("GET", `/sweeps/${id}/trials`)),
  analysis: (id: number) => request<Analysis>("GET", `/sweeps/${id}/analysis`),
  extend: (id: number, n_trials: number) => request<Run>("POST", `/sweeps/${id}/extend`, { n_trials }),
  promote: (id: number, number: number) => request<Promoted>("POST", `/sweeps/${id}/trials/${number}/promote`, {}),
};
