import * as path from 'path';

import { canonicalJson, nonDefault, runDirectory, settingsHash } from './run-dir';

describe('run directories', () => {
  test('canonical JSON ignores key order and undefined entries, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { y: [2, 1], x: undefined, w: null } })).toBe('{"a":{"w":null,"y":[2,1]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  test('only settings that differ from their defaults count', () => {
    const defaults = { lr: 0.1, milestones: [80, 120], augment: false, epochs: 10 };
    expect(nonDefault({ lr: 0.1, milestones: [80, 120], augment: false, epochs: 10 }, defaults)).toEqual({});
    expect(nonDefault({ lr: 0.05, milestones: [80, 120], augment: true, epochs: undefined }, defaults)).toEqual({ lr: 0.05, augment: true });
    expect(nonDefault({ milestones: [80] }, defaults)).toEqual({ milestones: [80] });
  });

  test('the hash depends on the command and the identity, not on key order', () => {
    const a = settingsHash('train', { model: 'conv4', dataset: 'mnist', lr: 0.01 });
    expect(a).toMatch(/^[0-9a-f]{10}$/);
    expect(settingsHash('train', { lr: 0.01, dataset: 'mnist', model: 'conv4' })).toBe(a);
    expect(settingsHash('prune', { model: 'conv4', dataset: 'mnist', lr: 0.01 })).not.toBe(a);
    expect(settingsHash('train', { model: 'conv4', dataset: 'mnist', lr: 0.02 })).not.toBe(a);
    expect(runDirectory('/r', 'train', 'conv4-mnist', { model: 'conv4' })).toBe(path.resolve('/r/train', `conv4-mnist-${settingsHash('train', { model: 'conv4' })}`));
  });
});
