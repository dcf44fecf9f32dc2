/** The page that draws a tuning result from its URL hash (AWS Lambda Power Tuning's visualization). */
export const VISUALIZATION_URL = "https://lambda-power-tuning.show/";

/** One memory value's averages, as the page plots them. */
export interface VisualizedPoint {
  memoryMb: number;
  durationMs: number;
  costUsd: number;
}

const encode = (values: number[], Type: Int16ArrayConstructor | Float32ArrayConstructor) => {
  const typed = new Type(values.length);
  const view = new DataView(typed.buffer);
  values.forEach((value, index) => (Type === Int16Array ? view.setInt16(index * 2, value, true) : view.setFloat32(index * 4, value, true)));
  return Buffer.from(typed.buffer).toString("base64");
};

const decode = (text: string, bytes: 2 | 4): number[] => {
  const buffer = Buffer.from(text, "base64");
  if (buffer.length % bytes !== 0) throw new Error(`not a list of ${bytes}-byte numbers`);
  return Array.from({ length: buffer.length / bytes }, (_, index) =>
    bytes === 2 ? buffer.readInt16LE(index * 2) : buffer.readFloatLE(index * 4),
  );
};

/** `sizes;durations;costs`: little-endian Int16 memory sizes and Float32 averages, base64, sorted by memory. */
function series(points: VisualizedPoint[]): string {
  const sorted = [...points].sort((a, b) => a.memoryMb - b.memoryMb);
  return [
    encode(
      sorted.map((point) => point.memoryMb),
      Int16Array,
    ),
    encode(
      sorted.map((point) => point.durationMs),
      Float32Array,
    ),
    encode(
      sorted.map((point) => point.costUsd),
      Float32Array,
    ),
  ].join(";");
}

/** The visualization link of one tuning result, byte-compatible with the original tool's. */
export function visualizationUrl(points: VisualizedPoint[], baseUrl = VISUALIZATION_URL): string {
  return `${baseUrl}#${series(points)}`;
}

/** Two results on one chart (the page's comparison format: two series, then their two legends). */
export function comparisonUrl(
  first: { label: string; points: VisualizedPoint[] },
  second: { label: string; points: VisualizedPoint[] },
  baseUrl = VISUALIZATION_URL,
): string {
  return `${baseUrl}#${[series(first.points), series(second.points), encodeURIComponent(first.label), encodeURIComponent(second.label)].join(";")}`;
}

/** Reads the points back out of a visualization link (single or comparison). */
export function decodeVisualization(url: string): { label?: string; points: VisualizedPoint[] }[] {
  const parts = url.slice(url.indexOf("#") + 1).split(";");
  if (parts.length !== 3 && parts.length !== 8)
    throw new Error(`A visualization link has 3 or 8 ;-separated parts after #, this one has ${parts.length}`);
  const read = (offset: number) => {
    const [sizes, durations, costs] = [decode(parts[offset], 2), decode(parts[offset + 1], 4), decode(parts[offset + 2], 4)];
    if (durations.length !== sizes.length || costs.length !== sizes.length)
      throw new Error("The link's sizes, durations and costs differ in length");
    return sizes.map((memoryMb, index) => ({ memoryMb, durationMs: durations[index], costUsd: costs[index] }));
  };
  if (parts.length === 3) return [{ points: read(0) }];
  return [
    { label: decodeURIComponent(parts[6]), points: read(0) },
    { label: decodeURIComponent(parts[7]), points: read(3) },
  ];
}
