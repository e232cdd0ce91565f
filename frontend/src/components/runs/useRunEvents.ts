/**
 * Follow a run live over SSE. The browser's EventSource reconnects by itself
 * and sends Last-Event-ID, so the server replays what was missed; if the
 * stream is closed for good (a proxy, a restart), we open a new one from the
 * last applied id (`?after=`), and the runs store drops any event it has
 * already applied. Closed once the run ends.
 */
import { useEffect } from "react";
import { runs as runsApi } from "../../api/endpoints";
import { runsStore, TERMINAL } from "../../stores/runs";

const EVENT_TYPES = ["metrics", "state", "log", "message"];

export function useRunEvents(runId: number) {
  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const store = runsStore.getState;

    const open = () => {
      if (stopped) return;
      source = new EventSource(runsApi.eventsUrl(runId, store().lastEventId), { withCredentials: true });
      source.onopen = () => store().setConnection("open");
      const handle = (e: MessageEvent) => {
        let data: unknown = null;
        try {
          data = JSON.parse(e.data);
        } catch {
          data = { message: e.data };
        }
        const id = e.lastEventId ? Number(e.lastEventId) : null;
        store().applyEvent(Number.isFinite(id) ? id : null, e.type, data);
        const state = store().run?.state;
        if (state && TERMINAL.includes(state)) {
          stopped = true;
          source?.close();
          store().setConnection("closed");
          // The row holds what the end brought (summary, finished time): read it once.
          runsApi.get(runId).then((r) => store().setRun({ ...store().run, ...r }), () => undefined);
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
