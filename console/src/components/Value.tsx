import hljs from "highlight.js/lib/core";
import json from "highlight.js/lib/languages/json";
import { literalValue, isComplexValue, typeLabel } from "../literals";

hljs.registerLanguage("json", json);

export function Code({ text }: { text: string }) {
  const html = hljs.highlight(text, { language: "json" }).value;
  return <pre class="code hljs" dangerouslySetInnerHTML={{ __html: html }} />;
}

export function ValueView({ value }: { value: unknown }) {
  if (isComplexValue(value)) return <Code text={JSON.stringify(value, null, 2)} />;
  if (value === null || value === undefined) return <span class="muted">None</span>;
  return <span class="value">{String(value)}</span>;
}

/** A LiteralMap (inputs or outputs) as a table of names and values. */
export function LiteralTable({ map, empty }: { map: any; empty?: string }) {
  const literals: Record<string, any> = (map && map.literals) || {};
  const names = Object.keys(literals);
  if (!names.length) return <p class="muted">{empty || "None"}</p>;
  return (
    <table class="kv">
      <tbody>
        {names.map((n) => (
          <tr key={n} data-name={n}>
            <th>{n}</th>
            <td>
              <ValueView value={literalValue(literals[n])} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A TypedInterface's variables (or a ParameterMap's). */
export function InterfaceTable({ vars, params }: { vars?: Record<string, any>; params?: Record<string, any> }) {
  const rows = params
    ? Object.entries(params).map(([n, p]: [string, any]) => ({ n, v: p.var || {}, dflt: p.default, required: p.required }))
    : Object.entries(vars || {}).map(([n, v]) => ({ n, v, dflt: undefined, required: undefined }));
  if (!rows.length) return <p class="muted">None</p>;
  return (
    <table class="grid">
      <thead>
        <tr>
          <th>Name</th>
          <th>Type</th>
          {params && <th>Default</th>}
          <th>Description</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ n, v, dflt, required }) => (
          <tr key={n}>
            <td>
              <code>{n}</code>
              {required && <span class="req">*</span>}
            </td>
            <td>{typeLabel(v.type)}</td>
            {params && <td>{dflt ? <ValueView value={literalValue(dflt)} /> : ""}</td>}
            <td>{v.description}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
