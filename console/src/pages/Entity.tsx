import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { ApiError, fmtTime, get, put, seg, ui, KIND_LABEL, KIND_PLURAL, KIND_RESOURCE, type EntityKind, type Identifier } from "../api";
import { Crumbs, ErrorBox, Loading, Section } from "../components/common";
import { Graph } from "../components/Graph";
import { LaunchForm, type Param } from "../components/LaunchForm";
import { Code, InterfaceTable } from "../components/Value";
import { useLoad } from "../hooks";
import { ExecutionTable } from "./Executions";

const base = (kind: EntityKind, p: string, d: string, n: string) => `/api/v1/${KIND_PLURAL[kind]}/${seg(p)}/${seg(d)}/${seg(n)}`;

function versionsOf(kind: EntityKind, project: string, domain: string, name: string) {
  return get<any>(base(kind, project, domain, name), { limit: 50, "sort_by.key": "created_at", "sort_by.direction": "DESCENDING" });
}

/** The interface of a registered entity, as ParameterMap-like inputs (launch plans carry defaults). */
export function entityInterface(kind: EntityKind, entity: any): { inputs?: Record<string, any>; params?: Record<string, Param>; outputs?: Record<string, any> } {
  if (kind === "launch_plan")
    return { params: entity.closure?.expected_inputs?.parameters || {}, outputs: entity.closure?.expected_outputs?.variables || {} };
  const iface = kind === "task" ? entity.closure?.compiled_task?.template?.interface : entity.closure?.compiled_workflow?.primary?.template?.interface;
  return { inputs: iface?.inputs?.variables || {}, outputs: iface?.outputs?.variables || {} };
}

