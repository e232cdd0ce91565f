/**
 * Follow a run live over SSE. The browser's EventSource reconnects by itself
 * and sends Last-Event-ID, so the server replays what was missed; if the
 * stream is closed for good (a proxy, a restart), we open a new one from the
 * last applied id (`?after=`), and the runs store drops any event it has
 * already applied. Closed once the run ends.
 *
 * The stream is also what refreshes the page's other reads (insights, system
 * charts: ["runs", id] in the query cache): a checkpoint, an artifact or a
 * state change at once, system metrics at most every few seconds. No timers.
 */
import { useEffect } from "react";
import type { QueryClient } from "@tanstack/react-query";
import { runs as runsApi } from "../../api/endpoints";
import { runsStore, TERMINAL } from "../../stores/runs";
import { keys, queryClient, REFRESH_MS } from "../../api/queries";

const REFRESHES = ["state", "checkpoint", "artifact"];

/** What an event makes stale in the query cache: called for each applied event. */
function refresher(runId: number) {
  let systemAt = 0;
  return (type: string, data: unknown) => {
    const points = (data as { points?: { key?: string }[] } | null)?.points ?? [];
    const system = type === "metrics" && points.some((p) => p.key?.startsWith("system/"));
    if (!REFRESHES.includes(type) && !(system && Date.now() - systemAt >= REFRESH_MS)) return;
    if (system) systemAt = Date.now();
    void queryClient.invalidateQueries({ queryKey: keys.run(runId) });
  };
}

/**
 * Everything read about a run, read again now that it has ended, shown or not. A read that was
 * under way while nothing showed it (a panel between two renders) would otherwise land after the
 * end with what it saw before, count as fresh, and keep the page from asking again: an evaluation
 * that ended as its page opened showed its results but never its calibration. Invalidating alone
 * does not stop that read (nothing observes it, so nothing is refetched): it is cancelled first.
 */
export async function refreshAfterEnd(client: QueryClient, runId: number): Promise<void> {
  const queryKey = keys.run(runId);
  await client.cancelQueries({ queryKey });  // what was being read saw the run before its end
  await client.invalidateQueries({ queryKey });  // shown: read now; not shown: read when shown
}

const EVENT_TYPES = ["metrics", "state", "phase", "log", "message"];

export function useRunEvents(runId: number) {
  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const store = runsStore.getState;
    const refresh = refresher(runId);

    const open = () => {
      if (stopped) return;
      source = new EventSource(runsApi.eventsUrl(runId, store().lastEventId), { withCredentials: true });
      source.onopen = () => store().setConnection("open");
      const handle = (e: MessageEvent) => {
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          data = { message: e.data };
        }
        const id = e.lastEventId ? Number(e.lastEventId) : null;
        if (store().applyEvent(Number.isFinite(id) ? id : null, e.type, data)) refresh(e.type, data);
        const state = store().run?.state;
        if (state && TERMINAL.includes(state)) {
          stopped = true;
          source?.close();
          store().setConnection("closed");
          // The row holds what the end brought (summary, finished time): read it once.
          runsApi.get(runId).then((r) => store().setRun({ ...store().run, ...r }), () => undefined);
          // So do the page's other reads (insights, checkpoints): a run that ended while the page
          // loaded is known ended before its own state event arrives, which would have refreshed them.
          void refreshAfterEnd(queryClient, runId);
        }
      };
      for (const t of EVENT_TYPES) source.addEventListener(t, handle as EventListener);
      source.onerror = () => {
        if (stopped) return;
        store().setConnection("reconnecting");
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          retry = setTimeout(open, 2000);
        }
      };
    };
    open();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      source?.close();
    };
  }, [runId]);
}
