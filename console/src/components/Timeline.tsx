import { fmtDuration, parseDuration, phaseClass, tsMillis } from "../api";

/**
 * Node executions as bars on one time axis. Written here rather than with vis-timeline: the console only needs
 * positioned bars, and vis-timeline (with moment) would be most of the bundle.
 */
export function Timeline({ nodes, now }: { nodes: any[]; now: number }) {
  const rows = nodes
    .map((n) => {
      const start = tsMillis(n.closure?.started_at) || tsMillis(n.closure?.created_at);
      const dur = parseDuration(n.closure?.duration) * 1000;
      const end = dur ? start + dur : n.closure?.phase && ["RUNNING", "QUEUED", "DYNAMIC_RUNNING"].includes(n.closure.phase) ? now : start;
      return { id: n.id.node_id, phase: n.closure?.phase, start, end };
    })
    .filter((r) => r.start)
    .sort((a, b) => a.start - b.start);
  if (!rows.length) return <p class="muted">No node has started yet.</p>;
  const t0 = Math.min(...rows.map((r) => r.start));
  const t1 = Math.max(...rows.map((r) => r.end), t0 + 1);
  const span = t1 - t0;
  return (
    <div class="timeline">
      <div class="tl-axis">
        <span>0s</span>
        <span>{fmtDuration(span / 2000)}</span>
        <span>{fmtDuration(span / 1000)}</span>
      </div>
      {rows.map((r) => (
        <div class="tl-row" key={r.id}>
          <span class="tl-name" title={r.id}>
            {r.id}
          </span>
          <span class="tl-track">
            <span
              class={`tl-bar ${phaseClass(r.phase)}`}
              style={{ left: `${((r.start - t0) / span) * 100}%`, width: `${Math.max(((r.end - r.start) / span) * 100, 0.4)}%` }}
              title={`${r.id}: ${fmtDuration((r.end - r.start) / 1000)}`}
            />
          </span>
          <span class="tl-dur">{fmtDuration((r.end - r.start) / 1000)}</span>
        </div>
      ))}
    </div>
  );
}
