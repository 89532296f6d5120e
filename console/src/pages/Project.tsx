import { get, seg, ui, KIND_LABEL, KIND_PLURAL, type EntityKind } from "../api";
import { Crumbs, ErrorBox, Loading, Phase, Section } from "../components/common";
import { useLoad } from "../hooks";
import { ExecutionTable } from "./Executions";

const RECENT = 100;

/** A project's domain: its recent executions with counts by phase, and its workflows, tasks and launch plans. */
export function Project({ project, domain }: { project: string; domain: string }) {
  const recent = useLoad(
    () =>
      get<any>(`/api/v1/executions/${seg(project)}/${seg(domain)}`, {
        limit: RECENT,
        "sort_by.key": "created_at",
        "sort_by.direction": "DESCENDING",
      }),
    [project, domain],
    () => true,
    5000,
  );
  const executions: any[] = recent.data?.executions || [];
  const counts: Record<string, number> = {};
  for (const e of executions) counts[e.closure?.phase] = (counts[e.closure?.phase] || 0) + 1;
  return (
    <div>
      <Crumbs items={[["Projects", ui.home()], [project, undefined], [domain, undefined]]} />
      <nav class="tabs">
        <a href={ui.executions(project, domain)}>All executions</a>
        {(["workflow", "task", "launch_plan"] as EntityKind[]).map((k) => (
          <a key={k} href={ui.entities(project, domain, k)}>
            {KIND_LABEL[k]}s
          </a>
        ))}
      </nav>
      <Section title={`Recent executions (last ${RECENT})`}>
        <div class="counts" data-testid="phase-counts">
          {Object.entries(counts).map(([phase, n]) => (
            <span key={phase} class="count">
              <Phase phase={phase} /> <b>{n}</b>
            </span>
          ))}
          {!executions.length && !recent.loading && <span class="muted">No executions yet.</span>}
        </div>
        <ErrorBox error={recent.error} />
        {recent.loading && <Loading />}
        <ExecutionTable executions={executions.slice(0, 20)} />
      </Section>
      <div class="cols">
        {(["workflow", "task", "launch_plan"] as EntityKind[]).map((k) => (
          <EntityList key={k} project={project} domain={domain} kind={k} limit={15} />
        ))}
      </div>
    </div>
  );
}

const IDS_PATH: Record<EntityKind, string> = { task: "task_ids", workflow: "workflow_ids", launch_plan: "launch_plan_ids" };

export function EntityList({ project, domain, kind, limit }: { project: string; domain: string; kind: EntityKind; limit?: number }) {
  const ids = useLoad(
    () =>
      get<any>(`/api/v1/${IDS_PATH[kind]}/${seg(project)}/${seg(domain)}`, {
        limit: limit || 1000,
        "sort_by.key": "name",
        "sort_by.direction": "ASCENDING",
      }),
    [project, domain, kind],
  );
  return (
    <Section title={`${KIND_LABEL[kind]}s`} id={KIND_PLURAL[kind]}>
      <ErrorBox error={ids.error} />
      {ids.loading && <Loading />}
      <ul class="entities">
        {(ids.data?.entities || []).map((e: any) => (
          <li key={e.name}>
            <a href={ui.entity(project, domain, kind, e.name)}>{e.name}</a>
          </li>
        ))}
      </ul>
      {limit && ids.data?.token && <a href={ui.entities(project, domain, kind)}>More…</a>}
      {!ids.loading && !(ids.data?.entities || []).length && <p class="muted">None registered.</p>}
    </Section>
  );
}

export function EntitiesPage({ project, domain, kind }: { project: string; domain: string; kind: EntityKind }) {
  return (
    <div>
      <Crumbs items={[["Projects", ui.home()], [`${project}/${domain}`, ui.project(project, domain)], [`${KIND_LABEL[kind]}s`, undefined]]} />
      <EntityList project={project} domain={domain} kind={kind} />
    </div>
  );
}
