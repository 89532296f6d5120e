// The console's one door to the admin: Flyte Admin's REST API (grpc-gateway JSON: proto field names, every field
// emitted, int64 as strings, enums as names, Timestamps as RFC3339 text). Same origin, so the admin's own
// credentials (its session cookie in auth mode) travel with each call.

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public grpcCode?: number,
  ) {
    super(message);
  }
  get notFound(): boolean {
    return this.status === 404 || this.grpcCode === 5;
  }
}

/** In auth mode an expired or missing session answers 401: the admin's login page brings the user back here. */
let redirecting = false;

export function loginRedirect(): void {
  if (redirecting) return; // several calls answer 401 at once: one navigation
  redirecting = true;
  const here = window.location.pathname + window.location.search + window.location.hash;
  window.location.assign(`/login?redirect_url=${encodeURIComponent(here)}`);
}

export type Query = Record<string, string | number | undefined | null>;

export function qs(query?: Query): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/** One path segment, escaped (names may hold dots and other characters). */
export const seg = (s: string): string => encodeURIComponent(s);

export async function request<T = any>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  const res = await fetch(path + qs(query), init);
  if (res.status === 401) {
    loginRedirect();
    throw new ApiError(401, "Not signed in: redirecting to the login page");
  }
  const text = await res.text();
  let data: any = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const message = (data && (data.message || data.error)) || text || res.statusText;
    throw new ApiError(res.status, message, data && typeof data.code === "number" ? data.code : undefined);
  }
  return (data ?? {}) as T;
}

export const get = <T = any>(path: string, query?: Query) => request<T>("GET", path, undefined, query);
export const post = <T = any>(path: string, body: unknown) => request<T>("POST", path, body);
export const put = <T = any>(path: string, body: unknown) => request<T>("PUT", path, body);
export const del = <T = any>(path: string, body?: unknown) => request<T>("DELETE", path, body);

// ---- identifiers and paths --------------------------------------------------------------------------------------

export interface Identifier {
  resource_type?: string;
  project: string;
  domain: string;
  name: string;
  version: string;
  org?: string;
}

export interface ExecId {
  project: string;
  domain: string;
  name: string;
  org?: string;
}

export type EntityKind = "task" | "workflow" | "launch_plan";

export const KIND_PLURAL: Record<EntityKind, string> = {
  task: "tasks",
  workflow: "workflows",
  launch_plan: "launch_plans",
};

export const KIND_RESOURCE: Record<EntityKind, string> = {
  task: "TASK",
  workflow: "WORKFLOW",
  launch_plan: "LAUNCH_PLAN",
};

export const KIND_LABEL: Record<EntityKind, string> = {
  task: "Task",
  workflow: "Workflow",
  launch_plan: "Launch plan",
};

export function kindOfResource(rt?: string): EntityKind {
  if (rt === "TASK") return "task";
  if (rt === "LAUNCH_PLAN") return "launch_plan";
  return "workflow";
}

export const execPath = (id: ExecId) => `${seg(id.project)}/${seg(id.domain)}/${seg(id.name)}`;

export function taskExecPath(id: any): string {
  const ne = id.node_execution_id;
  const t = id.task_id;
  return [
    execPath(ne.execution_id),
    seg(ne.node_id),
    seg(t.project),
    seg(t.domain),
    seg(t.name),
    seg(t.version),
    String(id.retry_attempt ?? 0),
  ].join("/");
}

/**
 * A signed data URL of this admin as a path on the page's own origin: the admin signs with the host it was told,
 * which may differ from the one the browser reached it by (localhost and 127.0.0.1), and a cross-origin fetch fails.
 */
export function sameOriginData(url: string): string {
  try {
    const u = new URL(url, window.location.href);
    if (u.pathname.startsWith("/data/")) return u.pathname + u.search;
  } catch {
    /* keep the URL as given */
  }
  return url;
}

// ---- console URLs (what flytekit's FlyteRemote.generate_console_url prints) --------------------------------------

export const ui = {
  home: () => "/console",
  project: (p: string, d: string) => `/console/projects/${seg(p)}/domains/${seg(d)}`,
  executions: (p: string, d: string) => `/console/projects/${seg(p)}/domains/${seg(d)}/executions`,
  execution: (id: ExecId) => `/console/projects/${seg(id.project)}/domains/${seg(id.domain)}/executions/${seg(id.name)}`,
  entities: (p: string, d: string, kind: EntityKind) =>
    `/console/projects/${seg(p)}/domains/${seg(d)}/${KIND_PLURAL[kind]}`,
  entity: (p: string, d: string, kind: EntityKind, name: string) =>
    `/console/projects/${seg(p)}/domains/${seg(d)}/${kind}/${seg(name)}`,
  version: (id: Identifier) =>
    `/console/projects/${seg(id.project)}/domains/${seg(id.domain)}/${kindOfResource(id.resource_type)}/${seg(
      id.name,
    )}/version/${seg(id.version)}`,
  launch: (id: Identifier) => `${ui.version(id)}/launch`,
};

// ---- phases -----------------------------------------------------------------------------------------------------

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT", "SKIPPED", "RECOVERED"]);
export const isTerminal = (phase?: string) => !!phase && TERMINAL.has(phase);

export function phaseClass(phase?: string): string {
  switch (phase) {
    case "SUCCEEDED":
    case "RECOVERED":
      return "ok";
    case "FAILED":
    case "TIMED_OUT":
    case "FAILING":
      return "bad";
    case "ABORTED":
    case "ABORTING":
    case "SKIPPED":
      return "off";
    case "RUNNING":
    case "DYNAMIC_RUNNING":
    case "SUCCEEDING":
    case "INITIALIZING":
      return "run";
    case "QUEUED":
    case "WAITING_FOR_RESOURCES":
      return "wait";
    default:
      return "none";
  }
}

export const WORKFLOW_PHASES = ["QUEUED", "RUNNING", "SUCCEEDING", "SUCCEEDED", "FAILING", "FAILED", "ABORTED", "ABORTING", "TIMED_OUT"];

// ---- paging ------------------------------------------------------------------------------------------------------

/** Every page of a list call (a token-paged RPC), up to `max` items. */
export async function listAll<T = any>(path: string, field: string, query: Query = {}, max = 20000): Promise<T[]> {
  const out: T[] = [];
  let token = "";
  for (;;) {
    const page = await get<any>(path, { ...query, limit: 1000, token });
    out.push(...((page[field] as T[]) || []));
    token = page.token || "";
    if (!token || out.length >= max) return out;
  }
}

// ---- time --------------------------------------------------------------------------------------------------------

export function parseDuration(d?: string): number {
  // google.protobuf.Duration as JSON: "12.5s"
  if (!d) return 0;
  const m = /^(-?[\d.]+)s$/.exec(d);
  return m ? parseFloat(m[1]) : 0;
}

export function fmtDuration(seconds: number): string {
  if (!seconds || seconds < 0) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m ${s}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function fmtTime(ts?: string): string {
  if (!ts || ts.startsWith("0001-") || ts.startsWith("1970-01-01T00:00:00")) return "";
  const d = new Date(ts);
  return isNaN(d.getTime()) ? ts : d.toLocaleString();
}

export const tsMillis = (ts?: string): number => {
  if (!ts || ts.startsWith("0001-")) return 0;
  const t = Date.parse(ts);
  return isNaN(t) ? 0 : t;
};
