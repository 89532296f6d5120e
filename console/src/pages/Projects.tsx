import { get, ui } from "../api";
import { Crumbs, ErrorBox, Loading, Section } from "../components/common";
import { useLoad } from "../hooks";

export function Projects() {
  const projects = useLoad(() => get<any>("/api/v1/projects", { limit: 1000 }), []);
  return (
    <div>
      <Crumbs items={[["Projects", undefined]]} />
      <Section title="Projects">
        <ErrorBox error={projects.error} />
        {projects.loading && <Loading />}
        <table class="grid">
          <thead>
            <tr>
              <th>Project</th>
              <th>Description</th>
              <th>Domains</th>
            </tr>
          </thead>
          <tbody>
            {(projects.data?.projects || []).map((p: any) => (
              <tr key={p.id} data-project={p.id}>
                <td>
                  <b>{p.name || p.id}</b> <span class="muted">{p.id}</span>
                </td>
                <td>{p.description}</td>
                <td>
                  {(p.domains || []).map((d: any) => (
                    <a class="chip" key={d.id} href={ui.project(p.id, d.id)}>
                      {d.name || d.id}
                    </a>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}
