// The graph's layout off the page's thread: dagre takes seconds on a workflow of 1,000 nodes.
import { layoutGraph, type LayoutInput } from "./layout";

self.onmessage = (event: MessageEvent<LayoutInput>) => {
  (self as any).postMessage(layoutGraph(event.data));
};
