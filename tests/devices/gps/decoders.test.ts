import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../devices/codec.js';
import { findDecoder } from '../../../devices/registry.js';

const nmea = (text: string): unknown => findDecoder('nmea')!.decode(text);

describe('courier-gw decode nmea', () => {
  it('decodes one sentence of §5 to one result', () => {
    expect(nmea('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n')).toMatchObject({
      type: 'RMC', lat: 48.1173, speedKmh: 41.5, courseDeg: 84.4, at: '1994-03-23T12:35:19.000Z',
    });
  });

  it('returns the typed error for the bad-checksum vector', () => {
    const r = nmea('$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49');
    expect(r).toBeInstanceOf(CodecError);
    expect(r).toMatchObject({ code: 'BAD_CHECKSUM' });
  });

  it('decodes several lines to an array, errors as JSON', () => {
    expect(nmea('$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48\r\n$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49\r\n')).toEqual([
      expect.objectContaining({ type: 'VTG', speedKmh: 10.2 }),
      expect.objectContaining({ error: 'BAD_CHECKSUM', protocol: 'nmea' }),
    ]);
  });
});
