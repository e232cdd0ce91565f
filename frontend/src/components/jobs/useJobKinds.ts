/** The job kinds (GET /api/jobs), fetched once per page load: they change only with a deploy. */
import { useEffect, useState } from "react";
import { jobs } from "../../api/endpoints";
import type { JobKind } from "../../api/types";

let cached: Promise<JobKind[]> | null = null;

export function loadJobKinds(): Promise<JobKind[]> {
  cached ??= jobs.list().catch((err) => {
    cached = null; // a failed load is tried again next time
    throw err;
  });
  return cached;
}

export function useJobKinds(): { kinds: JobKind[] | null; error: string | null } {
  const [state, setState] = useState<{ kinds: JobKind[] | null; error: string | null }>({ kinds: null, error: null });
  useEffect(() => {
    let live = true;
    loadJobKinds().then(
      (kinds) => live && setState({ kinds, error: null }),
      (err: unknown) => live && setState({ kinds: null, error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}

/** Kinds a person starts from one finished run (evaluate, compress, ...): one button each. */
export const fromOneRun = (kinds: JobKind[]) => kinds.filter((k) => k.inputs.min <= 1 && k.inputs.max >= 1);
