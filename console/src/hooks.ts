import { useEffect, useRef, useState } from "preact/hooks";

export interface Loaded<T> {
  data?: T;
  error?: any;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `fn` when `deps` change and, while `live(data)` holds, again every `intervalMs`: the console's live
 * updates are polling of the REST API (the admin pushes nothing to browsers).
 */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], live?: (d: T | undefined) => boolean, intervalMs = 2000): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: any; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const liveRef = useRef(live);
  liveRef.current = live;
  const keyRef = useRef<string | null>(null);
  useEffect(() => {
    // New deps (another execution, another filter): never show the previous one's data meanwhile.
    const key = JSON.stringify(deps);
    if (keyRef.current !== null && keyRef.current !== key) setState({ loading: true });
    keyRef.current = key;
    let stopped = false;
    let timer: number | undefined;
    const run = async () => {
      try {
        const data = await fn();
        if (stopped) return;
        setState({ data, loading: false });
        if (liveRef.current && liveRef.current(data)) timer = window.setTimeout(run, intervalMs);
      } catch (error) {
        if (stopped) return;
        setState((s) => ({ data: s.data, error, loading: false }));
        if (liveRef.current && liveRef.current(undefined)) timer = window.setTimeout(run, intervalMs * 2);
      }
    };
    run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}
