import { describe, expect, it } from 'vitest';
import { isBertwebError } from '../core.js';
import { PyDict, unpickle } from './pickle.js';

const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

// Python 3.11: pickle.dumps({'int': 1, 'neg': -300, 'big': 2**70, 'float': 1.5,
//   'list': [True, False, None, 'ü', (1, 2, 3), ()], 'bytes': b'\x00\xffab',
//   'od': collections.OrderedDict([('x', 1)]), 'set': {7}}, protocol=P).hex()
const SAMPLES: Record<string, string> = {
  0: '286470300a56696e740a70310a49310a73566e65670a70320a492d3330300a73566269670a70330a4c313138303539313632303731373431313330333432344c0a7356666c6f61740a70340a46312e350a73566c6973740a70350a286c70360a4930310a614930300a614e6156fc0a70370a612849310a49320a49330a7470380a61287461735662797465730a70390a635f636f646563730a656e636f64650a7031300a28565c7530303030ff61620a7031310a566c6174696e310a7031320a747031330a527031340a73566f640a7031350a63636f6c6c656374696f6e730a4f726465726564446963740a7031360a2874527031370a56780a7031380a49310a7373567365740a7031390a635f5f6275696c74696e5f5f0a7365740a7032300a28286c7032310a49370a61747032320a527032330a732e',
  2: '80027d7100285803000000696e7471014b0158030000006e656771024ad4feffff580300000062696771038a090000000000000000405805000000666c6f61747104473ff800000000000058040000006c69737471055d71062888894e5802000000c3bc71074b014b024b038771082965580500000062797465737109635f636f646563730a656e636f64650a710a580500000000c3bf6162710b58060000006c6174696e31710c86710d52710e58020000006f64710f63636f6c6c656374696f6e730a4f726465726564446963740a71102952711158010000007871124b017358030000007365747113635f5f6275696c74696e5f5f0a7365740a71145d71154b0761857116527117752e',
  4: '8004959e000000000000007d94288c03696e74944b018c036e6567944ad4feffff8c03626967948a090000000000000000408c05666c6f617494473ff80000000000008c046c697374945d942888894e8c02c3bc944b014b024b03879429658c05627974657394430400ff6162948c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0178944b01738c03736574948f94284b0790752e',
};

describe('unpickle', () => {
  for (const [protocol, data] of Object.entries(SAMPLES)) {
    it(`reads every data opcode of protocol ${protocol}`, () => {
      const { value, end } = unpickle(hex(data));
      expect(end).toBe(data.length / 2);
      expect(value).toBeInstanceOf(PyDict);
      const map = (value as PyDict).map;
      expect(map.get('int')).toBe(1);
      expect(map.get('neg')).toBe(-300);
      expect(map.get('big')).toBe(2n ** 70n);
      expect(map.get('float')).toBe(1.5);
      expect(map.get('list')).toEqual([true, false, null, 'ü', [1, 2, 3], []]);
      expect(map.get('bytes')).toEqual(Uint8Array.from([0, 255, 97, 98]));
      expect((map.get('od') as PyDict).map.get('x')).toBe(1);
      expect(map.get('set')).toEqual(new Set([7]));
    });
  }

  // class E: __reduce__ = lambda self: (os.system, ('true',)); pickle.dumps(E(), protocol=P)
  it.each([
    ['protocol 2', '800263706f7369780a73797374656d0a710058040000007472756571018571025271032e'],
    ['protocol 0', '63706f7369780a73797374656d0a70300a2856747275650a70310a7470320a5270330a2e'],
  ])('refuses os.system (%s) before running anything', (_, data) => {
    let error: unknown;
    try {
      unpickle(hex(data));
    } catch (e) {
      error = e;
    }
    expect(isBertwebError(error, 'MODEL_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/refusing to load global posix\.system/);
  });

  it('refuses builtins.eval through STACK_GLOBAL', () => {
    // pickle.dumps(eval, protocol=4)
    const data = hex('80049515000000000000008c086275696c74696e73948c046576616c9493942e');
    expect(() => unpickle(data)).toThrow(/refusing to load global builtins\.eval/);
  });

  it('refuses object-building opcodes (INST)', () => {
    // INST "os\nsystem\n" after a MARK and an argument
    const data = new TextEncoder().encode("(S'true'\nios\nsystem\n.");
    expect(() => unpickle(data)).toThrow(/refusing pickle opcode 0x69/);
  });

  it('reports truncated and corrupt pickles as MODEL_INVALID', () => {
    const full = hex(SAMPLES[2] as string);
    for (const bad of [
      full.subarray(0, 40),
      Uint8Array.from([0x80, 0x02, 0xff]),
      Uint8Array.from([0x80, 0x02, 0x2e]),
    ]) {
      let error: unknown;
      try {
        unpickle(bad);
      } catch (e) {
        error = e;
      }
      expect(isBertwebError(error, 'MODEL_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(/corrupt pickle/);
    }
  });
});
