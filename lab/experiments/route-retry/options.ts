import { LabError } from '../../../common/errors.js';
import { parseOptions, usage, type OptionValues } from '../../engine/args.js';
import { ARMS } from '../../engine/arms.js';

// Command line of `npm run lab -- route-retry` (the lab's one option parser, lab/engine/args.ts).

export const ROUTE_RETRY_OPTIONS = {
  arms: { type: 'list', choices: ARMS.map((a) => a.name), default: ['ladder-1-pid1', 'without-readiness', 'after'], help: 'arms rolled, each once per variant (no retry, route retry): pid1 alone exits at once (resets, cut streams), without-readiness routes to pods not yet listening (refused connects), after is the control' },
  rate: { type: 'int', min: 10, max: 400, default: 100, arg: 'R', help: 'requests/s sent through the L7 path (loadtest/scenario.json mix)' },
  streams: { type: 'int', min: 0, max: 20, default: 4, arg: 'N', help: 'SSE clients (GET /events) held open through the rollout: the responses a reset can cut mid-way' },
  'results-dir': { type: 'string', arg: 'DIR', help: 'default results/ (writes DIR/route-retry/)' },
  target: { type: 'choice', choices: ['local'], default: 'local', help: 'the only target this experiment runs on' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export type RouteRetryOptions = OptionValues<typeof ROUTE_RETRY_OPTIONS>;

export const ROUTE_RETRY_USAGE = usage('usage: npm run lab -- route-retry [options]', ROUTE_RETRY_OPTIONS);

/** Throws LabError LAB_BAD_OPTION naming the option and the valid values. */
export function parseRouteRetryArgs(argv: readonly string[]): RouteRetryOptions {
  const { values } = parseOptions(ROUTE_RETRY_OPTIONS, argv);
  if (values.resultsDir === '') throw new LabError('LAB_BAD_OPTION', '--results-dir needs a directory');
  return values;
}
