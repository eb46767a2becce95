import { randomBytes } from 'node:crypto';

/**
 * Opaque random identifiers with a readable prefix (`sub_…`, `img_…`). Random rather than sequential so that an id
 * in a log or a report leaks neither volume nor order.
 */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
