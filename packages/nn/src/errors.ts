/** Typed errors of @largebatch/nn; bad arguments reuse @largebatch/tensor's ArgumentError. */

/**
 * loadStateDict found keys it could not load: missing (in the module, not in the dict),
 * unexpected (in the dict, not in the module) or of the wrong shape. Nothing was copied.
 */
export class StateDictError extends Error {
  constructor(
    readonly missingKeys: readonly string[],
    readonly unexpectedKeys: readonly string[],
    readonly shapeMismatches: readonly { key: string; expected: readonly number[]; got: readonly number[] }[],
  ) {
    const parts: string[] = [];
    if (missingKeys.length > 0) parts.push(`missing keys: ${missingKeys.join(', ')}`);
    if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    for (const m of shapeMismatches) {
      parts.push(`${m.key} has shape [${m.got.join(', ')}] in the state dict, expected [${m.expected.join(', ')}]`);
    }
    super(`loadStateDict: ${parts.join('; ')}`);
    this.name = 'StateDictError';
  }
}

/** A safetensors file that cannot be read or written; the message names the file and the problem. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`safetensors file ${file}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}
