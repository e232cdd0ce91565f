/**
 * Load something and, while any run it shows is still queued or running,
 * load it again every few seconds: the charts follow live runs without SSE
 * (the server's downsampled series are the same whether a run is live or not).
 */
import { useCallback, useEffect, useRef, useState } from "react";

export const REFRESH_MS = 5000;

export function useLive<T>(load: () => Promise<T>, isLive: (data: T) => boolean, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const fetcher = useCallback(load, deps);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    return fetcher().then(
      (d) => {
        // An older answer arriving after a newer request is dropped.
        if (mine !== generation.current) return null;
        setData(d);
        setError(null);
        setLoading(false);
        return d;
      },
      (e: unknown) => {
        if (mine !== generation.current) return null;
        setError(e instanceof Error ? e.message : String(e));
        setLoading(false);
        return null;
      },
    );
  }, [fetcher]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const tick = async () => {
      const d = await reload();
      if (!stopped && d !== null && isLive(d)) timer = setTimeout(tick, REFRESH_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reload]);

  return { data, error, loading, reload };
}

export const LIVE_STATES = ["queued", "running"];
