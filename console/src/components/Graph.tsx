import { useEffect, useMemo, useState } from "preact/hooks";
import { phaseClass } from "../api";
import { H, W, type LayoutInput, type LayoutOutput } from "./layout";

export function nodeKind(n: any): string {
  if (n.task_node) return "task";
  if (n.array_node) return "map";
  if (n.workflow_node) return n.workflow_node.launchplan_ref ? "launch plan" : "subworkflow";
  if (n.branch_node) return "branch";
  if (n.gate_node) return n.gate_node.approve ? "approve" : n.gate_node.signal ? "signal" : "sleep";
  if (n.id === "start-node") return "start";
  if (n.id === "end-node") return "end";
  return "node";
}

const shortName = (name: string) => {
  const parts = name.split(".");
  return parts[parts.length - 1] || name;
};

/** The DAG's nodes and edges, from a workflow template and its compiled connections. */
function graphOf(template: any, connections: any): LayoutInput {
  const nodes: any[] = template?.nodes || [];
  const ids = new Set<string>(nodes.map((n) => n.id));
  ids.add("start-node");
  ids.add("end-node");
  const edges = new Set<string>();
  const down: Record<string, any> = connections?.downstream || {};
  for (const [from, list] of Object.entries(down)) {
    for (const to of (list as any).ids || []) if (ids.has(from) && ids.has(to)) edges.add(`${from}\u0000${to}`);
  }
  if (!edges.size) {
    for (const n of nodes) {
      const ups: string[] = n.upstream_node_ids || [];
      if (!ups.length) edges.add(`start-node\u0000${n.id}`);
      for (const u of ups) if (ids.has(u)) edges.add(`${u}\u0000${n.id}`);
    }
  }
  return { nodes: [...ids], edges: [...edges].map((e) => e.split("\u0000") as [string, string]) };
}

/** The workflow's graph, laid out by dagre in a Web Worker; node colors follow the live phases. */
export function Graph({
  template,
  connections,
  phases,
}: {
  template: any;
  connections: any;
  phases?: Record<string, string>;
}) {
  const input = useMemo(() => graphOf(template, connections), [template, connections]);
  const [laid, setLaid] = useState<LayoutOutput | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setLaid(null);
    const worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<LayoutOutput>) => setLaid(event.data);
    worker.onerror = (event) => setError(event.message || "the graph could not be laid out");
    worker.postMessage(input);
    return () => worker.terminate();
  }, [input]);
  if (error) return <div class="error">{error}</div>;
  if (!laid) return <div class="loading">Laying out {input.nodes.length} nodes…</div>;
  const byId = new Map<string, any>((template?.nodes || []).map((n: any) => [n.id, n]));
  return (
    <div class="graph">
      <svg width={laid.width} height={laid.height} role="img" aria-label="workflow graph">
        {laid.edges.map((points, i) => (
          <polyline key={i} class="edge" points={points.map((p) => `${p.x},${p.y}`).join(" ")} />
        ))}
        {Object.entries(laid.pos).map(([id, p]) => {
          const n = byId.get(id) || { id };
          const label: string = n.metadata?.name ? shortName(n.metadata.name) : id;
          const phase = phases?.[id];
          return (
            <g
              key={id}
              class={`gnode ${phaseClass(phase)}`}
              data-node={id}
              data-phase={phase || ""}
              transform={`translate(${p.x - W / 2},${p.y - H / 2})`}
            >
              <title>{id}</title>
              <rect width={W} height={H} rx={6} />
              <text x={8} y={15} class="glabel">
                {label.length > 22 ? `${label.slice(0, 21)}…` : label}
              </text>
              <text x={8} y={30} class="gkind">
                {nodeKind(n)}
                {phase ? ` · ${phase}` : ""}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
