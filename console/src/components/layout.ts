import dagre from "@dagrejs/dagre";

export const W = 170;
export const H = 38;

export interface LayoutInput {
  nodes: string[];
  edges: [string, string][];
}

export interface LayoutOutput {
  pos: Record<string, { x: number; y: number }>;
  edges: { x: number; y: number }[][];
  width: number;
  height: number;
}

/** dagre's layered layout, left to right. Large graphs rank by longest path (network simplex is slow there). */
export function layoutGraph(input: LayoutInput): LayoutOutput {
  const g = new dagre.graphlib.Graph();
  g.setGraph({
    rankdir: "LR",
    nodesep: 14,
    ranksep: 46,
    marginx: 10,
    marginy: 10,
    ranker: input.nodes.length > 200 ? "longest-path" : "network-simplex",
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of input.nodes) g.setNode(id, { width: W, height: H });
  for (const [a, b] of input.edges) g.setEdge(a, b);
  dagre.layout(g);
  const pos: LayoutOutput["pos"] = {};
  for (const id of g.nodes()) {
    const p = g.node(id);
    pos[id] = { x: p.x, y: p.y };
  }
  const edges = g.edges().map((e) => (g.edge(e).points || []).map((p: any) => ({ x: p.x, y: p.y })));
  return { pos, edges, width: g.graph().width || 0, height: g.graph().height || 0 };
}
