import { describe, expect, it } from 'vitest';
import { BertwebError, isBertwebError, throwIfAborted, toBertwebError } from './errors.js';

describe('BertwebError', () => {
  it('round-trips through JSON with code and details', () => {
    const err = new BertwebError('MODEL_INVALID', 'bad graph', { file: 'onnx/model.onnx' });
    const back = BertwebError.fromJSON(JSON.parse(JSON.stringify(err.toJSON())));
    expect(back).toBeInstanceOf(BertwebError);
    expect(back.code).toBe('MODEL_INVALID');
    expect(back.message).toBe('bad graph');
    expect(back.details).toEqual({ file: 'onnx/model.onnx' });
  });

  it('maps unknown codes to INTERNAL when re-created', () => {
    const back = BertwebError.fromJSON({ name: 'BertwebError', code: 'NOPE' as never, message: 'x' });
    expect(back.code).toBe('INTERNAL');
  });

  it('wraps aborts and foreign errors', () => {
    const abort = new DOMException('stop', 'AbortError');
    expect(toBertwebError(abort).code).toBe('ABORTED');
    const wrapped = toBertwebError(new TypeError('boom'), 'RUNTIME', 'run');
    expect(wrapped.code).toBe('RUNTIME');
    expect(wrapped.message).toBe('run: boom');
    expect(isBertwebError(wrapped, 'RUNTIME')).toBe(true);
    expect(isBertwebError(wrapped, 'ABORTED')).toBe(false);
  });

  it('throwIfAborted throws ABORTED only once aborted', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort();
    expect(() => throwIfAborted(controller.signal)).toThrowError(expect.objectContaining({ code: 'ABORTED' }));
  });
});
