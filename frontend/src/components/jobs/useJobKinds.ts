/** The job kinds (GET /api/jobs), fetched once per page load: they change only with a deploy. */
import { useQuery } from "@tanstack/react-query";
import { jobs } from "../../api/endpoints";
import { errorText } from "../../api/queries";
import type { JobKind } from "../../api/types";

export function useJobKinds(): { kinds: JobKind[] | null; error: string | null } {
  const { data, error } = useQuery({ queryKey: ["jobs"], queryFn: jobs.list, staleTime: Infinity });
  return { kinds: data ?? null, error: errorText(error) };
}

/** Kinds a person starts from one finished run (evaluate, compress, ...): one button each. */
export const fromOneRun = (kinds: JobKind[]) => kinds.filter((k) => k.inputs.min <= 1 && k.inputs.max >= 1);
