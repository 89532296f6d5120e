import { render } from "preact";
import { LocationProvider, Route, Router } from "preact-iso";
import type { EntityKind } from "./api";
import { EntitiesPage, Project } from "./pages/Project";
import { EntityPage, LaunchPage } from "./pages/Entity";
import { ExecutionPage } from "./pages/Execution";
import { ExecutionsPage } from "./pages/Executions";
import { NotFound } from "./pages/NotFound";
import { Projects } from "./pages/Projects";
import "./style.css";

// Paths are Flyte console's (what flytekit's FlyteRemote.generate_console_url prints):
//   /console/projects/{p}/domains/{d}/executions/{name}
//   /console/projects/{p}/domains/{d}/{task|workflow|launch_plan}/{name}/version/{version}
const P = "/console/projects/:project/domains/:domain";
const KINDS: EntityKind[] = ["task", "workflow", "launch_plan"];
const PLURAL: Record<string, EntityKind> = { tasks: "task", workflows: "workflow", launch_plans: "launch_plan" };

const dec = (p: Record<string, string>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, decodeURIComponent(v)]));

function EntityRoute({ params }: { params: Record<string, string> }) {
  const p = dec(params);
  if (p.plural) {
    const kind = PLURAL[p.plural];
    return kind ? <EntitiesPage project={p.project} domain={p.domain} kind={kind} /> : <NotFound />;
  }
  const kind = p.kind as EntityKind;
  if (!KINDS.includes(kind)) return <NotFound />;
  if (p.launch === "launch" && p.version) return <LaunchPage project={p.project} domain={p.domain} kind={kind} name={p.name} version={p.version} />;
  if (p.launch) return <NotFound />;
  return <EntityPage project={p.project} domain={p.domain} kind={kind} name={p.name} version={p.version} />;
}

function App() {
  return (
    <LocationProvider scope="/console">
      <header class="top">
        <a href="/console" class="brand">
          Flyte console
        </a>
        <span class="muted">flyteplane</span>
      </header>
      <main>
        <Router>
          <Route path="/console" component={Projects} />
          <Route path="/console/" component={Projects} />
          <Route path="/console/projects" component={Projects} />
          <Route path={P} component={({ params }: any) => <Project {...(dec(params) as any)} />} />
          <Route path={`${P}/executions`} component={({ params }: any) => <ExecutionsPage {...(dec(params) as any)} />} />
          <Route path={`${P}/executions/:name`} component={({ params }: any) => <ExecutionPage {...(dec(params) as any)} />} />
          <Route path={`${P}/:plural`} component={EntityRoute} />
          <Route path={`${P}/:kind/:name`} component={EntityRoute} />
          <Route path={`${P}/:kind/:name/version/:version`} component={EntityRoute} />
          <Route path={`${P}/:kind/:name/version/:version/:launch`} component={EntityRoute} />
          <Route default component={() => <NotFound />} />
        </Router>
      </main>
    </LocationProvider>
  );
}

render(<App />, document.getElementById("app")!);
