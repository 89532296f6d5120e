import { useState } from "preact/hooks";
import { post, sameOriginData, type Identifier } from "../api";
import { defaultText, fieldOf, parseField, toLiteral, typeLabel, InputError, type FieldKind } from "../literals";
import { ErrorBox } from "./common";

export interface Param {
  var: { type: any; description?: string };
  default?: any;
  required?: boolean;
}

/** Uploads a file through the data proxy (CreateUploadLocation, then PUT to its signed URL); returns its URI. */
async function upload(project: string, domain: string, file: File): Promise<string> {
  const root = `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const loc = await post<any>("/api/v1/dataproxy/artifact_urn", {
    project,
    domain,
    filename: file.name,
    filename_root: root,
    expires_in: "3600s",
  });
  const res = await fetch(sameOriginData(loc.signed_url), { method: "PUT", body: file, headers: loc.headers || {}, credentials: "same-origin" });
  if (!res.ok) throw new Error(`upload of ${file.name} failed: ${res.status} ${await res.text()}`);
  return loc.native_url;
}

/** One typed input: a widget chosen by the Flyte type, holding text (or a checkbox's boolean). */
export function TypedField({
  name,
  kind,
  inner,
  value,
  onChange,
  onFile,
}: {
  name: string;
  kind: FieldKind;
  inner: any;
  value: string | boolean;
  onChange: (v: string | boolean) => void;
  onFile?: (f: File) => void;
}) {
  const id = `in-${name}`;
  switch (kind) {
    case "boolean":
      return <input id={id} name={name} type="checkbox" checked={Boolean(value)} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />;
    case "integer":
    case "float":
      return (
        <input id={id} name={name} type="number" step={kind === "integer" ? "1" : "any"} value={String(value)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />
      );
    case "datetime":
      return <input id={id} name={name} type="datetime-local" step="1" value={String(value)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />;
    case "duration":
      return (
        <span>
          <input id={id} name={name} type="number" step="any" value={String(value)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} /> seconds
        </span>
      );
    case "enum":
      return (
        <select id={id} name={name} value={String(value)} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
          <option value="">—</option>
          {(inner.enum_type.values || []).map((v: string) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      );
    case "file":
      return (
        <span class="filefield">
          <input id={id} name={name} type="text" placeholder="s3://… or upload" value={String(value)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />
          <input name={`${name}-upload`} type="file" onChange={(e) => {
            const f = (e.target as HTMLInputElement).files?.[0];
            if (f && onFile) onFile(f);
          }} />
        </span>
      );
    case "json":
      return <textarea id={id} name={name} rows={4} value={String(value)} onInput={(e) => onChange((e.target as HTMLTextAreaElement).value)} />;
    default:
      return <input id={id} name={name} type="text" value={String(value)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />;
  }
}

/** Reads a field back into a literal of its declared type (an empty Optional is None). */
export function fieldLiteral(name: string, type: any, text: string | boolean) {
  const f = fieldOf(type);
  if (f.optional && (text === "" || (f.kind === "json" && String(text).trim() === "null"))) return toLiteral(type, null, name);
  const parsed = parseField(f.kind, text, name);
  return toLiteral(type, parsed, name);
}

/**
 * The launch form of a launch plan or a task, generated from its interface. Inputs left at their default are not
 * sent (the admin fills launch plan defaults); the admin's own validation errors are shown as it words them.
 */
export function LaunchForm({
  target,
  params,
  onLaunched,
}: {
  target: Identifier;
  params: Record<string, Param>;
  onLaunched: (id: any) => void;
}) {
  const names = Object.keys(params).sort((a, b) => Number(!!params[b].required) - Number(!!params[a].required) || a.localeCompare(b));
  const initial: Record<string, string | boolean> = {};
  for (const n of names) initial[n] = defaultText(fieldOf(params[n].var.type).kind, params[n].default);
  const [values, setValues] = useState(initial);
  const [execName, setExecName] = useState("");
  const [error, setError] = useState<any>(null);
  const [busy, setBusy] = useState(false);
  const set = (n: string, v: string | boolean) => setValues((old) => ({ ...old, [n]: v }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const literals: Record<string, any> = {};
      for (const n of names) {
        const p = params[n];
        const f = fieldOf(p.var.type);
        const text = values[n];
        const untouched = p.default && text === initial[n];
        if (untouched) continue;
        if (!p.required && !p.default && (text === "" || text === false) && f.kind !== "boolean") continue;
        if (p.required && text === "" && !f.optional) throw new InputError(`${n}: a value is required`);
        literals[n] = fieldLiteral(n, p.var.type, text);
      }
      const res = await post<any>("/api/v1/executions", {
        project: target.project,
        domain: target.domain,
        name: execName || undefined,
        spec: { launch_plan: target, metadata: { mode: "MANUAL" } },
        inputs: { literals },
      });
      onLaunched(res.id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="launch" onSubmit={submit}>
      {names.map((n) => {
        const p = params[n];
        const f = fieldOf(p.var.type);
        return (
          <div class="field" key={n}>
            <label for={`in-${n}`}>
              {n}
              {p.required && <span class="req">*</span>} <span class="muted">{typeLabel(p.var.type)}</span>
            </label>
            <TypedField
              name={n}
              kind={f.kind}
              inner={f.inner}
              value={values[n]}
              onChange={(v) => set(n, v)}
              onFile={async (file) => {
                try {
                  set(n, await upload(target.project, target.domain, file));
                } catch (err) {
                  setError(err);
                }
              }}
            />
            {p.var.description && p.var.description !== n && <div class="help">{p.var.description}</div>}
          </div>
        );
      })}
      <div class="field">
        <label for="exec-name">Execution name (optional)</label>
        <input id="exec-name" name="exec-name" type="text" value={execName} onInput={(e) => setExecName((e.target as HTMLInputElement).value)} />
      </div>
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? "Launching…" : "Launch"}
      </button>
    </form>
  );
}
