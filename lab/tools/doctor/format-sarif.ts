import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { REPO_ROOT } from '../../engine/meta.js';
import { RULES, type RuleId } from './catalog.js';
import { findingLines } from './context.js';
import type { DoctorReport, Severity } from './types.js';

// SARIF 2.1.0 (OASIS), the format code-scanning UIs ingest: one run, the rule catalogue as
// tool.driver.rules, one result per finding with the file/line and the object + field path as a
// logical location.

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

const version = (): string => {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
};

function uriOf(file: string): string {
  if (file === '<stdin>') return 'stdin';
  const rel = relative(process.cwd(), file) || file;
  return encodeURI(rel.split(sep).join('/'));
}

export function formatSarif(r: DoctorReport): string {
  const ids = Object.keys(RULES) as RuleId[];
  const rules = ids.map((id) => ({
    id, name: id, shortDescription: { text: RULES[id].title },
    defaultConfiguration: { level: LEVEL[RULES[id].severity] },
    properties: { lever: RULES[id].lever },
  }));
  const results = r.findings.map((f) => ({
    ruleId: f.id,
    ruleIndex: ids.indexOf(f.id as RuleId),
    level: LEVEL[f.severity],
    message: { text: `${f.object} ${f.path}: ${f.why} Fix: ${f.fix}` },
    locations: [{
      physicalLocation: { artifactLocation: { uri: uriOf(f.file) }, region: { startLine: findingLines.get(f) ?? 1 } },
      logicalLocations: [{ fullyQualifiedName: `${f.object}/${f.path}`, kind: 'object' }],
    }],
    properties: { lever: f.lever },
  }));
  // the Dockerfiles found through skaffold.yaml (or not) are notes about the run, not results
  const notes = (r.dockerfiles ?? []).map((n) => ({
    level: n.status === 'read' ? 'note' : 'warning',
    message: { text: n.message },
    locations: [{ physicalLocation: { artifactLocation: { uri: uriOf(n.status === 'read' ? n.dockerfile! : n.skaffold) } } }],
  }));
  const invocations = notes.length ? { invocations: [{ executionSuccessful: true, toolExecutionNotifications: notes }] } : {};
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'deploy-loss-lab doctor', version: version(), rules } }, ...invocations, results }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
