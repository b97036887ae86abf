import { describe, expect, it } from 'vitest';
import { checkedInTypes, openapiDocument, schemaTypes } from '../../scripts/openapi-types.js';

describe("the dashboard's API types", () => {
  it('dashboard/src/lib/api/schema.d.ts is what the current route schemas generate (else: npm run openapi:types)', async () => {
    const generated = await schemaTypes(await openapiDocument());
    expect(generated.length).toBeGreaterThan(10_000);
    expect(checkedInTypes() === generated, 'schema.d.ts is stale: run `npm run openapi:types`').toBe(true);
  });
});
