import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { fmtDuration, fmtTime, get, parseDuration, seg, ui, WORKFLOW_PHASES } from "../api";
import { Crumbs, ErrorBox, Loading, Phase, Section } from "../components/common";
import { useLoad } from "../hooks";

export function ExecutionTable({ executions }: { executions: any[] }) {
  if (!executions.length) return null;
  return (
    <table class="grid executions">
      <thead>
        <tr>
          <th>Name</th>
          <th>Phase</th>
          <th>Launch plan</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Mode</th>
        </tr>
      </thead>
      <tbody>
        {executions.map((e) => (
          <tr key={e.id.name} data-execution={e.id.name}>
            <td>
              <a href={ui.execution(e.id)}>{e.id.name}</a>
            </td>
            <td>
              <Phase phase={e.closure?.phase} />
            </td>
            <td>{e.spec?.launch_plan?.name}</td>
            <td>{fmtTime(e.closure?.started_at || e.closure?.created_at)}</td>
            <td>{fmtDuration(parseDuration(e.closure?.duration))}</td>
            <td class="muted">{e.spec?.metadata?.mode}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const PAGE = 25;

/** Flyte Admin's filter language, from the form's fields. Values may not hold the language's own separators. */
export function executionFilters(q: Record<string, string>): string {
  const out: string[] = [];
  const clean = (s: string) => s.replace(/[,()+;]/g, "");
  if (q.phase) out.push(`value_in(phase,${q.phase.split(",").map(clean).join(";")})`);
  if (q.name) out.push(`contains(execution_name,${clean(q.name)})`);
  if (q.lp) out.push(`eq(launch_plan.name,${clean(q.lp)})`);
  if (q.from) out.push(`gte(execution_created_at,${new Date(q.from).toISOString()})`);
  if (q.to) out.push(`lte(execution_created_at,${new Date(q.to).toISOString()})`);
  return out.join("+");
}

export function ExecutionsPage({ project, domain }: { project: string; domain: string }) {
  const loc = useLocation();
  const q = loc.query;
  const [tokens, setTokens] = useState<string[]>([""]);
  const token = tokens[tokens.length - 1];
  const filters = executionFilters(q);
  const page = useLoad(
    () =>
      get<any>(`/api/v1/executions/${seg(project)}/${seg(domain)}`, {
        limit: PAGE,
        token,
        filters,
        "sort_by.key": "created_at",
        "sort_by.direction": "DESCENDING",
      }),
    [project, domain, filters, token],
    () => true,
    5000,
  );
  const apply = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const next: Record<string, string> = {};
    const phases = form.getAll("phase").map(String).filter(Boolean);
    if (phases.length) next.phase = phases.join(",");
    for (const k of ["name", "lp", "from", "to"]) {
      const v = String(form.get(k) || "").trim();
      if (v) next[k] = v;
    }
    setTokens([""]);
    const search = new URLSearchParams(next).toString();
    loc.route(`${ui.executions(project, domain)}${search ? `?${search}` : ""}`);
  };
  const selected = new Set((q.phase || "").split(",").filter(Boolean));
  return (
    <div>
      <Crumbs items={[["Projects", ui.home()], [`${project}/${domain}`, ui.project(project, domain)], ["Executions", undefined]]} />
      <Section title="Executions">
        <form class="filters" onSubmit={apply}>
          <fieldset>
            <legend>Phase</legend>
            {WORKFLOW_PHASES.map((p) => (
              <label key={p} class="check">
                <input type="checkbox" name="phase" value={p} checked={selected.has(p)} /> {p}
              </label>
            ))}
          </fieldset>
          <label>
            Name contains <input name="name" type="text" value={q.name || ""} />
          </label>
          <label>
            Launch plan <input name="lp" type="text" value={q.lp || ""} />
          </label>
          <label>
            From <input name="from" type="datetime-local" value={q.from || ""} />
          </label>
          <label>
            To <input name="to" type="datetime-local" value={q.to || ""} />
          </label>
          <button type="submit">Apply</button>
          <a href={ui.executions(project, domain)} onClick={() => setTokens([""])}>
            Clear
          </a>
        </form>
        <ErrorBox error={page.error} />
        {page.loading && <Loading />}
        <ExecutionTable executions={page.data?.executions || []} />
        {!page.loading && !(page.data?.executions || []).length && <p class="muted">No executions match.</p>}
        <div class="pager">
          <button disabled={tokens.length <= 1} onClick={() => setTokens((t) => t.slice(0, -1))}>
            ‹ Newer
          </button>
          <span>Page {tokens.length}</span>
          <button disabled={!page.data?.token} onClick={() => setTokens((t) => [...t, page.data.token])}>
            Older ›
          </button>
        </div>
      </Section>
    </div>
  );
}
