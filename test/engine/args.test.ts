import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLabError } from '../../common/errors.js';
import { checkInt, parseLabArgs, parseOptions, usage } from '../../lab/engine/args.js';
import { parseKmjOptions } from '../../lab/experiments/kill-mid-job/options.js';

const SPEC = {
  rate: { type: 'int', min: 1, max: 10, default: 5, help: 'rate' },
  'max-wait-ms': { type: 'int', min: 0, max: 100, help: 'wait' },
  mode: { type: 'choice', choices: ['a', 'b'], default: 'a', help: 'mode' },
  pick: { type: 'list', choices: ['x', 'y', 'z'], help: 'pick' },
  out: { type: 'string', help: 'out' },
  quiet: { type: 'flag', short: 'q', help: 'quiet' },
} as const;

test('a declarative spec gives typed, camel-cased values with defaults', () => {
  const { values } = parseOptions(SPEC, []);
  assert.deepEqual(values, { rate: 5, maxWaitMs: undefined, mode: 'a', pick: undefined, out: undefined, quiet: false });
  const v = parseOptions(SPEC, ['--rate=7', '--max-wait-ms', '0', '--mode', 'b', '--pick', 'z,x', '--out', 'd', '-q']).values;
  assert.deepEqual(v, { rate: 7, maxWaitMs: 0, mode: 'b', pick: ['z', 'x'], out: 'd', quiet: true });
  const n: number = v.rate; // compile-time: a defaulted int is a number
  assert.equal(n, 7);
});

test('every bad value is refused with LAB_BAD_OPTION naming the option and the valid values', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--rate', '0'], /--rate 0 is out of range 1\.\.10/],
    [['--rate', '11'], /--rate 11 is out of range 1\.\.10/],
    [['--rate', '2.5'], /--rate needs an integer 1\.\.10, got "2\.5"/],
    [['--rate', '-1'], /--rate needs an integer 1\.\.10, got "-1"/],
    [['--rate'], /--rate needs an integer 1\.\.10, got nothing/],
    [['--mode', 'c'], /--mode must be one of a, b, got "c"/],
    [['--mode'], /--mode needs a value \(one of a, b\)/],
    [['--pick', 'x,w'], /--pick contains "w"; valid values are x, y, z/],
    [['--out'], /--out needs a value/],
    [['--quiet=yes'], /--quiet takes no value, got "yes"/],
    [['--nope'], /unknown option "--nope"; valid options are --rate, --max-wait-ms, --mode, --pick, --out, --quiet/],
    [['-x'], /unknown option "-x"/],
    [['stray'], /unexpected argument "stray"/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseOptions(SPEC, argv), (e: unknown) => isLabError(e, 'LAB_BAD_OPTION') && re.test((e as Error).message), argv.join(' '));
  }
  assert.throws(() => checkInt('--n', '1e3', 0, 5000), /needs an integer/);
});

test('usage is generated from the spec with ranges, choices and defaults', () => {
  const u = usage('usage: demo', SPEC);
  assert.match(u, /--rate N\s+1\.\.10: rate \(default 5\)/);
  assert.match(u, /--mode a\|b\s+mode \(default a\)/);
  assert.match(u, /--pick x,y,z\s+pick/);
  assert.match(u, /--quiet \| -q\s+quiet/);
});

test('the lab CLI and the experiments are specs over the same parser', () => {
  const a = parseLabArgs(['after', '--reps', '3', '--target=kind', '--dry-run']);
  assert.equal(a.command, 'after'); assert.equal(a.reps, 3); assert.equal(a.target, 'kind'); assert.equal(a.dryRun, true);
  assert.equal(parseLabArgs(['--reps', '2', 'kill-mid-job'], ['kill-mid-job']).command, 'kill-mid-job');
  assert.throws(() => parseLabArgs(['tune'], ['kill-mid-job']), (e: unknown) => isLabError(e, 'LAB_UNKNOWN_ARM') && /other commands: ladder, leave-one-out, report, stress, kill-mid-job/.test((e as Error).message));
  const ba = parseLabArgs(['before', 'after', '--reps', '5']);
  assert.deepEqual([ba.command, ba.arms, ba.reps, ba.repsGiven], ['before', ['before', 'after'], 5, true]);
  assert.deepEqual([parseLabArgs(['stress']).arms, parseLabArgs(['stress']).repsGiven], [[], false]);
  const k = parseKmjOptions(['--modes', 'on', '--deadline-ms=500']);
  assert.equal(k.shutdownDeadlineMs, 500); assert.deepEqual(k.modes.map((m) => m.id), ['on']); assert.equal(k.jobs, 300);
  assert.throws(() => parseKmjOptions(['--jobs', '9']), /--jobs 9 is out of range 10\.\.5000/);
});
