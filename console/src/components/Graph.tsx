import dagre from "@dagrejs/dagre";
import { useMemo } from "preact/hooks";
import { phaseClass } from "../api";

const W = 170;
const H = 38;

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

interface Laid {
  nodes: { id: string; label: string; kind: string; x: number; y: number }[];
  edges: { points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

/** The DAG laid out by dagre (left to right), from a workflow template and its compiled connections. */
function layout(template: any, connections: any): Laid {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 46, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes: any[] = template?.nodes || [];
  const ids = new Set<string>(nodes.map((n) => n.id));
  ids.add("start-node");
  ids.add("end-node");
  const byId = new Map<string, any>(nodes.map((n) => [n.id, n]));
  for (const id of ids) g.setNode(id, { width: W, height: H });
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
  for (const e of edges) {
    const [a, b] = e.split("\u0000");
    g.setEdge(a, b);
  }
  dagre.layout(g);
  const out: Laid = { nodes: [], edges: [], width: g.graph().width || 0, height: g.graph().height || 0 };
  for (const id of g.nodes()) {
    const p = g.node(id);
    const n = byId.get(id) || { id };
    out.nodes.push({ id, label: n.metadata?.name ? shortName(n.metadata.name) : id, kind: nodeKind(n), x: p.x, y: p.y });
  }
  for (const e of g.edges()) out.edges.push({ points: g.edge(e).points || [] });
  return out;
}

const shortName = (name: string) => {
  const parts = name.split(".");
  return parts[parts.length - 1] || name;
};

export function Graph({
  template,
  connections,
  phases,
  onSelect,
}: {
  template: any;
  connections: any;
  phases?: Record<string, string>;
  onSelect?: (nodeId: string) => void;
}) {
  const laid = useMemo(() => layout(template, connections), [template, connections]);
  return (
    <div class="graph">
      <svg width={laid.width} height={laid.height} role="img" aria-label="workflow graph">
        {laid.edges.map((e, i) => (
          <polyline key={i} class="edge" points={e.points.map((p) => `${p.x},${p.y}`).join(" ")} />
        ))}
        {laid.nodes.map((n) => {
          const phase = phases?.[n.id];
          return (
            <g
              key={n.id}
              class={`gnode ${phaseClass(phase)} ${onSelect ? "clickable" : ""}`}
              data-node={n.id}
              data-phase={phase || ""}
              transform={`translate(${n.x - W / 2},${n.y - H / 2})`}
              onClick={() => onSelect && onSelect(n.id)}
            >
              <rect width={W} height={H} rx={6} />
              <text x={8} y={15} class="glabel">
                {n.label.length > 22 ? `${n.label.slice(0, 21)}…` : n.label}
              </text>
              <text x={8} y={30} class="gkind">
                {n.kind}
                {phase ? ` · ${phase}` : ""}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
