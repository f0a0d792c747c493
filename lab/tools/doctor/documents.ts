import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { LabError } from '../../../common/errors.js';

// One Kubernetes object read from the input, with a way back to its line for SARIF and the text output.

export type FieldPath = ReadonlyArray<string | number>;

export interface K8sObject {
  readonly file: string;
  readonly kind: string;
  readonly name: string;
  readonly obj: Record<string, any>;
  /** Line (1-based) of the deepest existing node on `path` inside this object. */
  line(path: FieldPath): number;
}

const isMap = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v);

function locator(doc: Document, counter: LineCounter, prefix: FieldPath): (path: FieldPath) => number {
  return (path) => {
    const full = [...prefix, ...path];
    for (let n = full.length; n >= 0; n--) {
      const node = (n === 0 ? doc.contents : doc.getIn(full.slice(0, n), true)) as { range?: [number, number, number] } | undefined;
      if (node?.range) return counter.linePos(node.range[0]).line;
    }
    return 1;
  };
}

function toObject(file: string, raw: unknown, line: (p: FieldPath) => number, where: string): K8sObject {
  if (!isMap(raw)) throw new LabError('LAB_BAD_YAML', `${file}: ${where} (line ${line([])}) is a ${typeName(raw)}, not a Kubernetes object (a mapping with kind)`);
  if (typeof raw.kind !== 'string' || raw.kind === '') {
    throw new LabError('LAB_NO_KIND', `${file}: ${where} (line ${line([])}) has no kind; every Kubernetes object needs apiVersion and kind`);
  }
  const name = isMap(raw.metadata) && typeof raw.metadata.name === 'string' ? raw.metadata.name : '(unnamed)';
  return { file, kind: raw.kind, name, obj: raw, line };
}

/**
 * Aliases one document may expand to (the yaml package's maxAliasCount: alias uses × the aliases
 * inside each anchored node). A billion-laughs bomb multiplies past it within a few levels; a
 * manifest reusing one anchor a few hundred times stays far below it.
 */
export const MAX_ALIAS_COUNT = 10_000;

/**
 * Template actions only Helm's chart sources contain: the built-in objects and Helm's own functions.
 * Go templates in rendered output (Alertmanager, Argo, Grafana in a ConfigMap) use none of them.
 */
const HELM_ACTION = /\{\{-?\s*(?:\$?\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|(?:include|template|toYaml|tpl|required)\s)/;
const HELM_HINT = 'this is a Helm chart template, not a manifest: render it first and pipe the output, e.g. `helm template <release> <chart> -f values.yaml | npm run lab -- doctor -`';

function helmLine(text: string, start: number, end: number, counter: LineCounter): number | undefined {
  const m = HELM_ACTION.exec(text.slice(start, end));
  return m ? counter.linePos(start + m.index).line : undefined;
}

/** Every object of a multi-document YAML (or JSON) text; `kind: List` is expanded. Throws LabError naming the file. */
export function parseObjects(file: string, text: string): K8sObject[] {
  if (text.includes('\u0000')) throw new LabError('LAB_BAD_YAML', `${file}: binary content (NUL bytes), not YAML`);
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: K8sObject[] = [];
  docs.forEach((doc, i) => {
    const [start, , end] = doc.range;
    const problem = doc.errors[0];
    // a chart template either breaks the YAML ({{- if … }} lines) or parses with actions in its values
    const helm = () => helmLine(text, start, end, counter);
    if (problem) {
      const line = helm();
      if (line !== undefined) throw new LabError('LAB_HELM_TEMPLATE', `${file}: document ${i + 1}, line ${line}: ${HELM_HINT}`);
      const pos = counter.linePos(problem.pos[0]);
      throw new LabError('LAB_BAD_YAML', `${file}: document ${i + 1}, line ${pos.line} column ${pos.col}: ${problem.message.split('\n')[0]}`);
    }
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const msg = (e as Error).message;
      if (/Excessive alias count/.test(msg)) {
        throw new LabError('LAB_YAML_ALIASES', `${file}: document ${i + 1} expands its aliases more than ${MAX_ALIAS_COUNT} times (a YAML alias bomb?); refused without expanding it`);
      }
      throw new LabError('LAB_BAD_YAML', `${file}: document ${i + 1}: ${msg.split('\n')[0]}`, { cause: e });
    }
    // ConfigMap and Secret data may legitimately carry a chart's own template text
    const kind = (raw as { kind?: unknown } | null)?.kind;
    if (kind !== 'ConfigMap' && kind !== 'Secret') {
      const line = helm();
      if (line !== undefined) throw new LabError('LAB_HELM_TEMPLATE', `${file}: document ${i + 1}, line ${line}: ${HELM_HINT}`);
    }
    if (raw === null || raw === undefined) return; // an empty document between two ---
    const line = locator(doc, counter, []);
    const obj = toObject(file, raw, line, `document ${i + 1}`);
    if (obj.kind === 'List' && Array.isArray(obj.obj.items)) {
      obj.obj.items.forEach((item: unknown, j: number) => {
        out.push(toObject(file, item, locator(doc, counter, ['items', j]), `document ${i + 1} items[${j}]`));
      });
    } else out.push(obj);
  });
  return out;
}