export function EntityPage({ project, domain, kind, name, version }: { project: string; domain: string; kind: EntityKind; name: string; version?: string }) {
  const versions = useLoad(() => versionsOf(kind, project, domain, name), [kind, project, domain, name]);
  const list: any[] = versions.data?.[KIND_PLURAL[kind]] || [];
  const chosen = version || list[0]?.id?.version;
  const entity = useLoad(
    () => (chosen ? get<any>(`${base(kind, project, domain, name)}/${seg(chosen)}`) : Promise.resolve(null)),
    [kind, project, domain, name, chosen],
  );
  const description = useLoad(
    () =>
      chosen && kind !== "launch_plan"
        ? get<any>(`/api/v1/description_entities/${KIND_RESOURCE[kind]}/${seg(project)}/${seg(domain)}/${seg(name)}/${seg(chosen)}`).catch((e) => {
            if (e instanceof ApiError && e.notFound) return null;
            throw e;
          })
        : Promise.resolve(null),
    [kind, project, domain, name, chosen],
  );
  const filterField = kind === "launch_plan" ? "launch_plan.name" : kind === "task" ? "task.name" : "workflow.name";
  const runs = useLoad(
    () =>
      get<any>(`/api/v1/executions/${seg(project)}/${seg(domain)}`, {
        limit: 10,
        filters: `eq(${filterField},${name})`,
        "sort_by.key": "created_at",
        "sort_by.direction": "DESCENDING",
      }),
    [kind, project, domain, name],
  );
  const e = entity.data;
  const iface = e ? entityInterface(kind, e) : undefined;
  const id: Identifier | undefined = e?.id;
  const launchable: Identifier | undefined = id && (kind === "workflow" ? { ...id, resource_type: "LAUNCH_PLAN" } : id);
  return (
    <div>
      <Crumbs
        items={[
          ["Projects", ui.home()],
          [`${project}/${domain}`, ui.project(project, domain)],
          [`${KIND_LABEL[kind]}s`, ui.entities(project, domain, kind)],
          [name, ui.entity(project, domain, kind, name)],
          ...(chosen ? ([[chosen, undefined]] as [string, undefined][]) : []),
        ]}
      />
      <h1>
        <span class="muted">{KIND_LABEL[kind]}</span> {name}
      </h1>
      <ErrorBox error={versions.error || entity.error} />
      {(versions.loading || entity.loading) && <Loading />}
      {launchable && (
        <p>
          <a class="button primary" href={ui.launch(launchable)}>
            Launch…
          </a>
        </p>
      )}
      {description.data && (
        <Section title="Description">
          <p>{description.data.short_description}</p>
          {description.data.long_description?.value && <pre class="prose">{description.data.long_description.value}</pre>}
          {description.data.source_code?.link && (
            <p>
              Source: <a href={description.data.source_code.link}>{description.data.source_code.link}</a>
            </p>
          )}
        </Section>
      )}
      {kind === "launch_plan" && e && <LaunchPlanState lp={e} onChange={entity.reload} />}
      {iface && (
        <div class="cols">
          <Section title="Inputs">
            <InterfaceTable vars={iface.inputs} params={iface.params} />
          </Section>
          <Section title="Outputs">
            <InterfaceTable vars={iface.outputs} />
          </Section>
        </div>
      )}
      {kind === "workflow" && e?.closure?.compiled_workflow && (
        <Section title="Graph">
          <Graph template={e.closure.compiled_workflow.primary.template} connections={e.closure.compiled_workflow.primary.connections} />
        </Section>
      )}
      {kind === "task" && e?.closure?.compiled_task?.template && (
        <Section title="Task template">
          <p>
            Type <code>{e.closure.compiled_task.template.type}</code>
            {e.closure.compiled_task.template.container?.image && (
              <>
                {" "}
                · image <code>{e.closure.compiled_task.template.container.image}</code>
              </>
            )}
          </p>
        </Section>
      )}
      <Section title="Recent executions">
        <ErrorBox error={runs.error} />
        <ExecutionTable executions={runs.data?.executions || []} />
        {!runs.loading && !(runs.data?.executions || []).length && <p class="muted">None.</p>}
      </Section>
      <Section title="Versions">
        <table class="grid">
          <thead>
            <tr>
              <th>Version</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.id.version} class={v.id.version === chosen ? "selected" : ""}>
                <td>
                  <a href={ui.version(v.id)}>{v.id.version}</a>
                </td>
                <td>{fmtTime(v.closure?.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}

function LaunchPlanState({ lp, onChange }: { lp: any; onChange: () => void }) {
  const [error, setError] = useState<any>(null);
  const state = lp.closure?.state || "INACTIVE";
  const toggle = async () => {
    setError(null);
    try {
      await put(`/api/v1/launch_plans/${seg(lp.id.project)}/${seg(lp.id.domain)}/${seg(lp.id.name)}/${seg(lp.id.version)}`, {
        id: lp.id,
        state: state === "ACTIVE" ? "INACTIVE" : "ACTIVE",
      });
      onChange();
    } catch (e) {
      setError(e);
    }
  };
  const schedule = lp.spec?.entity_metadata?.schedule;
  return (
    <Section title="Launch plan">
      <p>
        State: <b data-testid="lp-state">{state}</b>{" "}
        <button data-testid="lp-toggle" onClick={toggle}>{state === "ACTIVE" ? "Deactivate" : "Activate"}</button>
      </p>
      <p>
        Workflow: <a href={ui.version({ ...lp.spec.workflow_id, resource_type: "WORKFLOW" })}>{lp.spec?.workflow_id?.name}</a>
      </p>
      {schedule && <Code text={JSON.stringify(schedule, null, 2)} />}
      <ErrorBox error={error} />
    </Section>
  );
}

export function LaunchPage({ project, domain, kind, name, version }: { project: string; domain: string; kind: EntityKind; name: string; version: string }) {
  const loc = useLocation();
  // A workflow launches through its default launch plan (same name and version), as pyflyte registers it.
  const target: EntityKind = kind === "workflow" ? "launch_plan" : kind;
  const entity = useLoad(() => get<any>(`${base(target, project, domain, name)}/${seg(version)}`), [target, project, domain, name, version]);
  const e = entity.data;
  let params: Record<string, Param> | undefined;
  if (e) {
    const iface = entityInterface(target, e);
    params = iface.params || Object.fromEntries(Object.entries(iface.inputs || {}).map(([n, v]) => [n, { var: v, required: true }]));
  }
  return (
    <div>
      <Crumbs
        items={[
          ["Projects", ui.home()],
          [`${project}/${domain}`, ui.project(project, domain)],
          [name, ui.entity(project, domain, kind, name)],
          [version, ui.version({ resource_type: KIND_RESOURCE[kind], project, domain, name, version })],
          ["Launch", undefined],
        ]}
      />
      <Section title={`Launch ${name}`}>
        <ErrorBox error={entity.error} />
        {entity.loading && <Loading />}
        {e && params && <LaunchForm target={e.id} params={params} onLaunched={(id) => loc.route(ui.execution(id))} />}
      </Section>
    </div>
  );
}
