import type { ComponentChildren } from "preact";
import { phaseClass } from "../api";

export function Phase({ phase }: { phase?: string }) {
  return <span class={`phase ${phaseClass(phase)}`} data-phase={phase || "UNDEFINED"}>{phase || "UNDEFINED"}</span>;
}

export function ErrorBox({ error }: { error: any }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

export function Loading() {
  return <div class="loading">Loading…</div>;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" id={id}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Crumbs({ items }: { items: [string, string | undefined][] }) {
  return (
    <nav class="crumbs">
      {items.map(([label, href], i) => (
        <span key={i}>
          {i > 0 && " / "}
          {href ? <a href={href}>{label}</a> : <b>{label}</b>}
        </span>
      ))}
    </nav>
  );
}
