import { useLocation } from "preact-iso";
import { useMemo, useState } from "preact/hooks";
import {
  ApiError,
  del,
  execPath,
  fmtDuration,
  fmtTime,
  get,
  isTerminal,
  KIND_LABEL,
  kindOfResource,
  listAll,
  parseDuration,
  post,
  sameOriginData,
  seg,
  taskExecPath,
  tsMillis,
  ui,
  type ExecId,
} from "../api";
import { Crumbs, ErrorBox, Loading, Phase, Section } from "../components/common";
import { Graph, nodeKind } from "../components/Graph";
import { fieldLiteral, TypedField } from "../components/LaunchForm";
import { LogView } from "../components/Logs";
import { Timeline } from "../components/Timeline";
import { LiteralTable } from "../components/Value";
import { useLoad } from "../hooks";
import { defaultText, fieldOf } from "../literals";
import { NotFound } from "./NotFound";

const nodesOf = (id: ExecId, parent?: string) =>
  listAll<any>(`/api/v1/node_executions/${execPath(id)}`, "node_executions", {
    unique_parent_id: parent,
    "sort_by.key": "created_at",
    "sort_by.direction": "ASCENDING",
  });

export function ExecutionPage({ project, domain, name }: { project: string; domain: string; name: string }) {
  const id: ExecId = { project, domain, name };
  const loc = useLocation();
  // The execution and its top-level nodes, polled together while the run is open (one more poll once it ended).
  const run = useLoad(
    async () => {
      // Both at once; the execution's own answer (a 404 above all) decides what the page says.
      const [execution, nodes] = await Promise.all([
        get<any>(`/api/v1/executions/${execPath(id)}`),
        nodesOf(id).catch((e: unknown) => e),
      ]);
      if (!Array.isArray(nodes)) throw nodes;
      return { execution, nodes, at: Date.now() };
    },
    [project, domain, name],
    (d) => !d || !isTerminal(d.execution.closure?.phase),
  );
  const wfId = run.data?.execution?.closure?.workflow_id;
  const workflow = useLoad(
    () => (wfId ? get<any>(`/api/v1/workflows/${seg(wfId.project)}/${seg(wfId.domain)}/${seg(wfId.name)}/${seg(wfId.version)}`) : Promise.resolve(null)),
    [wfId?.name, wfId?.version],
  );
  const phase = run.data?.execution?.closure?.phase;
  const data = useLoad(() => get<any>(`/api/v1/data/executions/${execPath(id)}`), [project, domain, name, phase]);
  const [tab, setTab] = useState<"nodes" | "graph" | "timeline">("nodes");
  const [actionError, setActionError] = useState<any>(null);

  if (run.error instanceof ApiError && run.error.notFound && !run.data)
    return <NotFound what={`Execution ${project}/${domain}/${name}`} back={ui.project(project, domain)} />;
  if (!run.data)
    return (
      <div>
        <ErrorBox error={run.error} />
        <Loading />
      </div>
    );
  const { execution, nodes } = run.data;
  const c = execution.closure || {};
  const live = !isTerminal(c.phase);
  const template = workflow.data?.closure?.compiled_workflow?.primary?.template;
  const specs: Specs = { nodes: nodeMap(template?.nodes), subs: workflow.data?.closure?.compiled_workflow?.sub_workflows || [] };
  const act = async (fn: () => Promise<void>) => {
    setActionError(null);
    try {
      await fn();
      run.reload();
    } catch (e) {
      setActionError(e);
    }
  };
  const phases: Record<string, string> = {};
  for (const n of nodes) phases[n.id.node_id] = n.closure?.phase;
  const lp = execution.spec?.launch_plan;
  return (
    <div>
      <Crumbs items={[["Projects", ui.home()], [`${project}/${domain}`, ui.project(project, domain)], ["Executions", ui.executions(project, domain)], [name, undefined]]} />
      <h1>
        {name} <Phase phase={c.phase} /> {live && <span class="live">live</span>}
      </h1>
      <div class="meta">
        {lp && (
          <span>
            {/* A task launched on its own (CreateExecution with a task id) names the task here. */}
            {KIND_LABEL[kindOfResource(lp.resource_type)]}: <a href={ui.version(lp)}>{lp.name}</a> <span class="muted">{lp.version}</span>
          </span>
        )}
        {wfId && (
          <span>
            Workflow: <a href={ui.version({ ...wfId, resource_type: "WORKFLOW" })}>{wfId.name}</a>
          </span>
        )}
        <span>Started: {fmtTime(c.started_at) || "—"}</span>
        <span>Duration: {fmtDuration(parseDuration(c.duration)) || (live && tsMillis(c.started_at) ? fmtDuration((run.data.at - tsMillis(c.started_at)) / 1000) : "—")}</span>
        {execution.spec?.metadata?.parent_node_execution && (
          <span>
            Parent: <a href={ui.execution(execution.spec.metadata.parent_node_execution.execution_id)}>{execution.spec.metadata.parent_node_execution.execution_id.name}</a>
          </span>
        )}
        {c.abort_metadata?.cause && <span>Aborted: {c.abort_metadata.cause}</span>}
      </div>
      <div class="actions">
        {live && (
          <button
            class="danger"
            onClick={() => {
              if (window.confirm(`Terminate ${name}?`))
                act(() => del(`/api/v1/executions/${execPath(id)}`, { id, cause: "Terminated from the console" }));
            }}
          >
            Terminate
          </button>
        )}
        <button onClick={() => act(async () => loc.route(ui.execution((await post<any>("/api/v1/executions/relaunch", { id, name: "" })).id)))}>Relaunch</button>
        {(c.phase === "FAILED" || c.phase === "ABORTED" || c.phase === "TIMED_OUT") && (
          <button onClick={() => act(async () => loc.route(ui.execution((await post<any>("/api/v1/executions/recover", { id })).id)))}>Recover</button>
        )}
      </div>
      <ErrorBox error={actionError} />
      {c.error && (
        <div class="error exec-error" role="alert">
          <b>{c.error.code}</b>
          <pre>{c.error.message}</pre>
        </div>
      )}
      <Signals id={id} live={live} onSet={run.reload} />
      <div class="cols">
        <Section title="Inputs" id="inputs">
          <ErrorBox error={data.error} />
          <LiteralTable map={data.data?.full_inputs} />
        </Section>
        <Section title="Outputs" id="outputs">
          <LiteralTable map={data.data?.full_outputs} empty={live ? "Not yet" : "None"} />
        </Section>
      </div>
      <nav class="tabs">
        {(["nodes", "graph", "timeline"] as const).map((t) => (
          <button key={t} class={tab === t ? "active" : ""} onClick={() => setTab(t)}>
            {t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
      </nav>
      {tab === "nodes" && <NodeTable id={id} nodes={nodes} specs={specs} live={live} />}
      {tab === "graph" && (template ? <Graph template={template} connections={workflow.data.closure.compiled_workflow.primary.connections} phases={phases} /> : <Loading />)}
      {tab === "timeline" && <Timeline nodes={nodes.filter((n: any) => !isStartOrEnd(n))} now={run.data.at} />}
    </div>
  );
}

/** The compiled nodes a node table names its rows from, and the sub-workflows its nodes may refer to. */
interface Specs {
  nodes: Map<string, any>;
  subs: any[];
}

const nodeMap = (nodes?: any[]) => new Map<string, any>((nodes || []).map((n: any) => [n.id, n]));

const sameId = (a: any, b: any) => a && b && ["project", "domain", "name", "version"].every((k) => a[k] === b[k]);

/**
 * Where a parent node's children are defined: a sub-workflow node's in its compiled sub-workflow (their spec ids,
 * "n0" and so on, repeat the top level's, so the top level's names would be wrong), a branch node's in its cases.
 * A dynamic node's children are compiled at run time and named by nothing here.
 */
function childSpecs(spec: any, specs: Specs): Specs {
  const ref = spec?.workflow_node?.sub_workflow_ref;
  if (ref) return { nodes: nodeMap(specs.subs.find((w: any) => sameId(w.template?.id, ref))?.template?.nodes), subs: specs.subs };
  const ifElse = spec?.branch_node?.if_else;
  if (ifElse) {
    const cases = [ifElse.case, ...(ifElse.other || [])].map((c: any) => c?.then_node);
    return { nodes: nodeMap([...cases, ifElse.else_node].filter(Boolean)), subs: specs.subs };
  }
  return { nodes: new Map(), subs: specs.subs };
}

// Start and end nodes carry no work: Flyte console hides them too (a dynamic child's are "<parent>-0-start-node").
const isStartOrEnd = (n: any) => ["start-node", "end-node"].includes(n.metadata?.spec_node_id || n.id.node_id);

function NodeTable({ id, nodes, specs, live, nested }: { id: ExecId; nodes: any[]; specs: Specs; live: boolean; nested?: boolean }) {
  const shown = nodes.filter((n) => !isStartOrEnd(n));
  if (!shown.length) return <p class="muted">{live ? "No node has started yet." : "No nodes."}</p>;
  return (
    <table class={`grid nodes ${nested ? "nested" : ""}`}>
      <thead>
        <tr>
          <th />
          <th>Node</th>
          <th>Name</th>
          <th>Type</th>
          <th>Phase</th>
          <th>Started</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {shown.map((n) => (
          <NodeRow key={n.id.node_id} id={id} node={n} spec={specs.nodes.get(n.metadata?.spec_node_id || n.id.node_id)} specs={specs} live={live} />
        ))}
      </tbody>
    </table>
  );
}

function NodeRow({ id, node, spec, specs, live }: { id: ExecId; node: any; spec: any; specs: Specs; live: boolean }) {
  const [open, setOpen] = useState(false);
  const c = node.closure || {};
  const nodeLive = live && !isTerminal(c.phase);
  const dur = parseDuration(c.duration);
  const label = node.metadata?.spec_node_id && node.metadata.spec_node_id !== node.id.node_id ? node.metadata.spec_node_id : "";
  return (
    <>
      <tr class={`node-row ${open ? "open" : ""}`} data-node={node.id.node_id} data-phase={c.phase} onClick={() => setOpen(!open)}>
        <td class="toggle">{open ? "▾" : "▸"}</td>
        <td>
          <code>{node.id.node_id}</code>
          {label && <span class="muted"> ({label})</span>}
        </td>
        <td>{spec?.metadata?.name || ""}</td>
        <td class="muted">{spec ? nodeKind(spec) : node.metadata?.is_parent_node ? "parent" : ""}</td>
        <td>
          <Phase phase={c.phase} />
        </td>
        <td>{fmtTime(c.started_at)}</td>
        <td>{fmtDuration(dur) || (nodeLive && tsMillis(c.started_at) ? fmtDuration((Date.now() - tsMillis(c.started_at)) / 1000) : "")}</td>
      </tr>
      {open && (
        <tr class="node-detail">
          <td />
          <td colSpan={6}>
            <NodeDetail id={id} node={node} spec={spec} specs={specs} live={nodeLive} />
          </td>
        </tr>
      )}
    </>
  );
}

function NodeDetail({ id, node, spec, specs, live }: { id: ExecId; node: any; spec: any; specs: Specs; live: boolean }) {
  const c = node.closure || {};
  const nodeId = node.id.node_id;
  const tasks = useLoad(() => get<any>(`/api/v1/task_executions/${execPath(id)}/${seg(nodeId)}`, { limit: 100 }), [nodeId], () => live);
  const data = useLoad(() => get<any>(`/api/v1/data/node_executions/${execPath(id)}/${seg(nodeId)}`), [nodeId, c.phase]);
  const children = useLoad(
    () => (node.metadata?.is_parent_node ? nodesOf(id, nodeId) : Promise.resolve([] as any[])),
    [nodeId],
    () => live,
  );
  const [deck, setDeck] = useState<string | null>(null);
  const [deckError, setDeckError] = useState<any>(null);
  const child = c.workflow_node_metadata?.execution_id;
  return (
    <div class="detail">
      {c.error && (
        <div class="error" role="alert">
          <b>{c.error.code}</b>
          <pre>{c.error.message}</pre>
        </div>
      )}
      {child && (
        <p>
          Child execution: <a href={ui.execution(child)}>{child.name}</a>
        </p>
      )}
      {(tasks.data?.task_executions || []).map((t: any) => (
        <TaskAttempt key={t.id.retry_attempt} t={t} live={live} />
      ))}
      <ErrorBox error={tasks.error} />
      {node.metadata?.is_parent_node && (
        <div class="children">
          <h3>{c.dynamic_job_spec_uri || node.metadata?.is_dynamic ? "Dynamic children" : "Children"}</h3>
          <ErrorBox error={children.error} />
          {children.data && <NodeTable id={id} nodes={children.data} specs={childSpecs(spec, specs)} live={live} nested />}
        </div>
      )}
      <div class="cols">
        <div>
          <h3>Inputs</h3>
          <LiteralTable map={data.data?.full_inputs} />
        </div>
        <div>
          <h3>Outputs</h3>
          <LiteralTable map={data.data?.full_outputs} empty={live ? "Not yet" : "None"} />
        </div>
      </div>
      {c.deck_uri && (
        <div class="deck">
          <button
            onClick={async () => {
              setDeckError(null);
              try {
                const link = await post<any>("/api/v1/dataproxy/artifact_link", { artifact_type: "ARTIFACT_TYPE_DECK", node_execution_id: node.id });
                const urls: string[] = link.signed_url || link.pre_signed_urls?.signed_url || [];
                if (!urls.length) throw new Error("The admin gave no link to this deck");
                // The signed link serves the deck as bytes (application/octet-stream), which a frame would download
                // rather than show; so the page reads it and frames the HTML itself (srcdoc). The frame stays
                // sandboxed without allow-same-origin: the deck's scripts run, apart from the console's origin.
                const res = await fetch(sameOriginData(urls[0]), { credentials: "same-origin" });
                if (!res.ok) throw new Error(`The deck could not be read: ${res.status} ${await res.text()}`);
                setDeck(await res.text());
              } catch (e) {
                setDeckError(e);
              }
            }}
          >
            Show deck
          </button>
          <ErrorBox error={deckError} />
          {deck !== null && <iframe class="deck-frame" srcdoc={deck} sandbox="allow-scripts" title="deck" />}
        </div>
      )}
    </div>
  );
}

function TaskAttempt({ t, live }: { t: any; live: boolean }) {
  const c = t.closure || {};
  const attemptLive = live && !isTerminal(c.phase);
  const elements: any[] = c.metadata?.external_resources || [];
  const [shownElement, setShownElement] = useState<number | null>(null);
  return (
    <div class="attempt" data-attempt={t.id.retry_attempt}>
      <div>
        <b>Attempt {t.id.retry_attempt}</b> <Phase phase={c.phase} /> <span class="muted">{t.id.task_id?.name}</span>{" "}
        {c.reason && <span class="muted">— {c.reason}</span>}
        <a class="small" href={`/api/v1/task_executions/${taskExecPath(t.id)}`} target="_blank" rel="noreferrer">
          JSON
        </a>
      </div>
      {c.error && (
        <div class="error">
          <pre>{c.error.message}</pre>
        </div>
      )}
      {(c.logs || []).map((l: any, i: number) => (
        <LogView key={i} uri={l.uri} name={l.name} live={attemptLive} />
      ))}
      {elements.length > 0 && (
        <div class="elements">
          <h3>Map elements ({elements.length})</h3>
          <ElementCounts elements={elements} />
          <table class="grid">
            <thead>
              <tr>
                <th>Index</th>
                <th>Phase</th>
                <th>Retry</th>
                <th>Logs</th>
              </tr>
            </thead>
            <tbody>
              {elements.map((el: any) => (
                <tr key={`${el.index}-${el.retry_attempt}`} data-element={el.index ?? 0}>
                  <td>{el.index ?? 0}</td>
                  <td>
                    <Phase phase={el.phase} />
                  </td>
                  <td>{el.retry_attempt ?? 0}</td>
                  <td>
                    {(el.logs || []).length > 0 && (
                      <button class="small" onClick={() => setShownElement(shownElement === el.index ? null : el.index ?? 0)}>
                        {shownElement === (el.index ?? 0) ? "Hide" : "Show"} log
                      </button>
                    )}
                    {shownElement === (el.index ?? 0) && (el.logs || []).map((l: any, i: number) => <LogView key={i} uri={l.uri} name={l.name} live={attemptLive && !isTerminal(el.phase)} />)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function ElementCounts({ elements }: { elements: any[] }) {
  const counts = useMemo(() => {
    const m: Record<string, number> = {};
    for (const e of elements) m[e.phase || "UNDEFINED"] = (m[e.phase || "UNDEFINED"] || 0) + 1;
    return m;
  }, [elements]);
  return (
    <div class="counts">
      {Object.entries(counts).map(([p, n]) => (
        <span key={p} class="count">
          <Phase phase={p} /> <b>{n}</b>
        </span>
      ))}
    </div>
  );
}

/** The run's signals: a gate waiting for approval or for an input is answered here (SetSignal). */
function Signals({ id, live, onSet }: { id: ExecId; live: boolean; onSet: () => void }) {
  const signals = useLoad(() => get<any>(`/api/v1/signals/${execPath(id)}`, { limit: 100 }), [id.name], () => live);
  const list: any[] = signals.data?.signals || [];
  if (!list.length) return null;
  return (
    <Section title="Signals" id="signals">
      <ErrorBox error={signals.error} />
      <table class="grid">
        <thead>
          <tr>
            <th>Signal</th>
            <th>Type</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {list.map((s) => (
            <SignalRow key={s.id.signal_id} s={s} live={live} onSet={() => (signals.reload(), onSet())} />
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function SignalRow({ s, live, onSet }: { s: any; live: boolean; onSet: () => void }) {
  const f = fieldOf(s.type || {});
  const [text, setText] = useState<string | boolean>(defaultText(f.kind, undefined));
  const [error, setError] = useState<any>(null);
  const set = async (value: any) => {
    setError(null);
    try {
      await post("/api/v1/signals", { id: s.id, value });
      onSet();
    } catch (e) {
      setError(e);
    }
  };
  const pending = !s.value;
  const isBool = s.type?.simple === "BOOLEAN";
  return (
    <tr data-signal={s.id.signal_id}>
      <td>
        <code>{s.id.signal_id}</code>
      </td>
      <td class="muted">{isBool ? "approval" : f.kind}</td>
      <td>
        {!pending && <LiteralTable map={{ literals: { value: s.value } }} />}
        {pending && live && isBool && (
          <span>
            <button class="primary" onClick={() => set({ scalar: { primitive: { boolean: true } } })}>
              Approve
            </button>{" "}
            <button class="danger" onClick={() => set({ scalar: { primitive: { boolean: false } } })}>
              Reject
            </button>
          </span>
        )}
        {pending && live && !isBool && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              try {
                set(fieldLiteral(s.id.signal_id, s.type, text));
              } catch (err) {
                setError(err);
              }
            }}
          >
            <TypedField name={`signal-${s.id.signal_id}`} kind={f.kind} inner={f.inner} value={text} onChange={setText} />{" "}
            <button type="submit">Set</button>
          </form>
        )}
        {pending && !live && <span class="muted">never set</span>}
        <ErrorBox error={error} />
      </td>
    </tr>
  );
}
