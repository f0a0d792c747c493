import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { buildMatcher, ipToBigInt } from '../../service/config/matcher.js';
import { parseBlockEntry } from '../../service/config/schema.js';

// node:net BlockList is the reference the hand-written matcher must agree with.

let seed = 42;
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const v4 = () => `${[0, 0, 0, 0].map(() => rnd(4) === 0 ? 10 : rnd(256)).join('.')}`;
const v6 = () => `2001:db8:${rnd(3).toString(16)}::${rnd(0x10000).toString(16)}:${rnd(4).toString(16)}`;

test('ipToBigInt handles ::, leading/trailing ::, and a dotted IPv4 tail', () => {
  assert.equal(ipToBigInt('::', 'ipv6'), 0n);
  assert.equal(ipToBigInt('::1', 'ipv6'), 1n);
  assert.equal(ipToBigInt('1::', 'ipv6'), 1n << 112n);
  assert.equal(ipToBigInt('::ffff:1.2.3.4', 'ipv6'), (0xffffn << 32n) | 0x01020304n);
  assert.equal(ipToBigInt('255.255.255.255', 'ipv4'), 0xffffffffn);
});

test('the prefix-index matcher agrees with node:net BlockList on 20,000 random addresses', () => {
  const raw: string[] = [];
  for (let i = 0; i < 300; i++) {
    const kind = rnd(4);
    if (kind === 0) raw.push(v4());
    else if (kind === 1) raw.push(`${v4()}/${rnd(33)}`);
    else if (kind === 2) raw.push(v6());
    else raw.push(`${v6()}/${64 + rnd(65)}`);
  }
  raw.push('0.0.0.0/0'.replace('/0', '/1'), '::ffff:0:0/96');
  const entries = raw.map((r, i) => parseBlockEntry('t', i, r));
  const ref = new BlockList();
  for (const e of entries) e.kind === 'address' ? ref.addAddress(e.address, e.family) : ref.addSubnet(e.address, e.prefix!, e.family);
  const match = buildMatcher(entries);
  let hits = 0;
  for (let i = 0; i < 20_000; i++) {
    const ip = i % 2 ? v4() : v6();
    const fam = ip.includes(':') ? 'ipv6' : 'ipv4';
    const expected = ref.check(ip, fam);
    assert.equal(match(ip), expected, `${ip} (${fam})`);
    if (expected) hits++;
  }
  assert.ok(hits > 100 && hits < 19_900, `the sample exercises both outcomes (${hits} hits)`);
});
