import { describe, expect, it } from 'vitest';
import { ScalePlatform } from '../../../firmware-stubs/scale/platform.js';
import { MtSicsStub } from '../../../firmware-stubs/scale/mt-sics-stub.js';
import { ContinuousScaleStub } from '../../../firmware-stubs/scale/continuous-stub.js';
import { HidPosScaleStub } from '../../../firmware-stubs/scale/hid-pos-stub.js';
import { BleWeightScaleStub } from '../../../firmware-stubs/scale/ble-weight-stub.js';
import { toHex } from '../../../devices/codec.js';

describe('ScalePlatform', () => {
  it('settles a new load over settleMs, then is stable at the load rounded to the division', () => {
    const p = new ScalePlatform({ settleMs: 1000, divisionGrams: 5 });
    p.setLoad(1002, 0);
    expect(p.read(500)).toMatchObject({ gross: 500, stable: false });
    expect(p.read(999)).toMatchObject({ stable: false });
    expect(p.read(1000)).toEqual({ gross: 1000, net: 1000, tare: 0, stable: true, overload: false, underload: false });
  });

  it('never settles in motion; overloads above capacity', () => {
    const p = new ScalePlatform({ capacityGrams: 1000, settleMs: 0 });
    p.setLoad(400, 0);
    p.setMotion(true);
    expect(p.read(5000)).toMatchObject({ stable: false, gross: 405 });
    expect(p.read(5100)).toMatchObject({ gross: 395 });
    p.setMotion(false);
    p.setLoad(1010, 6000);
    expect(p.read(6000)).toMatchObject({ overload: true });
  });

  it('tares and zeroes only when stable and in range', () => {
    const p = new ScalePlatform({ capacityGrams: 10_000, settleMs: 100 });
    p.setLoad(150, 0);
    expect(p.zero(50)).toBe('busy');
    expect(p.zero(100)).toBe('done'); // 150 g is within 2 % of 10 kg
    expect(p.read(100)).toMatchObject({ gross: 0, net: 0 });
    p.setLoad(650, 200);
    expect(p.tare(300)).toBe('done');
    expect(p.read(300)).toMatchObject({ gross: 500, net: 0, tare: 500 });
    p.setLoad(1650, 400);
    expect(p.read(500)).toMatchObject({ gross: 1500, net: 1000 });
    expect(p.zero(500)).toBe('overload');
  });
});

describe('scale stubs', () => {
  it('MT-SICS: answers S once stable, SI at once, ES to nonsense, T with the tare', () => {
    const p = new ScalePlatform({ settleMs: 300 });
    const s = new MtSicsStub(p);
    p.setLoad(100, 0);
    expect(s.receive('SI\r\n', 100)).toEqual(['S D      33.00 g\r\n']);
    expect(s.receive('S\r\n', 100)).toEqual([]);
    expect(s.tick(200)).toEqual([]);
    expect(s.tick(300)).toEqual(['S S     100.00 g\r\n']);
    expect(s.receive('XYZ\r\n', 300)).toEqual(['ES\r\n']);
    expect(s.receive('T\r\n', 300)).toEqual(['T S     100.00 g\r\n']);
    expect(s.receive('SI', 300)).toEqual(['S S       0.00 g\r\n']);
    expect(s.receive('@', 300)).toEqual(['I4 A "B000000001"\r\n']);
  });

  it('MT-SICS: SIR repeats on every tick until another command; S answers S I when it never settles', () => {
    const p = new ScalePlatform({ settleMs: 0 });
    const s = new MtSicsStub(p, { unit: 'kg', decimals: 3, stableWaitMs: 1000 });
    p.setLoad(2500, 0);
    expect(s.receive('SIR', 0)).toEqual(['S S      2.500 kg\r\n']);
    expect(s.tick(100)).toEqual(['S S      2.500 kg\r\n']);
    p.setMotion(true);
    expect(s.receive('S', 150)).toEqual([]);
    expect(s.tick(200)).toEqual([]);
    expect(s.tick(1150)).toEqual(['S I\r\n']);
    p.setOverload(true);
    expect(s.receive('SI', 1200)).toEqual(['S +\r\n']);
  });

  it('continuous: the 22-byte line of PROTOCOLS §3.2 for 13.5 kg stable gross', () => {
    const p = new ScalePlatform({ capacityGrams: 30_000, settleMs: 0 });
    p.setLoad(13_500, 0);
    expect(toHex(new ContinuousScaleStub(p).tick(0))).toBe('53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A');
    expect(Buffer.from(new ContinuousScaleStub(p, { form: 'short' }).tick(0)).toString('latin1')).toBe('ST,GS,+ 13.500kg\r\n');
  });

  it('HID: reports per status, in ounces with exponent -1, and zeroes on 02 02', () => {
    const p = new ScalePlatform({ settleMs: 100 });
    const s = new HidPosScaleStub(p, { unit: 'oz', exponent: -1 });
    p.setLoad(850.5, 0);
    expect(toHex(s.tick(50))).toBe('03 03 0B FF 96 00');
    expect(toHex(s.tick(100))).toBe('03 04 0B FF 2C 01');
    p.setLoad(10, 200);
    expect(s.write([2, 2], 300)).toBe(true);
    expect(toHex(s.tick(300))).toBe('03 02 0B FF 00 00');
    expect(s.write([1, 0], 300)).toBe(false);
  });

  it('BLE: one measurement per stable weight, again after the platform was emptied', () => {
    const p = new ScalePlatform({ capacityGrams: 200_000, settleMs: 100 });
    const s = new BleWeightScaleStub(p, { withTimestamp: true, userId: 1 });
    expect(toHex(s.feature())).toBe('3B 00 00 00'); // timestamp, multi-user, 0.005 kg
    p.setLoad(72_350, Date.UTC(2024, 4, 17, 9, 29, 59, 900));
    expect(s.tick(Date.UTC(2024, 4, 17, 9, 29, 59, 950))).toBeUndefined();
    expect(toHex(s.tick(Date.UTC(2024, 4, 17, 9, 30, 0))!)).toBe('06 86 38 E8 07 05 11 09 1E 00 01');
    expect(s.tick(Date.UTC(2024, 4, 17, 9, 30, 1))).toBeUndefined();
    p.setLoad(0, Date.UTC(2024, 4, 17, 9, 31));
    expect(s.tick(Date.UTC(2024, 4, 17, 9, 32))).toBeUndefined();
    p.setLoad(72_350, Date.UTC(2024, 4, 17, 9, 33));
    expect(s.tick(Date.UTC(2024, 4, 17, 9, 34))).toBeDefined();
  });
});
