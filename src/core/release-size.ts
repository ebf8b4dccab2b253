// The size of the record helm keeps of a release. helm stores each revision in
// one Secret: base64(gzip(JSON of the release: chart templates, schema, values,
// the rendered manifest)) (helm pkg/storage/driver/util.go, encodeRelease), and
// the API server refuses a Secret whose data is over 1 MiB (kubernetes
// pkg/apis/core/validation/validation.go, ValidateSecret: MaxSecretSize).
import { gzipSync } from 'node:zlib';

export const SECRET_MAX_BYTES = 1024 * 1024;

/** The bytes helm stores for a release whose JSON is `json` (gzip at helm's BestCompression, then base64). */
export function releaseRecordBytes(json: string): number {
  return Math.ceil(gzipSync(json, { level: 9 }).length / 3) * 4;
}

/**
 * An estimate of the record, from the values alone (validate renders nothing).
 * The manifest repeats what the values say, so its compressed size follows
 * theirs: measured with the real helm on generated charts of 200 and 2,000
 * workflows and the stock chart, the record was 28 KB of chart plus 2.1-2.2×
 * (engine jobs) or 4.8-4.9× (engine argo) the compressed values on top of the
 * values themselves. The factors below are those plus a margin, so the
 * estimate errs high (test/platform-rules.test.ts holds it between the real
 * size and 1.25× it).
 */
export function estimateReleaseBytes(values: unknown, engine: string): number {
  const json = JSON.stringify(values ?? {});
  const factor = engine === 'argo' ? 6.5 : 3.5;
  const chart = 32 * 1024;
  // Small values cannot come near the limit even uncompressed: skip the gzip.
  if (chart + json.length * 1.34 * factor < 0.5 * SECRET_MAX_BYTES) return chart + Math.ceil(json.length * 1.34 * factor);
  return chart + Math.ceil(releaseRecordBytes(json) * factor);
}
