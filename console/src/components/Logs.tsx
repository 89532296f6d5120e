import { useEffect, useRef, useState } from "preact/hooks";
import { loginRedirect } from "../api";

/** The admin's own log URLs are read on this origin (the same credentials); others are shown as links only. */
export function localLogPath(uri: string): string | null {
  try {
    const u = new URL(uri, window.location.href);
    return u.pathname.startsWith("/logs/") ? u.pathname + u.search : null;
  } catch {
    return null;
  }
}

/**
 * One task attempt's log, inline. While the attempt runs it polls with `Range: bytes=<have>-`, so only new bytes
 * travel; an answer of 200 (a server that ignores ranges) replaces the text.
 */
export function LogView({ uri, name, live }: { uri: string; name?: string; live: boolean }) {
  const path = localLogPath(uri);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const have = useRef(0);
  const pre = useRef<HTMLPreElement>(null);
  const liveRef = useRef(live);
  liveRef.current = live;
  useEffect(() => {
    if (!path) return;
    let stopped = false;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const headers: Record<string, string> = {};
        if (have.current > 0) headers.Range = `bytes=${have.current}-`;
        const res = await fetch(path, { credentials: "same-origin", headers });
        if (res.status === 401) return loginRedirect();
        if (res.status === 206) {
          const chunk = await res.text();
          have.current += new TextEncoder().encode(chunk).length;
          if (!stopped && chunk) setText((t) => t + chunk);
        } else if (res.ok) {
          const all = await res.text();
          have.current = new TextEncoder().encode(all).length;
          if (!stopped) setText(all);
        } else if (res.status !== 416 && res.status !== 404) {
          setError(`${res.status} ${res.statusText}`);
        }
      } catch (e) {
        setError((e as Error).message);
      }
      if (!stopped) setLoaded(true);
      if (!stopped && liveRef.current) timer = window.setTimeout(poll, 1000);
    };
    poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [path, live]);
  useEffect(() => {
    const el = pre.current;
    if (el && live) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <div class="log">
      <div class="log-head">
        <a href={uri} target="_blank" rel="noreferrer">
          {name || "log"}
        </a>
        {live && <span class="live">live</span>}
        {error && <span class="error-inline">{error}</span>}
      </div>
      {path && (
        <pre class="log-text" ref={pre}>
          {text || (!loaded ? "(loading)" : live ? "(waiting for output)" : "(empty)")}
        </pre>
      )}
    </div>
  );
}
