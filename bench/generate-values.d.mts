// Types for generate-values.mjs (used by test/platform-rules.test.ts).
export function generateValues(n: number): string;
